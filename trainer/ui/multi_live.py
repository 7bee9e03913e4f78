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
from trainer.ui.ring import RingBuffer
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
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


def track_pipeline(info: SourceInfo, role: Role, *, side: str,
                   calibration: CalibrationProfile | None = None) -> Pipeline:
    """The trace pipeline of one extra sensor: its leg's side and segment (the trunk, a vertical
    segment like the shank, is strapped and read like one), no balance-loss detection."""
    segment = role_segment(role)
    config = PipelineConfig(sample_rate_hz=float(info.sample_rate_hz or 100.0),
                            placement="foot" if segment == "foot" else "shank",
                            side=role_side(role) or side, calibration=calibration,
                            detect_balance_losses=False)
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
        for role, info in infos.items():
            if role == primary:
                continue
            cal = (calibrations or {}).get(role)
            pipe = (pipeline_factory(info, role) if pipeline_factory is not None
                    else track_pipeline(info, role, side=side, calibration=cal))
            rate = float(info.sample_rate_hz or 100.0)
            ring = RingBuffer(math.ceil(window_s * rate * 1.2) + 16, 3)
            self.tracks[role] = Track(role, info, pipe, ring)

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(self.tracks)

    def __call__(self, batches: Mapping[Role, SampleBatch],
                 statuses: Mapping[Role, list[SourceStatus]]) -> None:
        for role, sts in statuses.items():
            track = self.tracks.get(role)
            if track is None or not sts:
                continue
            kinds = [st.kind for st in sts if st.kind in STATE_KINDS]
            if kinds:
                track.state = kinds[-1]
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
        out = track.pipeline.process(batch)
        _write(track, out.t_s, out.tilt_ap_deg, out.tilt_ml_deg)
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
