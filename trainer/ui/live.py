"""What the dashboard shows of a training session, without Qt: plot buffers, link statistics,
loss markers, live metrics.

The model is ``trainer.training.session.TrainingSession`` (source → pipeline → drill guide →
recorder → levels), the same one `record` drives. The GUI calls :meth:`LiveSession.pump` from its
60 Hz timer: the training session takes what arrived, and this view files it into ring buffers
(vectorised per batch). Errors never propagate: they become ``PumpResult.errors`` (one line
each); a failed source is stopped, a failed recorder closed (the recording keeps what it has).
A drill swaps in its own training session (:meth:`LiveSession.begin`): a fresh pipeline and
recording from its first sample, as in `record`.
"""

from __future__ import annotations

import contextlib
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from trainer.core.pipeline import Pipeline
from trainer.training.session import Step, TrainingPlan, TrainingSession
from trainer.ui.backfill import TiltBackfill, fill_ring, keep_s_for
from trainer.ui.ring import RingBuffer
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.source import Source, SourceStatus

# ring buffer columns
T, AP, ML, GX, GY, GZ = range(6)
N_COLUMNS = 6
LOSS_TYPES = ("balance_loss", "loss", "balance-loss")


class PipelineLike(Protocol):
    def process(self, batch: SampleBatch) -> Any: ...

    def live_metrics(self) -> dict[str, float] | None: ...


def event_fields(event: Any) -> dict[str, Any]:
    """An event from the pipeline (dict or dataclass-like) as a plain dict with t_s and type."""
    if isinstance(event, dict):
        return dict(event)
    if hasattr(event, "as_json"):
        return dict(event.as_json())
    if hasattr(event, "__dataclass_fields__"):
        return {k: getattr(event, k) for k in event.__dataclass_fields__}
    return {"t_s": getattr(event, "t_s", None), "type": str(getattr(event, "type", event))}


class LinkStats:
    """Effective sample rate (over ~2 s of wall time) and loss % from sequence-number gaps."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._arrivals: deque[tuple[float, int]] = deque()
        self.received = 0
        self.lost = 0
        self._last_seq: int | None = None

    def update(self, batch: SampleBatch, now_s: float) -> None:
        n = len(batch)
        if n == 0:
            return
        self._arrivals.append((now_s, n))
        while self._arrivals and now_s - self._arrivals[0][0] > self.window_s:
            self._arrivals.popleft()
        seq = batch.seq.astype(np.int64)
        prev = self._last_seq if self._last_seq is not None else int(seq[0]) - 1
        steps = np.diff(np.concatenate(([prev], seq))) % (1 << 32)
        # a step of 1 is no loss; huge steps (device reset, wrap oddities) are not counted
        gaps = steps[(steps > 1) & (steps < 100_000)] - 1
        self.lost += int(gaps.sum())
        self.received += n
        self._last_seq = int(seq[-1])

    def rate_hz(self, now_s: float) -> float:
        recent = [(t, n) for t, n in self._arrivals if now_s - t <= self.window_s]
        if len(recent) < 2:
            return 0.0
        span = now_s - recent[0][0]
        return sum(n for _, n in recent[1:]) / span if span > 0 else 0.0

    @property
    def loss_pct(self) -> float:
        total = self.received + self.lost
        return 100.0 * self.lost / total if total else 0.0


@dataclass
class PumpResult:
    n_new: int = 0  # samples analysed and recorded (in whole analysis steps)
    n_shown: int = 0  # samples newly in the plot buffers (every read: shown at once)
    statuses: list[SourceStatus] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # the pipeline's (losses)
    drill_events: list[Any] = field(default_factory=list)  # the guide's (cues, phases, …)
    errors: list[str] = field(default_factory=list)
    done: str | None = None  # the training session is over: drill done, source finished, …
    arrival_s: float = 0.0  # the clock when the batch was taken from the source


def free_session(source: Source, *, drill_id: str = "single-leg-balance", side: str = "left",
                 placement: str | None = None, calibration: CalibrationProfile | None = None,
                 pipeline_factory: Callable[[], PipelineLike] | None = None,
                 target_radius_deg: float = 3.0, source_started: bool = False
                 ) -> TrainingSession:
    """A training session without guide or recording: the live view before a drill, a replay."""
    plan = TrainingPlan(drill_id=drill_id, side=side, placement=placement, guided=False,
                        target_radius_deg=target_radius_deg)
    return TrainingSession(source, plan, calibration=calibration, update_progress=False,
                           source_started=source_started, pipeline_factory=pipeline_factory)


def _core_config(session: TrainingSession) -> Any:
    """The session pipeline's configuration (None: a test double, nothing to back-fill)."""
    return session.config if isinstance(session.pipeline, Pipeline) else None


