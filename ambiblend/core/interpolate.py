"""Filling gaps in time series: the one interpolation the detect and clean stages share."""
from __future__ import annotations

import numpy as np


def interpolate_track(values: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
    """(T, D) → filled copy: rows not ``known`` are linear between the known rows around them,
    held constant before the first and after the last one.

    known: (T,) bool; default = rows without NaN. At least one row must be known.
    """
    values = np.asarray(values, dtype=np.float64)
    if known is None:
        known = np.isfinite(values).all(axis=-1)
    t = np.arange(len(values))
    return np.stack([np.interp(t, t[known], values[known, d]) for d in range(values.shape[1])], axis=-1)
