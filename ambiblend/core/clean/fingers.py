"""Cleaning of the hands: finger angles and palm orientations over time.

The same filters as the body (``filters``: a short running median against one-frame flicker,
then the zero-phase Butterworth low-pass), driven by their own setting,
``CleanOptions.finger_smoothness``: fingers move faster than the trunk and their detections are
noisier, so users want a separate control. Frames without a detected hand are filled by linear
interpolation between the neighbouring detections (held before the first / after the last)
before filtering; the angle limits are applied again after filtering (a low-pass can overshoot).
"""
from __future__ import annotations

import numpy as np

from .filters import despike, lowpass
from ..interpolate import interpolate_track


def fill_missing(x: np.ndarray, found: np.ndarray) -> np.ndarray:
    """x (T, ...) with rows where ``found`` (T,) is False replaced by interpolation in time."""
    x = np.asarray(x, dtype=np.float64)
    if found.all() or not found.any():
        return x.copy()
    flat = x.reshape(len(x), -1)
    return interpolate_track(flat, np.asarray(found, bool)).reshape(x.shape)


def smooth_fingers(angles: np.ndarray, quats: np.ndarray, found: np.ndarray, fps: float,
                   smoothness: float) -> tuple[np.ndarray, np.ndarray]:
    """angles (T, 5, 3, 2) radians, quats (T, 4) palm orientations (w, x, y, z), found (T,) →
    (angles, unit quats) filled and filtered. smoothness 0 only fills gaps."""
    a = fill_missing(angles, found)
    q = np.asarray(quats, dtype=np.float64).copy()
    idx = np.flatnonzero(found)
    for i in range(1, len(idx)):                       # one hemisphere, so averaging is fair
        if np.dot(q[idx[i]], q[idx[i - 1]]) < 0:
            q[idx[i]] = -q[idx[i]]
    q = fill_missing(q, found)
    a = lowpass(despike(a, fps, smoothness), fps, smoothness)
    q = lowpass(despike(q, fps, smoothness), fps, smoothness)
    return a, q / np.maximum(np.linalg.norm(q, axis=-1, keepdims=True), 1e-12)
