"""Clean lifted motion so it can be shipped: smooth, rigid, on the ground, feet planted.

    cleaned = clean_motion(joints, conf, fps, CleanOptions(smoothness=0.5))

Steps, in order: gaps (NaN joints, and low-confidence joints over short spans only: over
longer ones the lifter's estimate beats a straight line) filled by interpolation → one-frame
spikes removed (a short running median) and a zero-phase Butterworth low-pass (``filters``) →
constant bone lengths (``bones``) → ground plane levelled and soles on z = 0 (``ground``) →
foot contacts and foot locking (``feet``) → optional in-place → no foot below the floor (the
body is raised, the pose kept).
Input and output are in Blender's world frame (metres, Z up, subject facing −Y).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import AmbiblendError
from ..skeleton import FEET, NUM_JOINTS, ROOT
from .bones import fix_bone_lengths
from .feet import HEIGHT_ON, detect_contacts, keep_above_floor, lock_feet
from .filters import despike, fill_gaps, lowpass, valid_mask
from .ground import level_and_ground, lowest_ankle_level, sole_offset

__all__ = ["CleanOptions", "CleanedMotion", "clean_motion"]


@dataclass
class CleanOptions:
    """User-facing cleaning settings (the panel shows the same names)."""
    smoothness: float = 0.5      # 0 = raw, 1 = very smooth (Butterworth cutoff 12 Hz → 1.5 Hz)
    fix_bone_lengths: bool = True
    ground: bool = True          # level the floor and put the soles of planted feet on z = 0
    lock_feet: bool = True       # no sliding while a foot is planted (ignored when in_place)
    in_place: bool = False       # remove horizontal root motion (pelvis stays over the origin)
    # Fingers and palm orientation (``fingers.smooth_fingers``): their own setting, same scale.
    finger_smoothness: float = 0.5


@dataclass
class CleanedMotion:
    """joints: (T, 17, 3) Blender world metres. contacts: (T, 2) bool [left, right] foot planted.
    ground_height: z of the floor (the soles' plane) in ``joints``; 0.0 when grounding is on."""
    joints: np.ndarray
    contacts: np.ndarray
    ground_height: float


def clean_motion(joints: np.ndarray, conf: np.ndarray | None, fps: float,
                 options: CleanOptions | None = None) -> CleanedMotion:
    """joints (T, 17, 3) Blender world metres (NaN where missing), conf (T, 17) or None,
    fps > 0 → CleanedMotion. Raises AmbiblendError on a wrong shape or an empty clip."""
    options = options or CleanOptions()
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise AmbiblendError(f"Expected joints of shape (T, {NUM_JOINTS}, 3), got {joints.shape}.")
    if len(joints) == 0:
        raise AmbiblendError("The clip has no frames to clean.")
    if conf is not None and np.shape(conf) != joints.shape[:2]:
        raise AmbiblendError(f"Confidences must have shape {joints.shape[:2]}, got {np.shape(conf)}.")
    if not fps or fps <= 0:
        raise AmbiblendError(f"Frame rate must be positive, got {fps}.")

    x = fill_gaps(joints, valid_mask(joints, conf, fps=fps))
    x = lowpass(despike(x, fps, options.smoothness), fps, options.smoothness)
    if options.fix_bone_lengths:
        x = fix_bone_lengths(x)

    if options.ground:
        # Slow ankles that are the lower foot of their frame first (the floor's height is
        # unknown while it may be tilted; a raised foot held still is not on it), then the
        # plane again from the contacts found on the levelled motion.
        ankle_z = x[:, list(FEET), 2]
        contacts = detect_contacts(x, fps, ankle_floor=np.inf)
        contacts &= ankle_z <= ankle_z.min(axis=1, keepdims=True) + HEIGHT_ON
        for _ in range(2):
            x = level_and_ground(x, _planted(x, contacts))
            contacts = detect_contacts(x, fps, sole_offset(x))
        ground_height = 0.0
    else:
        contacts = detect_contacts(x, fps, lowest_ankle_level(x))
        ground_height = lowest_ankle_level(x) - sole_offset(x)
    if options.in_place:
        x[..., :2] -= x[:, ROOT:ROOT + 1, :2]
    elif options.lock_feet:
        x = lock_feet(x, contacts, fps)
    if options.ground:   # after locking: a foot planted below the floor is raised, still planted
        x = keep_above_floor(x, sole_offset(x), fps)
    return CleanedMotion(joints=x, contacts=contacts, ground_height=float(ground_height))


def _planted(joints: np.ndarray, contacts: np.ndarray) -> np.ndarray:
    """(N, 3) ankle positions while planted; the lowest 5 % of ankle positions if too few."""
    planted = joints[:, list(FEET)][contacts]
    if len(planted) < 3:
        planted = joints[:, list(FEET)].reshape(-1, 3)
        planted = planted[planted[:, 2] <= np.percentile(planted[:, 2], 5)]
    return planted
