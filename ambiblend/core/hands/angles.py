"""Finger joint angles from 21 hand landmarks, their anatomical limits, and the way back.

Palm frame (per frame, per hand), right-handed, from the landmarks p:
  y = unit(p[middle MCP] − p[wrist])            along the hand
  x = unit(p[index MCP] − p[pinky MCP]) ⟂ y      towards the thumb side
  z = x × y;   palm normal n = z for a right hand, −z for a left one (points out of the palm).
``palm_rotation`` is the matrix [x y z] (columns): palm frame → the landmarks' frame.

Each finger is a chain base → j1 → j2 → tip (``landmarks.CHAINS``). Joint k (k = 0, 1, 2) turns
bone k (from chain[k] to chain[k+1]) away from its parent direction d (wrist → base for k = 0,
else bone k−1). In the joint's frame (d, its flexion normal h ⟂ d, side s = d × h):

  curl   = atan2(b·h, |b − (b·h) h|)     flexion, > 0 towards the palm
  spread = atan2(b·s, b·d)               abduction in the joint's side plane

h is the finger's flexion direction made ⟂ d: the palm normal for the four fingers; for the
thumb, which folds across the palm, half-way between the palm normal and the pinky side.
``finger_angles`` and ``finger_points`` are exact inverses for the same palm shape and lengths.

Limits (``LIMITS``, degrees) are ranges of motion from clinical tables, rounded out a little:
no joint flexes backwards (curl ≥ 0 except the thumb's CMC, which really extends), the finger
PIP/DIP joints are hinges (spread 0), the MCPs spread ±25° (±35° for the pinky).
"""
from __future__ import annotations

import numpy as np

from .landmarks import CHAINS, FINGERS, INDEX_MCP, MIDDLE_MCP, PINKY_MCP, WRIST

# (finger, joint) → ((curl min, max), (spread min, max)) in degrees.
LIMITS_DEG = {
    "thumb": (((-20.0, 60.0), (-40.0, 40.0)), ((0.0, 70.0), (-15.0, 15.0)), ((0.0, 90.0), (0.0, 0.0))),
    **{f: (((0.0, 90.0), (-25.0, 25.0)), ((0.0, 110.0), (0.0, 0.0)), ((0.0, 90.0), (0.0, 0.0)))
       for f in ("index", "middle", "ring")},
    "pinky": (((0.0, 90.0), (-35.0, 35.0)), ((0.0, 110.0), (0.0, 0.0)), ((0.0, 90.0), (0.0, 0.0))),
}
# (5, 3, 2, 2) radians: finger, joint, (curl, spread), (min, max).
LIMITS = np.radians(np.array([LIMITS_DEG[f] for f in FINGERS], dtype=np.float64))
THUMB_FLEX_MIX = 0.5   # the thumb folds half towards the palm, half towards the pinky


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-12)


def palm_rotation(points: np.ndarray) -> np.ndarray:
    """(..., 21, 3) landmarks → (..., 3, 3) rotation [x y z] of the palm frame (module docstring)."""
    p = np.asarray(points, dtype=np.float64)
    y = _unit(p[..., MIDDLE_MCP, :] - p[..., WRIST, :])
    x = p[..., INDEX_MCP, :] - p[..., PINKY_MCP, :]
    x = _unit(x - np.sum(x * y, axis=-1, keepdims=True) * y)
    return np.stack([x, y, np.cross(x, y)], axis=-1)


def flexion_directions(side: str) -> np.ndarray:
    """(5, 3) each finger's flexion direction in palm coordinates for hand ``side`` ('L'/'R')."""
    normal = np.array([0.0, 0.0, 1.0 if side == "R" else -1.0])
    pinky = np.array([-1.0, 0.0, 0.0])
    h = np.tile(normal, (5, 1))
    h[0] = _unit((1 - THUMB_FLEX_MIX) * normal + THUMB_FLEX_MIX * pinky)
    return h


def _joint_frame(d: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Flexion normal ⟂ d and side axis of a joint whose parent direction is d (..., 3)."""
    hn = _unit(h - np.sum(h * d, axis=-1, keepdims=True) * d)
    return hn, np.cross(d, hn)


def to_palm(points: np.ndarray) -> np.ndarray:
    """(..., 21, 3) landmarks → the same points in the palm frame, wrist at the origin."""
    p = np.asarray(points, dtype=np.float64)
    r = palm_rotation(p)
    return np.einsum("...ji,...kj->...ki", r, p - p[..., WRIST:WRIST + 1, :])


def finger_angles(points: np.ndarray, side: str) -> np.ndarray:
    """(..., 21, 3) landmarks of one hand → (..., 5, 3, 2) radians (curl, spread), unclamped."""
    local = to_palm(points)
    flex = flexion_directions(side)
    out = np.zeros(local.shape[:-2] + (5, 3, 2))
    for f, name in enumerate(FINGERS):
        chain = CHAINS[name]
        d = _unit(local[..., chain[0], :] - local[..., WRIST, :])
        for k in range(3):
            b = _unit(local[..., chain[k + 1], :] - local[..., chain[k], :])
            hn, s = _joint_frame(d, flex[f])
            bh = np.sum(b * hn, axis=-1)
            in_plane = b - bh[..., None] * hn
            out[..., f, k, 0] = np.arctan2(bh, np.linalg.norm(in_plane, axis=-1))
            out[..., f, k, 1] = np.arctan2(np.sum(b * s, axis=-1), np.sum(b * d, axis=-1))
            d = b
    return out


def clamp_angles(angles: np.ndarray) -> np.ndarray:
    """(..., 5, 3, 2) → the same, each angle inside ``LIMITS`` (a misdetection cannot bend a
    finger backwards or sideways past its range)."""
    return np.clip(angles, LIMITS[..., 0], LIMITS[..., 1])


def finger_points(angles: np.ndarray, palm: np.ndarray, lengths: np.ndarray, side: str) -> np.ndarray:
    """Forward kinematics: angles (..., 5, 3, 2), palm (21, 3) palm-frame positions of the wrist
    and the five bases (others ignored), lengths (5, 3) bone lengths → (..., 21, 3) palm frame."""
    angles = np.asarray(angles, dtype=np.float64)
    flex = flexion_directions(side)
    out = np.zeros(angles.shape[:-3] + (21, 3))
    out[..., WRIST, :] = palm[WRIST]
    for f, name in enumerate(FINGERS):
        chain = CHAINS[name]
        base = np.broadcast_to(palm[chain[0]], out.shape[:-2] + (3,))
        out[..., chain[0], :] = base
        d = np.broadcast_to(_unit(palm[chain[0]] - palm[WRIST]), base.shape)
        pos = base
        for k in range(3):
            hn, s = _joint_frame(d, flex[f])
            curl, spread = angles[..., f, k, 0:1], angles[..., f, k, 1:2]
            b = np.cos(curl) * (np.cos(spread) * d + np.sin(spread) * s) + np.sin(curl) * hn
            pos = pos + lengths[f, k] * b
            out[..., chain[k + 1], :] = pos
            d = b
    return out


def bone_lengths(points: np.ndarray) -> np.ndarray:
    """(..., 21, 3) → (..., 5, 3) lengths of the three bones of each finger."""
    p = np.asarray(points, dtype=np.float64)
    idx = np.array([CHAINS[f] for f in FINGERS])
    return np.linalg.norm(p[..., idx[:, 1:], :] - p[..., idx[:, :-1], :], axis=-1)
