"""Stillness and the gyroscope bias: which samples were taken with the sensor at rest, and the
gyroscope's reading there. The one estimator calibration (a sensor on a table) and the drills (a
sensor on a person: the residual bias between movements) share, with their own thresholds.

A window is still when the per-axis standard deviations of the gyroscope and the accelerometer are
small (norm of the three standard deviations, so a slow rotation that keeps ``|a|`` at 1 g is still
seen through the accelerometer's direction change) and the mean angular rate is below a bound (an
uncalibrated gyroscope reads its bias at rest, so this bound is generous). Everything is vectorised
with cumulative sums; no per-sample Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class StillnessThresholds:
    """Limits for a window to count as still (units in the names)."""

    window_s: float = 1.0
    gyr_std_dps: float = 0.6
    acc_std_g: float = 0.012
    gyr_mean_dps: float = 10.0


#: Sensor lying on a table: gyro bias and accelerometer faces.
TABLE = StillnessThresholds()
#: A person standing quietly (sway of a degree or so): the vertical for mounting alignment.
STANDING = StillnessThresholds(window_s=1.0, gyr_std_dps=5.0, acc_std_g=0.3, gyr_mean_dps=15.0)
#: A sensor strapped on a person between movements (drills): the rate of turn stays small; the
#: accelerometer is not asked (``acc_g`` None).
ON_PERSON = StillnessThresholds(window_s=0.25, gyr_std_dps=6.0, acc_std_g=np.inf,
                                gyr_mean_dps=6.0)


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of still samples ``[start, stop)`` (indices into the recording)."""

    start: int
    stop: int

    def __len__(self) -> int:
        return self.stop - self.start


def sample_rate_hz(t_s: FloatArray) -> float:
    """Median sample rate of a time column (raises ValueError when it cannot be told)."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.shape[0] < 2:
        raise ValueError("need at least two samples to tell the sample rate")
    dt = float(np.median(np.diff(t)))
    if not np.isfinite(dt) or dt <= 0:
        raise ValueError("time stamps do not increase")
    return 1.0 / dt


def _moving_sum(x: FloatArray, w: int) -> FloatArray:
    """Sums over every window of ``w`` consecutive samples along the last axis (``n - w + 1``
    out): rows are signals (contiguous rows: the cumulative sum runs along memory)."""
    c = np.empty((*x.shape[:-1], x.shape[-1] + 1))
    c[..., 0] = 0.0
    np.cumsum(x, axis=-1, out=c[..., 1:])
    out: FloatArray = c[..., w:] - c[..., :-w]
    return out


def _std_norm(x: FloatArray, w: int) -> tuple[FloatArray, FloatArray]:
    """Per window of ``w`` samples of the rows of ``x`` (3×n, centred; overwritten): the norm of
    the per-row standard deviations, and the rows' window means (3×(n-w+1)). In place where it
    can be: an hour at 400 Hz is 35 MB a 3-row array."""
    s1 = _moving_sum(x, w)
    s1 /= w
    np.multiply(x, x, out=x)
    var = _moving_sum(x, w)
    var /= w
    var -= s1 * s1
    np.clip(var, 0.0, None, out=var)
    std = var[0]
    std += var[1]
    std += var[2]
    return np.sqrt(std, out=std), s1


def window_stats(
    acc_g: FloatArray | None, gyr_dps: FloatArray, w: int
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per window of ``w`` samples: norm of gyro per-axis std, norm of acc per-axis std (zeros
    when ``acc_g`` is None: not asked), and norm of the mean gyro vector. Windows start at
    every sample (``n - w + 1`` values)."""
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    # centre on the overall mean first: keeps the cumulative sums well conditioned
    gyr0 = gyr.mean(axis=0)
    g_std, mean_gyr = _std_norm(_centred_rows(gyr, gyr0), w)
    mean_gyr += gyr0[:, None]
    mean_gyr *= mean_gyr
    g_mean = mean_gyr[0]
    g_mean += mean_gyr[1]
    g_mean += mean_gyr[2]
    np.sqrt(g_mean, out=g_mean)
    if acc_g is None:
        return g_std, np.zeros_like(g_std), g_mean
    acc = np.asarray(acc_g, dtype=np.float64)
    a_std, _ = _std_norm(_centred_rows(acc, acc.mean(axis=0)), w)
    return g_std, a_std, g_mean


def _centred_rows(x: FloatArray, mean: FloatArray) -> FloatArray:
    """``(x − mean)ᵀ`` as a new contiguous 3×n array (one pass, one allocation)."""
    out = np.empty((x.shape[1], x.shape[0]))
    np.subtract(x.T, mean[:, None], out=out)
    return out


def still_mask(
    t_s: FloatArray,
    acc_g: FloatArray | None,
    gyr_dps: FloatArray,
    thresholds: StillnessThresholds = TABLE,
) -> BoolArray:
    """True for every sample that lies inside at least one still window (``acc_g`` None: from
    the gyroscope alone)."""
    n = int(np.asarray(t_s).shape[0])
    if n == 0:
        return np.zeros(0, dtype=bool)
    return _still_mask(n, sample_rate_hz(t_s), acc_g, gyr_dps, thresholds)


