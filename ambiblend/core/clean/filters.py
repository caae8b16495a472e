"""Temporal filtering of joint tracks: gap filling and a zero-phase Butterworth low-pass.

The whole clip is known when we clean it, so a zero-phase filter (forward-backward,
``butterworth.filtfilt``, numpy only) beats a causal one like One-Euro: no lag, no overshoot at foot strikes.
One ``smoothness`` knob in [0, 1] maps to the cutoff frequency on a log scale, from
``MAX_CUTOFF_HZ`` (0 → untouched) to ``MIN_CUTOFF_HZ`` (1 → very smooth).
"""
from __future__ import annotations

import numpy as np

from ..errors import AmbiblendError
from ..interpolate import interpolate_track
from .butterworth import butter_lowpass, filtfilt
from .feet import contact_segments

# Human motion has most of its energy below ~6 Hz (Winter, Biomechanics of Human Movement);
# 12 Hz keeps fast gestures, 1.5 Hz leaves only slow body motion.
MAX_CUTOFF_HZ = 12.0
MIN_CUTOFF_HZ = 1.5
FILTER_ORDER = 2
# Detector confidence under which a joint counts as missing (MediaPipe visibility scale)...
MIN_CONFIDENCE = 0.3
# ...but only over spans up to this long: over longer ones (an occluded limb) the lifter's
# estimate from the rest of the body beats a straight line (Pose2Sim cam03: 63.4 mm raw vs
# 69.8 mm when every low-confidence span was interpolated).
MAX_LOW_CONFIDENCE_GAP_S = 0.2
# Under this the detector says the joint is not there at all (MediaPipe gives ~0.15–0.25 for an
# occluded wrist, < 0.1 when it has lost it): always interpolated, however long the span.
ABSENT_CONFIDENCE = 0.1
# Running-median window (seconds) that removes one- and two-frame spikes (a left/right flicker of
# the detector) before the low-pass, which would otherwise smear them over their neighbours.
SPIKE_WINDOW_S = 0.1


def cutoff_hz(smoothness: float) -> float:
    """Low-pass cutoff for a smoothness in (0, 1]: log-linear from 12 Hz down to 1.5 Hz."""
    s = float(np.clip(smoothness, 0.0, 1.0))
    return float(MAX_CUTOFF_HZ * (MIN_CUTOFF_HZ / MAX_CUTOFF_HZ) ** s)


def valid_mask(joints: np.ndarray, conf: np.ndarray | None,
               min_confidence: float = MIN_CONFIDENCE, fps: float | None = None) -> np.ndarray:
    """(T, J) True where a joint is usable: finite and (if given) confident enough. With ``fps``,
    a low-confidence span longer than ``MAX_LOW_CONFIDENCE_GAP_S`` stays usable (kept as lifted)
    where the confidence is at least ``ABSENT_CONFIDENCE``."""
    finite = np.isfinite(joints).all(axis=-1)
    if conf is None:
        return finite
    conf = np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0)
    low = conf < min_confidence
    if fps:
        low &= ~(_long_runs(low, MAX_LOW_CONFIDENCE_GAP_S * fps) & (conf >= ABSENT_CONFIDENCE))
    return finite & ~low


def _long_runs(flags: np.ndarray, max_len: float) -> np.ndarray:
    """(T, J) True inside runs of True along axis 0 that are longer than ``max_len`` samples."""
    out = np.zeros_like(flags, dtype=bool)
    for j in range(flags.shape[1]):
        for s, e in contact_segments(flags[:, j]):
            if e - s > max_len:
                out[s:e, j] = True
    return out


def despike(x: np.ndarray, fps: float, smoothness: float) -> np.ndarray:
    """Running median over ``SPIKE_WINDOW_S`` (an odd number of frames, at least 3) along axis 0
    of x (T, ...); smoothness 0 or a clip shorter than the window returns x unchanged."""
    x = np.asarray(x, dtype=np.float64)
    width = max(3, int(round(SPIKE_WINDOW_S * fps)) // 2 * 2 + 1) if fps and fps > 0 else 3
    if smoothness <= 0 or len(x) < width:
        return x.copy()
    half = width // 2
    padded = np.pad(x, ((half, half),) + ((0, 0),) * (x.ndim - 1), mode="edge")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, width, axis=0), axis=-1)


def fill_gaps(joints: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Replace invalid samples by linear interpolation in time between the valid neighbours
    (held constant before the first / after the last valid one). joints (T, J, D), valid (T, J).

    A joint that is never confident keeps its own (finite) values: the lifter still placed it
    from the rest of the body, and that beats no joint. Raises AmbiblendError when a joint has
    no finite value at all: there is nothing to fill from.
    """
    out = np.array(joints, dtype=np.float64, copy=True)
    for j in range(out.shape[1]):
        ok = valid[:, j]
        if ok.all():
            continue
        if not ok.any():
            ok = np.isfinite(out[:, j]).all(axis=-1)
        if not ok.any():
            raise AmbiblendError(
                f"Joint {j} is never detected with enough confidence in this clip; "
                "nothing to fill its gaps from.")
        out[:, j] = interpolate_track(out[:, j], ok)
    return out


def lowpass(x: np.ndarray, fps: float, smoothness: float) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0 of x (T, ...); smoothness 0 returns x.

    Clips too short for the filter's padding are returned unchanged (nothing to smooth).
    """
    x = np.asarray(x, dtype=np.float64)
    if smoothness <= 0 or len(x) < 2:
        return x.copy()
    if not fps or fps <= 0:
        raise AmbiblendError(f"Frame rate must be positive, got {fps}.")
    nyquist = 0.5 * fps
    fc = min(cutoff_hz(smoothness), 0.9 * nyquist)
    b, a = butter_lowpass(FILTER_ORDER, fc / nyquist)
    padlen = min(3 * max(len(a), len(b)), len(x) - 1)
    if padlen < 1:
        return x.copy()
    # "odd" padding mirrors the ends so the filter does not pull them towards zero.
    return filtfilt(b, a, x, padlen=padlen)
