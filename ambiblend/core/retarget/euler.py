"""Quaternions → Blender Euler angles, so a rig whose bones use an Euler rotation mode keeps it
(and its earlier actions keep playing) when we bake onto it.

Blender's order "XYZ" means X is applied first: R = Rz(γ) · Ry(β) · Rx(α), channels (α, β, γ)
stored as rotation_euler[0..2] = angles about X, Y, Z.
"""
from __future__ import annotations

import numpy as np

from ..geometry import wrap_near

EULER_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """(..., 4) unit quaternions (w, x, y, z) → (..., 3, 3)."""
    w, x, y, z = np.moveaxis(np.asarray(q, dtype=np.float64), -1, 0)
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1)], -2)


def matrix_to_euler(m: np.ndarray, order: str) -> np.ndarray:
    """(T, 3, 3) → (T, 3) Euler angles (about X, Y, Z) of Blender's ``order``, unwrapped in time
    so no channel jumps by 2π between frames."""
    if order not in EULER_ORDERS:
        raise ValueError(f"Unknown Euler order {order!r}")
    i, j, k = ("XYZ".index(a) for a in order)
    s = 1.0 if (i, j, k) in ((0, 1, 2), (1, 2, 0), (2, 0, 1)) else -1.0   # even permutation
    first = np.arctan2(s * m[:, k, j], m[:, k, k])
    middle = np.arcsin(np.clip(-s * m[:, k, i], -1.0, 1.0))
    last = np.arctan2(s * m[:, j, i], m[:, i, i])
    out = np.empty((len(m), 3))
    out[:, i], out[:, j], out[:, k] = first, middle, last
    # The same rotation also has angles (first + π, π − middle, last + π): per frame keep the
    # one nearer the previous frame (as Blender's "compatible Euler"), then remove 2π wraps.
    alt = out.copy()
    alt[:, i], alt[:, j], alt[:, k] = first + np.pi, np.pi - middle, last + np.pi
    return _compatible(out, alt)


def _compatible(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Choose frame by frame between equivalent angle triples a and b (T, 3) the one closest to
    the previous choice, each channel wrapped to within π of it."""
    out = np.empty_like(a)
    prev = a[0]
    for t in range(len(a)):
        ca, cb = wrap_near(a[t], prev), wrap_near(b[t], prev)
        prev = ca if np.abs(ca - prev).sum() <= np.abs(cb - prev).sum() else cb
        out[t] = prev
    return out


def euler_to_matrix(angles: np.ndarray, order: str) -> np.ndarray:
    """(T, 3) angles about X, Y, Z → (T, 3, 3), the first axis of ``order`` applied first."""
    angles = np.asarray(angles, dtype=np.float64)
    r = np.broadcast_to(np.eye(3), angles.shape[:1] + (3, 3)).copy()
    for axis in order:
        a = "XYZ".index(axis)
        c, s = np.cos(angles[:, a]), np.sin(angles[:, a])
        m = np.broadcast_to(np.eye(3), r.shape).copy()
        p, q = [(1, 2), (2, 0), (0, 1)][a]
        m[:, p, p], m[:, p, q], m[:, q, p], m[:, q, q] = c, -s, s, c
        r = m @ r
    return r


def quaternion_to_euler(q: np.ndarray, order: str) -> np.ndarray:
    """(T, 4) quaternions (w, x, y, z) → (T, 3) continuous Euler angles of ``order``."""
    return matrix_to_euler(quaternion_to_matrix(q), order)
