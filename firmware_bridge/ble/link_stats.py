"""Live link statistics of one BLE sensor: rate, loss, gaps, RSSI, reconnects, battery.

Updated from the BLE thread, read from any thread (``snapshot()`` copies under a lock). The
snapshot is also what BleSource emits as a ``SourceStatus("link", data=…)`` so recordings keep
it in ``events.jsonl``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LinkStats:
    address: str
    profile: str
    state: str  # connecting, streaming, lost, reconnecting, stopped, error
    connected: bool
    nominal_rate_hz: float
    effective_rate_hz: float  # samples/s received over the last window
    samples: int
    notifications: int
    missing_samples: int  # inferred lost (gaps, including time disconnected)
    loss_pct: float
    gaps: int
    malformed: int
    reconnects: int
    rssi_dbm: int | None
    battery_pct: int | None
    downtime_s: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        rssi = "?" if self.rssi_dbm is None else f"{self.rssi_dbm} dBm"
        return (
            f"{self.state}: {self.effective_rate_hz:.0f}/{self.nominal_rate_hz:.0f} Hz, "
            f"loss {self.loss_pct:.1f} %, {self.gaps} gaps, {self.reconnects} reconnects, "
            f"RSSI {rssi}"
        )


class LinkStatsTracker:
    def __init__(self, address: str, profile: str, nominal_rate_hz: float,
                 window_s: float = 5.0) -> None:
        self._lock = threading.Lock()
        self.window_s = window_s
        self._recent: deque[tuple[float, int]] = deque()
        self._first_arrival: float | None = None
        self._lost_at: float | None = None
        self.address = address
        self.profile = profile
        self.nominal_rate_hz = nominal_rate_hz
        self.state = "connecting"
        self.connected = False
        self.samples = 0
        self.notifications = 0
        self.missing = 0
        self.gaps = 0
        self.malformed = 0
        self.reconnects = 0
        self.rssi: int | None = None
        self.battery: int | None = None
        self.downtime_s = 0.0
        self._now = 0.0

    def on_notification(self, arrival_s: float) -> None:
        with self._lock:
            self.notifications += 1
            self._now = arrival_s

    def on_samples(self, n_samples: int, now_s: float) -> None:
        """Samples delivered to the consumer (decoded and timed)."""
        with self._lock:
            self._now = now_s
            if self._first_arrival is None:
                self._first_arrival = now_s
            self.samples += n_samples
            self._recent.append((now_s, n_samples))
            while self._recent and self._recent[0][0] < now_s - self.window_s:
                self._recent.popleft()

    def update(self, **fields: Any) -> None:
        with self._lock:
            for k, v in fields.items():
                setattr(self, k, v)

    def link_lost(self, now_s: float) -> None:
        with self._lock:
            self.connected = False
            self.state = "lost"
            self._lost_at = now_s

    def link_up(self, now_s: float, reconnect: bool) -> None:
        with self._lock:
            self.connected = True
            self.state = "streaming"
            if reconnect:
                self.reconnects += 1
            if self._lost_at is not None:
                self.downtime_s += now_s - self._lost_at
                self._lost_at = None

    def snapshot(self, now_s: float | None = None) -> LinkStats:
        with self._lock:
            now = self._now if now_s is None else now_s
            recent = [(a, n) for a, n in self._recent if a >= now - self.window_s]
            span = min(self.window_s, now - self._first_arrival) if self._first_arrival else 0.0
            rate = sum(n for _, n in recent) / span if span > 0.5 and self.connected else 0.0
            total = self.samples + self.missing
            return LinkStats(
                address=self.address,
                profile=self.profile,
                state=self.state,
                connected=self.connected,
                nominal_rate_hz=self.nominal_rate_hz,
                effective_rate_hz=rate,
                samples=self.samples,
                notifications=self.notifications,
                missing_samples=self.missing,
                loss_pct=100.0 * self.missing / total if total else 0.0,
                gaps=self.gaps,
                malformed=self.malformed,
                reconnects=self.reconnects,
                rssi_dbm=self.rssi,
                battery_pct=self.battery,
                downtime_s=self.downtime_s,
            )
