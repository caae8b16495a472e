"""3D pose metrics. Poses are (T, 17, 3) arrays, camera frame, metres; errors returned in mm.

Protocols (all root-aligned first: the pelvis, joint 0, is subtracted from both poses):

- ``mpjpe``: mean over joints of the Euclidean error, per frame. Our unsupervised model
  predicts in its own units, so before MPJPE the prediction is put in metres by ``to_metric``:
  one factor per sequence, ``ambiblend.core.scale.trajectory.metric_scale(pred, height)`` — the
  skeleton's standing height (median bone lengths) made equal to the subject height, exactly
  what the add-on does with the user's height (GT subject's height with ``--height-from-gt``,
  else the add-on's default 1.70 m).
- ``n_mpjpe`` (Rhodin et al. 2018): MPJPE after the per-frame scale s minimising ‖s·P − G‖.
- ``pmpjpe``: MPJPE after per-frame Procrustes (rotation, uniform scale, translation).
- ``head_length_mpjpe`` — "head-length-rescaled MPJPE", the protocol of the authors' released
  code (validate() with USE_SAME_NORM_3D false): the prediction in model units is multiplied by
  the ground truth's per-frame 3D pelvis→head-top distance ‖G_head − G_pelvis‖, no other fit.
  It leaks the true per-frame size, so it is reported separately and labelled. It presumes a
  prediction whose pelvis→head-top length is 1 unit; ours is ≈ S (≈ 0.6–0.7 units, since the 2D
  head–root distance is normalised to 1/D), so on our models it reads high — compare it only
  between our own runs, never with the paper's numbers.
- ``pck`` / ``auc``: share of joints with error < 150 mm, and the mean PCK over thresholds
  0, 5, …, 150 mm (31 values), on the MPJPE prediction, over the 14 joints of the MPI-INF-3DHP
  convention: head top, thorax (3DHP "neck"), shoulders, elbows, wrists, hips, knees, ankles —
  i.e. all but pelvis, spine and neck/nose (H36M joints 0, 7, 9).
"""
from __future__ import annotations

import numpy as np

from ambiblend.core.errors import AmbiblendError
from ambiblend.core.scale.trajectory import metric_scale
from ambiblend.core.skeleton import HEAD, JOINT_INDEX, NUM_JOINTS, ROOT, clip_height

PCK_JOINTS = tuple(i for i in range(NUM_JOINTS) if i not in (0, 7, 9))
PCK_THRESHOLDS_MM = np.arange(0.0, 150.0 + 1e-9, 5.0)


def _check(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pred, gt = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    if pred.shape != gt.shape or pred.ndim != 3 or pred.shape[1:] != (NUM_JOINTS, 3):
        raise AmbiblendError(f"Prediction {pred.shape} and ground truth {gt.shape} must both be (T, {NUM_JOINTS}, 3).")
    if len(pred) == 0:
        raise AmbiblendError("No frames to evaluate.")
    if not (np.isfinite(pred).all() and np.isfinite(gt).all()):
        raise AmbiblendError("Prediction or ground truth holds NaN or infinite values.")
    return pred - pred[:, ROOT:ROOT + 1], gt - gt[:, ROOT:ROOT + 1]


def joint_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T, 17) per-joint Euclidean error in mm after root alignment."""
    p, g = _check(pred, gt)
    return np.linalg.norm(p - g, axis=-1) * 1000.0


def mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T,) mean per-joint error in mm (root-aligned, no scale fit)."""
    return joint_errors(pred, gt).mean(axis=1)


def n_mpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T,) MPJPE after the optimal per-frame scale s = ⟨P, G⟩ / ⟨P, P⟩."""
    p, g = _check(pred, gt)
    s = (p * g).sum(axis=(1, 2)) / np.maximum((p * p).sum(axis=(1, 2)), 1e-12)
    return mpjpe(p * s[:, None, None], g)


def procrustes_align(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-frame similarity transform of pred onto gt (Umeyama, reflections excluded). (T,17,3)."""
    p, g = np.asarray(pred, dtype=np.float64), np.asarray(gt, dtype=np.float64)
    mp, mg = p.mean(axis=1, keepdims=True), g.mean(axis=1, keepdims=True)
    return _similarity(p - mp, g - mg) + mg


