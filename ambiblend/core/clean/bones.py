"""Constant bone lengths across a clip.

A lifter predicts each frame on its own, so bone lengths breathe by a few percent. We rescale
every bone to the clip median (left and right averaged) along its own direction, parent first,
so a child joint moves with its corrected parent and the skeleton stays connected.
"""
from __future__ import annotations

import numpy as np

from ..skeleton import BONE_CHILD, BONES, FLIP_PERMUTATION, median_bone_lengths


def symmetric(lengths: np.ndarray) -> np.ndarray:
    """(16,) bone lengths with each left bone and its right mirror set to their mean.

    People are near-symmetric; a lifter's left and right legs often differ by several percent,
    which would make a retargeted character stand on one bent leg."""
    lengths = np.asarray(lengths, dtype=np.float64)
    index = {c: i for i, c in enumerate(BONE_CHILD.tolist())}
    mirror = [index[FLIP_PERMUTATION[c]] for c in BONE_CHILD.tolist()]
    return 0.5 * (lengths + lengths[mirror])


def fix_bone_lengths(joints: np.ndarray, lengths: np.ndarray | None = None) -> np.ndarray:
    """Rebuild joints (T, 17, 3) with bone i of length ``lengths[i]`` (default: clip median,
    left/right averaged), keeping every bone's direction. BONES is in joint order, so parents
    come before children. A zero-length bone keeps its (degenerate) direction.
    """
    joints = np.asarray(joints, dtype=np.float64)
    if lengths is None:
        lengths = symmetric(median_bone_lengths(joints))
    out = joints.copy()
    for i, (child, parent) in enumerate(BONES):
        v = joints[:, child] - joints[:, parent]
        n = np.linalg.norm(v, axis=-1, keepdims=True)
        unit = np.divide(v, n, out=np.zeros_like(v), where=n > 1e-12)
        out[:, child] = out[:, parent] + lengths[i] * unit
    return out
