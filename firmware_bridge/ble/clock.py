"""Sample clocks: turn packets into sample times on the session clock.

Two models, both pure (no I/O, no wall clock — the caller passes arrival times):

* :class:`NominalRateClock` for devices without counters (WitMotion, MetaWear streaming, Thingy:52).
  Sample ``n`` is stamped ``t(n) = anchor_t + (n - anchor_n) · period`` — never its arrival time.
  The period starts at the nominal rate and tracks the device's real rate (crystal drift, firmware
  rounding) from the *lower envelope* of arrival times: BLE latency is non-negative and jittery,
  so the earliest arrivals in each window lie on a line whose slope is the true sample period.
  Missing samples are inferred when packets arrive persistently later than the model predicts
  (a step in the envelope, confirmed over ``confirm_s`` so that a latency burst is not mistaken
  for loss); after a reconnect the gap is decided at once.
* :class:`CounterClock` for devices with a free-running timestamp counter (the reference profile):
  unwraps the counter, and re-anchors on arrival time only when the counter is inconsistent with
  the elapsed time (device reset, or several wraps during a long outage).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True)
class Release:
    """A run of ``count`` consecutive samples whose times are now known.

    ``index_first`` is the running sample index (gaps included) and ``missing_before`` the
    number of samples inferred lost just before this run.
    """

    count: int
    t_first_s: float
    period_s: float
    index_first: int
    missing_before: int = 0

    def times(self) -> np.ndarray:
        return self.t_first_s + self.period_s * np.arange(self.count, dtype=np.float64)


class NominalRateClock:
    """Drift-tracking clock for devices that only promise a nominal output rate.

    ``push(count, arrival_s)`` reports a packet of ``count`` consecutive samples, the last of which
    was produced shortly before ``arrival_s`` (any monotonic clock). It returns the runs whose
    times are decided; while a possible gap is being confirmed, samples are held back (at most
    ``confirm_s`` of arrival time).

    Start-up check: the first ``warmup_s`` of a stream are held while the arrival rate is
    measured. A device that streams at a clearly different rate than asked (more than
    ``max_rate_error`` off, e.g. a Bluetooth-4 WitMotion capped at 50 Hz when 100 Hz was asked) has
    its measured rate adopted (``rate_adopted``); arrival rates more than ``plausible``× off are
    bursts of a test harness or a backlog, not a rate, and are ignored.
    """

    def __init__(
        self,
        rate_hz: float,
        *,
        gap_threshold_s: float | None = None,
        confirm_s: float = 0.3,
        window_s: float = 1.0,
        floor_windows: int = 3,
        history_windows: int = 60,
        max_rate_error: float = 0.2,
        warmup_s: float = 1.0,
        warmup_packets: int = 5,
        plausible: float = 4.0,
    ) -> None:
        if not rate_hz > 0:
            raise ValueError("rate_hz must be positive")
        self.nominal_period_s = 1.0 / rate_hz
        self.period_s = self.nominal_period_s
        self.gap_threshold_s = (
            gap_threshold_s if gap_threshold_s is not None else max(0.25, 20 * self.period_s)
        )
        self._default_threshold = gap_threshold_s is None
        self.confirm_s = confirm_s
        self.window_s = window_s
        self.max_rate_error = max_rate_error
        self.requested_rate_hz = rate_hz
        self.measured_rate_hz: float | None = None
        self.rate_adopted = False
        self.warmup_s = warmup_s
        self.warmup_packets = warmup_packets
        self.plausible = plausible
        self._warm: list[tuple[int, float]] | None = [] if warmup_s > 0 else None
        self._max_hold = int(rate_hz * (confirm_s + 1.0)) + 1
        self._base: float | None = None
        self._anchor_n = 0
        self._anchor_t = 0.0
        self.next_index = 0
        self._discontinuity = False
        self._held: list[tuple[int, float]] = []
        self._held_since = 0.0
        # lower-envelope points (sample index of a packet's last sample, relative arrival)
        self._floor_pts: deque[tuple[int, float]] = deque(maxlen=floor_windows)
        self._env_pts: deque[tuple[int, float]] = deque(maxlen=history_windows)
        self._win_start: float | None = None
        self._win_min: tuple[float, int, float] | None = None  # (residual, n, a_rel)
        self.missing_total = 0

    # -- model -------------------------------------------------------------------------------
    def _t(self, n: int) -> float:
        return self._anchor_t + (n - self._anchor_n) * self.period_s

    def _floor(self) -> float:
        pts = list(self._floor_pts)
        if self._win_min is not None:
            pts.append((self._win_min[1], self._win_min[2]))
        if not pts:
            return 0.0
        return min(a - self._t(n) for n, a in pts)

    def _observe(self, n_last: int, a_rel: float) -> None:
        r = a_rel - self._t(n_last)
        if self._win_start is None:
            self._win_start = a_rel
        if self._win_min is None or r < self._win_min[0]:
            self._win_min = (r, n_last, a_rel)
        if a_rel - self._win_start < self.window_s:
            return
        assert self._win_min is not None
        point = (self._win_min[1], self._win_min[2])
        self._floor_pts.append(point)
        self._env_pts.append(point)
        self._win_start = a_rel
        self._win_min = None
        self._update_period()

    def _update_period(self) -> None:
        if len(self._env_pts) < 3:
            return
        pts = np.asarray(self._env_pts, dtype=np.float64)
        n = pts[:, 0]
        if n[-1] - n[0] < 2.0 / self.nominal_period_s:
            return
        n_c = n - n.mean()
        slope = float(np.dot(n_c, pts[:, 1] - pts[:, 1].mean()) / np.dot(n_c, n_c))
        lo = self.nominal_period_s * (1 - self.max_rate_error)
        hi = self.nominal_period_s * (1 + self.max_rate_error)
        new_p = min(max(slope, lo), hi)
        self._anchor_t = self._t(self.next_index)
        self._anchor_n = self.next_index
        self.period_s = new_p

    def _release(self, count: int, a_rel: float, missing: int) -> Release:
        self.next_index += missing
        self.missing_total += missing
        first = self.next_index
        rel = Release(count, self._t(first), self.period_s, first, missing)
        self.next_index += count
        self._observe(self.next_index - 1, a_rel)
        return rel

    # -- start-up rate check -------------------------------------------------------------------
    def _end_warmup(self) -> list[Release]:
        pts, self._warm = self._warm or [], None
        if len(pts) >= 2 and pts[-1][1] > pts[0][1]:
            rate = sum(c for c, _ in pts[1:]) / (pts[-1][1] - pts[0][1])
            self.measured_rate_hz = rate
            ratio = rate * self.nominal_period_s
            off = not (1 - self.max_rate_error <= ratio <= 1 / (1 - self.max_rate_error))
            if off and 1 / self.plausible <= ratio <= self.plausible:
                self.rate_adopted = True
                self.nominal_period_s = self.period_s = 1.0 / rate
                self._max_hold = int(rate * (self.confirm_s + 1.0)) + 1
                if self._default_threshold:
                    self.gap_threshold_s = max(0.25, 20 * self.period_s)
        out: list[Release] = []
        for count, arrival in pts:
            out.extend(self._push(count, arrival))
        return out

    @property
    def rate_hz(self) -> float:
        """The rate the stream is stamped at (nominal, or measured when adopted)."""
        return 1.0 / self.nominal_period_s

    # -- API ---------------------------------------------------------------------------------
    def push(self, count: int, arrival_s: float) -> list[Release]:
        if count <= 0:
            return []
        if self._warm is not None:
            self._warm.append((count, arrival_s))
            first = self._warm[0][1]
            if arrival_s - first >= self.warmup_s and len(self._warm) >= self.warmup_packets:
                return self._end_warmup()
            return []
        return self._push(count, arrival_s)

    def _push(self, count: int, arrival_s: float) -> list[Release]:
        if self._base is None:
            self._base = arrival_s - (count - 1) * self.period_s
        a_rel = arrival_s - self._base
        if self._held:
            self._held.append((count, a_rel))
            return self._decide(a_rel)
        excess = a_rel - self._t(self.next_index + count - 1) - self._floor()
        if self._discontinuity:
            self._discontinuity = False
            missing = max(0, round(excess / self.period_s))
            return [self._release(count, a_rel, missing)]
        if excess > self.gap_threshold_s:
            self._held = [(count, a_rel)]
            self._held_since = a_rel
            return []
        return [self._release(count, a_rel, 0)]

    def _decide(self, a_now: float) -> list[Release]:
        floor = self._floor()
        n = self.next_index
        min_excess = float("inf")
        held_samples = 0
        for count, a_rel in self._held:
            n += count
            held_samples += count
            min_excess = min(min_excess, a_rel - self._t(n - 1) - floor)
        if min_excess <= self.gap_threshold_s:
            missing = 0
        elif a_now - self._held_since >= self.confirm_s or held_samples > self._max_hold:
            missing = max(0, round(min_excess / self.period_s))
        else:
            return []
        held, self._held = self._held, []
        out = [self._release(held[0][0], held[0][1], missing)]
        out.extend(self._release(c, a, 0) for c, a in held[1:])
        return out

    def poll(self, now_s: float) -> list[Release]:
        """Release held samples when no packet has come for ``confirm_s``: the stream paused,
        so there is no evidence for a gap (gaps are only declared on evidence)."""
        if self._warm:
            if now_s - self._warm[0][1] >= self.warmup_s + self.confirm_s:
                return self._end_warmup()
            return []
        if not self._held or self._base is None:
            return []
        if now_s - self._base - self._held[-1][1] < self.confirm_s:
            return []
        return self.flush()

    def flush(self) -> list[Release]:
        """Release held samples as if no gap (e.g. at stop)."""
        out = self._end_warmup() if self._warm else []
        held, self._held = self._held, []
        out.extend(self._release(c, a, 0) for c, a in held)
        return out

    def mark_discontinuity(self) -> list[Release]:
        """The link was down: release what is held (it arrived before the drop); the next
        packet's lateness is then a gap, decided without waiting for confirmation."""
        out = self.flush()
        self._discontinuity = True
        return out

    @property
    def holding(self) -> int:
        return sum(c for c, _ in self._held) + sum(c for c, _ in self._warm or [])


