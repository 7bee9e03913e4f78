"""Calf raises with the sensor on the shank: the ankle's rise, confirmed by the shank's turn.

In real heel raises the shank rises with the heel (4-6 cm) and turns a few degrees, but *how* it
turns depends on the person: a forward lean for one, a twist about the shank's long axis for
another (Phan et al. 2024 data, both shanks of one person). So the rise finds the reps and the
turn only confirms them, about whatever axis it happens:

1. A band-limited height of the sensor (high-passed vertical acceleration, two leaky
   integrals: linear and stateful, so batch-invariant) marks candidate rises: a zig-zag
   ``RepCounter`` on it, in cm.
2. Once a candidate is back down (its way down has slowed to ``END_FRACTION`` of its
   fastest, a gap in the data, or a time-out), its rise is measured exactly: double
   integration of the vertical acceleration between onset and end with zero velocity and
   height at both ends (``rise_between``, the zero-velocity update of foot-mounted
   navigation), and its turn: the largest rotation away from the pose at onset and end
   (the gyro integral with the line between its values at both ends removed, so a constant
   gyro bias cancels), about any axis.
3. A rep rises at least ``min_rise_cm`` *and* turns at least ``min_turn_deg``: sway and a
   jolt of the accelerometer do not count. Its ROM is the foot angle that lifts the ankle as
   far (``foot_angle_from_rise``).

Live and offline run this same code; what it counts does not depend on the batching (a rep is
confirmed at one sample: the first after its window). Pure numpy/scipy.
"""

from __future__ import annotations

import copy
import itertools
import math

import numpy as np

from trainer.core import iir
from trainer.drills.detectors import FloatArray, LowPass, Rep, RepCounter

G = 9.80665
MIN_RISE_CM = 0.7  # a shank "rep" that rises less is sway, not a heel raise
MIN_TURN_DEG = 2.0  # … and one that does not turn the shank is a jolt
HEIGHT_HIGHPASS_HZ = 0.1  # slow reps (5 s) need a low cut-off; gaps restart the filters
PROXY_MIN_CM = 1.0  # candidate rises on the band-limited height
PROXY_REVERSAL_CM = 0.8
END_SPEED_MPS = 0.02  # a rep is back down once it has gone down at least this fast …
END_FRACTION = 0.1  # … and slowed to a tenth of its fastest way down
MARGIN_S = 0.15  # the window reaches this far either side of the rep
GAP_S = 0.25  # a gap in the data ends a window (nothing to integrate across)
MAX_DOWN_S = 4.0  # a rep not back down by then is measured up to there
BUFFER_S = 60.0
SENSOR_FRONT_M = 0.035  # the strap's centre: in front of the shin's axis …
SENSOR_UP_M = 0.10  # … and above the ankle joint


