"""Drill detectors on per-sample angles: reps, holds with a stillness check, balance losses.

Pure numpy/scipy, no Qt and no file I/O. Every detector is stateful over batches (live use) and
gives the same result whether a recording is fed at once or in pieces. Loops run over turning
points and events, never over samples.

Rep counting is a zig-zag (peak/valley) detector on a low-passed angle: a turning point is
confirmed only when the signal has reversed by ``reversal_deg``; a rep is a peak in the drill's
direction that rises at least ``min_rom_deg`` above the preceding valley and comes at least
``min_interval_s`` after the previous rep. Noise and wobbles smaller than ``reversal_deg`` never
make turning points, and a wobble at the top of a rep is smaller than ``min_rom_deg``, so it
cannot count twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trainer.core import iir
from trainer.core.stillness import ON_PERSON, gyro_bias

FloatArray = NDArray[np.float64]


class LowPass:
    """Causal 2nd-order Butterworth low-pass with state carried across batches."""

    def __init__(self, fs_hz: float, cutoff_hz: float) -> None:
        cutoff = min(float(cutoff_hz), 0.45 * float(fs_hz))
        # trainer.core.iir: scipy.signal's design and filter in numpy (its import costs ~0.8 s)
        self.sos = iir.butter_sos(2, cutoff, float(fs_hz))
        self._zi: FloatArray | None = None

    def __call__(self, x: FloatArray) -> FloatArray:
        x = np.asarray(x, dtype=np.float64)
        if x.size == 0:
            return x.copy()
        if self._zi is None:  # start in steady state at the first value: no start-up transient
            self._zi = iir.sosfilt_zi(self.sos) * x[0]
        y, self._zi = iir.sosfilt(self.sos, x, zi=self._zi)
        return np.asarray(y, dtype=np.float64)

    @property
    def state(self) -> FloatArray | None:
        """The filter state (None before the first sample), to rewind with ``state = …``."""
        return None if self._zi is None else self._zi.copy()

    @state.setter
    def state(self, zi: FloatArray | None) -> None:
        self._zi = None if zi is None else np.array(zi, dtype=np.float64)


BUFFER_S = 60.0  # recent samples kept to time a rep's onset and end
ONSET_WINDOW_S = 5.0  # a rep's rise is looked for this far back from its peak
EDGE_FRACTION = 0.1  # a rep starts/ends within 10 % of its excursion from the local valley
SCAN_CHUNK = 512  # samples looked ahead at first for a reversal (doubled until found)


class GyroAngles:
    """Joint-angle changes from the segment-frame angular rate: a leaky integral per axis.

    Returns angles in the anatomical tilt convention: ``ml_deg`` = -∫ω_x (a rotation about the
    segment's long axis x that tips its z axis toward +y), ``ap_deg`` = +∫ω_y (z toward +x). Unlike
    gravity-referenced tilt these stay linear however the segment lies (the foot points up in
    long sitting, where tilt of its z axis exaggerates inversion ~2.5×). The leak (first-order
    high-pass at ``highpass_hz``) turns a residual gyro bias into a constant offset instead of a
    drift; reps (0.2-1 Hz) pass almost unchanged. Linear filter: chunk-invariant.
    """

    def __init__(self, fs_hz: float, highpass_hz: float = 0.02,
                 bias_dps: FloatArray | None = None, max_dt_s: float = 0.1) -> None:
        self.fs_hz = float(fs_hz)
        self.a = float(np.exp(-2.0 * np.pi * highpass_hz / self.fs_hz))
        self.bias = np.zeros(3) if bias_dps is None else np.asarray(bias_dps, np.float64)
        self.max_dt_s = float(max_dt_s)
        self._zi = np.zeros((3, 1))
        self._t_last: float | None = None

    def integrate(self, t_s: FloatArray, gyr_dps: FloatArray
                  ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(leaky ∫ω per axis n×3 in degrees, the bias-free rate n×3, the time steps n)."""
        t = np.asarray(t_s, dtype=np.float64)
        g = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3) - self.bias
        if t.size == 0:
            return np.empty((0, 3)), g, np.empty(0)
        prev = t[0] - 1.0 / self.fs_hz if self._t_last is None else self._t_last
        dt = np.clip(np.diff(t, prepend=prev), 0.0, self.max_dt_s)
        self._t_last = float(t[-1])
        # along axis 1 of the transposed view: one signal per row
        y, self._zi = iir.lfilter([1.0], [1.0, -self.a], (g * dt[:, None]).T, axis=1,
                                  zi=self._zi)
        return np.asarray(y.T, np.float64), g, dt

    def update(self, t_s: FloatArray, gyr_dps: FloatArray) -> tuple[FloatArray, FloatArray]:
        theta, _, _ = self.integrate(t_s, gyr_dps)
        return -theta[:, 0], theta[:, 1]

    def shift_state(self, d_deg: FloatArray) -> None:
        """Add ``d_deg`` (3×1) to the integrator's state: what is integrated next continues
        from angles corrected after the fact (a bias estimated later, taken off the past)."""
        self._zi = self._zi + np.asarray(d_deg, np.float64).reshape(3, 1)


