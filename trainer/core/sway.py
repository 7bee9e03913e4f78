"""Sway metrics (contract, DESIGN.md): Prieto et al. 1996 time- and frequency-domain measures.

``sway_metrics(ap, ml, fs)`` works in any unit (degrees of shank tilt, centimetres of centre of
pressure) and returns floats in that unit. The same function serves offline analysis and the live
sliding window, so it is written for speed on a few thousand samples (own Welch on both axes at
once, a closed-form F quantile).

Conventions (checked against the published values of the BDS force-plate data set, to ~1e-14):
- means are removed first; ``N`` samples, duration ``T = N / fs``;
- ``ellipse_area``: 95 % prediction ellipse, π·F₀.₉₅(2, N−2)·2(N−1)(N+1)/(N(N−2))·√det(S),
  S the sample covariance (N−1);
- ``mean_frequency``: Welch PSD per axis (Hann, nperseg = N//2, noverlap = nperseg//2, nfft =
  nperseg, constant detrend, density scaling); per axis MPF = ∫f·P df / ∫P df (trapezoid rule); the
  two are averaged with weights ΣP of each axis (total power as a plain bin sum — this is what
  reproduces the published BDS values exactly);
- ``f50``, ``f95``, ``centroid_frequency``, ``frequency_dispersion``: from the spectrum of the
  *planar* sway, P_ap + P_ml, over 0.15–5 Hz (bin sums). Prieto used the spectrum of the resultant
  distance √(ap²+ml²); that rectifies the signal (a sinusoid of frequency f shows up at 2f), so we
  take the power spectrum of the resultant displacement vector instead, which keeps the frequency of
  the motion. f50/f95 are the lowest band frequencies at which the cumulative power reaches 50/95 %.
  They are NaN when the band holds fewer than two frequency bins (the bin width is 2/T, so windows
  under ~1 s) or no power; use windows of 5 s or more for meaningful frequency measures.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

MIN_SAMPLES = 16
BAND_HZ = (0.15, 5.0)
PREDICTION_LEVEL = 0.95

METRIC_KEYS = (
    "rms_ap",
    "rms_ml",
    "rms",
    "mean_distance",
    "range_ap",
    "range_ml",
    "path_length",
    "mean_velocity",
    "ellipse_area",
    "sway_area_rate",
    "mean_frequency",
    "f50",
    "f95",
    "centroid_frequency",
    "frequency_dispersion",
)


def f_quantile_2(p: float, dof2: int) -> float:
    """Quantile of the F(2, dof2) distribution in closed form: CDF = 1 − (1 + 2x/m)^(−m/2)."""
    m = float(dof2)
    return float(m / 2.0 * ((1.0 - p) ** (-2.0 / m) - 1.0))


@lru_cache(maxsize=32)
def _hann(n: int) -> tuple[NDArray[np.float64], NDArray[np.complex128], float]:
    """Periodic Hann window (scipy ``get_window('hann', n)``), its rfft and Σw²; cached."""
    w = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)
    w_fft = np.fft.rfft(w)
    for arr in (w, w_fft):
        arr.setflags(write=False)
    return w, w_fft, float(np.sum(w * w))


def welch_psd(
    x: NDArray[np.float64], fs: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One-sided Welch PSD along the last axis with the contract's settings.

    Hann (periodic), nperseg = N//2, noverlap = nperseg//2, nfft = nperseg, constant detrend per
    segment, density scaling; equal to ``scipy.signal.welch`` with those arguments (to rounding).
    The per-segment mean is removed in the frequency domain (rfft(x·w) − mean·rfft(w)), which is
    the same thing and several times faster on the live window.
    """
    n = x.shape[-1]
    nper = n // 2
    step = nper - nper // 2
    win, win_fft, win_ss = _hann(nper)
    seg = sliding_window_view(x, nper, axis=-1)[..., ::step, :]  # (..., nseg, nper), a view
    spec = np.fft.rfft(seg * win, axis=-1) - seg.mean(axis=-1)[..., None] * win_fft
    p = (spec.real**2 + spec.imag**2).mean(axis=-2) / (fs * win_ss)
    if nper % 2:
        p[..., 1:] *= 2.0
    else:
        p[..., 1:-1] *= 2.0
    f = np.asarray(np.fft.rfftfreq(nper, 1.0 / fs), dtype=np.float64)
    return f, p.astype(np.float64, copy=False)


def _validate(ap: ArrayLike, ml: ArrayLike, fs: float) -> tuple[NDArray[np.float64], ...]:
    a = np.asarray(ap, dtype=np.float64)
    m = np.asarray(ml, dtype=np.float64)
    if a.ndim != 1 or m.ndim != 1:
        raise ValueError(f"sway_metrics needs 1-D ap and ml arrays, got {a.shape} and {m.shape}")
    if a.shape != m.shape:
        raise ValueError(f"ap and ml must have the same length, got {a.shape[0]} and {m.shape[0]}")
    if not (isinstance(fs, (int, float)) and math.isfinite(fs) and fs > 0):
        raise ValueError(f"sample rate must be a positive finite number, got {fs!r}")
    if a.shape[0] < MIN_SAMPLES:
        raise ValueError(
            f"too few samples for sway metrics: {a.shape[0]} (need at least {MIN_SAMPLES})"
        )
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(m))):
        raise ValueError("ap/ml contain NaN or infinite values; cut or fill gaps first")
    return a, m


