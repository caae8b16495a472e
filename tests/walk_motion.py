"""Synthetic walk with known foot plants, for the cleaning, retarget and export tests and the
retarget bench (not a test file). Blender world metres: Z up, walking towards the camera (−Y),
subject facing −Y (left side at +X), soles on z = 0, planted ankles exactly still."""
from __future__ import annotations

import numpy as np

from ambiblend.core.skeleton import ANKLE_TO_SOLE, JOINT_INDEX as J

HEIGHT = 1.75
ANKLE_Z = ANKLE_TO_SOLE * HEIGHT
THIGH, SHIN = 0.44, 0.43
PERIOD, STANCE = 1.0, 0.6     # seconds per gait cycle, stance fraction


def walk(frames: int, fps: float = 30.0, speed: float = 1.2):
    """(joints (T, 17, 3), stance (T, 2) bool [left, right]) of a straight walk along −Y."""
    t = np.arange(frames) / fps
    out = np.zeros((frames, 17, 3))
    pelvis = np.stack([0 * t, -speed * t, ANKLE_Z + 0.79 + 0.015 * np.cos(4 * np.pi * t / PERIOD)], -1)
    out[:, J["pelvis"]] = pelvis
    stance = np.zeros((frames, 2), dtype=bool)
    for f, (side, sx, offset) in enumerate((("left", 1, 0.0), ("right", -1, 0.5))):
        hip = pelvis + [sx * 0.1, 0, -0.02]
        cycle = t / PERIOD + offset
        k, phase = np.floor(cycle), cycle - np.floor(cycle)
        plant = -speed * PERIOD * (k - offset + 0.3)         # y of the plant of cycle k
        s = np.clip((phase - STANCE) / (1 - STANCE), 0, 1)   # swing progress
        ease = 0.5 - 0.5 * np.cos(np.pi * s)
        ankle = np.stack([hip[:, 0], plant - speed * PERIOD * ease,
                          ANKLE_Z + 0.09 * np.sin(np.pi * s)], -1)
        stance[:, f] = phase < STANCE
        out[:, J[f"{side}_hip"]], out[:, J[f"{side}_ankle"]] = hip, ankle
        out[:, J[f"{side}_knee"]] = _knee(hip, ankle)
    up = np.array([0, 0, 1.0])
    out[:, J["spine"]] = pelvis + 0.25 * up
    out[:, J["thorax"]] = pelvis + 0.5 * up
    out[:, J["neck"]] = pelvis + [0, -0.03, 0.62]
    out[:, J["head"]] = pelvis + [0, 0, 0.78]
    swing = 0.35 * np.sin(2 * np.pi * t / PERIOD)
    for side, sx, sign in (("left", 1, 1), ("right", -1, -1)):
        sh = out[:, J["thorax"]] + [sx * 0.18, 0, -0.03]
        a = sign * swing
        down = np.stack([0 * a, -np.sin(a), -np.cos(a)], -1)   # arm swings in the walking plane
        out[:, J[f"{side}_shoulder"]] = sh
        out[:, J[f"{side}_elbow"]] = sh + 0.28 * down
        fore = np.stack([0 * a, -np.sin(a + 0.4), -np.cos(a + 0.4)], -1)
        out[:, J[f"{side}_wrist"]] = out[:, J[f"{side}_elbow"]] + 0.25 * fore
    return out, stance


def _knee(hip, ankle):
    """Knee of a leg of THIGH/SHIN lengths from hip to ankle, bending forward (−Y)."""
    d = ankle - hip
    dist = np.minimum(np.linalg.norm(d, axis=-1), THIGH + SHIN - 1e-6)
    axis = d / np.linalg.norm(d, axis=-1, keepdims=True)
    x = (THIGH ** 2 - SHIN ** 2 + dist ** 2) / (2 * dist)
    h = np.sqrt(np.clip(THIGH ** 2 - x ** 2, 0, None))
    fwd = np.array([0, -1.0, 0]) - (axis @ [0, -1.0, 0])[:, None] * axis
    fwd /= np.linalg.norm(fwd, axis=-1, keepdims=True)
    return hip + axis * x[:, None] + fwd * h[:, None]
