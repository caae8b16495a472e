"""Constant bone lengths across a clip.

A lifter predicts each frame on its own, so bone lengths breathe by a few percent. We rescale
every bone to the clip median along its own direction, parent first, so a child joint moves with
its corrected parent and the skeleton stays connected.
"""
from __future__ import annotations

import numpy as np

from ..skeleton import BONES, bone_lengths


def median_bone_lengths(joints: np.ndarray) -> np.ndarray:
    """(T, 17, 3) → (16,) median length of each bone over the clip (same units as joints)."""
    return np.median(bone_lengths(joints), axis=0)


def fix_bone_lengths(joints: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Rebuild joints (T, 17, 3) with bone i of length ``lengths[i]`` (default: clip median),
    keeping every bone's direction. BONES is in joint order, so parents come before children.
    A zero-length bone keeps its (degenerate) direction as the parent's position.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if lengths is None:
        lengths = median_bone_lengths(joints)
    out = joints.copy()
    for i, (child, parent) in enumerate(BONES):
        v = joints[:, child] - joints[:, parent]
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        unit = np.divide(v, n, out=np.zeros_like(v), where=n > 1e-12)
        out[:, child] = out[:, parent] + lengths[i] * unit
    return out
