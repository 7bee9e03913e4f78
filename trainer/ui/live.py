"""The live data path, without Qt: pull from a source, process, record, fill the plot buffers.

The GUI calls :meth:`LiveSession.pump` from its 60 Hz timer; everything here is vectorised per
batch, so the cost per frame does not depend on the sample rate's burstiness. Errors from the
source, the pipeline or the recorder never propagate: they become ``PumpResult.errors`` (one line
each), the source/recorder that failed is stopped/closed and the recording keeps what it has.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from trainer.ui.ring import RingBuffer
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import Source, SourceStatus

# ring buffer columns
T, AP, ML, GX, GY, GZ = range(6)
N_COLUMNS = 6
LOSS_TYPES = ("balance_loss", "loss", "balance-loss")


class PipelineLike(Protocol):
    def process(self, batch: SampleBatch) -> Any: ...

    def live_metrics(self) -> dict[str, float] | None: ...


class RecorderLike(Protocol):
    def append(self, batch: SampleBatch) -> int: ...

    def event(self, t_s: float | None, event_type: str, **fields: Any) -> None: ...

    def status_event(self, status: SourceStatus) -> bool: ...

    def close(self, status: str = ..., **meta: Any) -> dict[str, Any]: ...


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
    n_new: int = 0
    statuses: list[SourceStatus] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    arrival_s: float = 0.0  # perf_counter when the batch was taken from the source


class LiveSession:
    """One source → pipeline → (recorder) → ring buffers, pumped by the GUI timer."""

    def __init__(
        self,
        source: Source,
        pipeline_factory: Callable[[], PipelineLike],
        *,
        window_s: float = 10.0,
        sample_rate_hz: float | None = None,
        trace_s: float = 5.0,
    ) -> None:
        self.source = source
        self.pipeline_factory = pipeline_factory
        self.pipeline = pipeline_factory()
        rate = float(sample_rate_hz or source.info.sample_rate_hz or 100.0)
        self.sample_rate_hz = rate
        self.window_s = window_s
        self.trace_s = trace_s
        self.ring = RingBuffer(math.ceil(window_s * rate * 1.2) + 16, N_COLUMNS)
        self.losses_t_s: deque[float] = deque(maxlen=500)
        self.events: deque[dict[str, Any]] = deque(maxlen=2000)
        self.link = LinkStats()
        self.recorder: RecorderLike | None = None
        self.running = False
        self.failed: str | None = None
        self.metrics: dict[str, float] = {}
        self.in_target_count = 0
        self.in_target_total = 0
        self.target_radius_deg = 3.0
        # called with each processed batch (the guided drill feeds on it)
        self.on_processed: Callable[[Any], None] | None = None
        # a guided drill records its own (deduplicated) events; then the pipeline's are not
        self.record_pipeline_events = True

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.source.start()
        self.running = True

    def stop(self) -> None:
        self.running = False
        with contextlib.suppress(Exception):  # stopping must never raise into the GUI
            self.source.stop()

    def reset_view(self) -> None:
        """Forget plotted data and restart the pipeline (after a replay seek)."""
        self.pipeline = self.pipeline_factory()
        self.ring.clear()
        self.losses_t_s.clear()
        self.metrics = {}

    def attach_recorder(self, recorder: RecorderLike | None) -> None:
        self.recorder = recorder

    def close_recorder(self, status: str = "complete", **meta: Any) -> str | None:
        """Close the recorder (keeps everything written); returns an error line or None."""
        rec, self.recorder = self.recorder, None
        if rec is None:
            return None
        try:
            rec.close(status, **meta)
        except Exception as exc:
            return f"could not finish the recording: {exc}"
        return None

    # -- the hot path --------------------------------------------------------------------------
    def pump(self) -> PumpResult:
        """Take what arrived, process it, record it, update the buffers. Never raises."""
        res = PumpResult()
        if not self.running:
            return res
        try:
            batch = self.source.read()
            res.statuses = self.source.drain_status()
        except Exception as exc:
            self.failed = f"the sensor stream failed: {type(exc).__name__}: {exc}"
            res.errors.append(self.failed)
            self.stop()
            return res
        res.arrival_s = time.perf_counter()
        n = len(batch)
        if n and self.recorder is not None:
            self._record(lambda: self.recorder.append(batch), res)  # type: ignore[union-attr]
        self._record_statuses(res.statuses, res)
        if n == 0:
            return res
        res.n_new = n
        self.link.update(batch, res.arrival_s)
        try:
            out = self.pipeline.process(batch)
        except Exception as exc:
            res.errors.append(f"processing failed, batch skipped: {type(exc).__name__}: {exc}")
            return res
        self._ingest(out, res)
        return res

    def _record_statuses(self, statuses: list[SourceStatus], res: PumpResult) -> None:
        """Link statuses into events.jsonl, on the session clock: a status without a time before
        the first recorded sample has no place on it and is not recorded."""
        rec = self.recorder
        if rec is None:
            return
        known = getattr(rec, "last_t_s", None) is not None
        for st in statuses:
            if st.t_s is not None or known:
                self._record(functools.partial(rec.status_event, st), res)

    def _record(self, call: Callable[[], object], res: PumpResult) -> None:
        try:
            call()
        except Exception as exc:
            res.errors.append(f"recording stopped (data so far kept): {exc}")
            self.close_recorder("complete", error=str(exc))

    def _ingest(self, out: Any, res: PumpResult) -> None:
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
            res.events.append(d)
            self.events.append(d)
            if str(d.get("type", "")) in LOSS_TYPES and d.get("t_s") is not None:
                self.add_loss(float(d["t_s"]))
            if self.recorder is not None and self.record_pipeline_events:
                fields = {k: v for k, v in d.items() if k not in ("t_s", "type")}
                self._record(
                    functools.partial(self.recorder.event, d.get("t_s"),
                                      str(d.get("type", "event")), **fields),
                    res,
                )
        if self.on_processed is not None:
            try:
                self.on_processed(out)
            except Exception as exc:
                res.errors.append(f"drill guidance failed: {type(exc).__name__}: {exc}")

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
        except Exception:
            self.metrics = {}
        return self.metrics

    @property
    def latest_t_s(self) -> float | None:
        row = self.ring.latest()
        return None if row is None else float(row[T])