class DrillAngles:
    """The two joint angles the drills count and check, for a placement and side.

    Foot: ``GyroAngles`` on the segment-frame angular rate (the foot's axes are the sensor's
    under the strapping convention, or the calibrated mounting's), because the foot is often far
    from upright (long sitting) where gravity-referenced tilt is distorted. Shank (upright in the
    shank drills): the core's tilt, absolute and drift-free; its ML tilt is lateral-positive, so
    it is turned into the +y convention here (``ml_y = lateral_sign · tilt_ml``).
    Output: ``(ap_deg, ml_deg)`` with ml toward the person's left (+y), like ``GyroAngles``.
    NaN tilt (no vertical reference yet) is held at the last valid value.
    """

    def __init__(self, fs_hz: float, placement: str, side: str,
                 bias_dps: FloatArray | None = None) -> None:
        self.use_gyro = placement == "foot"
        self.lat = 1.0 if side == "left" else -1.0
        self.gyro = GyroAngles(fs_hz, bias_dps=bias_dps)
        self._last = np.zeros(2)

    def update(self, t_s: FloatArray, tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray,
               gyr_dps: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self.use_gyro:
            ml, ap = self.gyro.update(t_s, gyr_dps)
            return ap, ml
        ap = fill_nan(np.asarray(tilt_ap_deg, np.float64), self._last[0])
        ml = fill_nan(np.asarray(tilt_ml_deg, np.float64), self._last[1]) * self.lat
        if ap.size:
            self._last = np.array([ap[-1], ml[-1] * self.lat])
        return ap, ml


def fill_nan(x: FloatArray, before: float = 0.0) -> FloatArray:
    """Forward-fill NaN (``before`` until the first valid value). Works on the runs of NaN, so a
    long recording costs one copy, not several index arrays of its length."""
    x = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(x)
    if not bad.any():
        return x
    edges = np.diff(np.concatenate(([False], bad, [False])).view(np.int8))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    fill = np.where(starts > 0, x[np.maximum(starts - 1, 0)], before)
    out = x.copy()
    out[bad] = np.repeat(fill, ends - starts)
    return out


def estimate_gyro_bias(t_s: FloatArray, gyr_dps: FloatArray, fs_hz: float,
                       still_dps: float = 6.0, min_s: float = 0.8) -> FloatArray:
    """The residual gyro bias (offline): the median rate over the still stretches of a sensor on
    a person — the core's one estimator (``trainer.core.stillness.gyro_bias``) with rate limits
    of ``still_dps``; zeros when nothing was still. (``fs_hz``: kept for the callers; the rate
    comes from ``t_s``.)"""
    limits = replace(ON_PERSON, gyr_std_dps=still_dps, gyr_mean_dps=still_dps)
    return gyro_bias(t_s, gyr_dps, None, limits, min_run_s=min_s, margin_s=0.0,
                     robust=True, spread=False).bias_dps


@dataclass
class Rep:
    """One counted repetition (times on the session clock, angles in degrees)."""

    index: int  # 1-based
    t_start_s: float  # onset: leaving the valley before the rep
    t_peak_s: float
    t_confirm_s: float  # when the detector knew (live latency = t_confirm - t_peak)
    amplitude_deg: float  # peak above the valley before it
    peak_deg: float  # signed-direction peak relative to the first neutral
    peak_raw_deg: float = 0.0  # the (low-passed) input angle at the peak
    t_end_s: float | None = None  # back near the valley (filled in when it happens)
    partial: bool = False  # below the level's range of motion: shown, not counted
    rise_cm: float | None = None  # calf raise: the sensor's vertical rise
    lean_deg: float | None = None  # calf raise on the shank: the shank's lean

    @property
    def duration_s(self) -> float | None:
        return None if self.t_end_s is None else self.t_end_s - self.t_start_s


class RepCounter:
    """Counts reps in one direction of an angle (``direction`` +1 / -1; 0 locks on the first rep).

    ``update(t_s, angle_deg)`` returns the reps confirmed in that batch; ``reps`` holds all of
    them (with ``t_end_s`` filled once the following valley is confirmed). With ``max_reps`` it
    stops right after the sample that confirms that many new reps; ``consumed`` says how many
    samples it used (feed the rest again later: the result is the same as one call).
    """

    def __init__(self, fs_hz: float, direction: int = 0, min_rom_deg: float = 6.0,
                 min_interval_s: float = 0.7, lowpass_hz: float = 3.0,
                 reversal_deg: float | None = None) -> None:
        if direction not in (-1, 0, 1):
            raise ValueError("direction must be -1, 0 or +1")
        self.direction = direction
        self.min_rom_deg = float(min_rom_deg)
        self.min_interval_s = float(min_interval_s)
        self.reversal_deg = (max(1.5, 0.4 * self.min_rom_deg) if reversal_deg is None
                             else float(reversal_deg))
        self.lowpass = LowPass(fs_hz, lowpass_hz)
        self.reps: list[Rep] = []
        # zig-zag state: tracking a maximum (+1) or a minimum (-1) since the last turning point;
        # extremes are [value, t_first, t_last on the plateau]
        self._mode = 0  # 0 until the first reversal decides
        self._ext = [0.0, 0.0, 0.0]
        self._hi = [0.0, 0.0, 0.0]  # before the first turning point: both extremes
        self._lo = [0.0, 0.0, 0.0]
        self._started = False
        self._last_valley: dict[int, tuple[float, float]] = {}  # direction -> (t, value)
        self._neutral: float | None = None
        # recent samples, to time a rep's onset once its amplitude is known
        self._buf_t = np.empty(0)
        self._buf_y = np.empty(0)
        self.consumed = 0  # samples used by the last update

    # ------------------------------------------------------------------ public
    def update(self, t_s: FloatArray, angle_deg: FloatArray,
               max_reps: int | None = None) -> list[Rep]:
        t = np.asarray(t_s, dtype=np.float64)
        x = np.asarray(angle_deg, dtype=np.float64)
        self.consumed = 0
        if t.size == 0 or (max_reps is not None and max_reps <= 0):
            return []
        zi0 = self.lowpass.state
        y = self.lowpass(x)
        new: list[Rep] = []
        i = 0
        if not self._started:
            self._started = True
            v0, t0 = float(y[0]), float(t[0])
            self._hi = [v0, t0, t0]
            self._lo = [v0, t0, t0]
            self._neutral = v0
        self._buf_t = np.concatenate([self._buf_t, t])
        self._buf_y = np.concatenate([self._buf_y, y])
        while i < t.size and (max_reps is None or len(new) < max_reps):
            scan = self._scan_undecided if self._mode == 0 else self._scan
            i = scan(t, y, i, new)
        if i < t.size:  # stopped early: forget the samples after the confirming one
            self.lowpass.state = zi0
            self.lowpass(x[:i])
            cut = self._buf_t.size - (t.size - i)
            self._buf_t, self._buf_y = self._buf_t[:cut], self._buf_y[:cut]
        self.consumed = i
        keep = self._buf_t >= t[i - 1] - BUFFER_S
        self._buf_t, self._buf_y = self._buf_t[keep], self._buf_y[keep]
        return new

    @property
    def count(self) -> int:
        return len(self.reps)

    # --------------------------------------------------------------- internals
    @property
    def _tol(self) -> float:
        """Values this close to an extreme belong to its plateau."""
        return 0.25 * self.reversal_deg

    def _track(self, ext: list[float], sgn: float, t: FloatArray, y: FloatArray,
               a: int, b: int) -> None:
        """Update extreme ``ext`` = [value, t_first, t_last] of sgn·y over samples a..b-1."""
        if b <= a:
            return
        seg = y[a:b] * sgn
        k = int(np.argmax(seg))
        if seg[k] > ext[0] * sgn:
            ext[0], ext[1] = float(y[a + k]), float(t[a + k])
        near = np.flatnonzero(seg >= ext[0] * sgn - self._tol)
        if near.size:
            ext[2] = max(ext[2], float(t[a + int(near[-1])]))

    def _scan_undecided(self, t: FloatArray, y: FloatArray, i: int, new: list[Rep]) -> int:
        """Before the first turning point: wait for a reversal of reversal_deg either way."""
        seg = y[i:]
        hi = np.maximum.accumulate(np.maximum(seg, self._hi[0]))
        lo = np.minimum.accumulate(np.minimum(seg, self._lo[0]))
        drop = np.flatnonzero(seg < hi - self.reversal_deg)
        rise = np.flatnonzero(seg > lo + self.reversal_deg)
        j_drop = int(drop[0]) if drop.size else None
        j_rise = int(rise[0]) if rise.size else None
        if j_drop is None and j_rise is None:
            self._track(self._hi, 1.0, t, y, i, y.size)
            self._track(self._lo, -1.0, t, y, i, y.size)
            return y.size
        j = j_drop if j_rise is None or (j_drop is not None and j_drop <= j_rise) else j_rise
        assert j is not None
        self._track(self._hi, 1.0, t, y, i, i + j)
        self._track(self._lo, -1.0, t, y, i, i + j)
        kind = 1 if j == j_drop else -1
        peak, valley = (self._hi, self._lo) if kind == 1 else (self._lo, self._hi)
        # the start counts as the valley before the first turning point
        self._last_valley[kind] = (valley[2], valley[0])
        self._turn(kind, peak, float(t[i + j]), new)
        self._mode = -kind
        self._ext = [float(y[i + j]), float(t[i + j]), float(t[i + j])]
        return i + j + 1

    def _scan(self, t: FloatArray, y: FloatArray, i: int, new: list[Rep]) -> int:
        """Track the running extreme of the current mode until the signal reverses."""
        mode = self._mode
        # look ahead in growing chunks: the reversal is usually near, and scanning the whole
        # rest of a long batch for every turning point would be quadratic
        a, step = i, SCAN_CHUNK
        while True:
            b = min(y.size, a + step)
            seg = y[a:b] * mode  # track a maximum of mode·y
            run = np.maximum.accumulate(np.maximum(seg, self._ext[0] * mode))
            rev = np.flatnonzero(seg < run - self.reversal_deg)
            if rev.size:
                break
            self._track(self._ext, float(mode), t, y, a, b)
            if b >= y.size:
                return y.size
            a, step = b, 2 * step
        end = a - i + int(rev[0])
        self._track(self._ext, float(mode), t, y, a, i + end)
        self._turn(mode, self._ext, float(t[i + end]), new)
        self._mode = -mode
        self._ext = [float(y[i + end]), float(t[i + end]), float(t[i + end])]
        return i + end + 1

    def _turn(self, kind: int, ext: list[float], t_confirm: float, new: list[Rep]) -> None:
        """A confirmed turning point: kind +1 a maximum, -1 a minimum of the raw angle.

        A maximum is a rep peak for direction +1 and a valley for direction -1, and vice versa.
        A peak is timed when first reached; a valley ends the previous rep when first reached and
        starts the next one when last on its plateau (the movement's onset).
        """
        v, t_first, t_last = ext
        for d in (1, -1):
            if d == kind:
                self._maybe_rep(d, t_first, v, t_confirm, new)
            else:
                self._last_valley[d] = (t_last, v)
                last = self.reps[-1] if self.reps else None
                if last is not None and self.direction == d and last.t_end_s is None:
                    last.t_end_s = self._rep_end(last, t_first)

    def _rep_end(self, rep: Rep, t_valley: float) -> float:
        """Back within EDGE_FRACTION of the way down to the local valley after the peak."""
        d = self.direction
        rise = max(rep.t_peak_s - rep.t_start_s, 0.2)
        t_lim = min(t_valley, rep.t_peak_s + 3.0 * rise + 1.0)
        lo, hi = np.searchsorted(self._buf_t, (rep.t_peak_s, t_lim), side="right")
        tt, yy = self._buf_t[lo:hi], self._buf_y[lo:hi] * d
        if tt.size == 0:
            return t_valley
        peak = rep.peak_raw_deg * d
        low = float(np.min(yy))
        back = np.flatnonzero(yy <= low + EDGE_FRACTION * (peak - low))
        return float(tt[back[0]]) if back.size else t_valley

    def _maybe_rep(self, d: int, t_peak: float, v_peak: float, t_confirm: float,
                   new: list[Rep]) -> None:
        if self.direction not in (0, d):
            return
        valley = self._last_valley.get(d)
        if valley is None:
            return
        t_valley, v_valley = valley
        amplitude = (v_peak - v_valley) * d
        if amplitude < self.min_rom_deg:
            return
        if self.reps and t_peak - self.reps[-1].t_peak_s < self.min_interval_s:
            return
        if self.direction == 0:
            self.direction = d  # lock on the first rep's direction
        neutral = self._neutral if self._neutral is not None else v_valley
        # onset: the last time within EDGE_FRACTION of the local valley before the peak
        lo = int(np.searchsorted(self._buf_t, max(t_valley, t_peak - ONSET_WINDOW_S)))
        hi = int(np.searchsorted(self._buf_t, t_peak, side="right"))
        tt, yy = self._buf_t[lo:hi], self._buf_y[lo:hi] * d
        t_onset = t_valley
        if tt.size:
            low = float(np.min(yy))
            near = np.flatnonzero(yy <= low + EDGE_FRACTION * (v_peak * d - low))
            if near.size:
                t_onset = float(tt[near[-1]])
        rep = Rep(index=len(self.reps) + 1, t_start_s=max(t_onset, t_valley), t_peak_s=t_peak,
                  t_confirm_s=t_confirm, amplitude_deg=float(amplitude),
                  peak_deg=float((v_peak - neutral) * d), peak_raw_deg=v_peak)
        self.reps.append(rep)
        new.append(rep)


def rep_summary(reps: list[Rep]) -> dict[str, Any]:
    """Count, range of motion (mean / max amplitude) and tempo (mean rep duration)."""
    amps = np.array([r.amplitude_deg for r in reps], dtype=np.float64)
    durs = np.array([r.duration_s for r in reps if r.duration_s is not None], dtype=np.float64)
    return {
        "reps": len(reps),
        "rom_deg": float(np.mean(amps)) if amps.size else 0.0,
        "rom_max_deg": float(np.max(amps)) if amps.size else 0.0,
        "tempo_s": float(np.mean(durs)) if durs.size else None,
        "rep_times_s": [round(r.t_peak_s, 3) for r in reps],
        "rep_amplitudes_deg": [round(r.amplitude_deg, 2) for r in reps],
    }


# ---------------------------------------------------------------------- holds


@dataclass(frozen=True)
class HoldInterval:
    t_start_s: float
    t_end_s: float
    angle_deg: float  # mean angle held (relative to the tracker's reference)
    movements: int  # stillness breaks during the hold

    @property
    def duration_s(self) -> float:
        return self.t_end_s - self.t_start_s


class StillnessMonitor:
    """Flags movement while a hold is active: angular rate or a drift of the held angle.

    ``begin(t)`` starts a hold. The person first gets into position (leans into a stretch,
    builds up a push), so nothing is flagged until the hold has *settled*: the first
    ``settle_s`` window inside the hold in which the (low-passed) angle stays within
    ``settle_band_deg`` (default 0.4 · ``move_deg``), the rate under ``still_dps`` and, for
    holds entered by a movement (a stretch: ``entry_deg`` > 0), the angle at least
    ``entry_deg`` away from where it was at ``begin`` (standing still before leaning in is not
    the held position); at the latest ``max_settle_s`` after ``begin``. The reference angle is
    that window's mean;
    from then on ``update(...)`` returns movement events (rising edges of "moving": rate above
    ``still_dps`` or the angle more than ``move_deg`` from the reference; at most one per
    ``refractory_s``). ``end(t)`` closes the hold and returns its interval (``angle_deg``: the
    mean angle since it settled). Chunk-invariant: the same events however the data is batched.
    """

    def __init__(self, fs_hz: float, still_dps: float = 12.0, move_deg: float = 4.0,
                 settle_s: float = 1.0, refractory_s: float = 1.5, lowpass_hz: float = 4.0,
                 settle_band_deg: float | None = None, max_settle_s: float = 8.0,
                 entry_deg: float = 0.0) -> None:
        self.still_dps = float(still_dps)
        self.move_deg = float(move_deg)
        self.settle_s = float(settle_s)
        self.settle_band_deg = (0.4 * self.move_deg if settle_band_deg is None
                                else float(settle_band_deg))
        self.max_settle_s = float(max_settle_s)
        self.entry_deg = float(entry_deg)
        self.refractory_s = float(refractory_s)
        self._settle_n = max(1, round(self.settle_s * float(fs_hz)))
        self._rate_lp = LowPass(fs_hz, lowpass_hz)
        self._ang_lp = LowPass(fs_hz, lowpass_hz)
        self._active = False
        self._t0 = 0.0
        self._ref: float | None = None
        self._t_settled: float | None = None
        self._pre = np.empty((3, 0))  # t, angle, rate of the hold before it settled
        self._moving = False
        self._last_event_t = -np.inf
        self._movements = 0
        self._ang_sum = 0.0
        self._ang_n = 0
        self.intervals: list[HoldInterval] = []

    @property
    def active(self) -> bool:
        return self._active

    @property
    def reference_deg(self) -> float | None:
        """The held angle movements are measured from (None until the hold has settled)."""
        return self._ref

    @property
    def t_settled_s(self) -> float | None:
        """When the hold settled (checking starts after this sample), or None."""
        return self._t_settled

    def begin(self, t_s: float) -> None:
        self._active = True
        self._t0 = float(t_s)
        self._ref, self._t_settled = None, None
        self._pre = np.empty((3, 0))
        self._moving = False
        self._movements = 0
        self._ang_sum, self._ang_n = 0.0, 0

    def end(self, t_s: float) -> HoldInterval | None:
        if not self._active:
            return None
        self._active = False
        if self._ang_n:
            angle = self._ang_sum / self._ang_n
        else:  # never settled: the mean over the whole hold
            angle = float(np.mean(self._pre[1])) if self._pre.shape[1] else 0.0
        iv = HoldInterval(self._t0, float(t_s), angle, self._movements)
        self.intervals.append(iv)
        return iv

    def update(self, t_s: FloatArray, angle_deg: FloatArray, gyr_dps: FloatArray
               ) -> list[dict[str, Any]]:
        t = np.asarray(t_s, dtype=np.float64)
        rate = self._rate_lp(np.linalg.norm(np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3),
                                            axis=1)) if t.size else np.empty(0)
        ang = self._ang_lp(np.asarray(angle_deg, dtype=np.float64))
        if not self._active or t.size == 0:
            return []
        in_hold = t >= self._t0
        if not np.any(in_hold):
            return []
        t, rate, ang = t[in_hold], rate[in_hold], ang[in_hold]
        if self._ref is None:
            k = self._settle(t, ang, rate)
            if k is None:
                return []
            t, rate, ang = t[k:], rate[k:], ang[k:]
        self._ang_sum += float(np.sum(ang))
        self._ang_n += int(ang.size)
        if t.size == 0:
            return []
        ref = self._ref
        assert ref is not None
        moving = (rate > self.still_dps) | (np.abs(ang - ref) > self.move_deg)
        prev = np.concatenate(([self._moving], moving[:-1]))
        edges = np.flatnonzero(moving & ~prev)
        self._moving = bool(moving[-1])
        events: list[dict[str, Any]] = []
        for e in edges.tolist():
            tk = float(t[e])
            if tk - self._last_event_t < self.refractory_s:
                continue
            self._last_event_t = tk
            self._movements += 1
            events.append({"t_s": round(tk, 4), "type": "movement_during_hold",
                           "rate_dps": round(float(rate[e]), 1),
                           "drift_deg": round(float(ang[e] - ref), 2)})
        return events

    def _settle(self, t: FloatArray, ang: FloatArray, rate: FloatArray) -> int | None:
        """Look for the settled window among windows ending at these (new) samples; sets the
        reference and returns the index of the first sample to check, or None (not yet)."""
        m = t.size
        self._pre = np.concatenate([self._pre, np.stack([t, ang, rate])], axis=1)
        n_all, w = self._pre.shape[1], self._settle_n
        first_end = max(n_all - m, w - 1)  # windows ending at earlier samples were judged then
        hit: int | None = None  # index into _pre of the settling window's last sample
        if first_end < n_all:
            a = self._pre[1, first_end - w + 1:]
            r = self._pre[2, first_end - w + 1:]
            ok = ((_trailing(a, w, "max") - _trailing(a, w, "min") <= self.settle_band_deg)
                  & (_trailing(r, w, "max") <= self.still_dps))
            if self.entry_deg > 0:  # in the held position: away from the angle at the start
                c = np.concatenate(([0.0], np.cumsum(a)))
                mean = (c[w:] - c[:-w]) / w
                ok &= np.abs(mean - self._pre[1, 0]) >= self.entry_deg
            if ok.any():
                hit = first_end + int(np.argmax(ok))
        late = np.flatnonzero(t >= self._t0 + self.max_settle_s)
        if late.size and (hit is None or n_all - m + int(late[0]) < hit):
            hit = n_all - m + int(late[0])  # not settled in time: start checking anyway
        if hit is None:
            return None
        window = self._pre[1, max(0, hit - w + 1):hit + 1]
        self._ref = float(np.mean(window))
        self._t_settled = float(self._pre[0, hit])
        self._pre = self._pre[:, :hit + 1]
        return hit + 1 - (n_all - m)


def _trailing(x: FloatArray, w: int, kind: str) -> FloatArray:
    """Max or min of each full window of ``w`` samples of x, in order (the windows ending at
    x[w-1], x[w], …) in O(n) (van Herk / Gil-Werman: running extremes within blocks of w, from
    either end; numpy only), not an n×w view (an hour at 400 Hz with 1 s windows)."""
    y = np.asarray(x, np.float64) * (1.0 if kind == "max" else -1.0)
    n = y.size
    if w <= 1 or n < w:
        return y[: max(n - w + 1, 0)] * (1.0 if kind == "max" else -1.0)
    pad = -(-n // w) * w - n
    blocks = np.concatenate([y, np.full(pad, -np.inf)]).reshape(-1, w)
    prefix = np.maximum.accumulate(blocks, axis=1).ravel()
    suffix = np.maximum.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    out = np.maximum(suffix[: n - w + 1], prefix[w - 1:n])
    return out * (1.0 if kind == "max" else -1.0)


def true_runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """[a, b) ranges where mask is True."""
    m = np.concatenate(([False], np.asarray(mask, dtype=bool), [False]))
    d = np.diff(m.astype(np.int8))
    starts, stops = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return list(zip(starts.tolist(), stops.tolist(), strict=True))
