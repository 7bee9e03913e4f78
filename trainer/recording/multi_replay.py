"""Every sensor of a recorded multi-sensor session played back on its session clock.

:class:`MultiReplaySource` is a multi-sensor source (``read_all`` / ``drain_status_all`` by role,
like a live ``SensorSet``) whose primary sensor is an ordinary :class:`ReplaySource` — the player:
its clock, pause, speed and seek — and whose other sensors (``imu-<role>.bin``) release every
sample whose time the player has passed, so all sensors stay on the session clock whatever the
speed. A seek moves every sensor: the primary as ``ReplaySource`` does, each other sensor to
``lead_s`` before the position (its trace gets the same history the primary's keyframes give),
with a ``seek`` status for each so their consumers restart their filters. An extra sensor's
recorded link events (``sensor_link_lost`` …, with its role) become its statuses when played.

:class:`ReplayView` is a ``PrimaryView`` of it that is also the replay's controls
(:class:`~trainer.vocab.source.ReplayControl`): code written for one sensor plays the primary,
listeners (live traces, LSL) see every sensor.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from firmware_bridge.sensorset import Listener, PrimaryView
from trainer.recording.reader import Session
from trainer.recording.replay import ReplaySource
from trainer.recording.sensors import open_sensor, session_sensors
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role
from trainer.vocab.source import SourceInfo, SourceStatus

#: An extra sensor's recorded events → its status kinds during a replay.
SENSOR_EVENT_STATUS = {"sensor_link_lost": "lost", "sensor_link_restored": "restored",
                       "sensor_gap": "gap"}


def has_several_sensors(session: Session) -> bool:
    raw = session.meta.get("sensors")
    return isinstance(raw, list) and len(raw) > 1


class _Extra:
    """One extra sensor: its samples, where it has got to, its events to come."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.next = 0
        self.events = sorted(
            ((float(e["t_s"]), SENSOR_EVENT_STATUS[str(e["type"])], e)
             for e in session.events
             if e.get("type") in SENSOR_EVENT_STATUS and isinstance(e.get("t_s"), int | float)),
            key=lambda x: x[0])
        self.next_event = 0

    def index(self, t_s: float) -> int:
        """Samples before ``t_s`` (session clock)."""
        if self.session.n_samples == 0:
            return 0
        return int(self.session.index(t_s, side="left"))


