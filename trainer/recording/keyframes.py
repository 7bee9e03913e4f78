"""Seek anywhere in a replay at once: keyframes of the pipeline's state.

A replay's plots and metrics come from a stateful pipeline (orientation filter, tilt reference,
balance-loss detector, live window), so the state at a position depends on everything before
it. Re-running the pipeline from the start on every seek costs ~0.4 s per hour of 400 Hz data.
:class:`PipelineKeyframes` runs the session once through a fresh pipeline in a background thread
and keeps a deep copy of it every ``interval_s`` of samples (a few kB each: filter states and the
live window). :meth:`PipelineKeyframes.restore` copies the latest keyframe at or before
``position − lead`` and processes the samples from there to the position: at most
``interval_s + lead`` seconds of data, whatever the position, and the same state as the
uninterrupted replay (the pipeline gives the same output however a recording is batched).
Qt-free; the dashboard calls ``restore`` on a seek.
"""

from __future__ import annotations

import bisect
import copy
import threading
from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

from trainer.recording.reader import Session
from trainer.vocab.batch import SampleBatch

#: Seconds of samples between keyframes (~4 000 samples a keyframe at 400 Hz on a seek).
INTERVAL_S = 10.0


class Processing(Protocol):
    """What a keyframe holds: a stateful batch processor (``trainer.core.pipeline.Pipeline``)."""

    def process(self, batch: SampleBatch) -> Any: ...


P = TypeVar("P", bound=Processing)


class PipelineKeyframes(Generic[P]):
    """Deep copies of a pipeline after every ``interval_s`` of ``session``, built in a daemon
    thread started at construction (``start=False`` builds them in :meth:`build`, for tests and
    benchmarks). Thread-safe."""

    def __init__(self, session: Session, factory: Callable[[], P], *,
                 interval_s: float = INTERVAL_S, start: bool = True) -> None:
        if not interval_s > 0:
            raise ValueError(f"interval_s must be positive, got {interval_s!r}")
        self.session = session
        self.factory = factory
        self.step = max(1, round(interval_s * session.sample_rate_hz))
        self._index: list[int] = [0]  # sample index each keyframe has processed up to
        self._frames: list[P] = [factory()]
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.done = threading.Event()
        self._complete = False
        self._thread: threading.Thread | None = None
        if start:
            self._thread = threading.Thread(target=self.build, name="replay-keyframes",
                                            daemon=True)
            self._thread.start()

    def build(self) -> None:
        """One pass over the session, keeping a copy of the pipeline every ``step`` samples."""
        try:
            with self._lock:
                pipe = copy.deepcopy(self._frames[0])
            n = self.session.n_samples
            for i0 in range(0, n, self.step):
                if self._stop.is_set():
                    return
                i1 = min(n, i0 + self.step)
                pipe.process(self.session.slice(i0, i1))
                if i1 < n:
                    snapshot = copy.deepcopy(pipe)
                    with self._lock:
                        self._index.append(i1)
                        self._frames.append(snapshot)
            self._complete = True
        finally:
            self.done.set()

    def close(self) -> None:
        """Stop building (a replay closed); keyframes built so far stay usable."""
        self._stop.set()

    @property
    def covered_s(self) -> float:
        """Seconds from the first sample up to the last keyframe built."""
        if self._complete:
            return self.session.duration_s
        with self._lock:
            last = self._index[-1]
        return last / self.session.sample_rate_hz

    def nearest(self, index: int) -> tuple[int, P]:
        """A copy of the latest keyframe that has processed at most ``index`` samples, and how
        many it has processed."""
        with self._lock:
            k = bisect.bisect_right(self._index, index) - 1
            at, frame = self._index[k], self._frames[k]
        return at, copy.deepcopy(frame)

    def restore(self, position_s: float, lead_s: float = 0.0) -> tuple[P, Any]:
        """The pipeline as the uninterrupted replay has it at ``position_s`` (seconds from the
        first sample), and its output for the samples processed to get there (at least
        ``lead_s`` seconds before the position when the session has them: what the plots show;
        None when there were none)."""
        s = self.session
        t0 = s.start_t_s
        i_pos = s.index(t0 + max(0.0, position_s))
        i_lead = s.index(t0 + max(0.0, position_s - lead_s))
        at, pipe = self.nearest(i_lead)
        if i_pos <= at:
            return pipe, None
        return pipe, pipe.process(s.slice(at, i_pos))