class CounterClock:
    """Maps a wrapping device timestamp counter (``bits`` wide, ``tick_s`` per count) to the session
    clock. The counter is trusted across short outages; it is checked against the elapsed arrival
    time when it runs backwards, jumps by more than ``max_jump_s``, or the link was down for
    longer than ``max_jump_s`` (several wraps possible); if it disagrees — or after
    ``force_reanchor()`` (device reset) — the stream is re-anchored on arrival time."""

    def __init__(
        self, tick_s: float, bits: int = 32, *, tolerance_s: float = 0.5, max_jump_s: float = 60.0
    ) -> None:
        self.tick_s = tick_s
        self._mod = 1 << bits
        self._half = self._mod >> 1
        self.tolerance_s = tolerance_s
        self._last_raw: int | None = None
        self._full = 0
        self._offset_s = 0.0
        self._last_t = 0.0
        self._last_arrival = 0.0
        self._discontinuity = False
        self._force = False
        self.max_jump_s = max_jump_s

    def stamp(self, raw: int, arrival_s: float) -> tuple[float, bool]:
        """Session time of a sample whose counter reads ``raw``; second value: re-anchored."""
        raw %= self._mod
        if self._last_raw is None:
            self._last_raw = raw
            self._full = raw
            self._offset_s = -raw * self.tick_s
            self._last_arrival = arrival_s
            self._last_t = 0.0
            return 0.0, False
        fwd = (raw - self._last_raw) % self._mod
        signed = fwd - self._mod if fwd >= self._half else fwd
        elapsed = arrival_s - self._last_arrival
        reanchor = self._force
        suspicious = (
            signed < 0
            or signed * self.tick_s > self.max_jump_s
            or (self._discontinuity and elapsed > self.max_jump_s)
        )
        if suspicious and not reanchor:
            dev_elapsed = fwd * self.tick_s
            if abs(dev_elapsed - elapsed) <= self.tolerance_s + 0.02 * abs(elapsed):
                signed = fwd
            else:
                reanchor = True
        self._discontinuity = False
        self._force = False
        self._last_raw = raw
        self._last_arrival = arrival_s
        if reanchor:
            t = self._last_t + max(elapsed, 0.0)
            self._full = raw
            self._offset_s = t - raw * self.tick_s
        else:
            self._full += signed
            t = self._full * self.tick_s + self._offset_s
        self._last_t = t
        return t, reanchor

    def mark_discontinuity(self) -> None:
        """The link was down (the device may have kept counting)."""
        self._discontinuity = True

    def force_reanchor(self) -> None:
        """The device restarted: its counter says nothing about the outage."""
        self._force = True
