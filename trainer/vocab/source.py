"""The interface every sample source implements, and a thread-safe buffer between threads.

A source produces :class:`~trainer.vocab.batch.SampleBatch` es. Consumers (GUI timer, recorder,
CLI loop) *pull*: ``read()`` never blocks and returns what has arrived since the last call.
Low-rate status (connected, lost, battery, …) is drained with ``drain_status()``.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """What a session records about where its samples came from."""

    name: str
    address: str
    profile: str
    sample_rate_hz: float
    firmware: str | None = None
    simulated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "address": self.address,
            "profile": self.profile,
            "firmware": self.firmware,
            "simulated": self.simulated,
        }
        out.update(self.extra)
        return out


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A low-rate status change: ``kind`` is one of connecting, connected, streaming, lost,
    reconnecting, restored, stopped, error, battery, rssi, gap. ``t_s`` is on the session clock
    when known."""

    kind: str
    message: str = ""
    t_s: float | None = None
    data: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Source(Protocol):
    """A live or replayed stream of samples."""

    info: SourceInfo

    def start(self) -> None:
        """Begin producing samples (non-blocking)."""

    def stop(self) -> None:
        """Stop and release everything (threads, loops, connections). Idempotent."""

    def read(self) -> SampleBatch:
        """All samples that arrived since the last call (possibly empty). Never blocks."""
        ...

    def drain_status(self) -> list[SourceStatus]:
        """Status changes since the last call."""
        ...

    @property
    def finished(self) -> bool:
        """True once a finite source (replay, fixed-length simulation) has delivered all."""
        ...


@runtime_checkable
class ReplayControl(Protocol):
    """The player controls of a replayed source (``trainer.recording.replay.ReplaySource``):
    what the dashboard's replay bar drives. Positions are seconds from the first sample."""

    @property
    def position_s(self) -> float: ...

    @property
    def duration_s(self) -> float: ...

    @property
    def speed(self) -> float: ...

    @property
    def paused(self) -> bool: ...

    @property
    def finished(self) -> bool: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def set_speed(self, speed: float) -> None:
        """Playback rate (ValueError outside the player's range); no jump."""

    def seek(self, position_s: float) -> None:
        """Jump to ``position_s`` (clamped to the recording)."""


@runtime_checkable
class ClockedSource(Protocol):
    """A source whose ``t_s`` is the *device's* time (counter/timestamps): it also reports, per
    notification, the device time of its last sample and the host's arrival time, so a
    :class:`MultiSource` can put several devices on one session clock
    (``trainer.core.sessionclock``). Sources without it (simulator, replay) are already on the
    session clock."""

    def take_clock_pairs(self) -> tuple[list[float], list[float]]:
        """``(t_device_s, arrival_s)`` pairs since the last call (``arrival_s``: the host's
        ``time.monotonic`` when the notification arrived). Never blocks."""
        ...

    def device_time(self, batch: SampleBatch) -> Any:
        """Each sample's device time (s) on the clock of ``take_clock_pairs``: the device's
        timestamp counter, or its sample counter over the nominal rate."""
        ...


@runtime_checkable
class MultiSource(Protocol):
    """Several sensors of one session, each with a role (issue 14; trainer/vocab/roles.py).

    Every batch it returns is on the one **session clock** (seconds; all roles on the same time
    base, device clocks mapped with their offset and drift). ``roles`` lists the sensors, primary
    first; ``info`` is the primary's (so code written for one sensor can name the source).
    A single-sensor session does not need this: a plain :class:`Source` stays the default.
    """

    info: SourceInfo
    roles: tuple[Role, ...]
    primary: Role

    def start(self) -> None:
        """Start every sensor (non-blocking)."""

    def stop(self) -> None:
        """Stop every sensor. Idempotent."""

    def sensor_info(self) -> dict[Role, SourceInfo]:
        """Each sensor's info (name, address, profile, rate), by role."""
        ...

    def read_all(self) -> dict[Role, SampleBatch]:
        """Samples since the last call, one entry per role (possibly empty), all on the session
        clock. Never blocks."""
        ...

    def drain_status_all(self) -> dict[Role, list[SourceStatus]]:
        """Status changes since the last call, one entry per role (possibly empty)."""
        ...

    @property
    def finished(self) -> bool:
        """True once every sensor has finished (finite sources)."""
        ...


class BatchBuffer:
    """Thread-safe FIFO of batches: a producer thread ``put``s, the consumer ``take``s them all.

    ``max_samples`` bounds memory if the consumer stalls: the oldest batches are dropped and
    counted in ``dropped_samples`` (a stalled GUI must never grow memory without bound; the
    recorder reads from its own buffer).
    """

    def __init__(self, max_samples: int = 400 * 600) -> None:
        self._lock = threading.Lock()
        self._batches: deque[SampleBatch] = deque()
        self._n = 0
        self._max = max_samples
        self.dropped_samples = 0
        self._status: deque[SourceStatus] = deque(maxlen=1000)

    def put(self, batch: SampleBatch) -> None:
        if len(batch) == 0:
            return
        with self._lock:
            self._batches.append(batch)
            self._n += len(batch)
            while self._n > self._max and len(self._batches) > 1:
                old = self._batches.popleft()
                self._n -= len(old)
                self.dropped_samples += len(old)

    def take(self) -> SampleBatch:
        with self._lock:
            batches = list(self._batches)
            self._batches.clear()
            self._n = 0
        if len(batches) == 1:
            return batches[0]
        return SampleBatch.concat(batches)

    def put_status(self, status: SourceStatus) -> None:
        with self._lock:
            self._status.append(status)

    def take_status(self) -> list[SourceStatus]:
        with self._lock:
            out = list(self._status)
            self._status.clear()
        return out

    def __len__(self) -> int:
        with self._lock:
            return self._n
