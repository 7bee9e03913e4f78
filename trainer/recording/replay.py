"""ReplaySource: a recorded session played back like a live device (``Source`` protocol).

Modelled on MNE-LSL's player: samples are released as the wall clock advances (× ``speed``), so a
consumer polling ``read()`` on a timer sees the same flow as from a sensor. No thread: ``read()``
computes the play position from the clock and returns what became due since the last call.

Positions (``position_s``, ``seek``) are seconds from the first sample (0 … ``duration_s``);
emitted batches keep the session's own ``t_s``. Link-loss events in the session become statuses
when the play head passes them (``lost``, ``restored``, ``gap``), so a UI shows them as it would
live. A ``seek`` (also the jump back when ``loop=True``) emits a ``seek`` status: ``t_s`` jumps,
so consumers reset their stateful filters. The status always reaches the consumer before any
sample from the new position, whichever order it calls ``read``/``drain_status`` in (the first
``read`` after ``seek()`` returns nothing; a loop wrap ends the ``read`` that reached the end).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from trainer.recording import format as fmt
from trainer.recording.reader import Session, open_session
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus

MIN_SPEED = 0.25
MAX_SPEED = 4.0

#: event type in events.jsonl → SourceStatus.kind emitted during replay
_EVENT_STATUS = {fmt.EVENT_LINK_LOST: "lost", fmt.EVENT_LINK_RESTORED: "restored",
                 fmt.EVENT_GAP: "gap"}


class ReplaySource:
    """Play ``session`` (a :class:`Session` or a path) at ``speed`` (0.25–4), optionally looping.

    ``clock`` (seconds, monotonic) is injectable for tests. Thread-safe.
    """

    def __init__(self, session: Session | str | os.PathLike[str], speed: float = 1.0,
                 loop: bool = False, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.session = session if isinstance(session, Session) else open_session(session)
        meta = self.session.meta
        dev = meta.get("device") or {}
        extra: dict[str, Any] = {"replay_of": str(self.session.path),
                                 "session_id": meta.get("session_id")}
        self.info = SourceInfo(
            name=str(dev.get("name") or "replay"),
            address=str(dev.get("address") or self.session.path.name),
            profile=str(dev.get("profile") or "replay"),
            sample_rate_hz=self.session.sample_rate_hz,
            firmware=dev.get("firmware"),
            simulated=self.session.simulated,
            extra=extra,
        )
        self._check_speed(speed)
        self._speed = float(speed)
        self.loop = loop
        self._clock = clock
        self._lock = threading.Lock()
        self._t0 = self.session.start_t_s
        self._n = self.session.n_samples
        self._duration = self.session.duration_s
        self._events = sorted(
            ((float(e["t_s"]) - self._t0, _EVENT_STATUS[e["type"]], e)
             for e in self.session.events
             if e.get("type") in _EVENT_STATUS and isinstance(e.get("t_s"), int | float)),
            key=lambda x: x[0])
        self._status: list[SourceStatus] = []
        self._started = False
        self._stopped = False
        self._paused = False
        self._pos = 0.0  # play position (s from first sample) at clock value _anchor
        self._anchor = 0.0
        self._next = 0  # next sample index to deliver
        self._next_event = 0
        self._finished = self._n == 0
        self._barrier = False

    # -- Source protocol -----------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            self._anchor = self._clock()
            self._status.append(SourceStatus("streaming", "replay started", self._t0))

    def stop(self) -> None:
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
            self._status.append(SourceStatus("stopped", "replay stopped", None))

    def read(self) -> SampleBatch:
        empty = SampleBatch.empty(self.session.has_mag)
        with self._lock:
            if not self._started or self._stopped or self._n == 0:
                return empty
            if self._barrier:  # first read after seek(): let the seek status be seen first
                self._barrier = False
                return empty
            pos = self._position_locked()
            end_index = self._index_at(pos)
            out = empty
            if end_index > self._next:
                out = self.session.slice(self._next, end_index)
                self._next = end_index
            self._emit_events_until(pos)
            if pos >= self._duration:
                if self.loop:
                    # wrap: the next read continues from the start with the time left over
                    leftover = (pos - self._duration) % self._duration
                    self._seek_locked(0.0, reason="loop")
                    self._pos = leftover
                elif not self._finished:
                    self._finished = True
                    self._status.append(SourceStatus("stopped", "end of recording",
                                                     self.session.end_t_s))
            return out

    def drain_status(self) -> list[SourceStatus]:
        with self._lock:
            out, self._status = self._status, []
        return out

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._finished

    # -- player controls -----------------------------------------------------------------
    @property
    def position_s(self) -> float:
        """Play position in seconds from the first sample."""
        with self._lock:
            return min(self._position_locked(), self._duration)

    @property
    def duration_s(self) -> float:
        return self._duration

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    def pause(self) -> None:
        with self._lock:
            if not self._paused:
                self._pos = self._position_locked()
                self._anchor = self._clock()
                self._paused = True

    def resume(self) -> None:
        with self._lock:
            if self._paused:
                self._anchor = self._clock()
                self._paused = False

    def set_speed(self, speed: float) -> None:
        """Change the playback rate (0.25–4) without jumping."""
        self._check_speed(speed)
        with self._lock:
            self._pos = self._position_locked()
            self._anchor = self._clock()
            self._speed = float(speed)

    def seek(self, position_s: float) -> None:
        """Jump to ``position_s`` seconds from the first sample (clamped to the recording)."""
        with self._lock:
            self._seek_locked(position_s, reason="seek")

    # -- internals -----------------------------------------------------------------------
    @staticmethod
    def _check_speed(speed: float) -> None:
        if not (MIN_SPEED <= speed <= MAX_SPEED):
            raise ValueError(f"speed must be within {MIN_SPEED}..{MAX_SPEED}, got {speed!r}")

    def _position_locked(self) -> float:
        if self._paused or not self._started:
            return self._pos
        return self._pos + (self._clock() - self._anchor) * self._speed

    def _index_at(self, pos: float) -> int:
        """Samples with (t_s − first) < pos are due (pos in s from the first sample)."""
        if pos >= self._duration:
            return self._n
        return self.session.index(self._t0 + pos, side="left")

    def _seek_locked(self, position_s: float, *, reason: str) -> None:
        pos = float(np.clip(position_s, 0.0, self._duration))
        self._pos = pos
        self._anchor = self._clock()
        self._next = self._index_at(pos)
        self._next_event = next((i for i, e in enumerate(self._events) if e[0] >= pos),
                                len(self._events))
        self._finished = self._n == 0
        self._barrier = reason == "seek"
        self._status.append(SourceStatus("seek", reason, self._t0 + pos,
                                         {"position_s": pos, "reason": reason}))

    def _emit_events_until(self, pos: float) -> None:
        while self._next_event < len(self._events) and self._events[self._next_event][0] < pos:
            rel, kind, event = self._events[self._next_event]
            data = {k: v for k, v in event.items() if k not in ("t_s", "type")}
            self._status.append(SourceStatus(kind, str(event.get("message", "")), self._t0 + rel,
                                             data))
            self._next_event += 1
