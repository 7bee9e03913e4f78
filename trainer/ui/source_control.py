"""Source control: what the dashboard streams from — the simulated sensor, a BLE sensor, a
recorded session — and the replay's player controls.

Qt-free in its decisions; Qt only for signals (results of the worker threads come back on the GUI
thread) so the window just connects them to widgets. Sources come from a :class:`SourceFactory`
(constructor injection: tests pass one with a manual clock, a scripted sensor, a failing scan).
A replayed source is driven through the typed :class:`~trainer.vocab.source.ReplayControl`
protocol (play/pause/seek/speed, position), which ``ReplaySource`` implements.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import numpy as np
from PySide6.QtCore import QObject, Signal

from trainer.recording.keyframes import PipelineKeyframes
from trainer.training.sources import SimSettings
from trainer.ui.live import LiveSession, PipelineLike, free_session
from trainer.ui.sources import (
    DEMO_SIM,
    SourceError,
    device_source,
    replay_source,
    scan_devices,
    sensors_source,
    simulated_source,
)
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.roles import Role
from trainer.vocab.source import ReplayControl, Source

if TYPE_CHECKING:
    from trainer.training.sensors import Sensors

#: A jump to an event lands this much before it, like a video chapter.
EVENT_PRE_ROLL_S = 1.0

log = logging.getLogger(__name__)


class SourceFactory(Protocol):
    """Where the dashboard's sources come from (blocking calls run in worker threads)."""

    def simulated(self, rate_hz: float, *, drill_id: str, side: str,
                  placement: str | None = None, eyes: str = "open",
                  surface: str = "firm") -> Source: ...

    def device(self, address: str) -> Source:
        """A connected, streaming sensor (blocks up to the connection timeout)."""
        ...

    def sensors(self, addresses: dict[Role, str], ordered: tuple[Role, ...]) -> Sensors:
        """Several connected, streaming sensors, ``ordered[0]`` the primary (blocks up to the
        connection timeout; ``trainer.training.sensors.connect_sensors``)."""
        ...

    def replay(self, path: str, speed: float) -> tuple[Source, Any]:
        """(the player, the recorded Session)."""
        ...

    def scan(self) -> list[tuple[str, str]]:
        """(address, label) of nearby sensors (blocks for the scan)."""
        ...


@dataclass(frozen=True)
class DefaultSources:
    """The real sources (``trainer.ui.sources``): the simulated person ``sim``, all paced by
    ``clock``. Errors are :class:`SourceError` with one line."""

    sim: SimSettings = DEMO_SIM
    clock: Clock = field(default=wall_clock)

    def simulated(self, rate_hz: float, *, drill_id: str, side: str,
                  placement: str | None = None, eyes: str = "open",
                  surface: str = "firm") -> Source:
        return simulated_source(rate_hz, drill_id=drill_id, side=side, placement=placement,
                                eyes=eyes, surface=surface, sim=self.sim, clock=self.clock)

    def device(self, address: str) -> Source:
        return device_source(address)

    def sensors(self, addresses: dict[Role, str], ordered: tuple[Role, ...]) -> Sensors:
        return sensors_source(addresses, ordered)

    def replay(self, path: str, speed: float) -> tuple[Source, Any]:
        return replay_source(path, speed, self.clock)

    def scan(self) -> list[tuple[str, str]]:
        return scan_devices()


@dataclass(frozen=True)
class Streaming:
    """What started streaming, for the window to show."""

    kind: str  # simulated | device | replay
    label: str
    side: str
    placement: str
    conditions: dict[str, Any] | None = None  # a replay's recorded drill conditions

    @property
    def is_replay(self) -> bool:
        return self.kind == "replay"


