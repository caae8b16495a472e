"""Filling of frames without a person and of missing joints, flagged rather than hidden.

A frame where the detector found nobody, or a joint it did not report, is NaN on entry. Each
joint's track is filled by linear interpolation in time between the nearest frames that have it,
and held constant before the first and after the last one. Filled joints get confidence 0, and
frames without a person are flagged in ``filled`` so later stages (cleaning, the panel) can
treat them as invented. No smoothing happens here (cleaning owns that).
"""
from __future__ import annotations

import numpy as np

from ..errors import AmbiblendError
from ..interpolate import interpolate_track
from ..skeleton import JOINTS


def fill_gaps(xy: np.ndarray, conf: np.ndarray, person: np.ndarray, name: str):
    """Fill frames without a person and missing joints.

    xy: (T, 17, D) pixels (D = 2) or metres (D = 3, world joints), NaN where missing; conf: (T, 17);
    person: (T,) bool, False for frames with no detected person (their joints are discarded); name:
    the clip's name for messages.
    Returns (xy (T, 17, D) without NaN, conf (T, 17) with 0 where filled, filled (T,) bool).
    Raises AmbiblendError if no frame has a person or a joint is never seen.
    """
    xy = np.array(xy, dtype=np.float64)
    conf = np.array(conf, dtype=np.float64)
    person = np.asarray(person, dtype=bool)
    if not person.any():
        raise AmbiblendError(f"No person was detected in {name}.")
    xy[~person] = np.nan
    missing = ~np.isfinite(xy).all(axis=-1)                     # (T, 17)
    never = [JOINTS[j] for j in range(xy.shape[1]) if missing[:, j].all()]
    if never:
        raise AmbiblendError(f"{name}: the joint(s) {', '.join(never)} were not found in any frame.")
    for j in np.flatnonzero(missing.any(axis=0)):
        xy[:, j] = interpolate_track(xy[:, j])
    conf[missing] = 0.0
    return xy, np.clip(conf, 0.0, 1.0), ~person
