"""A zero-phase Butterworth low-pass in numpy alone (no SciPy inside Blender).

The same numbers as SciPy's ``butter(N, Wn)`` + ``filtfilt(b, a, x, axis=0, padtype="odd",
padlen=n)``, re-derived from the textbook steps: analog Butterworth poles, pre-warped cutoff,
bilinear transform; then a transposed direct-form II filter run forward and backward over the
odd-extended signal, each pass started from the steady state of its first sample.
"""
from __future__ import annotations

import numpy as np


def butter_lowpass(order: int, wn: float) -> tuple[np.ndarray, np.ndarray]:
    """Digital low-pass coefficients (b, a); ``wn`` = cutoff / Nyquist in (0, 1)."""
    if not 0 < wn < 1:
        raise ValueError(f"normalised cutoff must be in (0, 1), got {wn}")
    fs2 = 4.0                                     # 2·fs with the normalised sampling rate fs = 2
    warped = fs2 * np.tan(np.pi * wn / 2.0)       # pre-warp so the digital cutoff lands on wn
    k = np.arange(-order + 1, order, 2)
    poles = warped * -np.exp(1j * np.pi * k / (2 * order))   # analog prototype, scaled to warped
    gain = warped ** order
    zpoles = (fs2 + poles) / (fs2 - poles)       # bilinear transform; all zeros land on z = −1
    gain = gain * np.real(1.0 / np.prod(fs2 - poles))
    b = gain * np.real(np.poly(-np.ones(order)))
    a = np.real(np.poly(zpoles))
    return b, a


def _steady_state(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Filter state for a unit step input that has lasted forever (SciPy's ``lfilter_zi``)."""
    n = len(a)
    companion = np.zeros((n - 1, n - 1))
    companion[0] = -a[1:]
    companion[1:, :-1] += np.eye(n - 2)
    return np.linalg.solve(np.eye(n - 1) - companion.T, b[1:] - a[1:] * b[0])


def _filter(b: np.ndarray, a: np.ndarray, x: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Transposed direct-form II along axis 0; ``state`` (n−1, ...) is updated in place."""
    y = np.empty_like(x)
    m = len(state)
    for t in range(len(x)):
        xt = x[t]
        yt = b[0] * xt + state[0]
        for i in range(m - 1):
            state[i] = b[i + 1] * xt + state[i + 1] - a[i + 1] * yt
        state[m - 1] = b[m] * xt - a[m] * yt
        y[t] = yt
    return y


def filtfilt(b: np.ndarray, a: np.ndarray, x: np.ndarray, padlen: int) -> np.ndarray:
    """Forward-backward filtering of x (T, ...) along axis 0 with odd extension of ``padlen``."""
    b, a = np.asarray(b, dtype=np.float64) / a[0], np.asarray(a, dtype=np.float64) / a[0]
    x = np.asarray(x, dtype=np.float64)
    # Odd extension: reflect the ends through the end samples, so the filter starts in step.
    ext = np.concatenate([2 * x[:1] - x[padlen:0:-1], x, 2 * x[-1:] - x[-2:-padlen - 2:-1]])
    zi = _steady_state(b, a).reshape((-1,) + (1,) * (x.ndim - 1))
    y = _filter(b, a, ext, zi * ext[0])
    y = _filter(b, a, y[::-1].copy(), zi * y[-1])[::-1]
    return y[padlen:len(y) - padlen].copy()
