"""Ground plane: level the motion in Blender's Z-up world and put the soles on z = 0.

The plane is fitted to the ankle positions of the frames where a foot is planted. A camera
pitched down makes that plane tilt in the depth direction; we rotate the whole motion so its
normal is +Z. Slopes are ridge-regularised so a person walking along a line only fixes the tilt
along that line (the other direction is unknown and stays level).
"""
from __future__ import annotations

import numpy as np

from ..geometry import rotation_between
from ..skeleton import ANKLE_TO_SOLE, FEET, clip_height

# Spread (metres) of foot positions below which a ground slope is not trusted.
SLOPE_SPREAD = 0.3
# A larger tilt than this is more likely a bad fit than a camera pitch: we then stay level.
MAX_TILT_DEG = 30.0


def sole_offset(joints: np.ndarray) -> float:
    """Height of the ankle joint above the sole (metres) for this skeleton's standing height."""
    return ANKLE_TO_SOLE * clip_height(joints)


def fit_ground(points: np.ndarray) -> tuple[np.ndarray, float]:
    """Plane z = a·x + b·y + c through ankle points (N, 3) in the least-squares sense.

    Returns (unit normal (3,) with +Z component, c). Ridge term: n·SLOPE_SPREAD² on (a, b).
    """
    p = np.asarray(points, dtype=np.float64)
    centre = p.mean(axis=0)
    q = p - centre
    a_mat = q[:, :2].T @ q[:, :2] + len(p) * SLOPE_SPREAD ** 2 * np.eye(2)
    slope = np.linalg.solve(a_mat, q[:, :2].T @ q[:, 2])
    normal = np.array([-slope[0], -slope[1], 1.0])
    normal /= np.linalg.norm(normal)
    if np.degrees(np.arccos(normal[2])) > MAX_TILT_DEG:
        normal, slope = np.array([0.0, 0.0, 1.0]), np.zeros(2)
    c = centre[2] - slope @ centre[:2]
    return normal, float(c)


def level_and_ground(joints: np.ndarray, contact_points: np.ndarray) -> np.ndarray:
    """Rotate joints (T, 17, 3) so the ground fitted to ``contact_points`` (N, 3) is horizontal,
    then shift along Z so the soles (ankle minus the sole offset) of planted feet are at z = 0.
    Horizontal position is kept: the rotation pivots about the contact points' centroid."""
    normal, _ = fit_ground(contact_points)
    rot = rotation_between(normal, np.array([0.0, 0.0, 1.0]))
    pivot = contact_points.mean(axis=0)
    out = (joints - pivot) @ rot.T + pivot
    feet_z = (contact_points - pivot) @ rot[2] + pivot[2]
    out[..., 2] -= np.median(feet_z) - sole_offset(joints)
    return out


def lowest_ankle_level(joints: np.ndarray) -> float:
    """A robust "ankle on the floor" height: 5th percentile of both ankles' z over the clip."""
    return float(np.percentile(joints[:, list(FEET), 2], 5))
