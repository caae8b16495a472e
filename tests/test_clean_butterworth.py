"""The numpy Butterworth low-pass of the cleaning stage: SciPy's numbers where SciPy exists, and
the filter's defining properties (unit DC gain, −3 dB per pass at the cutoff) everywhere."""
import numpy as np
import pytest

from ambiblend.core.clean.butterworth import butter_lowpass, filtfilt


@pytest.mark.parametrize("order", [1, 2, 3, 4])
@pytest.mark.parametrize("wn", [0.05, 0.3, 0.8])
def test_coefficients_match_scipy(order, wn):
    signal = pytest.importorskip("scipy.signal")
    b, a = butter_lowpass(order, wn)
    ref_b, ref_a = signal.butter(order, wn)
    np.testing.assert_allclose(b, ref_b, rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(a, ref_a, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("padlen", [1, 6, 20])
def test_filtfilt_matches_scipy(padlen):
    signal = pytest.importorskip("scipy.signal")
    x = np.random.default_rng(0).normal(size=(400, 17, 3)).cumsum(axis=0)
    b, a = butter_lowpass(2, 0.2)
    np.testing.assert_allclose(filtfilt(b, a, x, padlen), signal.filtfilt(b, a, x, axis=0, padlen=padlen),
                               rtol=1e-12, atol=1e-9)


def test_frequency_response_without_scipy():
    b, a = butter_lowpass(2, 0.2)
    z = np.exp(-1j * np.pi * np.array([0.0, 0.2]))   # DC and the cutoff
    gain = np.abs(np.polyval(b[::-1], z) / np.polyval(a[::-1], z))
    np.testing.assert_allclose(gain, [1.0, 1 / np.sqrt(2)], atol=1e-12)
    t = np.arange(2000)
    slow, fast = np.sin(2 * np.pi * 0.01 * t), np.sin(2 * np.pi * 0.4 * t)   # Nyquist = 0.5
    out = filtfilt(b, a, np.stack([slow + fast, np.full_like(slow, 3.0)], axis=1), padlen=6)
    np.testing.assert_allclose(out[:, 1], 3.0, atol=1e-12)                 # constants untouched
    mid = slice(200, 1800)
    assert np.abs(out[mid, 0] - slow[mid]).max() < 0.01                     # fast part removed
