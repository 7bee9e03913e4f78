"""The other sensors of a multi-sensor session, as the dashboard shows them (no Qt).

The primary sensor (the stance leg's, the one the drill is analysed on) goes through the training
session and :class:`~trainer.ui.live.LiveSession` as always. Every other sensor of a
:class:`~firmware_bridge.sensorset.PrimaryView` gets a light pipeline of its own (calibration,
orientation, anatomical tilt; no balance-loss detection) whose tilt goes into a ring buffer
(``t_s``, AP, ML) for its trace. :class:`SensorTracks` is a ``PrimaryView`` listener: it runs on
the GUI thread inside the frame's pump, one vectorised pipeline call per sensor and read, and it
never raises (a listener's exception would stop the whole sensor set).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.ui.backfill import TiltBackfill, fill_ring, keep_s_for
from trainer.ui.live import LinkStats
from trainer.ui.ring import RingBuffer
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.roles import Role, role_segment, role_side
from trainer.vocab.source import SourceInfo, SourceStatus

# ring buffer columns
T, AP, ML = range(3)
#: A sensor's time going back by more than this starts its trace afresh.
JUMP_BACK_S = 0.5
#: Source status kinds that say what state a sensor is in (others: battery, rssi, gap, link…).
STATE_KINDS = ("connecting", "connected", "streaming", "lost", "reconnecting", "restored",
               "stopped", "error")


@dataclass
class Track:
    """One extra sensor: its pipeline, its trace buffer, its link state."""

    role: Role
    info: SourceInfo
    pipeline: Any
    ring: RingBuffer
    state: str = "connecting"
    received: int = 0
    failed: str | None = None
    statuses: list[SourceStatus] = field(default_factory=list)
    #: the tilt before the pipeline knew it (the sync jump), drawn once it does
    backfill: TiltBackfill = field(default_factory=lambda: TiltBackfill(None, 0.0))


def track_pipeline(info: SourceInfo, role: Role, *, side: str,
                   calibration: CalibrationProfile | None = None) -> Pipeline:
    """The trace pipeline of one extra sensor: its leg's side and segment (the trunk, a vertical
    segment like the shank, is strapped and read like one), no balance-loss detection; only the
    tilt is drawn, so no per-sample quaternions (half the cost of a frame's few samples)."""
    segment = role_segment(role)
    config = PipelineConfig(sample_rate_hz=float(info.sample_rate_hz or 100.0),
                            placement="foot" if segment == "foot" else "shank",
                            side=role_side(role) or side, calibration=calibration,
                            detect_balance_losses=False, sample_quaternions=False)
    return Pipeline(config)


def _write(track: Track, t_s: Any, tilt_ap_deg: Any, tilt_ml_deg: Any) -> None:
    t = np.asarray(t_s, dtype=np.float64)
    rows = np.empty((t.shape[0], 3))
    rows[:, T] = t
    rows[:, AP] = tilt_ap_deg
    rows[:, ML] = tilt_ml_deg
    track.ring.write(rows)
    track.received += t.shape[0]


class SensorTracks:
    """The extra sensors' live tilt traces; a ``PrimaryView`` listener (see the module doc).

    ``infos``: every sensor by role (primary included: it is skipped). ``side``: the session's
    stance side (the trunk's ML sign follows it). ``pipeline_factory(info, role)``: replaces the
    core pipeline (tests)."""

    def __init__(self, infos: Mapping[Role, SourceInfo], primary: Role, *, side: str = "left",
                 window_s: float = 10.0,
                 calibrations: Mapping[Role, CalibrationProfile | None] | None = None,
                 pipeline_factory: Callable[[SourceInfo, Role], Any] | None = None) -> None:
        self.primary = primary
        self.window_s = window_s
        self.tracks: dict[Role, Track] = {}

        def make(info: SourceInfo, role: Role) -> Any:
            if pipeline_factory is not None:
                return pipeline_factory(info, role)
            return track_pipeline(info, role, side=side,
                                  calibration=(calibrations or {}).get(role))

        self._make = make
        for role, info in infos.items():
            if role == primary:
                continue
            pipe = make(info, role)
            rate = float(info.sample_rate_hz or 100.0)
            ring = RingBuffer(math.ceil(window_s * rate * 1.2) + 16, 3)
            self.tracks[role] = Track(role, info, pipe, ring,
                                      backfill=self._backfill(pipe))

    def _backfill(self, pipe: Any) -> TiltBackfill:
        config = pipe.config if isinstance(pipe, Pipeline) else None
        return TiltBackfill(config, keep_s_for(self.window_s))

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(self.tracks)

    def __call__(self, batches: Mapping[Role, SampleBatch],
                 statuses: Mapping[Role, list[SourceStatus]]) -> None:
        for role, sts in statuses.items():
            track = self.tracks.get(role)
            if track is None or not sts:
                continue
            kinds = [st.kind for st in sts if st.kind in STATE_KINDS and not _warning(st)]
            if kinds:
                track.state = kinds[-1]
            if any(st.kind == "seek" for st in sts):  # a replay jumped: start afresh
                track.ring.clear()
                track.pipeline = self._make(track.info, role)
                track.backfill = self._backfill(track.pipeline)
                track.failed = None
        for role, batch in batches.items():
            track = self.tracks.get(role)
            if track is None or len(batch) == 0 or track.failed:
                continue
            try:
                self._ingest(track, batch)
            except Exception as exc:  # the trace stops; the session and the other sensors go on
                track.failed = f"{type(exc).__name__}: {exc}"

    @staticmethod
    def _ingest(track: Track, batch: SampleBatch) -> None:
        latest = track.ring.latest()
        if latest is not None and batch.t_s[0] < latest[T] - JUMP_BACK_S:
            track.ring.clear()  # the clock started again (a restarted simulation, a seek)
            track.backfill.reset()
        out = track.pipeline.process(batch)
        _write(track, out.t_s, out.tilt_ap_deg, out.tilt_ml_deg)
        filled = track.backfill.feed(batch, out.tilt_ap_deg)
        if filled is not None:
            fill_ring(track.ring, filled, T, AP, ML)
        if track.state in ("connecting", "connected", "restored"):
            track.state = "streaming"

    def push(self, role: Role, t_s: Any, tilt_ap_deg: Any, tilt_ml_deg: Any) -> None:
        """Already-computed tilt of ``role`` into its trace (e.g. a replay of an analysed
        session); the sensor is then streaming. Unknown roles are ignored."""
        track = self.tracks.get(role)
        if track is not None:
            _write(track, t_s, tilt_ap_deg, tilt_ml_deg)
            track.state = "streaming"

    def set_state(self, role: Role, state: str) -> None:
        """The link state shown for ``role`` (``STATE_KINDS``)."""
        track = self.tracks.get(role)
        if track is not None:
            track.state = state

    def reset(self) -> None:
        """Forget the traces (a replay seek)."""
        for track in self.tracks.values():
            track.ring.clear()
            track.backfill.reset()


@dataclass
class SensorLink:
    """One sensor's link as the sensor panel shows it."""

    role: Role
    address: str
    profile: str
    nominal_hz: float
    state: str = "connecting"
    stats: LinkStats = field(default_factory=LinkStats)
    battery_pct: float | None = None
    rssi_dbm: float | None = None
    device_loss_pct: float | None = None  # the source's own figure (BLE link statistics)
    reconnects: int = 0

    @property
    def loss_pct(self) -> float:
        return self.device_loss_pct if self.device_loss_pct is not None else self.stats.loss_pct

    def line(self, now_s: float, speed: float = 1.0) -> str:
        """``streaming · 100/100 Hz · 0.0 % lost · battery 85 % · 1 reconnect``; the rate per
        second of the session (``speed``: a replay's, which delivers 2x as many a wall second
        at 2x)."""
        parts = [self.state, f"{self.stats.rate_hz(now_s) / speed:.0f}/{self.nominal_hz:.0f} Hz",
                 f"{self.loss_pct:.1f} % lost"]
        if self.battery_pct is not None:
            parts.append(f"battery {self.battery_pct:.0f} %")
        if self.rssi_dbm is not None:
            parts.append(f"{self.rssi_dbm:.0f} dBm")
        if self.reconnects:
            parts.append(f"{self.reconnects} reconnect" + ("s" if self.reconnects > 1 else ""))
        return " · ".join(parts)


class SensorLinks:
    """Every sensor's link state and statistics (the primary's too) for the sensor panel: a
    ``PrimaryView`` listener like :class:`SensorTracks`; :meth:`sync` follows the source (a new
    view after the primary changed keeps the counts). Never raises into the sensor set."""

    def __init__(self, clock: Clock = wall_clock) -> None:
        self.clock = clock
        self.links: dict[Role, SensorLink] = {}
        self.primary: Role | None = None
        self._source: Any = None
        self._sensors: Any = None

    def sync(self, source: Any) -> bool:
        """Follow ``source``; True: the set of sensors shown changed."""
        if source is self._source:
            return False
        self._detach()
        self._source = source
        sensors = getattr(source, "sensors", None)
        listeners = getattr(source, "listeners", None)
        if sensors is None or listeners is None:
            changed = bool(self.links)
            self.links, self.primary, self._sensors = {}, None, None
            return changed
        changed = sensors is not self._sensors or sensors.primary != self.primary
        if sensors is not self._sensors:
            self.links = {}
            for role, info in sensors.sensor_info().items():
                self.links[role] = SensorLink(role, info.address, info.profile,
                                              float(info.sample_rate_hz or 0.0))
        self._sensors = sensors
        self.primary = sensors.primary
        self.links = {r: self.links[r] for r in sensors.roles if r in self.links}  # primary 1st
        listeners.append(self)
        return changed

    def _detach(self) -> None:
        listeners = getattr(self._source, "listeners", None)
        if listeners is not None and self in listeners:
            listeners.remove(self)
        self._source = None

    def close(self) -> None:
        self._detach()
        self.links, self.primary, self._sensors = {}, None, None

    def __call__(self, batches: Mapping[Role, SampleBatch],
                 statuses: Mapping[Role, list[SourceStatus]]) -> None:
        try:
            now = self.clock()
            for role, sts in statuses.items():
                link = self.links.get(role)
                if link is not None:
                    for st in sts:
                        _apply_status(link, st)
            for role, batch in batches.items():
                link = self.links.get(role)
                if link is not None and len(batch):
                    link.stats.update(batch, now)
                    if link.state in ("connecting", "connected", "restored"):
                        link.state = "streaming"
        except Exception:  # the panel shows less; the sensors go on
            return


def _apply_status(link: SensorLink, st: SourceStatus) -> None:
    d = st.data
    if _warning(st):  # e.g. "streams at 200 Hz, not 100": the link is fine
        return
    if st.kind in STATE_KINDS:
        if st.kind == "restored":
            link.reconnects += 1
        link.state = "streaming" if st.kind == "restored" else st.kind
    elif st.kind == "battery":
        value = d.get("percent", d.get("battery_pct"))
        link.battery_pct = None if value is None else float(value)
    elif st.kind == "rssi":
        value = d.get("rssi_dbm", d.get("rssi"))
        link.rssi_dbm = None if value is None else float(value)
    elif st.kind == "link":
        for key, attr in (("battery_pct", "battery_pct"), ("rssi_dbm", "rssi_dbm"),
                          ("loss_pct", "device_loss_pct")):
            if d.get(key) is not None:
                setattr(link, attr, float(d[key]))


def _warning(st: SourceStatus) -> bool:
    """A non-fatal ``error`` status: a warning, not a state of the link."""
    return st.kind == "error" and st.data.get("fatal") is False