class HeightProxy:
    """Band-limited height of the sensor (cm) from its vertical acceleration (g, gravity
    removed): the acceleration's slow level (the accelerometer's offset, a tilt error)
    removed, then two leaky integrals over each sample's own time step.

    The level is the running mean of the samples so far until the running mean is as slow as
    an exponential average at ``highpass_hz`` (≈1.6 s at 0.1 Hz), that average from then on:
    a high-pass that needs no settling time, so the first rep of a set is not lost in a
    start-up drift (a first-order high-pass started on one noisy sample drifts by cm). A gap
    in the data (longer than ``GAP_S``) starts it again at rest: nothing is known across it."""

    def __init__(self, fs_hz: float, highpass_hz: float = HEIGHT_HIGHPASS_HZ) -> None:
        self.fs_hz = float(fs_hz)
        self.k = float(np.exp(-2.0 * np.pi * highpass_hz / self.fs_hz))
        self._n_mean = math.ceil(1.0 / (1.0 - self.k))  # samples of running mean
        self._n = 0
        self._sum = 0.0
        self._level = 0.0
        self._zv = np.zeros(1)
        self._zh = np.zeros(1)
        self._t_last: float | None = None

    def __call__(self, t_s: FloatArray, acc_v_g: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(height cm, vertical velocity m/s), both band-limited."""
        t = np.asarray(t_s, np.float64)
        a = np.asarray(acc_v_g, np.float64) * G
        if a.size == 0:
            return a.copy(), a.copy()
        prev = t[0] - 1.0 / self.fs_hz if self._t_last is None else self._t_last
        dt = np.diff(t, prepend=prev)
        self._t_last = float(t[-1])
        cuts = [0, *np.flatnonzero(dt > GAP_S).tolist(), t.size]
        hs, vs = [], []
        for i, j in itertools.pairwise(cuts):
            if j <= i:
                continue
            if i > 0 or dt[0] > GAP_S:
                self._n, self._sum = 0, 0.0
                self._zv, self._zh = np.zeros(1), np.zeros(1)
            h, v = self._segment(a[i:j], np.clip(dt[i:j], 0.0, 2.0 / self.fs_hz))
            hs.append(h)
            vs.append(v)
        return np.concatenate(hs), np.concatenate(vs)

    def _segment(self, a: FloatArray, dt: FloatArray) -> tuple[FloatArray, FloatArray]:
        level = np.empty_like(a)
        m = min(max(self._n_mean - self._n, 0), a.size)  # still in the running mean
        if m:
            csum = self._sum + np.cumsum(a[:m])
            level[:m] = csum / (self._n + 1 + np.arange(m))
            self._sum = float(csum[-1])
            self._level = float(level[m - 1])
        if m < a.size:
            y, _ = iir.lfilter([1.0 - self.k], [1.0, -self.k], a[m:],
                               zi=np.array([self.k * self._level]))
            level[m:] = y
            self._level = float(y[-1])
        self._n += a.size
        v, self._zv = iir.lfilter([1.0], [1.0, -self.k], (a - level) * dt, zi=self._zv)
        h, self._zh = iir.lfilter([1.0], [1.0, -self.k], v * dt, zi=self._zh)
        return np.asarray(100.0 * h, np.float64), np.asarray(v, np.float64)


def rise_between(t_s: FloatArray, acc_vertical_g: FloatArray, i0: int, i1: int) -> float:
    """Peak rise (m) of the sensor between two moments it is at the same height and at rest
    (a rep's onset and end): double integration of the vertical acceleration with the velocity
    forced to zero at both ends and the height to return to its start (linear drift removal,
    the zero-velocity update of foot-mounted navigation)."""
    if i1 - i0 < 3:
        return 0.0
    t = np.asarray(t_s[i0:i1], dtype=np.float64)
    a = np.nan_to_num(np.asarray(acc_vertical_g[i0:i1], dtype=np.float64)) * G
    dt = np.diff(t, prepend=t[0])
    v = np.cumsum(a * dt)
    v = v - (t - t[0]) / max(t[-1] - t[0], 1e-9) * v[-1]
    z = np.cumsum(v * dt)
    z = z - (t - t[0]) / max(t[-1] - t[0], 1e-9) * z[-1]
    return float(np.max(z))


def turn_between(t_s: FloatArray, theta_deg: FloatArray, i0: int, i1: int) -> float:
    """Largest rotation (degrees, any axis) away from the pose the segment has at both ends:
    the integrated angular rate with the line between its end values removed."""
    if i1 - i0 < 3:
        return 0.0
    t = t_s[i0:i1]
    th = theta_deg[i0:i1]
    w = ((t - t[0]) / max(float(t[-1] - t[0]), 1e-9))[:, None]
    dev = th - th[0] - w * (th[-1] - th[0])
    return float(np.sqrt(np.max(np.einsum("ij,ij->i", dev, dev))))


def foot_angle_from_rise(rise_m: float, ankle_behind_m: float = 0.14,
                         ankle_above_m: float = 0.08) -> float:
    """Foot angle (degrees) that lifts the ankle by ``rise_m`` when the foot pivots on the
    forefoot: the ankle sits ``ankle_behind_m`` behind and ``ankle_above_m`` above the MTP
    joints, so rise = L·sin φ − h·(1 − cos φ)."""
    r = math.hypot(ankle_behind_m, ankle_above_m)
    gamma = math.atan2(ankle_above_m, ankle_behind_m)
    x = (max(rise_m, 0.0) + ankle_above_m) / r
    return math.degrees(math.asin(min(x, 1.0)) - gamma)


def foot_angle_on_shank(rise_m: float, turn_deg: float) -> float:
    """The foot angle of a calf raise measured on the shank: the strap sits in front of the
    shin above the ankle, so a forward lean lowers it a little against the ankle."""
    lean = math.radians(turn_deg)
    ankle = rise_m + SENSOR_FRONT_M * math.sin(lean) + SENSOR_UP_M * (1 - math.cos(lean))
    return foot_angle_from_rise(ankle)


class RiseReps:
    """Shank calf raises, batch by batch or at once (see the module docstring).

    ``update(t_s, gyr_dps, acc_v_g, max_reps=None)`` returns the reps confirmed in that call;
    with ``max_reps`` it stops right after the sample confirming that many, and ``consumed``
    says how many samples it used (feed the rest again later: same result as one call).
    ``gyr_dps``: bias need not be removed (it cancels in the turn)."""

    def __init__(self, fs_hz: float, min_rise_cm: float = MIN_RISE_CM,
                 min_turn_deg: float = MIN_TURN_DEG, min_interval_s: float = 0.7) -> None:
        self.fs_hz = float(fs_hz)
        self.min_rise_cm = float(min_rise_cm)
        self.min_turn_deg = float(min_turn_deg)
        self.height = HeightProxy(fs_hz)
        self.smooth = LowPass(fs_hz, 3.0)  # the velocity smoothed like the counter's height
        self.counter = RepCounter(fs_hz, direction=1, min_rom_deg=PROXY_MIN_CM,
                                  min_interval_s=min_interval_s, lowpass_hz=3.0,
                                  reversal_deg=PROXY_REVERSAL_CM)
        self._t = np.empty(0)
        self._av = np.empty(0)
        self._v = np.empty(0)
        self._th = np.empty((0, 3))
        self._theta = np.zeros(3)
        self._t_last: float | None = None
        self.pending: list[Rep] = []  # candidate rises not yet back down
        self.reps: list[Rep] = []
        self.consumed = 0

    def update(self, t_s: FloatArray, gyr_dps: FloatArray, acc_v_g: FloatArray,
               max_reps: int | None = None) -> list[Rep]:
        t = np.asarray(t_s, np.float64).reshape(-1)
        self.consumed = 0
        if t.size == 0 or (max_reps is not None and max_reps <= 0):
            return []
        g = np.asarray(gyr_dps, np.float64).reshape(-1, 3)
        av = np.nan_to_num(np.asarray(acc_v_g, np.float64).reshape(-1))
        if max_reps is None:
            new = [r for r, _ in self._run(t, g, av)]
            self.consumed = t.size
            return new
        before = copy.deepcopy(self.__dict__)
        found = self._run(t, g, av)
        if len(found) < max_reps:
            self.consumed = t.size
            return [r for r, _ in found]
        k = found[max_reps - 1][1] + 1  # the sample confirming the last rep wanted
        self.__dict__ = before  # and again, on the samples up to it only
        new = [r for r, _ in self._run(t[:k], g[:k], av[:k])]
        self.consumed = k
        return new

    def flush(self) -> list[Rep]:
        """The end of the recording: candidates still open are measured up to its last
        sample (offline over a whole recording; a guided set ends with its grace period)."""
        out: list[Rep] = []
        while self.pending:
            done = self._finish(self.pending.pop(0), final=True)
            if done is not None and done[0] is not None:
                self.reps.append(done[0])
                out.append(done[0])
        return out

    def _run(self, t: FloatArray, g: FloatArray, av: FloatArray) -> list[tuple[Rep, int]]:
        """Feed samples; the reps confirmed, with the index (in ``t``) of the confirming one."""
        prev = t[0] - 1.0 / self.fs_hz if self._t_last is None else self._t_last
        dt = np.clip(np.diff(t, prepend=prev), 0.0, 2.0 / self.fs_hz)
        self._t_last = float(t[-1])
        th = self._theta + np.cumsum(g * dt[:, None], axis=0)
        self._theta = th[-1].copy()
        h, v = self.height(t, av)
        base = self._t.size
        self._t = np.concatenate([self._t, t])
        self._av = np.concatenate([self._av, av])
        self._v = np.concatenate([self._v, self.smooth(v)])
        self._th = np.concatenate([self._th, th])
        self.pending += self.counter.update(t, h)
        out: list[tuple[Rep, int]] = []
        while self.pending:
            done = self._finish(self.pending[0])
            if done is None:
                break
            self.pending.pop(0)
            rep, j = done
            if rep is not None:
                self.reps.append(rep)
                out.append((rep, j - base))
        self._trim()
        return out

    def _finish(self, c: Rep, final: bool = False) -> tuple[Rep | None, int] | None:
        """Measure a candidate once its window is complete: (the rep or None, the index of the
        confirming sample in the buffer); None while its window is still open (``final``: the
        data ends here, measure up to its last sample)."""
        t = self._t
        p = int(np.searchsorted(t, c.t_peak_s))
        # the window ends by MAX_DOWN_S after the peak: look no further (plus the first sample
        # past it, wherever it lies), or a long recording analysed at once gets quadratic
        q = int(np.searchsorted(t, c.t_peak_s + MAX_DOWN_S + 2 * MARGIN_S, side="right")) + 1
        after = t[p:q]
        v = self._v[p:q]
        fastest = np.minimum.accumulate(v)  # the way down so far (negative)
        down = np.flatnonzero((fastest < -END_SPEED_MPS) & (v > END_FRACTION * fastest))
        gap = np.flatnonzero(np.diff(after) > GAP_S)
        late = np.flatnonzero(after >= c.t_peak_s + MAX_DOWN_S)
        ends = [p + int(x[0]) for x in (down, late) if x.size]
        stop = p + int(gap[0]) + 1 if gap.size else None  # first sample after a gap
        if stop is not None:
            ends.append(stop - 1)
        if not ends:
            if not final:
                return None
            ends.append(t.size - 1)
        e = min(ends)
        j = int(np.searchsorted(t, t[e] + MARGIN_S))  # first sample past the window
        if stop is not None and stop > e:
            j = min(j, stop)
        if j >= t.size:
            if not final:
                return None
            j = t.size
        i0 = int(np.searchsorted(t, c.t_start_s - MARGIN_S))
        gaps_before = np.flatnonzero(np.diff(t[i0:p + 1]) > GAP_S)
        if gaps_before.size:  # start after the last gap before the peak
            i0 += int(gaps_before[-1]) + 1
        rise_cm = 100.0 * rise_between(t, self._av, i0, j)
        turn = turn_between(t, self._th, i0, j)
        if rise_cm < self.min_rise_cm or turn < self.min_turn_deg:
            return None, j
        if self.reps and c.t_peak_s - self.reps[-1].t_peak_s < self.counter.min_interval_s:
            return None, j
        foot = foot_angle_on_shank(rise_cm / 100.0, turn)
        rep = Rep(index=len(self.reps) + 1, t_start_s=c.t_start_s, t_peak_s=c.t_peak_s,
                  t_confirm_s=float(t[min(j, t.size - 1)]), amplitude_deg=foot, peak_deg=foot,
                  peak_raw_deg=foot, t_end_s=float(t[e]), rise_cm=rise_cm, lean_deg=turn)
        return rep, j

    def _trim(self) -> None:
        if not self._t.size:
            return
        keep_from = self._t[-1] - BUFFER_S
        if self.pending:
            keep_from = min(keep_from, self.pending[0].t_start_s - 2 * MARGIN_S - GAP_S)
        k = int(np.searchsorted(self._t, keep_from))
        if k:
            self._t, self._av = self._t[k:], self._av[k:]
            self._v, self._th = self._v[k:], self._th[k:]