def _still_mask(n: int, fs: float, acc_g: FloatArray | None, gyr_dps: FloatArray,
                thresholds: StillnessThresholds) -> BoolArray:
    w = max(2, round(thresholds.window_s * fs))
    if n < w:
        return np.zeros(n, dtype=bool)
    g_std, a_std, g_mean = window_stats(acc_g, gyr_dps, w)
    ok = (g_std < thresholds.gyr_std_dps) & (g_mean < thresholds.gyr_mean_dps)
    if acc_g is not None:
        ok &= a_std < thresholds.acc_std_g
    # window k covers samples k … k + w − 1: a run of still windows [a, b) covers [a, b − 1 + w)
    runs = np.diff(ok.view(np.int8), prepend=np.int8(0), append=np.int8(0))
    d = np.zeros(n + 1, dtype=np.int32)
    np.add.at(d, np.flatnonzero(runs == 1), 1)
    np.add.at(d, np.flatnonzero(runs == -1) + (w - 1), -1)
    covered: BoolArray = np.cumsum(d[:n]) > 0
    return covered


def segments_of(mask: BoolArray) -> list[Segment]:
    """Runs of True in a boolean mask."""
    m = np.asarray(mask, dtype=np.int8)
    if m.size == 0:
        return []
    d = np.diff(np.concatenate([[0], m, [0]]))
    starts = np.flatnonzero(d == 1)
    stops = np.flatnonzero(d == -1)
    return [Segment(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def still_segments(
    t_s: FloatArray,
    acc_g: FloatArray | None,
    gyr_dps: FloatArray,
    thresholds: StillnessThresholds = TABLE,
    *,
    min_duration_s: float = 1.0,
    margin_s: float = 0.25,
) -> list[Segment]:
    """Still runs at least ``min_duration_s`` long, trimmed by ``margin_s`` at both ends (the
    edges of a rest are where a hand is still letting go)."""
    n = int(np.asarray(t_s).shape[0])
    if n < 2:
        return []
    return _still_segments(n, sample_rate_hz(t_s), acc_g, gyr_dps, thresholds, min_duration_s,
                           margin_s)


def _still_segments(n: int, fs: float, acc_g: FloatArray | None, gyr_dps: FloatArray,
                    thresholds: StillnessThresholds, min_duration_s: float, margin_s: float
                    ) -> list[Segment]:
    margin = round(margin_s * fs)
    out = []
    for seg in segments_of(_still_mask(n, fs, acc_g, gyr_dps, thresholds)):
        a, b = seg.start + margin, seg.stop - margin
        if b - a >= min_duration_s * fs:
            out.append(Segment(a, b))
    return out


def is_still(acc_g: FloatArray, gyr_dps: FloatArray, thresholds: StillnessThresholds = TABLE
             ) -> bool:
    """Whether a whole block of samples (e.g. the last second of a live stream) is still."""
    acc = np.asarray(acc_g, dtype=np.float64)
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    if acc.shape[0] < 2:
        return False
    g_std = float(np.sqrt(gyr.var(axis=0).sum()))
    a_std = float(np.sqrt(acc.var(axis=0).sum()))
    g_mean = float(np.linalg.norm(gyr.mean(axis=0)))
    return (g_std < thresholds.gyr_std_dps and a_std < thresholds.acc_std_g
            and g_mean < thresholds.gyr_mean_dps)


@dataclass(frozen=True, slots=True)
class GyroBias:
    """The gyroscope's reading at rest (``bias_dps``: mean, or median when robust), the per-axis
    spread of the still samples (``noise_dps``) and how much was still."""

    bias_dps: FloatArray
    noise_dps: FloatArray
    still_s: float
    total_s: float


def gyro_bias(
    t_s: FloatArray,
    gyr_dps: FloatArray,
    acc_g: FloatArray | None = None,
    thresholds: StillnessThresholds = TABLE,
    *,
    min_run_s: float = 1.0,
    margin_s: float = 0.25,
    robust: bool = False,
    spread: bool = True,
) -> GyroBias:
    """The gyroscope bias over the still runs (:func:`still_segments`, at least ``min_run_s``
    long). ``acc_g`` None: stillness from the gyroscope alone. ``robust``: the median (a sensor
    on a person: the odd twitch), else the mean (a sensor on a table). No still sample: zeros,
    ``still_s`` 0 — the caller decides whether that is enough. ``spread`` False: ``noise_dps``
    not computed (zeros; the drills only need the bias)."""
    t = np.asarray(t_s, dtype=np.float64)
    gyr = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
    n = t.shape[0]
    acc = None if acc_g is None else np.asarray(acc_g, dtype=np.float64)
    zeros = np.zeros(3)
    if n < 2:
        return GyroBias(zeros, zeros, 0.0, 0.0)
    fs = sample_rate_hz(t)
    segs = _still_segments(n, fs, acc, gyr, thresholds, min_run_s, margin_s)
    if not segs:
        return GyroBias(zeros, zeros, 0.0, n / fs)
    mark = np.zeros(n + 1, dtype=np.int32)
    np.add.at(mark, [sg.start for sg in segs], 1)
    np.add.at(mark, [sg.stop for sg in segs], -1)
    still = gyr[np.cumsum(mark[:n]) > 0]  # the runs' samples, in order
    # robust: the median per axis on contiguous columns (the same values as along axis 0)
    bias = (np.array([np.median(still[:, j]) for j in range(3)]) if robust
            else still.mean(axis=0))
    return GyroBias(np.asarray(bias, dtype=np.float64),
                    still.std(axis=0) if spread else zeros, still.shape[0] / fs, n / fs)