class MultiReplaySource:
    """Every sensor of ``session`` (a multi-sensor Session) at ``speed``; see the module doc.
    ``clock`` is the player's (tests: a manual one)."""

    def __init__(self, session: Session, speed: float = 1.0, *,
                 clock: Callable[[], float] = time.monotonic, lead_s: float = 10.0) -> None:
        self.session = session
        self.player = ReplaySource(session, speed, clock=clock)
        entries = session_sensors(session)
        self.primary: Role = entries[0].role
        self.roles: tuple[Role, ...] = tuple(e.role for e in entries)
        self.lead_s = float(lead_s)
        self._t0 = session.start_t_s
        self._lock = threading.Lock()
        self._extras = {e.role: _Extra(open_sensor(session, e.role)) for e in entries[1:]}
        self._infos = {self.primary: self.player.info}
        for role, extra in self._extras.items():
            dev = extra.session.meta.get("device") or {}
            self._infos[role] = SourceInfo(
                name=str(dev.get("name") or role), address=str(dev.get("address") or role),
                profile=str(dev.get("profile") or "replay"),
                sample_rate_hz=extra.session.sample_rate_hz, firmware=dev.get("firmware"),
                simulated=session.simulated, extra={"replay_of": str(session.path),
                                                    "role": role})
        self._status: dict[Role, list[SourceStatus]] = {r: [] for r in self._extras}

    # -- multi-sensor source -------------------------------------------------------------
    @property
    def info(self) -> SourceInfo:
        return self.player.info

    def sensor_info(self) -> dict[Role, SourceInfo]:
        return dict(self._infos)

    def calibrations(self) -> dict[Role, Any]:
        """Each sensor's recorded calibration profile."""
        out: dict[Role, Any] = {self.primary: self.session.calibration}
        out.update({r: x.session.calibration for r, x in self._extras.items()})
        return out

    def start(self) -> None:
        self.player.start()
        with self._lock:
            for role in self._extras:
                self._status[role].append(SourceStatus("streaming", "replay started", self._t0))

    def stop(self) -> None:
        self.player.stop()

    def read_all(self) -> dict[Role, SampleBatch]:
        out = {self.primary: self.player.read()}
        # every extra sample the player has passed (its position is read after its own read:
        # the extras are at most a clock tick ahead, never behind)
        horizon = self._t0 + self.player.position_s
        if self.player.finished:
            horizon = float("inf")
        with self._lock:
            for role, extra in self._extras.items():
                end = extra.session.n_samples if horizon == float("inf") \
                    else extra.index(horizon)
                if end > extra.next:
                    out[role] = extra.session.slice(extra.next, end)
                    extra.next = end
                else:
                    out[role] = SampleBatch.empty()
                while extra.next_event < len(extra.events) \
                        and extra.events[extra.next_event][0] < horizon:
                    t, kind, event = extra.events[extra.next_event]
                    data = {k: v for k, v in event.items() if k not in ("t_s", "type")}
                    self._status[role].append(SourceStatus(kind, str(event.get("message", "")),
                                                           t, data))
                    extra.next_event += 1
        return out

    def drain_status_all(self) -> dict[Role, list[SourceStatus]]:
        out = {self.primary: self.player.drain_status()}
        with self._lock:
            for role in self._extras:
                out[role], self._status[role] = self._status[role], []
        return out

    @property
    def finished(self) -> bool:
        return self.player.finished

    def clock_report(self) -> dict[str, Any]:
        return {}

    # -- the player ----------------------------------------------------------------------
    def seek(self, position_s: float) -> None:
        """Every sensor to ``position_s`` (the extras from ``lead_s`` before it)."""
        self.player.seek(position_s)
        pos = self.player.position_s  # clamped
        t = self._t0 + pos
        with self._lock:
            for role, extra in self._extras.items():
                extra.next = extra.index(t - self.lead_s)
                extra.next_event = next((i for i, e in enumerate(extra.events) if e[0] >= t),
                                        len(extra.events))
                self._status[role].append(SourceStatus("seek", "seek", t,
                                                       {"position_s": pos, "reason": "seek"}))


class ReplayView(PrimaryView):
    """A :class:`MultiReplaySource` as one Source (its primary) and as the replay controls."""

    sensors: MultiReplaySource  # type: ignore[assignment]

    def __init__(self, sensors: MultiReplaySource,
                 listeners: list[Listener] | None = None) -> None:
        super().__init__(sensors, listeners)  # type: ignore[arg-type]

    @property
    def session(self) -> Session:
        return self.sensors.session

    @property
    def position_s(self) -> float:
        return self.sensors.player.position_s

    @property
    def duration_s(self) -> float:
        return self.sensors.player.duration_s

    @property
    def speed(self) -> float:
        return self.sensors.player.speed

    @property
    def paused(self) -> bool:
        return self.sensors.player.paused

    def pause(self) -> None:
        self.sensors.player.pause()

    def resume(self) -> None:
        self.sensors.player.resume()

    def set_speed(self, speed: float) -> None:
        self.sensors.player.set_speed(speed)

    def seek(self, position_s: float) -> None:
        self.sensors.seek(position_s)


def replay_sources(session: Session, speed: float = 1.0, *,
                   clock: Callable[[], float] = time.monotonic) -> ReplaySource | ReplayView:
    """The player of ``session``: every sensor (a :class:`ReplayView`) when it has several,
    else the plain :class:`ReplaySource`."""
    if has_several_sensors(session):
        return ReplayView(MultiReplaySource(session, speed, clock=clock))
    return ReplaySource(session, speed, clock=clock)
