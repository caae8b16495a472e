"""Batched inference over a whole clip: 2D keypoints → per-frame scale → root-relative 3D.

One forward pass of Φ_S and Φ_G over all frames at once (in chunks of ``batch`` frames): numpy
networks on the CPU, or torch modules on the model's device (CUDA, and training's validation).
No per-frame Python loop; torch is imported only for a torch-backed model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AmbiblendError
from ..geometry import rotation_about_axis
from ..skeleton import FLIP_PERMUTATION, NUM_JOINTS, ROOT, THORAX
from .camera import depth_to_3d
from .checkpoint import LiftingModel
from .fuse import blend_depths, detector_depth_offsets
from .normalize import normalize


@dataclass
class LiftResult:
    """What the lifter gives for a clip of T frames.

    joints: (T, 17, 3) root-relative 3D in model units, camera frame (x right, y down, z away
        from the camera). Multiply by a metric scale (see ``scale.trajectory``) for metres.
    scale: (T,) the scale module's S_2D per frame (1.0 everywhere when it is disabled).
    norm_factor: (T,) the 2D normalisation divisor of each frame (input units).
    roll: the in-image angle (radians) the clip was turned by before lifting (see ``roll_angle``).
    """
    joints: np.ndarray
    scale: np.ndarray
    norm_factor: np.ndarray
    roll: float = 0.0


def roll_angle(xy: np.ndarray) -> float:
    """How far the clip's mean pelvis→thorax direction leans in the image, in radians (0 = the
    thorax straight above the pelvis, image y down; positive = leaning towards +x).
    (T, 17, 2) → angle. The mean of unit vectors: it turns with the image (a median would not),
    and one bad frame moves it by at most 1/T of a unit."""
    v = xy[:, THORAX] - xy[:, ROOT]
    v = (v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)).mean(axis=0)
    return float(np.arctan2(v[0], -v[1]))


def _forward(model: LiftingModel, x: np.ndarray, use_scale_module: bool, depth=None, flip: bool = False):
    """(B,17,2) float32 normalised 2D → (root-relative 3D (B,17,3), scale (B,)) as numpy.
    depth: optional ``depth(xs, offsets) -> offsets`` applied to the lifter's output.
    flip: also lift the mirror image and average (see ``lift_sequence``)."""
    if model.backend == "numpy":
        return _lift_batch(model, x.astype(np.float64), use_scale_module, np.ones, depth,
                           np.array([-1.0, 1.0]) if flip else None)
    import torch
    with torch.no_grad():
        xt = torch.from_numpy(x).to(model.device)
        ones = lambda n: torch.ones(n, device=model.device)  # noqa: E731
        wrap = None if depth is None else (lambda xs, d: torch.as_tensor(
            depth(xs.cpu().numpy(), d.cpu().numpy()), dtype=d.dtype, device=d.device))
        sign = torch.tensor([-1.0, 1.0], dtype=xt.dtype, device=model.device) if flip else None
        rel, s = _lift_batch(model, xt, use_scale_module, ones, wrap, sign)
        return rel.cpu().numpy(), s.cpu().numpy()


def _lift_batch(model: LiftingModel, x, use_scale_module: bool, ones, depth=None, mirror=None):
    """The same arithmetic for numpy arrays and torch tensors. mirror: None, or the (−1, 1)
    sign that mirrors x (in the array's own type) for flip averaging."""
    def networks(x):
        s = model.scale(x) if use_scale_module else ones(len(x))
        return s, model.lifter(x if model.scale_on == "3d" else x * s[:, None, None])

    s, d = networks(x)
    if mirror is not None:
        # Mirroring the image leaves each joint's depth as it was, under the other side's name.
        perm = list(FLIP_PERMUTATION)
        s_m, d_m = networks(x[:, perm] * mirror)
        s, d = 0.5 * (s + s_m), 0.5 * (d + d_m[:, perm])
    if model.scale_on == "3d":  # ablation models: scale the lifted 3D instead of the 2D (eq. 2)
        j3d = depth_to_3d(x, d if depth is None else depth(x, d), model.root_depth)
        return (j3d - j3d[:, ROOT:ROOT + 1]) * s[:, None, None], s
    xs = x * s[:, None, None]
    j3d = depth_to_3d(xs, d if depth is None else depth(xs, d), model.root_depth)
    return j3d - j3d[:, ROOT:ROOT + 1], s


def lift_sequence(xy: np.ndarray, model: LiftingModel, use_scale_module: bool = True,
                  batch: int = 8192, upright: bool = True, world: np.ndarray | None = None,
                  world_weight: float = 0.0, flip: bool = False) -> LiftResult:
    """xy: (T, 17, 2) 2D joints of one clip (pixels or camera units, no NaNs) → LiftResult.

    upright: the lifter is trained on level cameras, where a standing body's torso is vertical in
    the image. A camera rolled about its optical axis (a tilted phone, a portrait rig) or a clip
    in which the subject leans throughout shows a tilted torso, which the lifter misreads as a
    lean in depth (on the Pose2Sim footage two views lost 70 mm PMPJPE to it). So the clip is
    turned in the image plane until its mean torso direction is upright, lifted, and the 3D turned back
    about the optical axis: exact for root-relative joints under a pinhole camera, so only the
    lifter's input changes. Per clip, not per frame: the motion's own leaning is kept.

    world, world_weight: the detector's own 3D (T, 17, 3) metres (MediaPipe world landmarks) and
    how much of its relative depth to blend into the lifter's (``fuse``; 0 = the lifter alone).

    flip: also lift the clip's mirror image (x negated, left and right exchanged) and average the
    two depth estimates and scales, joint by joint: the lifter's errors on a pose and on its
    mirror are partly independent (test-time augmentation, as in VideoPose3D). Twice the
    lifter's cost, which is about 1 % of detection's.
    """
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (NUM_JOINTS, 2):
        raise AmbiblendError(f"Expected 2D keypoints of shape (T, {NUM_JOINTS}, 2), got {xy.shape}.")
    if xy.shape[0] == 0:
        raise AmbiblendError("The clip has no frames to lift.")
    if not np.isfinite(xy).all():
        raise AmbiblendError("The 2D keypoints contain NaN or infinite values; fill gaps before lifting.")
    roll = roll_angle(xy) if upright else 0.0
    turn = rotation_about_axis((0.0, 0.0, 1.0), -roll)   # about the optical axis (camera z)
    pose, factor = normalize(xy @ turn[:2, :2].T, model.norm_mode, model.norm_constant, model.root_depth)
    use_world = world is not None and world_weight > 0
    if use_world:
        world = np.asarray(world, dtype=np.float64)
        if world.shape != xy.shape[:2] + (3,) or not np.isfinite(world).all():
            raise AmbiblendError(f"The detector's 3D must be finite and of shape {xy.shape[:2] + (3,)}, got {world.shape}.")
    joints, scales = [], []
    for start in range(0, len(pose), batch):
        depth = None
        if use_world:
            chunk = world[start:start + batch] @ turn.T   # into the upright frame the lifter sees
            depth = lambda xs, d, w=chunk: blend_depths(  # noqa: E731
                d, detector_depth_offsets(xs, w, model.root_depth), world_weight)
        rel, s = _forward(model, pose[start:start + batch], use_scale_module, depth, flip)
        joints.append(rel)
        scales.append(s)
    joints = np.concatenate(joints).astype(np.float64) @ turn   # turn back (row vectors: R⁻¹ = Rᵀ)
    return LiftResult(joints=joints, scale=np.concatenate(scales).astype(np.float64),
                      norm_factor=factor, roll=roll)
