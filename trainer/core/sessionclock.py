"""One session clock for several sensors: each device's own time mapped onto the host's clock.

Every sensor stamps its samples with its own clock (a µs counter, or a sample counter at a
nominal rate), which starts at its own zero and runs a little fast or slow (crystals: ±100 ppm
and more). To put two or three sensors on one time base we map each device time ``t_dev`` onto
the host's monotonic clock::

    arrival = offset + (1 + drift) · t_dev + latency,     latency ≥ 0

``arrival`` is when the notification carrying the sample reached the host. BLE delivers samples
in bursts at connection events (7.5 ms … 100 ms apart, different per sensor), so the latency of a
sample varies by up to a connection interval plus jitter — arrival times alone are off by that
much. But the *minimum* latency is the radio + host stack floor, which is the same for every
sensor on one host: the lower envelope of ``arrival − t_dev`` is a line whose intercept is the
offset (plus that common floor) and whose slope is the drift. We estimate that line online as
Moon, Skelly & Towsley (1999, "Estimation and removal of clock skew from network delay
measurements", IEEE INFOCOM) do for network clocks: the line under all points that minimises
the summed distance to them — the lower-convex-hull edge spanning the mean time. Points are the
lowest residual in each ``window_s`` of device time, over the last ``history_s``.

Pure numpy (``trainer.core``): the caller passes arrival times; no clocks are read here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ClockFit:
    """``host = t_dev + offset_s + drift · (t_dev − t_ref_s)``."""

    offset_s: float
    drift: float
    t_ref_s: float
    points: int

    def to_host(self, t_dev: FloatArray) -> FloatArray:
        return t_dev + self.offset_s + self.drift * (t_dev - self.t_ref_s)

    @property
    def drift_ppm(self) -> float:
        return self.drift * 1e6


def lower_hull(x: FloatArray, y: FloatArray) -> list[int]:
    """Indices of the lower convex hull of points sorted by ``x`` (Andrew's monotone chain)."""
    hull: list[int] = []
    for i in range(len(x)):
        while len(hull) >= 2:
            a, b = hull[-2], hull[-1]
            cross = (x[b] - x[a]) * (y[i] - y[a]) - (y[b] - y[a]) * (x[i] - x[a])
            if cross <= 0:  # b lies on or above the chord a→i: not on the lower hull
                hull.pop()
            else:
                break
        hull.append(i)
    return hull


def envelope_line(x: FloatArray, y: FloatArray, max_slope: float) -> tuple[float, float]:
    """``(slope, intercept)`` of the line below every point that minimises the summed vertical
    distance to them (Moon et al. 1999): the lower-hull edge that spans the mean of ``x``.
    The slope is bounded to ±``max_slope``; the line then still touches the points from below."""
    if len(x) == 1:
        return 0.0, float(y[0])
    hull = lower_hull(x, y)
    mean_x = float(x.mean())
    slope = 0.0
    for a, b in pairwise(hull):
        if x[a] <= mean_x <= x[b] and x[b] > x[a]:
            slope = float((y[b] - y[a]) / (x[b] - x[a]))
            break
    slope = min(max(slope, -max_slope), max_slope)
    intercept = float(np.min(y - slope * x))
    return slope, intercept


class DeviceClock:
    """Online estimate of one device's offset and drift against the host clock.

    ``observe(t_dev, arrival)``: device time of a notification's last sample and its arrival.
    Until ``min_span_s`` of device time is covered the drift is taken as 0 and the offset is
    the lowest residual seen (so the first samples are already close); after that the drift is
    shrunk toward 0 while the span is short against ``drift_prior_s`` (latency noise over a
    few seconds looks like hundreds of ppm; crystals are within ±``max_drift``).
    """

    def __init__(self, *, window_s: float = 1.0, history_s: float = 300.0,
                 min_span_s: float = 4.0, max_drift: float = 5e-4,
                 restart_s: float = 1.0, drift_prior_s: float = 10.0,
                 step_s: float = 0.008, step_windows: int = 5) -> None:
        self.window_s = window_s
        self.restart_s = restart_s
        self.drift_prior_s = drift_prior_s
        self.step_s = step_s
        self.step_windows = step_windows
        self.steps = 0  # discontinuities of the device time handled
        self.min_span_s = min_span_s
        self.max_drift = max_drift
        self._pts: deque[tuple[float, float]] = deque(maxlen=max(3, int(history_s / window_s)))
        self._win_start: float | None = None
        self._win_min: tuple[float, float] | None = None  # (t_dev, residual)
        self._fit: ClockFit | None = None
        self.n_pairs = 0

    def observe(self, t_dev: ArrayLike, arrival_s: ArrayLike) -> None:
        t = np.atleast_1d(np.asarray(t_dev, dtype=np.float64))
        a = np.atleast_1d(np.asarray(arrival_s, dtype=np.float64))
        ok = np.isfinite(t) & np.isfinite(a)
        for td, r in zip(t[ok].tolist(), (a[ok] - t[ok]).tolist(), strict=True):
            self._one(td, r)

    def _below_line(self, t_dev: float, residual: float) -> float:
        """How far a residual lies below the fitted envelope (positive: below)."""
        fit = self._fit
        if fit is None:
            return 0.0
        return fit.offset_s + fit.drift * (t_dev - fit.t_ref_s) - residual

    def _one(self, t_dev: float, residual: float) -> None:
        self.n_pairs += 1
        last = self._pts[-1][0] if self._pts else self._win_start
        if last is not None and t_dev < last - self.restart_s:  # the device clock restarted
            self.reset()
            self.n_pairs = 1
        elif self._fit is not None and self._fit.points >= 3 \
                and self._below_line(t_dev, residual) > self.step_s:
            # latency cannot be negative: the device time jumped ahead (a sample counter
            # that counted a gap that was not there, a clock step): start the fit again here
            n = self.n_pairs
            self.reset()
            self.n_pairs = n
            self.steps += 1
        if self._win_start is None:
            self._win_start = t_dev
        if self._win_min is None or residual < self._win_min[1]:
            self._win_min = (t_dev, residual)
            if self._fit is None or self._fit.points < 2:
                self._refit()
        if t_dev - self._win_start >= self.window_s:
            self._pts.append(self._win_min)
            self._win_start = t_dev
            self._win_min = None
            self._refit()
            self._check_behind()

    def _check_behind(self) -> None:
        """The last ``step_windows`` window minima all above the envelope by ``step_s``: the
        device time fell behind (samples lost that its counter did not count): start the fit
        again from those windows."""
        k = self.step_windows
        if self._fit is None or len(self._pts) < k + 3:
            return
        recent = list(self._pts)[-k:]
        if all(-self._below_line(t, r) > self.step_s for t, r in recent):
            self._pts.clear()
            self._pts.extend(recent)
            self.steps += 1
            self._refit()

    def reset(self) -> None:
        """Forget everything (a device whose clock restarted)."""
        self._pts.clear()
        self._win_start = None
        self._win_min = None
        self._fit = None

    def _refit(self) -> None:
        pts = list(self._pts) + ([self._win_min] if self._win_min is not None else [])
        if not pts:
            return
        arr = np.asarray(pts, dtype=np.float64)
        x, y = arr[:, 0], arr[:, 1]
        t_ref = float(x[0])
        span = float(x[-1] - x[0])
        if len(pts) >= 3 and span >= self.min_span_s:
            slope, _ = envelope_line(x - t_ref, y, self.max_drift)
            # over a short span the envelope's slope is mostly latency noise: trust it in
            # proportion to span² / (span² + prior²), then let the line touch from below
            slope *= span * span / (span * span + self.drift_prior_s ** 2)
            intercept = float(np.min(y - slope * (x - t_ref)))
        else:
            slope, intercept = 0.0, float(y.min())
        self._fit = ClockFit(offset_s=intercept, drift=slope, t_ref_s=t_ref, points=len(pts))

    @property
    def fit(self) -> ClockFit | None:
        return self._fit

    def to_host(self, t_dev: ArrayLike) -> FloatArray:
        t = np.asarray(t_dev, dtype=np.float64)
        if self._fit is None:
            raise ValueError("no clock pairs observed yet")
        return self._fit.to_host(t)


class SessionClock:
    """Several devices on one time base: ``t_session = host(t_dev) − origin_s``.

    ``origin_s`` is a host time (the session's start). Roles without clock pairs (simulated or
    replayed sensors, already on the session clock) pass through unchanged. Mapped times never
    go backwards per role (an estimate that moves earlier holds the time until it catches up)."""

    def __init__(self, origin_s: float, **device_options: Any) -> None:
        self.origin_s = float(origin_s)
        self._options = device_options
        self.devices: dict[str, DeviceClock] = {}
        self._last: dict[str, float] = {}
        # recent (device time, session time) of mapped samples, to place events among them
        self._recent: dict[str, deque[tuple[FloatArray, FloatArray]]] = {}

    def observe(self, role: str, t_dev: ArrayLike, arrival_s: ArrayLike) -> None:
        dev = self.devices.get(role)
        if dev is None:
            dev = self.devices[role] = DeviceClock(**self._options)
        dev.observe(t_dev, arrival_s)

    def map(self, role: str, t_dev: ArrayLike, key: ArrayLike | None = None) -> FloatArray:
        """Session times of device times ``t_dev``; ``key``: the times the source stamped the
        same samples with (what its events refer to, see :meth:`map_event`; default
        ``t_dev``)."""
        t = np.asarray(t_dev, dtype=np.float64)
        dev = self.devices.get(role)
        if dev is None or dev.fit is None or not t.size:
            return t.copy()
        out = dev.to_host(t) - self.origin_s
        last = self._last.get(role, -np.inf)
        out = np.maximum(out, np.maximum.accumulate(np.concatenate(([last], out)))[1:])
        self._last[role] = float(out[-1])
        k = t if key is None else np.asarray(key, dtype=np.float64)
        self._recent.setdefault(role, deque(maxlen=16)).append((k, out))
        return out

    def map_event(self, role: str, t_dev: float) -> float:
        """Session time of an event stamped like the samples' ``key`` (a gap, a link loss),
        placed among the samples already mapped: the nearest mapped sample plus the time
        difference (so a gap lands between the samples around it even while the fit moves)."""
        recent = self._recent.get(role)
        if recent:
            t = np.concatenate([a for a, _ in recent])
            m = np.concatenate([b for _, b in recent])
            k = int(np.argmin(np.abs(t - t_dev)))
            return float(m[k] + (t_dev - t[k]))
        dev = self.devices.get(role)
        if dev is None or dev.fit is None:
            return float(t_dev)
        return float(dev.to_host(t_dev)) - self.origin_s

    def report(self) -> dict[str, Any]:
        """Per role: the estimated drift (ppm) and offset, for ``session.json``."""
        out: dict[str, Any] = {}
        for role, dev in self.devices.items():
            fit = dev.fit
            if fit is None:
                continue
            out[role] = {"drift_ppm": round(fit.drift_ppm, 2), "steps": dev.steps,
                         "offset_s": round(fit.offset_s + fit.drift * -fit.t_ref_s
                                           - self.origin_s, 6),
                         "envelope_points": fit.points, "pairs": dev.n_pairs}
        return out


# -- measuring the alignment: one event seen by every sensor ---------------------------------------
#: A front counts as the shared event on a sensor when its |acc| changes by at least this much…
SHARED_MIN_STEP_G = 0.5
#: …at least this fraction as steeply as on the sensor that feels it most (a tap or a jump's
#: landing reaches every strapped segment; a lifted foot's touchdown barely reaches the trunk).
SHARED_MIN_RATE_RATIO = 0.2
#: Fronts tried per sensor when no time is given (its sharpest ones, at least 0.5 s apart).
CANDIDATES_PER_SENSOR = 5
#: Why there is no alignment (``analyze --json``: ``sensors.alignment_note``).
NO_SHARED_EVENT = "no shared tap or jump found: tap or jump once with all sensors on"


@dataclass(frozen=True, slots=True)
class Alignment:
    """Times of one shared event (a tap or a jump's landing) on each sensor, on the session clock.

    ``offsets_ms`` are each sensor's event time minus the reference's (the first role given);
    ``max_abs_ms`` is the largest pairwise difference — the alignment error."""

    event_t_s: dict[str, float]
    offsets_ms: dict[str, float]
    max_abs_ms: float
    source: str = "sharpest shared front"

    def as_json(self) -> dict[str, Any]:
        return {"method": "shared event: half-way crossing of |acc| at its steepest front",
                "event": self.source,
                "event_t_s": {k: round(v, 5) for k, v in self.event_t_s.items()},
                "offsets_ms": {k: round(v, 3) for k, v in self.offsets_ms.items()},
                "max_abs_ms": round(self.max_abs_ms, 3)}


@dataclass(frozen=True, slots=True)
class Front:
    """A steep change of ``|acc|``: its half-way time, steepest rate (g/s) and height (g)."""

    t_s: float
    rate_g_s: float
    step_g: float


def event_onset_s(t_s: FloatArray, acc_g: FloatArray, *, near_s: float | None = None,
                  search_s: float = 0.5, baseline_s: float = 0.5,
                  front_s: float = 0.06) -> float | None:
    """Time of the sharpest acceleration event (a tap, a jump's landing, a foot striking the
    floor). The first steep change of ``|acc|`` finds the event's front; its time is where ``|acc|``
    crosses halfway between its level just before the front and its extreme just after
    (within ``front_s``), linearly interpolated between samples (sub-sample, and the same for
    every sample rate). Levels taken right at the front, not from a long baseline: slow
    movements around the event (a fall, a sway) move the level differently on each segment.
    ``near_s``: look within ±``search_s`` of it (else the whole signal). None: nothing stands
    out (steepest change below 8× the noise of the ``baseline_s`` before, or below 5 g/s)."""
    front = event_front(t_s, acc_g, near_s=near_s, search_s=search_s, baseline_s=baseline_s,
                        front_s=front_s)
    return None if front is None else front.t_s


def _norm_rate(t: FloatArray, acc: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``|acc|`` and its rate between samples k and k+1 (0 where time does not advance)."""
    norm = np.sqrt(np.einsum("ij,ij->i", acc, acc))
    dt = np.diff(t)
    rate = np.zeros(dt.size)
    ok = dt > 0
    rate[ok] = np.diff(norm)[ok] / dt[ok]
    return norm, rate


def event_front(t_s: FloatArray, acc_g: FloatArray, *, near_s: float | None = None,
                search_s: float = 0.5, baseline_s: float = 0.5,
                front_s: float = 0.06) -> Front | None:
    """:func:`event_onset_s` with the front's steepest rate and height."""
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_g, dtype=np.float64)
    if t.size < 6:
        return None
    norm, rate = _norm_rate(t, acc)
    sel = np.ones(rate.size, dtype=bool) if near_s is None else np.abs(t[1:] - near_s) <= search_s
    idx = np.flatnonzero(sel)
    if idx.size < 5:
        return None
    mag = np.abs(rate[idx])
    # the event's first steep front (a tap's rise, not its equally steep fall)
    first = int(np.flatnonzero(mag >= 0.6 * mag.max())[0])
    sign = np.sign(rate[idx[first]])
    run = first
    while run + 1 < idx.size and np.sign(rate[idx[run + 1]]) == sign \
            and mag[run + 1] >= 0.3 * mag.max():
        run += 1
    k = int(idx[first + int(np.argmax(mag[first:run + 1]))])
    pre = (t[1:] < t[k]) & (t[1:] >= t[k] - baseline_s)
    base_rates = np.abs(rate[pre]) if pre.sum() >= 5 else np.abs(rate[idx])
    noise = float(np.median(base_rates)) * 1.4826
    if abs(rate[k]) < max(5.0, 8 * noise):
        return None
    y = norm if rate[k] > 0 else -norm  # a rising front either way
    before = np.flatnonzero((t >= t[k] - front_s) & (t <= t[k]))
    after = np.flatnonzero((t >= t[k + 1]) & (t <= t[k + 1] + front_s))
    low = float(y[before].min())
    i_top = int(after[np.argmax(y[after])])
    step = float(y[i_top]) - low
    half = 0.5 * (low + float(y[i_top]))
    j = i_top
    while j > 0 and y[j - 1] >= half:
        j -= 1
    if j == 0:
        return Front(float(t[0]), abs(float(rate[k])), step)
    y0, y1 = float(y[j - 1]), float(y[j])
    frac = (half - y0) / (y1 - y0) if y1 != y0 else 0.0
    return Front(float(t[j - 1] + frac * (t[j] - t[j - 1])), abs(float(rate[k])), step)


def _candidates(t: FloatArray, acc: FloatArray, n: int, apart_s: float = 0.5) -> list[float]:
    """Times of the ``n`` steepest changes of ``|acc|``, at least ``apart_s`` apart."""
    if t.size < 6:
        return []
    _, rate = _norm_rate(t, acc)
    mag = np.abs(rate)
    out: list[float] = []
    for k in np.argsort(mag)[::-1][:2000].tolist():
        tk = float(t[k + 1])
        if all(abs(tk - c) >= apart_s for c in out):
            out.append(tk)
            if len(out) >= n:
                break
    return out


def _shared_at(signals: Mapping[str, tuple[FloatArray, FloatArray]], near_s: float,
               search_s: float) -> dict[str, float] | None:
    """Each sensor's time of the front near ``near_s`` when every sensor sees a clear one
    (≥ ``SHARED_MIN_STEP_G``) about as steep as the steepest (≥ ``SHARED_MIN_RATE_RATIO``)."""
    fronts = {}
    for role, (t, a) in signals.items():
        f = event_front(t, a, near_s=near_s, search_s=search_s)
        if f is None or f.step_g < SHARED_MIN_STEP_G:
            return None
        fronts[role] = f
    steepest = max(f.rate_g_s for f in fronts.values())
    if any(f.rate_g_s < SHARED_MIN_RATE_RATIO * steepest for f in fronts.values()):
        return None
    return {r: f.t_s for r, f in fronts.items()}


def find_alignment(signals: Mapping[str, tuple[FloatArray, FloatArray]], *,
                   near_s: float | None = None, before_s: float = 1.0, after_s: float = 1.0,
                   search_s: float = 0.15) -> tuple[Alignment | None, str | None]:
    """The alignment error between sensors from one shared event, or None and why not.

    ``signals`` maps role → (``t_s``, ``acc_g`` n×3). A front is the shared event only when
    every sensor sees it (within ±``search_s`` of each other) clearly and comparably sharply
    (:func:`_shared_at`): a lifted foot's touchdown, sharp on that foot and faint on the trunk,
    is no reference. Tried in order of sharpness: with ``near_s`` (a sync jump's cue) the
    steepest front of each sensor from ``before_s`` before to ``after_s`` after it; else each
    sensor's sharpest fronts over the whole recording. Offsets are relative to the first
    role."""
    roles = list(signals)
    if len(roles) < 2:
        return None, "one sensor"
    tried: list[float] = []
    for role in roles:
        t, a = (np.asarray(x, dtype=np.float64) for x in signals[role])
        if near_s is not None:
            inside = (t >= near_s - before_s) & (t <= near_s + after_s)
            t, a = t[inside], a[inside]
        tried += _candidates(t, a, 1 if near_s is not None else CANDIDATES_PER_SENSOR)
    ranked = sorted(tried, key=lambda c: -max(
        _steepest_near(*signals[r], c, search_s) for r in roles))
    seen: list[float] = []
    for c in ranked:
        if any(abs(c - s) < search_s for s in seen):
            continue
        seen.append(c)
        times = _shared_at(signals, c, search_s)
        if times is None:
            continue
        first = times[roles[0]]
        offsets = {r: (v - first) * 1e3 for r, v in times.items()}
        spread = (max(times.values()) - min(times.values())) * 1e3
        what = "sharpest shared front" if near_s is None else f"sync jump cued at {near_s:.2f} s"
        return Alignment(times, offsets, spread, what), None
    if near_s is not None:
        return None, (f"no jump seen by every sensor within {before_s:g} s before to "
                      f"{after_s:g} s after the sync cue at {near_s:.1f} s")
    return None, NO_SHARED_EVENT


def _steepest_near(t: FloatArray, acc: FloatArray, near_s: float, search_s: float) -> float:
    t = np.asarray(t, dtype=np.float64)
    sel = np.abs(t - near_s) <= search_s
    if sel.sum() < 2:
        return 0.0
    _, rate = _norm_rate(t[sel], np.asarray(acc, dtype=np.float64)[sel])
    return float(np.max(np.abs(rate))) if rate.size else 0.0


def measure_alignment(signals: Mapping[str, tuple[FloatArray, FloatArray]], *,
                      near_s: float | None = None, search_s: float = 0.15
                      ) -> Alignment | None:
    """:func:`find_alignment` without the reason (None: no shared event)."""
    return find_alignment(signals, near_s=near_s, search_s=search_s)[0]
