"""Lab Streaming Layer outlet: the raw samples of every sensor and the session's events, live.

A sink beside the recorder (docs/LSL.md has the stream names and metadata):

- one ``IMU`` stream per sensor, named ``BalanceTrainer-<role>`` (``left-shank``, ``trunk``, …),
  6 float32 channels ``acc_x_g … gyr_z_dps`` with label, unit and type in the XML description
  (``channels/channel``), the sensor's nominal rate, and ``source_id`` = ``balance-trainer:`` +
  the sensor's address (stable: an LSL recorder reconnects to the same sensor after a restart);
- one ``Markers`` stream, ``BalanceTrainer-events``, one string sample per event: the
  ``events.jsonl`` line (compact JSON with ``t_s`` and ``type``).

Timestamps are the session clock mapped onto LSL's ``local_clock``: ``timestamp = t_s +
offset_s``, ``offset_s`` fixed when the first samples are pushed (the newest sample of that batch
= now). It is in every stream's description (``session/clock_offset_s``), so ``t_s = timestamp −
offset_s`` exactly, and the LSL data line up with the session directory. Only a session clock
that jumps back (a replay seek) re-anchors it, so timestamps never go back.

The outlets (and their network listeners) exist only while streaming is on (``record --lsl``,
the dashboard's LSL switch); nothing here opens a socket before the first batch. pylsl is
imported lazily: without liblsl only this feature is missing (:class:`LslUnavailable`).
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from trainer.fsutil import json_line
from trainer.recording.format import STATUS_EVENT_TYPES
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import parse_role, role_segment, role_side
from trainer.vocab.source import SourceInfo, SourceStatus

STREAM_PREFIX = "BalanceTrainer"
#: Another prefix for the stream names (two trainers on one network, tests running at once).
PREFIX_ENV = "BALANCE_TRAINER_LSL_PREFIX"
SAMPLE_STREAM_TYPE = "IMU"
MARKER_STREAM_TYPE = "Markers"
MARKER_STREAM_SUFFIX = "events"
#: (label, unit, type) of the sample streams' channels, in order.
CHANNELS: tuple[tuple[str, str, str], ...] = (
    ("acc_x_g", "g", "Accelerometer"),
    ("acc_y_g", "g", "Accelerometer"),
    ("acc_z_g", "g", "Accelerometer"),
    ("gyr_x_dps", "deg/s", "Gyroscope"),
    ("gyr_y_dps", "deg/s", "Gyroscope"),
    ("gyr_z_dps", "deg/s", "Gyroscope"),
)
#: The session clock going back by more than this (a replay seek) re-anchors the offset.
JUMP_BACK_S = 0.5
#: liblsl logs at INFO to stderr by default; we keep warnings and errors unless the user has a
#: configuration file of their own (then theirs applies).
QUIET_CONFIG = "[log]\nlevel = -1\n"


class LslUnavailable(Exception):
    """pylsl or its liblsl cannot be loaded (one line: why, and what to do)."""


def load_pylsl() -> ModuleType:
    """pylsl with liblsl loaded, quiet unless configured; LslUnavailable with the reason."""
    try:
        import pylsl
    except ImportError as exc:
        raise LslUnavailable(f"Lab Streaming Layer needs pylsl (pip install pylsl): {exc}"
                             ) from None
    except (RuntimeError, OSError) as exc:  # pylsl raises RuntimeError when liblsl is missing
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise LslUnavailable(
            f"liblsl could not be loaded ({first}); install it (e.g. conda install -c "
            "conda-forge liblsl) or set PYLSL_LIB to its path") from None
    _quiet_logs(pylsl)
    module: ModuleType = pylsl
    return module


_configured = False


def _user_config_exists() -> bool:
    if os.environ.get("LSLAPICFG"):
        return True
    return any(p.is_file() for p in (Path("lsl_api.cfg"), Path.home() / "lsl_api" / "lsl_api.cfg",
                                     Path("/etc/lsl_api/lsl_api.cfg")))


def _quiet_logs(pylsl: ModuleType) -> None:
    """Once per process, before the first stream: liblsl's INFO lines off (not over a user's
    own configuration; a library that was already configured keeps its settings)."""
    global _configured
    if _configured:
        return
    _configured = True
    if not _user_config_exists() and hasattr(pylsl, "set_config_content"):
        with contextlib.suppress(Exception):  # only log verbosity is at stake
            pylsl.set_config_content(QUIET_CONFIG)


def stream_name(role: str, prefix: str = STREAM_PREFIX) -> str:
    """``BalanceTrainer-left-shank``; the marker stream is ``BalanceTrainer-events``."""
    return f"{prefix}-{role}"


def source_id(address: str) -> str:
    """Stable per sensor: the same sensor gets the same id in every session."""
    return f"balance-trainer:{address}"


def default_role(side: str, placement: str) -> str:
    """The role of the one sensor of a single-sensor session (``left-shank``, ``right-foot``)."""
    return f"{side}-{placement}"


@dataclass(frozen=True)
class SensorMeta:
    """What one sample stream says about its sensor."""

    role: str
    info: SourceInfo
    side: str | None = None
    placement: str | None = None


@dataclass
class _SampleOutlet:
    meta: SensorMeta
    outlet: Any
    last_t_s: float = -math.inf
    pushed: int = 0


@dataclass
class LslStats:
    """What went out (shown in the dashboard's status, checked by tests)."""

    samples: dict[str, int] = field(default_factory=dict)
    markers: int = 0
    reanchored: int = 0


class LslOutlet:
    """The outlets of one session: one sample stream per sensor and one marker stream.

    ``push_samples(role, batch)`` sends a batch of raw samples (``SampleBatch`` on the session
    clock); ``push_event(line)`` sends an ``events.jsonl`` line. ``sensor(meta)`` declares a
    sensor (its stream is created with its first batch); ``close()`` ends all streams.
    ``clock`` (default ``pylsl.local_clock``) and ``pylsl`` are injectable for tests.
    """

    def __init__(self, *, session_id: str | None = None, prefix: str = STREAM_PREFIX,
                 clock: Callable[[], float] | None = None, pylsl: ModuleType | None = None,
                 software: str = "balance-trainer") -> None:
        self._lsl = pylsl if pylsl is not None else load_pylsl()
        self._clock: Callable[[], float] = clock or self._lsl.local_clock
        self.prefix = prefix
        self.session_id = session_id
        self.software = software
        self.offset_s: float | None = None
        self.stats = LslStats()
        self._sensors: dict[str, SensorMeta] = {}
        self._outlets: dict[str, _SampleOutlet] = {}
        self._markers: Any = None
        self._pending_events: list[Mapping[str, Any]] = []
        self.closed = False

    # -- declaring -----------------------------------------------------------------------------
    def sensor(self, meta: SensorMeta) -> None:
        """Declare (or re-declare, before its first batch) the sensor with this role."""
        if meta.role not in self._outlets:
            self._sensors[meta.role] = meta

    @property
    def roles(self) -> tuple[str, ...]:
        return tuple(self._sensors)

    @property
    def stream_names(self) -> list[str]:
        """The streams that exist now (created with the first samples)."""
        names = [stream_name(r, self.prefix) for r in self._outlets]
        if self._markers is not None:
            names.append(stream_name(MARKER_STREAM_SUFFIX, self.prefix))
        return names

    # -- pushing -------------------------------------------------------------------------------
    def push_samples(self, role: str, batch: SampleBatch) -> None:
        """Send ``batch`` on ``role``'s stream (created now if it is the first)."""
        n = len(batch)
        if n == 0 or self.closed:
            return
        t = batch.t_s
        out = self._outlets.get(role)
        if out is None:
            out = self._open_sample_stream(role, float(t[-1]))
        if self.offset_s is None:
            self.offset_s = self._clock() - float(t[-1])
        elif float(t[0]) < out.last_t_s - JUMP_BACK_S:  # a replay seek: keep LSL time going on
            self.offset_s = self._clock() - float(t[-1])
            self.stats.reanchored += 1
        values = np.empty((n, 6), dtype=np.float32)
        values[:, :3] = batch.acc_g
        values[:, 3:] = batch.gyr_dps
        stamps = (t + self.offset_s).tolist()
        out.outlet.push_chunk(values, stamps)
        out.last_t_s = float(t[-1])
        out.pushed += n
        self.stats.samples[role] = out.pushed
        if self._pending_events:
            pending, self._pending_events = self._pending_events, []
            for line in pending:
                self.push_event(line)

    def push_event(self, line: Mapping[str, Any]) -> None:
        """Send one event (``{"t_s": …, "type": …, …}``, as in events.jsonl) as a marker. Before
        the first samples (no clock offset yet) it waits for them."""
        if self.closed:
            return
        if self.offset_s is None:
            self._pending_events.append(dict(line))
            return
        if self._markers is None:
            self._markers = self._lsl.StreamOutlet(self._marker_info())
        text = json_line(dict(line)).decode("utf-8").rstrip("\n")
        t = line.get("t_s")
        stamp = float(t) + self.offset_s if isinstance(t, int | float) else self._clock()
        self._markers.push_sample([text], stamp)
        self.stats.markers += 1

    def close(self) -> None:
        """End all streams (inlets see them go away). Idempotent."""
        self.closed = True
        self._outlets.clear()
        self._markers = None
        self._pending_events = []

    # -- stream descriptions -------------------------------------------------------------------
    def _open_sample_stream(self, role: str, t_last: float) -> _SampleOutlet:
        meta = self._sensors.get(role) or SensorMeta(
            role, SourceInfo(name=role, address=role, profile="unknown", sample_rate_hz=0.0))
        self._sensors[role] = meta
        if self.offset_s is None:
            self.offset_s = self._clock() - t_last
        lsl = self._lsl
        info = lsl.StreamInfo(stream_name(role, self.prefix), SAMPLE_STREAM_TYPE, len(CHANNELS),
                              float(meta.info.sample_rate_hz or 0.0), lsl.cf_float32,
                              source_id(meta.info.address))
        desc = info.desc()
        chans = desc.append_child("channels")
        for label, unit, kind in CHANNELS:
            ch = chans.append_child("channel")
            ch.append_child_value("label", label)
            ch.append_child_value("unit", unit)
            ch.append_child_value("type", kind)
        acq = desc.append_child("acquisition")
        acq.append_child_value("device_name", meta.info.name)
        acq.append_child_value("address", meta.info.address)
        acq.append_child_value("profile", meta.info.profile)
        if meta.info.firmware:
            acq.append_child_value("firmware", meta.info.firmware)
        acq.append_child_value("simulated", "true" if meta.info.simulated else "false")
        sensor = desc.append_child("sensor")
        sensor.append_child_value("role", role)
        if meta.side:
            sensor.append_child_value("side", meta.side)
        if meta.placement:
            sensor.append_child_value("placement", meta.placement)
        sensor.append_child_value("frame", "sensor frame, raw device units before calibration")
        self._describe_session(desc)
        out = _SampleOutlet(meta, lsl.StreamOutlet(info))
        self._outlets[role] = out
        return out

    def _marker_info(self) -> Any:
        lsl = self._lsl
        info = lsl.StreamInfo(stream_name(MARKER_STREAM_SUFFIX, self.prefix), MARKER_STREAM_TYPE,
                              1, lsl.IRREGULAR_RATE, lsl.cf_string,
                              f"balance-trainer:events:{self.session_id or 'live'}")
        desc = info.desc()
        ch = desc.append_child("channels").append_child("channel")
        ch.append_child_value("label", "event")
        ch.append_child_value("type", "Marker")
        ch.append_child_value("format", "JSON object as in events.jsonl (t_s, type, fields)")
        self._describe_session(desc)
        return info

    def _describe_session(self, desc: Any) -> None:
        session = desc.append_child("session")
        if self.session_id:
            session.append_child_value("session_id", self.session_id)
        session.append_child_value("clock_offset_s", repr(float(self.offset_s or 0.0)))
        session.append_child_value("clock", "timestamp = t_s + clock_offset_s (session clock)")
        desc.append_child_value("software", self.software)


class LslSink:
    """The writer-shaped face of an :class:`LslOutlet` for one sensor: ``append(batch)``,
    ``event(t_s, type, **fields)``, ``status_event(status)`` — what a training session hands its
    recorder, so the stream carries exactly what is recorded (same events, same lines)."""

    def __init__(self, outlet: LslOutlet, meta: SensorMeta) -> None:
        self.outlet = outlet
        self.role = meta.role
        outlet.sensor(meta)
        self._last_t_s: float | None = None
        self.failed: str | None = None  # the other sensors' streaming stopped (listener)
        self._listening: Any = None  # the PrimaryView whose listeners hold ours

    def append(self, batch: SampleBatch) -> int:
        self.outlet.push_samples(self.role, batch)
        if len(batch):
            self._last_t_s = float(batch.t_s[-1])
        return len(batch)

    def event(self, t_s: float | None, event_type: str, **fields: Any) -> None:
        t = self._last_t_s if t_s is None else float(t_s)
        self.outlet.push_event({"t_s": t, "type": str(event_type), **fields})

    def status_event(self, status: SourceStatus, role: str | None = None) -> bool:
        """As ``SessionWriter.status_event``: the recorded kinds only (``role``: another sensor's,
        named in the marker)."""
        etype = STATUS_EVENT_TYPES.get(status.kind)
        if etype is None:
            return False
        fields: dict[str, Any] = dict(status.data)
        if status.message:
            fields["message"] = status.message
        if role is not None:
            fields["role"] = role
        self.event(status.t_s, etype, **fields)
        return True

    # -- the other sensors of a multi-sensor session -------------------------------------------
    def listen(self, view: Any) -> None:
        """Stream every other sensor of ``view`` (a ``PrimaryView``: ``sensors``, ``listeners``)
        on its own stream, from its next read on; this sink's own role is its primary."""
        sensors = view.sensors
        for role, info in sensors.sensor_info().items():
            if role != self.role:
                self.outlet.sensor(SensorMeta(role, info, side=role_side(role),
                                              placement=role_segment(role)))
        view.listeners.append(self.listener)
        self._listening = view

    def listener(self, batches: Mapping[str, SampleBatch],
                 statuses: Mapping[str, list[SourceStatus]]) -> None:
        """A ``PrimaryView`` listener: the other sensors' samples, and their recorded statuses as
        markers with their ``role`` (the primary's come through the session, as recorded). Never
        raises: a listener's error would stop the whole sensor set."""
        if self.failed or self.outlet.closed:
            return
        try:
            for role, batch in batches.items():
                if role != self.role and len(batch):
                    self.outlet.push_samples(role, batch)
            for role, sts in statuses.items():
                if role != self.role:
                    for st in sts:
                        self.status_event(st, role=role)
        except Exception as exc:
            self.failed = f"{type(exc).__name__}: {exc}"

    @property
    def listening_to(self) -> Any:
        """The ``PrimaryView`` this sink listens to (None: one sensor)."""
        return self._listening

    def detach(self) -> None:
        """Stop listening to the sensor set (the session's sinks are the owner's business)."""
        view, self._listening = self._listening, None
        if view is not None and self.listener in view.listeners:
            view.listeners.remove(self.listener)

    def close(self) -> None:
        self.detach()
        self.outlet.close()


def session_sink(info: SourceInfo, *, side: str, placement: str, role: str | None = None,
                 session_id: str | None = None) -> LslSink:
    """The outlet of a one-sensor session and its writer-shaped sink. LslUnavailable when liblsl
    cannot be loaded."""
    outlet = LslOutlet(session_id=session_id, prefix=os.environ.get(PREFIX_ENV) or STREAM_PREFIX)
    meta = SensorMeta(role or default_role(side, placement), info, side=side, placement=placement)
    return LslSink(outlet, meta)


def primary_role(source: Any, side: str, placement: str) -> str:
    """The role of the sensor a training session analyses: a ``PrimaryView``'s primary, else the
    single sensor's ``<side>-<placement>``."""
    sensors = getattr(source, "sensors", None)
    return str(sensors.primary) if sensors is not None else default_role(side, placement)


def sink_for_source(source: Any, *, side: str, placement: str,
                    session_id: str | None = None) -> LslSink:
    """The sink for a training session's source (``record --lsl``, the dashboard's switch): one
    sensor, or every sensor of a ``PrimaryView`` (the primary through the session's sinks, the
    others through a listener). LslUnavailable when liblsl cannot be loaded."""
    role = primary_role(source, side, placement)
    sensors = getattr(source, "sensors", None)
    if sensors is not None:
        primary = parse_role(role)
        side_, segment = role_side(primary), role_segment(primary)
        sink = session_sink(source.info, side=side_ or side, placement=segment, role=role,
                            session_id=session_id)
        if hasattr(source, "listeners"):
            sink.listen(source)
        return sink
    return session_sink(source.info, side=side, placement=placement, role=role,
                        session_id=session_id)