class LiveSession:
    """The dashboard's view of one :class:`TrainingSession`, pumped by the GUI timer.

    Built from a training session, or (tests, replay) from a source and a pipeline factory: a
    free session then."""

    def __init__(
        self,
        source: Source | TrainingSession,
        pipeline_factory: Callable[[], PipelineLike] | None = None,
        *,
        window_s: float = 10.0,
        sample_rate_hz: float | None = None,
        trace_s: float = 5.0,
        clock: Clock = wall_clock,
    ) -> None:
        session = (source if isinstance(source, TrainingSession)
                   else free_session(source, pipeline_factory=pipeline_factory))
        self.session = session
        self.clock = clock  # arrival times for the link statistics
        rate = float(sample_rate_hz or session.source.info.sample_rate_hz or 100.0)
        self.sample_rate_hz = rate
        self.window_s = window_s
        self.trace_s = trace_s
        self.ring = RingBuffer(math.ceil(window_s * rate * 1.2) + 16, N_COLUMNS)
        self.losses_t_s: deque[float] = deque(maxlen=500)
        self.events: deque[dict[str, Any]] = deque(maxlen=2000)
        self.link = LinkStats()
        self.running = False
        self.failed: str | None = None
        self.metrics: dict[str, float] = {}
        self.in_target_count = 0
        self.in_target_total = 0
        self.target_radius_deg = 3.0
        #: the tilt of the samples read before it was known (the sync jump), drawn once it is
        self.backfill = TiltBackfill(_core_config(session), keep_s_for(window_s))

    # -- the model -----------------------------------------------------------------------------
    @property
    def source(self) -> Source:
        return self.session.source

    @property
    def pipeline(self) -> Any:
        return self.session.pipeline

    @property
    def recorder(self) -> Any:
        return self.session.writer

    def attach_recorder(self, recorder: Any) -> None:
        """Record into ``recorder`` from now on (a SessionWriter; tests)."""
        self.session.writer = recorder

    def begin(self, session: TrainingSession, *, keep_view: bool = False) -> None:
        """Show ``session`` from now on (a drill starts: its own pipeline and recording; after
        it the stream goes on in a free session, ``keep_view``: the plots keep their data)."""
        self.session = session
        self.failed = None
        self.running = True
        self.backfill = TiltBackfill(_core_config(session), keep_s_for(self.window_s))
        if keep_view:
            return
        self.ring.clear()
        self.losses_t_s.clear()
        self.metrics = {}
        self.in_target_count = self.in_target_total = 0

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.session.start()
        self.running = True

    def stop(self) -> None:
        self.running = False
        with contextlib.suppress(Exception):  # stopping must never raise into the GUI
            self.source.stop()

    def reset_view(self) -> None:
        """Forget plotted data and restart the pipeline (after a replay seek)."""
        self.session.reset_pipeline()
        self.backfill.reset()
        self.ring.clear()
        self.losses_t_s.clear()
        self.metrics = {}

    def close_recorder(self, status: str = "complete", **meta: Any) -> str | None:
        """Close the recorder (keeps everything written); returns an error line or None."""
        self.session.flush()
        rec, self.session.writer = self.session.writer, None
        if rec is None:
            return None
        try:
            rec.close(status, **meta)
        except Exception as exc:
            return f"could not finish the recording: {exc}"
        return None

    # -- the hot path --------------------------------------------------------------------------
    def pump(self) -> PumpResult:
        """Take what arrived (through the training session), update the buffers. Never raises."""
        res = PumpResult()
        if not self.running:
            return res
        step: Step = self.session.pump()
        res.arrival_s = self.clock()
        res.statuses = step.statuses
        res.errors = list(step.errors)
        res.drill_events = step.drill_events
        res.done = step.done
        if step.done == "source failed":
            self.failed = step.errors[0] if step.errors else "the sensor stream failed"
            self.stop()
            return res
        res.n_new = step.n_new
        if step.n_new:
            self.link.update(step.batch, res.arrival_s)
        if step.processed is not None:
            self.ingest(step.processed, res)
            res.n_shown = len(step.processed.t_s)
            if step.read is not None:
                filled = self.backfill.feed(step.read, step.processed.tilt_ap_deg)
                if filled is not None:
                    fill_ring(self.ring, filled, T, AP, ML)
        for ev in step.drill_events:
            if ev.type == "balance_loss":
                self.add_loss(float(ev.t_s))
        return res

    def ingest(self, out: Any, res: PumpResult | None = None) -> None:
        """A processed batch into the plot buffers, the in-target count and the loss markers."""
        t = np.asarray(out.t_s, dtype=np.float64)
        n = t.shape[0]
        if n == 0:
            return
        rows = np.empty((n, N_COLUMNS))
        rows[:, T] = t
        rows[:, AP] = out.tilt_ap_deg
        rows[:, ML] = out.tilt_ml_deg
        rows[:, GX:GZ + 1] = np.asarray(out.gyr_dps, dtype=np.float64).reshape(n, 3)
        self.ring.write(rows)
        # in target with the radius chosen now (the pipeline's was fixed when it was built)
        arr = np.hypot(rows[:, AP], rows[:, ML]) <= self.target_radius_deg  # NaN: False
        self.in_target_count += int(arr.sum())
        self.in_target_total += int(arr.size)
        for ev in getattr(out, "events", ()) or ():
            d = event_fields(ev)
            if res is not None:
                res.events.append(d)
            self.events.append(d)
            if str(d.get("type", "")) in LOSS_TYPES and d.get("t_s") is not None:
                self.add_loss(float(d["t_s"]))

    def add_loss(self, t_s: float, merge_s: float = 0.5) -> bool:
        """Note a balance loss for the markers; one already within ``merge_s`` is the same loss
        (the pipeline, the drill session and a replayed events file may all report it)."""
        if any(abs(t - t_s) < merge_s for t in self.losses_t_s):
            return False
        self.losses_t_s.append(t_s)
        return True

    def update_metrics(self) -> dict[str, float]:
        """Sliding-window metrics from the pipeline (called at a few Hz, not per frame)."""
        try:
            self.metrics = dict(self.pipeline.live_metrics() or {})
        except Exception:  # a test double or a pipeline without enough data: no numbers yet
            self.metrics = {}
        return self.metrics

    @property
    def jump_t_s(self) -> float | None:
        """The sync jump's landing (the first sensor's time; None: none seen)."""
        sync = getattr(self.session, "sync", None)
        return None if sync is None else sync.landing_t_s

    @property
    def sway_from_t_s(self) -> float | None:
        """The sway view draws only from here: the drill guide's start after the sync jump
        (+inf while it is waited for: the jump is not sway); None: from the first sample."""
        sync = getattr(self.session, "sync", None)
        if sync is None:
            return None
        return math.inf if sync.t_end_s is None else float(sync.t_end_s)

    @property
    def latest_t_s(self) -> float | None:
        row = self.ring.latest()
        return None if row is None else float(row[T])
