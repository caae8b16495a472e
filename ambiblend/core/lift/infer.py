"""Batched inference over a whole clip: 2D keypoints → per-frame scale → root-relative 3D.

One forward pass of Φ_S and Φ_G over all frames at once (in chunks of ``batch`` frames) on the
model's device: no per-frame Python loop.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..errors import AmbiblendError
from ..skeleton import NUM_JOINTS, ROOT
from .checkpoint import LiftingModel
from .model import depth_to_3d
from .normalize import normalize


@dataclass
class LiftResult:
    """What the lifter gives for a clip of T frames.

    joints: (T, 17, 3) root-relative 3D in model units, camera frame (x right, y down, z away
        from the camera). Multiply by a metric scale (see ``scale.trajectory``) for metres.
    scale: (T,) the scale module's S_2D per frame (1.0 everywhere when it is disabled).
    norm_factor: (T,) the 2D normalisation divisor of each frame (input units).
    """
    joints: np.ndarray
    scale: np.ndarray
    norm_factor: np.ndarray


@torch.no_grad()
def lift_sequence(xy: np.ndarray, model: LiftingModel, use_scale_module: bool = True,
                  batch: int = 8192) -> LiftResult:
    """xy: (T, 17, 2) 2D joints of one clip (pixels or camera units, no NaNs) → LiftResult."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (NUM_JOINTS, 2):
        raise AmbiblendError(f"Expected 2D keypoints of shape (T, {NUM_JOINTS}, 2), got {xy.shape}.")
    if xy.shape[0] == 0:
        raise AmbiblendError("The clip has no frames to lift.")
    if not np.isfinite(xy).all():
        raise AmbiblendError("The 2D keypoints contain NaN or infinite values; fill gaps before lifting.")
    pose, factor = normalize(xy, model.norm_mode, model.norm_constant, model.root_depth)
    joints, scales = [], []
    for start in range(0, len(pose), batch):
        x = torch.from_numpy(pose[start:start + batch]).to(model.device)
        s = model.scale(x) if use_scale_module else torch.ones(len(x), device=model.device)
        if model.scale_on == "3d":  # ablation models: scale the lifted 3D instead of the 2D (eq. 2)
            j3d = depth_to_3d(x, model.lifter(x), model.root_depth)
            rel = (j3d - j3d[:, ROOT:ROOT + 1]) * s[:, None, None]
        else:
            xs = x * s[:, None, None]
            j3d = depth_to_3d(xs, model.lifter(xs), model.root_depth)
            rel = j3d - j3d[:, ROOT:ROOT + 1]
        joints.append(rel.cpu().numpy())
        scales.append(s.cpu().numpy())
    return LiftResult(joints=np.concatenate(joints).astype(np.float64),
                      scale=np.concatenate(scales).astype(np.float64), norm_factor=factor)
