"""2D hand keypoints (a keypoint file's 21 points) → 3D hand landmarks for ``motion.solve_hands``.

A keypoint file gives the hand in the image only, where MediaPipe also gives a 3D guess. The 2D
hand is read as a scaled orthographic view (a hand is small against its distance) of a hand of
known shape (``motion.default_shape``: palm and bone lengths):

1. Palm: the six palm points (wrist, thumb CMC, four MCPs) are nearly rigid and flat. The
   least-squares 2×2 map from the default palm's plane to the image gives the scale (its largest
   singular value, pixels per metre) and the palm's rotation up to one sign: the palm tilted
   towards or away from the camera by the same angle looks the same. Which face is towards the
   camera is not ambiguous (the side, left or right hand, fixes the palm's chirality).
2. Fingers: each bone of known length L that looks l long leans sqrt(L² − l²) out of the image,
   towards or away from the camera. Bone by bone from the palm out, the sign whose joint angle
   (``angles.finger_angles``) lies inside the anatomical limits (``angles.LIMITS``: no backward
   bend, PIP/DIP hinges) is taken; when both do, the one with less sideways spread.
3. The palm's sign of step 1: the one whose hand axis leans in depth like the lifted forearm
   (the wrist is near straight), plus the fingers' limit violations of step 2.

Limits (documented in the README and ``assets/HANDS.md``): the subject's hand is taken to have
the default proportions (fingers longer than them read less curled; a bone that looks longer
than L is read in the image plane); a finger moving across the image (palm side-on) has no
foreshortening to read, so its curl there is a guess the limits keep plausible; perspective is
ignored.
"""
from __future__ import annotations

import numpy as np

from .angles import LIMITS, finger_angles
from .landmarks import CHAINS, FINGERS, INDEX_MCP, MIDDLE_MCP, PINKY_MCP, WRIST
from .motion import default_shape

PALM = (WRIST, CHAINS["thumb"][0], INDEX_MCP, MIDDLE_MCP, CHAINS["ring"][0], PINKY_MCP)
SPREAD_WEIGHT = 0.1   # tie-break between two in-limit readings: less spread (radians × weight)
PRIOR_WEIGHT = 1.0    # palm sign: |hand axis depth slope − forearm's| against limit violations (rad)


def palm_poses(points: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 21, 2) pixels → (scale (N,) pixels per metre, rotations (N, 2, 3, 3)): the two palm
    poses (palm frame → camera, x right, y down, z away) that project the default palm alike."""
    model, _ = default_shape(side)
    flat = model[list(PALM), :2] - model[list(PALM), :2].mean(axis=0)
    u = points[:, PALM] - points[:, PALM].mean(axis=1, keepdims=True)
    a = np.einsum("npi,pj->nij", u, flat) @ np.linalg.inv(flat.T @ flat)      # u ≈ a · palm xy
    scale = np.maximum(np.linalg.svd(a, compute_uv=False)[:, 0], 1e-9)
    r0, r1 = a[:, 0] / scale[:, None], a[:, 1] / scale[:, None]
    # Rows of a rotation: unit, orthogonal; with the largest singular value these have a solution.
    c0 = np.sqrt(np.clip(1.0 - np.sum(r0 * r0, axis=-1), 0.0, None))
    c1 = np.sqrt(np.clip(1.0 - np.sum(r1 * r1, axis=-1), 0.0, None)) * -np.sign(np.sum(r0 * r1, axis=-1) + 1e-300)
    poses = np.zeros((len(points), 2, 3, 3))
    for k, sign in enumerate((1.0, -1.0)):
        row0 = np.concatenate([r0, sign * c0[:, None]], axis=-1)
        row1 = np.concatenate([r1, sign * c1[:, None]], axis=-1)
        poses[:, k] = np.stack([row0, row1, np.cross(row0, row1)], axis=1)
    return scale, poses


def _beyond(angles: np.ndarray, f: int, k: int) -> np.ndarray:
    """Radians by which joint (f, k) of (N, 5, 3, 2) angles lies outside ``LIMITS``."""
    a, lim = angles[:, f, k], LIMITS[f, k]
    return np.sum(np.maximum(lim[:, 0] - a, 0.0) + np.maximum(a - lim[:, 1], 0.0), axis=-1)


def _fingers(points: np.ndarray, scale: np.ndarray, pose: np.ndarray, side: str):
    """Depths for one palm pose → (landmarks (N, 21, 3) pixels, wrist at the origin; limit
    violation (N,) radians summed over the joints)."""
    model, lengths = default_shape(side)
    out = np.zeros(points.shape[:1] + (21, 3))
    out[..., :2] = points - points[:, WRIST:WRIST + 1]
    out[:, PALM, 2] = scale[:, None] * np.einsum("nj,pj->np", pose[:, 2], model[list(PALM)])
    total = np.zeros(len(points))
    for f, name in enumerate(FINGERS):
        chain = CHAINS[name]
        for k in range(3):
            a, b = chain[k], chain[k + 1]
            seen = np.linalg.norm(out[:, b, :2] - out[:, a, :2], axis=-1)
            lean = np.sqrt(np.clip((scale * lengths[f, k]) ** 2 - seen ** 2, 0.0, None))
            costs, depths = [], []
            for sign in (1.0, -1.0):
                out[:, b, 2] = out[:, a, 2] + sign * lean
                angles = finger_angles(out, side)
                beyond = _beyond(angles, f, k)
                costs.append(beyond + SPREAD_WEIGHT * np.abs(angles[:, f, k, 1]))
                depths.append((out[:, b, 2].copy(), beyond))
            pick = costs[1] < costs[0]
            out[:, b, 2] = np.where(pick, depths[1][0], depths[0][0])
            total += np.where(pick, depths[1][1], depths[0][1])
    return out, total


def lift_hands(points: np.ndarray, side: str, forearm_depth: np.ndarray | None = None) -> np.ndarray:
    """(N, 21, 2) pixels of ``side``'s hand ('L'/'R') → (N, 21, 3) metres in camera axes (x
    right, y down, z away; wrist at the origin), as MediaPipe's hand world landmarks.
    forearm_depth: (N,) the lifted forearm's depth slope (unit elbow → wrist's away-from-camera
    component), the prior for the palm's sign; None: the limits alone choose."""
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 0:
        return np.zeros((0, 21, 3))
    scale, poses = palm_poses(points, side)
    lifted, costs = [], []
    for k in range(2):
        world, violation = _fingers(points, scale, poses[:, k], side)
        cost = violation
        if forearm_depth is not None:
            cost = cost + PRIOR_WEIGHT * np.abs(poses[:, k, 2, 1] - np.nan_to_num(forearm_depth))
        lifted.append(world)
        costs.append(cost)
    best = np.where((costs[1] < costs[0])[:, None, None], lifted[1], lifted[0])
    return best / scale[:, None, None]
