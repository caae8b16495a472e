"""Coordinate frames and small rotation helpers shared by every stage (numpy only).

Camera frame (lifter output, OpenCV convention): x right, y down, z away from the camera.
Blender world: X right, Y away from the viewer (into the screen in front view), Z up.
A subject facing the camera in the video faces −Y in Blender, as in Blender's front view.
"""
from __future__ import annotations

import numpy as np

# Proper rotation (det +1): Blender (X, Y, Z) = (x, z, −y) of the camera frame.
CAMERA_TO_BLENDER = np.array([[1.0, 0.0, 0.0],
                              [0.0, 0.0, 1.0],
                              [0.0, -1.0, 0.0]])


def camera_to_blender(points: np.ndarray) -> np.ndarray:
    """(..., 3) camera-frame points → Blender world axes."""
    return np.asarray(points) @ CAMERA_TO_BLENDER.T


def wrap_near(a, ref):
    """Angles ``a`` (radians) moved by whole turns to lie within π of ``ref``."""
    return a - 2 * np.pi * np.round((a - ref) / (2 * np.pi))


def rotation_about_axis(axis, angle: float) -> np.ndarray:
    """3×3 rotation matrix (Rodrigues) for a unit-or-not axis and an angle in radians."""
    axis = np.asarray(axis, dtype=np.float64)
    axis = axis / np.linalg.norm(axis)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(angle) * k + (1 - np.cos(angle)) * (k @ k)


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Shortest-arc rotations taking unit vectors a to b. a, b: (..., 3) → (..., 3, 3)."""
    a = a / np.linalg.norm(a, axis=-1, keepdims=True)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    v = np.cross(a, b)
    c = np.sum(a * b, axis=-1)
    k = np.zeros(a.shape[:-1] + (3, 3))
    k[..., 0, 1], k[..., 0, 2], k[..., 1, 2] = -v[..., 2], v[..., 1], -v[..., 0]
    k[..., 1, 0], k[..., 2, 0], k[..., 2, 1] = v[..., 2], -v[..., 1], v[..., 0]
    eye = np.broadcast_to(np.eye(3), k.shape)
    # For antiparallel vectors pick any perpendicular axis and turn by π.
    denom = np.where(np.abs(1 + c) < 1e-9, np.inf, 1 + c)
    r = eye + k + (k @ k) / denom[..., None, None]
    anti = np.abs(1 + c) < 1e-9
    if np.any(anti):
        for idx in zip(*np.nonzero(anti)) if a.ndim > 1 else [()]:
            ax = np.cross(a[idx], [1.0, 0.0, 0.0])
            if np.linalg.norm(ax) < 1e-6:
                ax = np.cross(a[idx], [0.0, 1.0, 0.0])
            r[idx] = rotation_about_axis(ax, np.pi)
    return r


def matrix_to_quaternion(m: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation matrices → (..., 4) unit quaternions (w, x, y, z), w ≥ 0."""
    m = np.asarray(m, dtype=np.float64)
    tr = m[..., 0, 0] + m[..., 1, 1] + m[..., 2, 2]
    q = np.empty(m.shape[:-2] + (4,))
    # Shepperd's method: pick the largest diagonal term for numerical stability.
    cand = np.stack([tr, m[..., 0, 0], m[..., 1, 1], m[..., 2, 2]], axis=-1)
    best = np.argmax(cand, axis=-1)
    for case in range(4):
        sel = best == case
        if not np.any(sel):
            continue
        mm = m[sel]
        if case == 0:
            s = np.sqrt(1.0 + tr[sel]) * 2
            qq = [0.25 * s, (mm[:, 2, 1] - mm[:, 1, 2]) / s, (mm[:, 0, 2] - mm[:, 2, 0]) / s,
                  (mm[:, 1, 0] - mm[:, 0, 1]) / s]
        elif case == 1:
            s = np.sqrt(1.0 + mm[:, 0, 0] - mm[:, 1, 1] - mm[:, 2, 2]) * 2
            qq = [(mm[:, 2, 1] - mm[:, 1, 2]) / s, 0.25 * s, (mm[:, 0, 1] + mm[:, 1, 0]) / s,
                  (mm[:, 0, 2] + mm[:, 2, 0]) / s]
        elif case == 2:
            s = np.sqrt(1.0 + mm[:, 1, 1] - mm[:, 0, 0] - mm[:, 2, 2]) * 2
            qq = [(mm[:, 0, 2] - mm[:, 2, 0]) / s, (mm[:, 0, 1] + mm[:, 1, 0]) / s, 0.25 * s,
                  (mm[:, 1, 2] + mm[:, 2, 1]) / s]
        else:
            s = np.sqrt(1.0 + mm[:, 2, 2] - mm[:, 0, 0] - mm[:, 1, 1]) * 2
            qq = [(mm[:, 1, 0] - mm[:, 0, 1]) / s, (mm[:, 0, 2] + mm[:, 2, 0]) / s,
                  (mm[:, 1, 2] + mm[:, 2, 1]) / s, 0.25 * s]
        q[sel] = np.stack(qq, axis=-1)
    q = q / np.linalg.norm(q, axis=-1, keepdims=True)
    return np.where(q[..., :1] < 0, -q, q)


def continuous_quaternions(q: np.ndarray) -> np.ndarray:
    """Flip signs along axis 0 (time) so consecutive quaternions stay in one hemisphere;
    otherwise interpolation between keys takes the long way round."""
    q = np.array(q, dtype=np.float64, copy=True)
    for t in range(1, len(q)):
        flip = np.sum(q[t] * q[t - 1], axis=-1) < 0
        q[t][flip] *= -1
    return q
