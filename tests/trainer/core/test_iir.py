"""trainer.core.iir against scipy.signal / scipy.ndimage: the same designs and the same outputs
(to rounding), whole or streamed in pieces, short (sample by sample) or long (blocked)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage, signal

from trainer.core import iir

DESIGNS = [
    (2, 5.0, 100.0, "lowpass"),
    (2, 0.05, 100.0, "lowpass"),  # poles near the unit circle
    (3, 1.0, 100.0, "lowpass"),  # odd order: a first-order section
    (1, 3.0, 100.0, "lowpass"),
    (2, 0.5, 400.0, "highpass"),
    (1, 0.3, 100.0, "highpass"),  # the drills' vertical-velocity high-pass
    (2, (7.0, 13.0), 100.0, "bandpass"),  # the drills' tremor band
    (4, (0.5, 20.0), 200.0, "bandpass"),
]
LENGTHS = [1, 5, iir.BLOCK, iir.BLOCK + 1, 4097, 20_001]


def _close(mine: np.ndarray, ref: np.ndarray, scale: float, sos: np.ndarray) -> None:
    """Equal to rounding: the two orders of summation differ by ~eps/(1 − r)² of the input's
    size, r the largest pole radius (rounding errors ring as long as the poles do)."""
    r = float(np.max(np.abs(np.roots(np.r_[1.0, sos[np.argmax(np.abs(sos[:, 5])), 4:]]))))
    np.testing.assert_allclose(mine, ref, rtol=0, atol=1e-12 * scale / (1.0 - r) ** 2)


@pytest.mark.parametrize("design", DESIGNS)
def test_same_frequency_response_as_scipy_butter(design: tuple) -> None:
    order, cutoff, fs, btype = design
    ref = signal.butter(order, cutoff, btype=btype, fs=fs, output="sos")
    mine = iir.butter_sos(order, cutoff, fs, btype)
    assert mine.shape == ref.shape
    _, h_ref = signal.sosfreqz(ref, worN=256, fs=fs)
    _, h_mine = signal.sosfreqz(mine, worN=256, fs=fs)
    np.testing.assert_allclose(h_mine, h_ref, rtol=0, atol=1e-12)


@pytest.mark.parametrize("design", DESIGNS)
@pytest.mark.parametrize("n", LENGTHS)
def test_sosfilt_equals_scipy_at_once_and_streamed(design: tuple, n: int) -> None:
    order, cutoff, fs, btype = design
    ref = signal.butter(order, cutoff, btype=btype, fs=fs, output="sos")
    mine = iir.butter_sos(order, cutoff, fs, btype)
    rng = np.random.default_rng(n)
    x = rng.normal(size=n).cumsum() + 5.0
    scale = float(np.max(np.abs(x)))
    _close(iir.sosfilt(mine, x), signal.sosfilt(ref, x), scale, ref)
    y_ref, z_ref = signal.sosfilt(ref, x, zi=signal.sosfilt_zi(ref) * x[0])
    z = iir.sosfilt_zi(mine) * x[0]
    pieces = []
    cuts = sorted({int(c) for c in rng.integers(0, n + 1, size=6)})
    for piece in np.split(x, cuts):  # random pieces, empty ones included
        y, z = iir.sosfilt(mine, piece, zi=z)
        pieces.append(y)
    _close(np.concatenate(pieces), y_ref, scale, ref)
    more = rng.normal(size=50)  # the final states continue alike
    _close(iir.sosfilt(mine, more, zi=z)[0], signal.sosfilt(ref, more, zi=z_ref)[0], scale,
           ref)


@pytest.mark.parametrize("design", DESIGNS)
def test_sosfiltfilt_equals_scipy(design: tuple) -> None:
    order, cutoff, fs, btype = design
    ref = signal.butter(order, cutoff, btype=btype, fs=fs, output="sos")
    mine = iir.butter_sos(order, cutoff, fs, btype)
    rng = np.random.default_rng(3)
    x = rng.normal(size=(5000, 3)).cumsum(axis=0)
    scale = float(np.max(np.abs(x)))
    _close(iir.sosfiltfilt(mine, x, axis=0), signal.sosfiltfilt(ref, x, axis=0), scale, ref)
    _close(iir.sosfiltfilt(mine, x[:, 0], padlen=300),
           signal.sosfiltfilt(ref, x[:, 0], padlen=300), scale, ref)
    with pytest.raises(ValueError, match="padlen"):
        iir.sosfiltfilt(mine, x[:5, 0])


def test_sosfilt_zi_equals_scipy() -> None:
    for order, cutoff, fs, btype in DESIGNS:
        sos = signal.butter(order, cutoff, btype=btype, fs=fs, output="sos")
        np.testing.assert_allclose(iir.sosfilt_zi(sos), signal.sosfilt_zi(sos), atol=1e-12)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 100, 101, 999, 2500])
def test_uniform_filter1d_equals_scipy(size: int) -> None:
    x = np.random.default_rng(size).normal(size=1000)
    np.testing.assert_allclose(iir.uniform_filter1d(x, size), ndimage.uniform_filter1d(x, size),
                               rtol=0, atol=1e-12)
    xs = np.random.default_rng(size).normal(size=(1000, 3))
    np.testing.assert_allclose(iir.uniform_filter1d(xs, size, axis=0),
                               ndimage.uniform_filter1d(xs, size, axis=0), rtol=0, atol=1e-12)


def test_bad_designs_are_refused() -> None:
    with pytest.raises(ValueError):
        iir.butter_sos(2, 60.0, 100.0)  # above Nyquist
    with pytest.raises(ValueError):
        iir.butter_sos(2, (13.0, 7.0), 100.0, "bandpass")
    with pytest.raises(ValueError):
        iir.butter_sos(0, 5.0, 100.0)


@pytest.mark.parametrize("n", [1, 7, 300, 5000])
def test_lfilter_equals_scipy_streamed(n: int) -> None:
    rng = np.random.default_rng(n)
    x = rng.normal(size=(3, n))
    for b, a in (([1.0], [1.0, -0.99]), ([0.01], [1.0, -0.95]),
                 ([1.0, 0.5, 0.2], [2.0, -1.2, 0.5])):
        order = max(len(a), len(b)) - 1
        zi = rng.normal(size=(3, order))
        y_ref, z_ref = signal.lfilter(b, a, x, axis=1, zi=zi)
        cut = n // 3
        y1, z1 = iir.lfilter(b, a, x[:, :cut], axis=1, zi=zi)
        y2, z2 = iir.lfilter(b, a, x[:, cut:], axis=1, zi=z1)
        np.testing.assert_allclose(np.concatenate((y1, y2), axis=1), y_ref, atol=1e-10)
        np.testing.assert_allclose(z2, z_ref, atol=1e-10)
        np.testing.assert_allclose(iir.lfilter(b, a, x[0]), signal.lfilter(b, a, x[0]),
                                   atol=1e-10)