def prediction_scale(n: int) -> float:
    """k with ellipse area = π·k·√det(S): F₀.₉₅(2, n−2)·2(n−1)(n+1)/(n(n−2)), the 95 % prediction
    ellipse of n points (Chew 1966) — the one definition the metrics, the live ellipse and the
    drill summary share."""
    return f_quantile_2(PREDICTION_LEVEL, n - 2) * 2.0 * (n - 1) * (n + 1) / (n * (n - 2))


def sway_metrics(ap: ArrayLike, ml: ArrayLike, fs: float) -> dict[str, float]:
    """Every contract sway metric of an AP/ML trace sampled at ``fs`` Hz, in the input's unit.

    Raises ``ValueError`` (one clear line) for mismatched, too short (< 16 samples) or non-finite
    input. See the module docstring for the exact conventions.
    """
    a, m = _validate(ap, ml, fs)
    fs = float(fs)
    n = a.shape[0]
    xy = np.stack((a, m))
    xy -= xy.mean(axis=1, keepdims=True)
    a, m = xy[0], xy[1]
    duration_s = n / fs

    sq = xy * xy
    ms_ap, ms_ml = sq[0].mean(), sq[1].mean()
    dist = np.sqrt(sq[0] + sq[1])
    d = np.diff(xy, axis=1)
    path = float(np.sqrt(d[0] * d[0] + d[1] * d[1]).sum())

    # covariance from sums (not xy @ xy.T: no BLAS threads for a 2×N product)
    s_aa = float(sq[0].sum())
    s_mm = float(sq[1].sum())
    s_am = float(np.sum(a * m))
    det = max((s_aa * s_mm - s_am * s_am) / ((n - 1) * (n - 1)), 0.0)
    k = prediction_scale(n)
    ellipse = math.pi * k * math.sqrt(det)
    area_rate = float(np.abs(a[1:] * m[:-1] - a[:-1] * m[1:]).sum()) / (2.0 * duration_s)

    f, p = welch_psd(xy, fs)
    out = {
        "rms_ap": math.sqrt(ms_ap),
        "rms_ml": math.sqrt(ms_ml),
        "rms": math.sqrt(ms_ap + ms_ml),
        "mean_distance": float(dist.mean()),
        "range_ap": float(a.max() - a.min()),
        "range_ml": float(m.max() - m.min()),
        "path_length": path,
        "mean_velocity": path / duration_s,
        "ellipse_area": ellipse,
        "sway_area_rate": area_rate,
        "mean_frequency": _mean_frequency(f, p),
    }
    out.update(_band_measures(f, p[0] + p[1]))
    return out


def _trapz(y: NDArray[np.float64], df: float) -> float:
    return float(df * (y.sum(axis=-1) - 0.5 * (y[..., 0] + y[..., -1])))


def _mean_frequency(f: NDArray[np.float64], p: NDArray[np.float64]) -> float:
    """Power-weighted (bin-sum) average of the per-axis trapezoid mean power frequencies."""
    if f.shape[0] < 2:
        return math.nan
    df = float(f[1] - f[0])
    num = 0.0
    den = 0.0
    for axis in range(2):
        area = _trapz(p[axis], df)
        weight = float(p[axis].sum())
        if area > 0 and weight > 0:
            num += weight * _trapz(f * p[axis], df) / area
            den += weight
    return num / den if den > 0 else math.nan


def _band_measures(f: NDArray[np.float64], p: NDArray[np.float64]) -> dict[str, float]:
    """f50, f95, centroid frequency and frequency dispersion over BAND_HZ (bin sums)."""
    nan = {"f50": math.nan, "f95": math.nan, "centroid_frequency": math.nan,
           "frequency_dispersion": math.nan}
    sel = (f >= BAND_HZ[0]) & (f <= BAND_HZ[1])
    fb = f[sel]
    pb = p[sel]
    if fb.shape[0] < 2:
        return nan
    mu0 = float(pb.sum())
    if not mu0 > 0:
        return nan
    mu1 = float(fb @ pb)
    mu2 = float((fb * fb) @ pb)
    cum = np.cumsum(pb)
    f50 = float(fb[min(int(np.searchsorted(cum, 0.50 * mu0)), fb.shape[0] - 1)])
    f95 = float(fb[min(int(np.searchsorted(cum, 0.95 * mu0)), fb.shape[0] - 1)])
    disp2 = 1.0 - mu1 * mu1 / (mu0 * mu2)
    return {
        "f50": f50,
        "f95": f95,
        "centroid_frequency": math.sqrt(mu2 / mu0),
        "frequency_dispersion": math.sqrt(max(disp2, 0.0)),
    }
