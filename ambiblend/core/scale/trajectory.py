"""Metric size and root trajectory from the lifter's output and the scale module's S_2D.

Derivation (unit-focal model camera, root at depth D): the lifter's 3D X relates to the input
pixels by X ≈ S_t·(u − u_root)·D / c_t, with c_t the 2D normalisation factor of frame t. A real
camera of focal f (pixels) sees the metric pose m·X at depth Z_t with u − u_root = f·m·X / Z_t,
hence Z_t = f·m·S_t·D / c_t: the scale module's per-frame scale *is* the depth trajectory up to
the focal length, which the user gives as a 35 mm-equivalent value.
"""
from __future__ import annotations

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import bone_lengths, clip_height

DEFAULT_SUBJECT_HEIGHT = 1.70  # metres
DEFAULT_FOCAL_35MM = 28.0  # typical phone/webcam wide lens, 35 mm equivalent


def metric_scale(joints: np.ndarray, subject_height: float = DEFAULT_SUBJECT_HEIGHT) -> float:
    """Metres per model unit so the skeleton's standing height (median bone lengths over the
    clip) equals ``subject_height``. joints: (T, 17, 3)."""
    if not subject_height or subject_height <= 0:
        raise AmbiblendError(f"Subject height must be positive, got {subject_height}.")
    h = clip_height(joints)
    if not np.isfinite(h) or h <= 0:
        raise AmbiblendError("The lifted skeleton has no usable bone lengths.")
    return float(subject_height / h)


def focal_pixels(image_size: tuple[int, int], focal_35mm: float = DEFAULT_FOCAL_35MM) -> float:
    """35 mm-equivalent focal length → pixels, measured along the image's long side (36 mm)."""
    return float(focal_35mm / 36.0 * max(image_size))


def root_trajectory(root_px: np.ndarray, scale: np.ndarray, norm_factor: np.ndarray,
                    meters_per_unit: float, image_size: tuple[int, int],
                    focal_35mm: float = DEFAULT_FOCAL_35MM, root_depth: float = 10.0) -> np.ndarray:
    """Camera-frame root position in metres, (T, 3) (x right, y down, z away).

    root_px: (T, 2) pelvis pixels; scale, norm_factor: (T,) from ``LiftResult``.
    """
    f = focal_pixels(image_size, focal_35mm)
    z = f * meters_per_unit * np.asarray(scale) * root_depth / np.asarray(norm_factor)
    cx, cy = image_size[0] / 2.0, image_size[1] / 2.0
    x = (root_px[:, 0] - cx) * z / f
    y = (root_px[:, 1] - cy) * z / f
    return np.stack([x, y, z], axis=-1)


def size_consistency(joints: np.ndarray) -> np.ndarray:
    """Per-frame factor k (T,) that gives every frame the clip's typical skeleton size.

    k_t = Σ_b median_t(L_b) / Σ_b L_b,t over the 16 bones of the lifted joints (T, 17, 3). A
    person's size does not change, so what varies in the lifted size is depth: scaling frame t
    by k_t (pose *and* root depth, which keeps its projection) turns a changing 2D size into
    motion toward or away from the camera. With a trained scale module k ≈ 1 (it already made
    the sizes consistent — the paper's L_bone); a model without one (S ≡ 1) gets its root depth
    trajectory from k alone.
    """
    lengths = bone_lengths(np.asarray(joints, dtype=np.float64))
    total = lengths.sum(axis=1)
    typical = np.median(lengths, axis=0).sum()
    return np.where(total > 1e-9, typical / np.maximum(total, 1e-9), 1.0)