def pmpjpe(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T,) MPJPE after per-frame Procrustes alignment."""
    p, g = _check(pred, gt)
    return mpjpe(procrustes_align(p, g), g)


def head_root_3d(gt: np.ndarray) -> np.ndarray:
    """(T,) 3D pelvis→head-top distance of the ground truth (m)."""
    return np.linalg.norm(gt[:, HEAD] - gt[:, ROOT], axis=-1)


def head_length_mpjpe(pred_units: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T,) "head-length-rescaled MPJPE" (released-code protocol, see module docstring)."""
    p, g = _check(pred_units, gt)
    return mpjpe(p * head_root_3d(g)[:, None, None], g)


def subject_height(gt: np.ndarray) -> float:
    """Standing height (m) of the GT subject from its median bone lengths (as the add-on defines it)."""
    return clip_height(gt)


def to_metric(pred_units: np.ndarray, height: float) -> np.ndarray:
    """Model units → metres for one sequence, the add-on's way (subject height)."""
    return np.asarray(pred_units, dtype=np.float64) * metric_scale(pred_units, height)


def pck(errors_mm: np.ndarray, threshold_mm: float = 150.0) -> float:
    """Share (0..1) of the 14 PCK joints with error below the threshold. errors_mm (T, 17)."""
    return float((np.asarray(errors_mm)[:, PCK_JOINTS] < threshold_mm).mean())


def auc(errors_mm: np.ndarray) -> float:
    """Mean PCK over thresholds 0..150 mm in steps of 5 (0..1)."""
    return float(np.mean([pck(errors_mm, t) for t in PCK_THRESHOLDS_MM]))


# The 14 joints every pose source defines alike (detector landmarks, mocap joint centres,
# MediaPipe's own 3D): no spine, neck or head top, whose definitions differ between them.
COMMON_JOINTS = tuple(JOINT_INDEX[n] for n in (
    "pelvis", "thorax", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist"))
# Bones between them (child, parent): legs, pelvis→thorax (the torso), shoulders and arms.
COMMON_BONES = tuple((JOINT_INDEX[c], JOINT_INDEX[p]) for c, p in (
    ("right_hip", "pelvis"), ("right_knee", "right_hip"), ("right_ankle", "right_knee"),
    ("left_hip", "pelvis"), ("left_knee", "left_hip"), ("left_ankle", "left_knee"),
    ("thorax", "pelvis"), ("left_shoulder", "thorax"), ("left_elbow", "left_shoulder"),
    ("left_wrist", "left_elbow"), ("right_shoulder", "thorax"), ("right_elbow", "right_shoulder"),
    ("right_wrist", "right_elbow")))


def _aligned_common(pred: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 14 common joints of pred, similarity-aligned per frame to gt's (``procrustes_align``
    on those joints only), and gt's: both (T, 14, 3), in ``COMMON_JOINTS`` order."""
    p, g = _check(pred, gt)
    idx = list(COMMON_JOINTS)
    return procrustes_align(p[:, idx], g[:, idx]), g[:, idx]


def _similarity(p0: np.ndarray, g0: np.ndarray) -> np.ndarray:
    """Centred (T, J, 3) p0 rotated and scaled onto centred g0 (Umeyama, no reflection)."""
    u, sig, vt = np.linalg.svd(np.einsum("tji,tjk->tik", p0, g0))
    d = np.sign(np.linalg.det(np.einsum("tij,tjk->tik", u, vt)))
    flip = np.ones_like(sig)
    flip[:, 2] = d
    rot = np.einsum("tij,tj,tjk->tik", u, flip, vt)
    scale = (sig * flip).sum(axis=1) / np.maximum((p0 ** 2).sum(axis=(1, 2)), 1e-12)
    return scale[:, None, None] * (p0 @ rot)


def pmpjpe_common(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T,) PMPJPE in mm over the 14 common joints (aligned on those joints only)."""
    a, g = _aligned_common(pred, gt)
    return np.linalg.norm(a - g, axis=-1).mean(axis=1) * 1000.0


def bone_direction_error(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(T,) mean angle in degrees between each common bone and the ground truth's, after the
    frame's similarity alignment: what an animator sees, blind to body proportions."""
    a, g = _aligned_common(pred, gt)
    c, p = np.array([[COMMON_JOINTS.index(j) for j in bone] for bone in COMMON_BONES]).T  # 14-joint order
    u, v = a[:, c] - a[:, p], g[:, c] - g[:, p]
    cos = (u * v).sum(-1) / np.maximum(np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1), 1e-12)
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))).mean(axis=1)