class SourceControl(QObject):
    """The current source and its live view (:class:`LiveSession`); connect, simulate, replay,
    scan and stop; the replay's play/pause/speed/seek and event jumps."""

    started = Signal(object)  # Streaming
    stopped = Signal()
    message = Signal(str, int)  # text, ms on the status bar
    state = Signal(str, str)  # the device panel's state, address
    scanned = Signal(object)  # list[(address, label)], or None when the scan failed
    connected = Signal(str, object)  # the address, the connected Source
    sensors_connected = Signal(object)  # several connected sensors (Sensors)
    replay_position = Signal(float, float)  # position, duration (s)
    replay_playing = Signal(bool)
    _scan_done = Signal(object)
    _connect_done = Signal(object)

    def __init__(self, factory: SourceFactory, *, clock: Clock = wall_clock,
                 window_s: float = 10.0, trace_s: float = 5.0,
                 before_stop: Callable[[str], None] = lambda reason: None) -> None:
        """``before_stop``: called before the current source stops (a drill is finished)."""
        super().__init__()
        self.factory = factory
        self.clock = clock
        self.window_s = window_s
        self.trace_s = trace_s
        self.before_stop = before_stop
        self.live: LiveSession | None = None
        self.kind = ""  # simulated | device | replay
        self.session: Any = None  # the replayed Session
        self.calibration: Any = None
        #: several sensors (a SensorSet or simulated ones): the live source is their view
        self.sensors: Sensors | None = None
        self.side = "left"
        self.placement = "shank"
        self.pipeline_override: Callable[[], PipelineLike] | None = None
        self.real_sensor = False  # a sensor connected here (the red flags were asked)
        self.nominal_hz = 0.0
        self.connecting = False
        self.closing = False
        self._keyframes: PipelineKeyframes[PipelineLike] | None = None
        self._jumped_to: float | None = None
        self._scan_done.connect(self._on_scanned)
        self._connect_done.connect(self._on_connect_done)

    # ------------------------------------------------------------------ any source
    def use(self, source: Source, kind: str, *, label: str = "", session: Any = None,
            calibration: Any = None, placement: str = "shank", side: str = "left",
            pipeline: Callable[[], PipelineLike] | None = None,
            drill_id: str = "single-leg-balance", target_radius_deg: float = 3.0,
            sensors: Sensors | None = None) -> bool:
        """Stop the current source (finishing any drill) and stream from ``source`` in a free
        training session (no guide, not recorded) until a drill starts. ``pipeline``: a factory
        replacing the core pipeline (tests); ``drill_id``: the drill the stream is, which
        decides e.g. whether balance losses are detected; ``sensors``: the several sensors
        ``source`` is the view of. False: it did not start."""
        self.stop()
        self.kind, self.session, self.calibration = kind, session, calibration
        self.sensors = sensors
        self.side, self.placement = side, placement
        self.pipeline_override = pipeline
        rate = float(source.info.sample_rate_hz or 100.0)
        self.nominal_hz = rate
        model = free_session(source, drill_id=drill_id, side=side, placement=placement,
                             calibration=calibration, pipeline_factory=pipeline,
                             target_radius_deg=target_radius_deg)
        live = LiveSession(model, window_s=self.window_s, sample_rate_hz=rate,
                           trace_s=self.trace_s, clock=self.clock)
        live.target_radius_deg = target_radius_deg
        try:
            live.start()
        except Exception as exc:
            log.exception("could not start %s", label or kind)
            self.message.emit(f"could not start {label or kind}: {exc}", 8000)
            self.state.emit("error", "")
            return False
        self.live = live
        conditions = (session.conditions() if kind == "replay" and session is not None
                      and hasattr(session, "conditions") else None)
        self.started.emit(Streaming(kind, label or kind, side, placement, conditions))
        return True

    def stop(self, reason: str = "source changed") -> None:
        """Finish any drill, stop the source."""
        self.before_stop(reason)
        if self.live is not None:
            self.live.stop()
            self.live = None
        if self._keyframes is not None:
            self._keyframes.close()
            self._keyframes = None
        self.stopped.emit()

    def simulate(self, rate_hz: float, *, drill_id: str, side: str, eyes: str = "open",
                 surface: str = "firm", target_radius_deg: float = 3.0,
                 roles: tuple[Role, ...] | None = None) -> bool:
        """Stream the simulated sensor doing ``drill_id`` on ``side``; ``roles``: several
        simulated sensors on one person (as ``record --simulate --roles``)."""
        if roles:
            return self._simulate_sensors(rate_hz, roles, drill_id=drill_id, side=side,
                                          eyes=eyes, surface=surface,
                                          target_radius_deg=target_radius_deg)
        try:
            src = self.factory.simulated(rate_hz, drill_id=drill_id, side=side, eyes=eyes,
                                         surface=surface)
        except SourceError as exc:
            self.message.emit(str(exc), 8000)
            return False
        placement = getattr(getattr(src, "config", None), "effective_placement", "shank")
        self.real_sensor = False
        ok = self.use(src, "simulated", label=f"Simulated sensor · {src.info.sample_rate_hz:g} Hz",
                      side=side, placement=placement, drill_id=drill_id,
                      target_radius_deg=target_radius_deg)
        if ok:
            self.message.emit(f"streaming the simulated sensor ({drill_id}, {side} {placement})",
                              8000)
        return ok

    def simulated_sensors(self, rate_hz: float, roles: tuple[Role, ...], *, drill_id: str,
                          side: str, placement: str | None = None, eyes: str = "open",
                          surface: str = "firm", guide: Any = None,
                          recording: bool = False) -> Sensors:
        """Simulated sensors at ``roles`` on one person doing ``drill_id`` (following ``guide``
        when given; when ``recording``, after the sync jump the guide waits for), the primary
        the one the drill on ``side``/``placement`` is analysed on; each with its stored
        calibration (TrainingError, SourceError)."""
        from trainer.drills.catalog import get_drill
        from trainer.training.sensors import primary_first, primary_leg, simulated_sensors

        placement = placement or str(get_drill(drill_id).placement)
        ordered = primary_first(roles, side, placement)
        p_side, p_place = primary_leg(ordered[0], side, placement)
        sensors = simulated_sensors(self.factory.simulated(rate_hz, drill_id=drill_id,
                                                           side=p_side, placement=p_place,
                                                           eyes=eyes, surface=surface), ordered)
        sensors.follow(guide, recording=recording)  # as record does: one sync-jump rule
        sensors.load_calibrations()
        return sensors

    def _simulate_sensors(self, rate_hz: float, roles: tuple[Role, ...], *, drill_id: str,
                          side: str, eyes: str, surface: str, target_radius_deg: float) -> bool:
        from trainer.training.sensors import primary_leg
        from trainer.training.session import TrainingError

        try:
            sensors = self.simulated_sensors(rate_hz, roles, drill_id=drill_id, side=side,
                                             eyes=eyes, surface=surface)
        except (SourceError, TrainingError) as exc:
            self.message.emit(str(exc), 8000)
            return False
        info = sensors.view.info
        person = getattr(sensors.multi, "source", None)  # the simulated person (primary leg)
        p_side, p_place = primary_leg(sensors.primary, side, str(getattr(
            getattr(person, "config", None), "effective_placement", "shank")))
        self.real_sensor = False
        ok = self.use(sensors.view, "simulated",
                      label=f"Simulated sensors · {', '.join(sensors.roles)} · "
                            f"{info.sample_rate_hz:g} Hz",
                      calibration=sensors.calibrations.get(sensors.primary), side=p_side,
                      placement=p_place, drill_id=drill_id,
                      target_radius_deg=target_radius_deg, sensors=sensors)
        if ok:
            self.message.emit(f"streaming {len(sensors.roles)} simulated sensors ({drill_id}, "
                              f"analysed: {sensors.primary})", 8000)
        return ok

    def follow_leg(self, side: str, placement: str) -> bool:
        """A drill measures ``side`` / ``placement`` from now on; True: that changed."""
        if (side, placement) == (self.side, self.placement):
            return False
        self.side, self.placement = side, placement
        return True

    # ------------------------------------------------------------------ a BLE sensor
    def connect_device(self, address: str) -> None:
        """Connect in a worker thread (the first connection can take seconds); ``connected``
        follows on the GUI thread. The pre-start checks are the caller's (before this)."""
        self._connect(address, address, lambda: (address, self.factory.device(address)))

    def connect_sensors(self, addresses: dict[Role, str], ordered: tuple[Role, ...]) -> None:
        """Connect several sensors together in a worker thread (``ordered[0]`` the primary);
        ``sensors_connected`` follows on the GUI thread. The pre-start checks are the caller's."""
        names = ", ".join(f"{r} {addresses[r]}" for r in ordered)
        self._connect(names, f"{len(ordered)} sensors",
                      lambda: self.factory.sensors(addresses, ordered))

    def _connect(self, names: str, detail: str, connect: Callable[[], object]) -> None:
        """``connect()`` (blocking) in a worker thread; its result, or a one-line error, goes to
        ``_on_connect_done`` on the GUI thread."""
        if self.connecting:
            return
        self.connecting = True
        self.state.emit("connecting", detail)
        self.message.emit(f"connecting to {names}…", 8000)

        def work() -> None:
            from trainer.training.session import TrainingError

            try:
                result = connect()
            except (SourceError, TrainingError) as exc:
                result = str(exc)
            except Exception as exc:  # never let a worker thread die silently
                log.exception("connecting to %s failed", names)
                result = f"cannot connect to {names}: {exc}"
            self._connect_done.emit(result)

        threading.Thread(target=work, name="ble-connect", daemon=True).start()

    def _on_connect_done(self, result: object) -> None:
        self.connecting = False
        if isinstance(result, str):
            self.message.emit(result, 8000)
            self.state.emit("error", "")
            return
        if not isinstance(result, tuple):  # several sensors
            if self.closing:
                result.view.stop()  # type: ignore[attr-defined]
                return
            self.sensors_connected.emit(result)
            return
        address, src = cast(tuple[str, Source], result)
        if self.closing:
            src.stop()
            return
        self.connected.emit(address, src)

    def use_sensors(self, sensors: Sensors, *, side: str, placement: str, drill_id: str,
                    target_radius_deg: float = 3.0) -> bool:
        """Stream several connected sensors, each with its stored calibration, analysed on the
        one the drill on ``side``/``placement`` is measured with (``sensors_connected`` calls
        this through the window, which knows the drill panel's side and placement)."""
        from trainer.training.sensors import primary_leg
        from trainer.training.session import TrainingError

        sensors = sensors.with_primary(side, placement)
        notes: list[str] = []
        try:
            notes = sensors.load_calibrations()
        except TrainingError as exc:  # a bad profile file must not stop the sensors
            log.exception("calibration not loaded")
            notes = [f"calibration not loaded: {exc}"]
        infos = sensors.infos()
        p_side, p_place = primary_leg(sensors.primary, side, placement)
        self.real_sensor = True
        label = "Sensors " + " · ".join(f"{r} {infos[r].address} ({infos[r].profile})"
                                        for r in sensors.roles)
        ok = self.use(sensors.view, "device", label=label,
                      calibration=sensors.calibrations.get(sensors.primary), side=p_side,
                      placement=p_place, drill_id=drill_id,
                      target_radius_deg=target_radius_deg, sensors=sensors)
        if ok:
            self.message.emit(f"connected to {len(sensors.roles)} sensors (analysed: "
                              f"{sensors.primary}). {' '.join(notes)}".strip(), 8000)
        return ok

    def sensor_calibrations(self) -> dict[Role, Any] | None:
        """Each sensor's calibration profile (several sensors, live or replayed), else None."""
        if self.sensors is not None:
            return dict(self.sensors.calibrations)
        replayed = getattr(getattr(self.live, "source", None), "sensors", None)
        calibrations = getattr(replayed, "calibrations", None)
        return calibrations() if callable(calibrations) else None

    def drill_sensors(self, side: str, placement: str) -> Sensors | None:
        """The connected sensors for a drill on ``side``/``placement`` (the primary follows the
        drill's leg as in ``record``); None: one sensor."""
        if self.sensors is None:
            return None
        sensors = self.sensors.with_primary(side, placement)
        if sensors is not self.sensors:
            self.sensors = sensors
            self.calibration = sensors.calibrations.get(sensors.primary)
        return sensors

    def use_device(self, address: str, src: Source, *, side: str, placement: str,
                   drill_id: str, target_radius_deg: float = 3.0) -> None:
        """Stream a connected sensor with its stored calibration (``connected`` calls this
        through the window, which knows the drill panel's side and placement)."""
        from trainer.training.session import stored_calibration

        calibration, note = None, ""
        try:
            calibration, note = stored_calibration(src.info, side=side, placement=placement)
        except Exception as exc:  # a bad profile file must not stop a sensor from connecting
            log.exception("calibration for %s not loaded", address)
            note = f"calibration not loaded: {exc}"
        self.real_sensor = True
        if self.use(src, "device", label=f"Sensor {src.info.name} ({address}) · "
                    f"{src.info.profile} · {src.info.sample_rate_hz:g} Hz",
                    calibration=calibration, side=side, placement=placement,
                    drill_id=drill_id, target_radius_deg=target_radius_deg):
            self.message.emit(f"connected to {address}. {note}".strip(), 8000)

    def scan(self) -> None:
        """Scan in a worker thread; ``scanned`` follows on the GUI thread."""
        def work() -> None:
            try:
                result: object = self.factory.scan()
            except SourceError as exc:
                result = str(exc)
            except Exception as exc:  # never let a worker thread die silently
                log.exception("scan failed")
                result = f"scan failed: {exc}"
            self._scan_done.emit(result)

        threading.Thread(target=work, name="ble-scan", daemon=True).start()
        self.message.emit("scanning for sensors…", 8000)

    def _on_scanned(self, result: object) -> None:
        if isinstance(result, str):
            self.scanned.emit(None)
            self.message.emit(result, 8000)
            return
        devices = list(cast(list[tuple[str, str]], result))
        self.scanned.emit(devices)
        self.message.emit(f"found {len(devices)} sensor(s)" if devices else "no sensors found",
                          8000)

    # ------------------------------------------------------------------ replay
    @property
    def player(self) -> ReplayControl | None:
        """The replayed source's controls (None unless replaying)."""
        src = self.live.source if self.live is not None and self.kind == "replay" else None
        return src if isinstance(src, ReplayControl) else None

    def open_replay(self, path: str, speed: float = 1.0) -> bool:
        try:
            src, session = self.factory.replay(path, speed)
        except SourceError as exc:
            self.message.emit(f"cannot replay: {exc}", 8000)
            return False
        drill = (session.meta.get("drill") or {}).get("id", "?")
        self.real_sensor = False
        if not self.use(src, "replay", label=f"Replay · {Path(path).name} · {drill} "
                        f"({session.side})", session=session, calibration=session.calibration,
                        placement=session.placement, side=session.side,
                        drill_id=session.drill_id):
            return False
        self.replay_position.emit(0.0, float(session.duration_s))
        self.replay_playing.emit(True)
        self.keyframes()  # start building them now, in the background
        note = " (recovered after a crash)" if session.status == "recovered" else ""
        self.message.emit(f"replaying {Path(path).name}{note}", 8000)
        return True

    def set_playing(self, on: bool) -> None:
        player = self.player
        if player is None:
            return
        if on and player.finished:
            self.seek(0.0)  # play again from the start, like a video player
        (player.resume if on else player.pause)()
        self.replay_playing.emit(on)

    def set_speed(self, speed: float) -> None:
        player = self.player
        if player is not None:
            player.set_speed(speed)

    def keyframes(self) -> PipelineKeyframes[PipelineLike]:
        """Keyframes of the pipeline over the replayed session (built in a background thread
        from the first call), so a seek processes ≤ 20 s of samples."""
        kf = self._keyframes
        if kf is None or kf.session is not self.session:
            if kf is not None:
                kf.close()
            assert self.live is not None and self.session is not None
            kf = PipelineKeyframes(self.session, self.live.session.new_pipeline)
            self._keyframes = kf
        return kf

    def seek(self, position_s: float) -> bool:
        """Jump to ``position_s`` from the start: the pipeline state there is a keyframe's
        (``trainer.recording.keyframes``) advanced to the position, so what follows equals the
        uninterrupted replay."""
        player, live, session = self.player, self.live, self.session
        if player is None or live is None or session is None:
            return False
        position_s = float(np.clip(position_s, 0.0, session.duration_s))
        try:
            player.seek(position_s)
            live.reset_view()
            t_abs = session.start_t_s + position_s
            pipe, out = self.keyframes().restore(position_s, lead_s=self.window_s)
            live.session.pipeline = pipe
            if out is not None:
                live.ingest(out)
            for e in session.events_of("balance_loss"):
                if e.get("t_s") is not None and float(e["t_s"]) <= t_abs:
                    live.add_loss(float(e["t_s"]))
        except Exception as exc:
            log.exception("seek to %.2f s failed", position_s)
            self.message.emit(f"seek failed: {exc}", 8000)
            return False
        self.replay_position.emit(position_s, float(session.duration_s))
        return True

    def replay_events(self) -> list[dict[str, Any]]:
        if self.session is None:
            return []
        return [e for e in self.session.events if e.get("t_s") is not None]

    def jump_event(self, direction: int) -> None:
        """Go to the next/previous recorded event, landing ``EVENT_PRE_ROLL_S`` before it."""
        player = self.player
        if player is None or self.session is None:
            return
        t0 = self.session.start_t_s
        times = sorted({float(e["t_s"]) - t0 for e in self.replay_events()})
        target = chapter(times, player.position_s, self._jumped_to, direction)
        if target is None:
            self.message.emit("no later event" if direction > 0 else "no earlier event", 8000)
            return
        self.seek(max(0.0, target - EVENT_PRE_ROLL_S))
        self._jumped_to = target
        kinds = sorted({str(e.get("type")) for e in self.replay_events()
                        if abs(float(e["t_s"]) - t0 - target) < 1e-6})
        self.message.emit(f"event at {target:.1f} s: {', '.join(kinds)}", 8000)

    def playback_speed(self) -> float:
        """How many session seconds a wall second plays (1 unless replaying faster or slower)."""
        player = self.player
        return 1.0 if player is None else float(player.speed)

    def link_view(self) -> tuple[float, float] | None:
        """The replay bar's (position, duration), None unless replaying."""
        player = self.player
        return None if player is None else (float(player.position_s), float(player.duration_s))


def chapter(times: list[float], position_s: float, jumped_to: float | None,
            direction: int) -> float | None:
    """The event time a jump goes to from ``position_s`` (None: none that way). Right after a
    jump (the position still near the pre-roll before ``jumped_to``) the step is relative to
    the event jumped to, so repeated jumps walk through the events one by one."""
    ref, at_chapter = position_s, False
    if jumped_to is not None and abs(position_s - (jumped_to - EVENT_PRE_ROLL_S)) < 0.6:
        ref, at_chapter = jumped_to, True
    if direction > 0:
        nxt = [t for t in times if t > ref + 1e-3]
        return nxt[0] if nxt else None
    limit = ref - 1e-3 if at_chapter else ref - EVENT_PRE_ROLL_S
    prv = [t for t in times if t < limit]
    return prv[-1] if prv else None
