"""TrainingSession: one live drill, without Qt, driven the same way by `record` and the dashboard.

    source → (float32 as stored) → calibration + pipeline → drill guide → recorder → level store

Everything that decides *what happens* in a drill lives here, once:

- the plan: drill, side, placement, the user's choices (eyes, surface, sets, hold) over the level
  the progression store gives for this drill and side (:func:`drill_guide`);
- the pipeline configuration from the drill (``PipelineConfig.for_session``: balance losses are
  detected only in balance drills);
- samples go through the pipeline as ``imu.bin`` keeps them (float32), so live events are what
  ``analyze`` finds later;
- the event merge: one ``balance_loss`` line per loss with the core's and the drill's fields;
- the end: ``recording_stop``, the drill's stop, the pain rating (or its skip), ``drill_end``,
  ``session.json`` closed ``complete`` with the session summary, and for a real sensor the result
  in the progression store (simulated sessions never change the user's level);
- the pre-start checks (``trainer.training.checks``) and user events (:meth:`user_event`);
- with several live sensors, the sync jump asked for once at the first sample, as a step of its
  own: the drill guide waits until every sensor saw the landing, the person skips it
  (:meth:`TrainingSession.skip_sync_jump`) or a timeout (``trainer.training.syncjump``); then the
  ``sync_jump`` event (at the cue's time) says whether a landing was seen.

A front end loops: ``start()``, then ``pump()`` (record: every 50 ms; the dashboard: every frame)
until ``Step.done`` or the user stops (``stop_drill``), the pain rating (``rate_pain`` or
``skip_pain``) and ``finish(reason)``. Nothing here blocks or sleeps; a failing pipeline or drill
guide stops the live analysis (the recording goes on), a failing recorder stops the recording (what
was written is kept) — both become one-line ``Step.errors``.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from trainer.core.pipeline import Pipeline, PipelineConfig, ProcessedBatch
from trainer.core.trials import LiveTrials
from trainer.drills.catalog import CatalogError, DrillSpec, get_drill
from trainer.drills.session import DONE, PAIN, READY, DrillEvent, DrillSession
from trainer.drills.store import DrillStore
from trainer.training.summary import SwayAccumulator
from trainer.training.syncjump import SyncJumpStep
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.source import Source, SourceStatus
from trainer.vocab.sync import SYNC_JUMP_CUE, SYNC_JUMP_EVENT

#: Samples go through the pipeline, the guide and the recorder in steps of this much data,
#: counted from the first sample (see ``pump``): 0.1 s, well under a frame of feedback lag.
ANALYSIS_CHUNK_S = 0.1
#: The pipeline runs sooner, in steps of about this much data (a divisor of the analysis step),
#: so the front end shows every sample within a frame; fixed steps from the first sample keep
#: its output bit for bit the same however the samples were read.
PIPELINE_STEP_S = 0.01
#: What the user may choose on top of the level's parameters (only those the drill has).
CHOICES = ("eyes", "surface", "sets", "hold_s", "countdown_s", "protocol")
#: Events a person makes (DESIGN.md): a marker (M in the dashboard); ``user_touchdown`` (the
#: lifted foot touched down, issue 12: the drill guide ends the trial there).
USER_EVENT_TYPES = ("marker", "user_touchdown")


class TrainingError(Exception):
    """A session that cannot start (unknown drill, bad choice, recording not creatable)."""


@dataclass(frozen=True)
class TrainingPlan:
    """What to train and how. ``choices``: the user's eyes/surface/sets/hold_s/countdown_s (a value
    equal to the level's is no override). ``out``: the new session directory (None: not
    recorded). ``guided``: run the drill guide (False: a free recording / live view, the
    pipeline's events only). ``duration_s``: at most this much data."""

    drill_id: str = "single-leg-balance"
    side: str = "left"
    placement: str | None = None  # None: where the drill wants the sensor
    choices: Mapping[str, Any] = field(default_factory=dict)
    guided: bool = True
    out: Path | None = None
    recorded_with: str = "balance-trainer"
    duration_s: float | None = None
    target_radius_deg: float = 3.0


@dataclass
class Step:
    """What one :meth:`TrainingSession.pump` did (for the front end to show)."""

    batch: SampleBatch = field(default_factory=SampleBatch.empty)
    processed: ProcessedBatch | None = None
    read: SampleBatch | None = None  # the samples ``processed`` is of (as read)
    statuses: list[SourceStatus] = field(default_factory=list)
    core_events: list[dict[str, Any]] = field(default_factory=list)
    drill_events: list[DrillEvent] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    done: str | None = None  # why the session is over: drill done, duration, source finished

    @property
    def n_new(self) -> int:
        return len(self.batch)


@dataclass
class Outcome:
    """How the session ended: the recording, the drill result, the progression's answer."""

    path: Path | None
    meta: dict[str, Any] | None
    result: dict[str, Any] | None
    summary: dict[str, Any]
    progress_note: str | None = None  # "next time: …", or why the level did not change
    errors: list[str] = field(default_factory=list)


def as_stored(batch: SampleBatch) -> SampleBatch:
    """The batch with the values ``imu.bin`` keeps (float32), so the live events are exactly
    what ``analyze`` finds in the session later."""
    f4 = np.float32
    return SampleBatch(batch.t_s, batch.acc_g.astype(f4).astype(np.float64),
                       batch.gyr_dps.astype(f4).astype(np.float64), batch.seq, batch.mag_ut)


_ROW_FIELDS = ("t_s", "quat_wxyz", "tilt_ap_deg", "tilt_ml_deg", "gyr_dps", "acc_g", "in_target")


def cut_processed(outs: list[Any], sizes: list[int]) -> tuple[list[Any], list[Any]]:
    """Pipeline outputs (consecutive, in order) cut again into parts of ``sizes`` rows, and the
    rest (``[]`` or one part). Each event goes with the part holding its detection sample
    (``t_detected_s``), where processing that part alone would have reported it. Works on
    ``ProcessedBatch`` and on test doubles with fewer row fields."""
    if not outs:
        return [], []
    names = [k for k in _ROW_FIELDS if all(hasattr(o, k) for o in outs)]
    cols = {k: np.concatenate([np.asarray(getattr(o, k)) for o in outs]) for k in names}
    events = [e for o in outs for e in (getattr(o, "events", None) or ())]
    t = cols["t_s"]
    n = t.shape[0]
    detected = np.array([float(e.get("t_detected_s", e.get("t_s", 0.0))) for e in events])
    rows = np.clip(np.searchsorted(t, detected, side="left"), 0, max(0, n - 1))
    bounds = np.concatenate(([0], np.cumsum(sizes, dtype=np.int64)))
    if bounds[-1] < n:
        bounds = np.append(bounds, n)
    whole = isinstance(outs[0], ProcessedBatch)
    parts: list[Any] = []
    for i, j in itertools.pairwise(bounds.tolist()):
        fields = {k: v[i:j] for k, v in cols.items()}
        evs = [e for e, r in zip(events, rows, strict=True) if i <= r < j]
        parts.append(ProcessedBatch(**fields, events=evs) if whole
                     else SimpleNamespace(**fields, events=evs))
    return parts[:len(sizes)], parts[len(sizes):]


def drill_spec(drill_id: str) -> DrillSpec:
    try:
        return get_drill(drill_id)
    except CatalogError as exc:
        raise TrainingError(f"drill {drill_id}: {exc}") from None


def drill_guide(plan: TrainingPlan, fs_hz: float, store: DrillStore | None = None
                ) -> DrillSession:
    """The guide at the user's level for this drill and side (from the progression store), with
    the user's choices where they differ from the level's."""
    spec = drill_spec(plan.drill_id)
    rom_ref = None
    try:
        store = store or DrillStore()
        level = store.level_for(spec, plan.side)
        if spec.kind == "reps":  # the partial-rep reference: the person's own range
            rom_ref = store.rom_reference(spec, plan.side, plan.placement or spec.placement)
    except (OSError, ValueError):
        level = None  # an unreadable progress file: the drill's start level
    try:
        base = spec.params(level if spec.progression else None)
        overrides = {k: v for k, v in plan.choices.items()
                     if k in CHOICES and v is not None
                     and (v != base[k] if k in base else k == "protocol")}
        return DrillSession(spec, plan.side, level=level, params=overrides or None, fs_hz=fs_hz,
                            placement=plan.placement, rom_ref_deg=rom_ref)
    except (CatalogError, ValueError) as exc:
        raise TrainingError(f"drill {plan.drill_id}: {exc}") from None


def recorded_parameters(guide: DrillSession | None, plan: TrainingPlan) -> dict[str, Any]:
    """``session.json``'s ``drill.parameters``: what the guide runs (level included)."""
    if guide is None:
        return {k: v for k, v in plan.choices.items() if k in CHOICES and v is not None}
    params = {k: v for k, v in guide.params.items() if k != "sides"}
    if guide.level is not None:
        params["level"] = guide.level
    if guide.rom_ref_deg is not None:  # analyze judges partial reps as the session did
        params["rom_ref_deg"] = guide.rom_ref_deg
    return params


class TrainingSession:
    """One source through calibration, pipeline, drill guide and recorder; see the module doc.

    ``source``: not started yet (``start`` starts it) unless ``source_started`` (the dashboard
    hands over a connected sensor). ``guide``: a prepared :func:`drill_guide` (the simulator must
    follow it before it starts), else built from the plan. ``store``: the progression store
    (level lookup, result); ``update_progress`` None: only for real sensors. ``writer_factory``:
    how the recording is opened (tests; default ``SessionWriter``); ``pipeline_factory``: a
    pipeline replacing the core one (tests drive the dashboard with exact tilt).
    """

    def __init__(self, source: Source, plan: TrainingPlan, *,
                 calibration: CalibrationProfile | None = None,
                 guide: DrillSession | None = None, store: DrillStore | None = None,
                 update_progress: bool | None = None, source_started: bool = False,
                 writer_factory: Callable[..., Any] | None = None,
                 pipeline_factory: Callable[[], Any] | None = None) -> None:
        self.source = source
        self.plan = plan
        self.spec = drill_spec(plan.drill_id)
        self.placement = plan.placement or self.spec.placement
        self.calibration = calibration
        self.fs_hz = float(source.info.sample_rate_hz or 100.0)
        self.store = store
        self.drill: DrillSession | None = guide
        if plan.guided and guide is None:
            self.drill = drill_guide(plan, self.fs_hz, store)
        self.parameters = recorded_parameters(self.drill, plan)
        self.update_progress = (not source.info.simulated if update_progress is None
                                else update_progress)
        self.config = PipelineConfig.for_session(
            sample_rate_hz=self.fs_hz, drill_id=plan.drill_id, placement=self.placement,
            side=plan.side, calibration=calibration, target_radius_deg=plan.target_radius_deg)
        self._pipeline_factory = pipeline_factory
        self.pipeline: Any = self.new_pipeline()
        self._source_started = source_started
        self._owns_source = not source_started
        self._writer_factory = writer_factory
        self.writer: Any = None
        #: live sinks beside the recorder (the LSL outlet): the same calls as the writer
        #: (``append``, ``event``, ``status_event``) whether recording or not
        self.sinks: list[Any] = []
        self.sway = SwayAccumulator()
        # single-leg stance: each trial's steady-state sway, the numbers `analyze` gives
        self.trials = LiveTrials(self.fs_hz, plan.target_radius_deg)
        self.touchdowns_t_s: list[float] = []
        self.losses_t_s: list[float] = []
        self.first_active_t_s: float | None = None
        self.first_t_s: float | None = None
        self.last_t_s: float | None = None
        self.n_samples = 0
        self.analysis_failed: str | None = None
        self.recording_failed: str | None = None
        self.recording_stopped = False  # the drill's sets are over: no more samples recorded
        self.outcome: Outcome | None = None
        self._t_end: float | None = None
        self._pending: list[SampleBatch] = []
        self._processed: list[Any] = []  # the pipeline's output for the pending samples
        self._statuses: list[SourceStatus] = []  # timed, waiting for their samples
        self._chunk = max(1, round(self.fs_hz * ANALYSIS_CHUNK_S))
        target = max(1, round(self.fs_hz * PIPELINE_STEP_S))
        self._micro = max(d for d in range(1, target + 1) if self._chunk % d == 0)
        self._unprocessed: list[SampleBatch] = []  # read, waiting for a whole pipeline step
        self._active_from: float | None = None
        self._stop_written = False
        self._sync_asked = False  # the sync jump (several sensors) asked for, or not needed
        self._sync_cue: DrillEvent | None = None
        self.sync: SyncJumpStep | None = None  # the sync jump's step (several sensors)
        self._sync_end_cue: DrillEvent | None = None
        self.last_read_t_s: float | None = None  # the latest sample read (not yet analysed)

    def new_pipeline(self) -> Any:
        """A fresh pipeline for this session (``pipeline_factory``: a test double)."""
        return self._pipeline_factory() if self._pipeline_factory else Pipeline(self.config)

    def reset_pipeline(self) -> None:
        """Start the analysis again (a replay seek): a fresh pipeline, nothing pending."""
        self.pipeline = self.new_pipeline()
        self._pending = []
        self._processed = []
        self._unprocessed = []

    # ------------------------------------------------------------------ lifecycle
    @property
    def recording(self) -> bool:
        return self.writer is not None

    @property
    def path(self) -> Path | None:
        return None if self.writer is None else Path(self.writer.path)

    @property
    def phase(self) -> str:
        """The drill guide's phase (``free`` without a guide)."""
        return "free" if self.drill is None else str(self.drill.phase)

    def view(self) -> dict[str, Any]:
        """What the guide shows now (``DrillSession.view``; {} without a guide)."""
        return self.drill.view() if self.drill is not None else {}

    @property
    def drill_over(self) -> bool:
        """The sets are over (pain rating next, or done)."""
        return self.drill is not None and self.drill.phase in (PAIN, DONE)

    def open_recording(self) -> None:
        """Create the session directory (TrainingError with a one-line reason)."""
        if self.plan.out is None or self.writer is not None:
            return
        from trainer.recording import SessionError, SessionWriter

        factory = self._writer_factory or SessionWriter
        info = self.source.info
        try:
            self.writer = factory(
                self.plan.out, sample_rate_hz=info.sample_rate_hz, device=info,
                drill_id=self.plan.drill_id, drill_parameters=self.parameters,
                side=self.plan.side, placement=self.placement, calibration=self.calibration,
                simulated=info.simulated, extra={"recorded_with": self.plan.recorded_with})
        except (SessionError, OSError, ValueError) as exc:
            raise TrainingError(f"cannot create {self.plan.out}: {exc}") from None

    def start(self) -> None:
        """Open the recording and start the source (when this session owns it)."""
        self.open_recording()
        if not self._source_started:
            try:
                self.source.start()
            except BaseException:
                self._abandon_recording()
                raise
            self._source_started = True

    def _abandon_recording(self) -> None:
        if self.writer is not None:
            with contextlib.suppress(Exception):
                self.writer.close()

    # ------------------------------------------------------------------ the hot path
    def pump(self) -> Step:
        """Take what arrived, record it, analyse it, guide the drill. Never raises.

        The samples go through the guide and the recorder in whole steps of
        ``ANALYSIS_CHUNK_S`` counted from the first sample (the rest waits for the next call, or
        the end): what is analysed and recorded, and when, depends on the data only, never on
        how often the front end polls — so `record` and the dashboard write the same session
        from the same input. The pipeline itself (batch-invariant) runs on every sample as it
        arrives: ``Step.processed`` is shown at once, not a step later."""
        step = Step()
        if self.outcome is not None:
            return step
        try:
            batch = self.source.read()
            step.statuses = self.source.drain_status()
            finished = self.source.finished
        except Exception as exc:
            step.errors.append(f"the sensor stream failed: {type(exc).__name__}: {exc}")
            step.done = "source failed"
            return step
        if self.recording_stopped:  # the sets are over: the pain question is on
            return step
        if len(batch):
            self.last_read_t_s = float(batch.t_s[-1])
            if self._t_end is None and self.plan.duration_s:
                self._t_end = float(batch.t_s[0]) + self.plan.duration_s
            if self._t_end is not None and batch.t_s[-1] >= self._t_end:
                batch = batch.slice(0, int((batch.t_s < self._t_end).sum()))
                step.done = "duration"
        if len(batch) and not self._sync_asked:
            self._ask_sync_jump(float(batch.t_s[0]), batch, step)
        self._update_sync(step)
        self._pending.append(batch)
        self._run_pipeline(batch, step, final=step.done is not None or finished)
        # placed by the batch read with them; written once the samples up to them are
        self._statuses += self._timed_statuses(step.statuses, batch)
        self._process(self._take(final=step.done is not None or finished), step)
        if step.done is None and finished:
            step.done = "duration" if self.plan.duration_s else "source finished"
        if self._sync_cue is not None:
            step.drill_events.insert(0, self._sync_cue)
            self._sync_cue = None
        if self._sync_end_cue is not None:
            step.drill_events.insert(0, self._sync_end_cue)
            self._sync_end_cue = None
        return step

    def _ask_sync_jump(self, t_s: float, batch: SampleBatch, step: Step) -> None:
        """Several live sensors, recording: ask once for the sync jump at the first sample (a
        cue) and start its step: every sensor's samples go to it (a listener of the sensors'
        view) until it ends (:meth:`_update_sync`)."""
        self._sync_asked = True
        ask = getattr(self.source, "ask_sync_jump", None)
        if self.writer is None or ask is None or not ask(t_s):
            return
        self._sync_cue = DrillEvent(t_s, "cue", {"text": SYNC_JUMP_CUE, "sync_jump": True})
        sensors = getattr(self.source, "sensors", None)
        roles = tuple(getattr(sensors, "roles", ()) or ())
        listeners = getattr(self.source, "listeners", None)
        if len(roles) < 2 or listeners is None:  # nothing to watch: the cue alone, as before
            self._emit(lambda w: w.event(t_s, SYNC_JUMP_EVENT, cue=SYNC_JUMP_CUE), step)
            return
        self.sync = SyncJumpStep(t_s, roles)
        self.sync.add({str(getattr(sensors, "primary", roles[0])): batch})
        listeners.append(self._sync_listener)

    def _sync_listener(self, batches: Mapping[str, SampleBatch], _statuses: Any) -> None:
        if self.sync is not None:
            self.sync.add(batches)

    @property
    def sync_waiting(self) -> bool:
        """The sync jump's step is on: the drill guide waits for the landing (or a skip)."""
        return self.sync is not None and self.sync.waiting

    def _update_sync(self, step: Step | None) -> None:
        if self.sync is not None and self.sync.update():
            self._end_sync(step)

    def skip_sync_jump(self) -> bool:
        """The person skips the sync jump (it hurts, or they cannot): the guide starts with the
        next samples. False: no jump is being waited for."""
        if self.sync is None or not self.sync.skip(self.last_read_t_s or self.sync.t_cue_s):
            return False
        self._end_sync(None)
        return True

    def _end_sync(self, step: Step | None) -> None:
        """The step is over: the ``sync_jump`` event (at the cue's time, with what happened) and
        a cue for the front end."""
        sync = self.sync
        assert sync is not None
        listeners = getattr(self.source, "listeners", None)
        if listeners is not None and self._sync_listener in listeners:
            listeners.remove(self._sync_listener)
        fields = sync.event_fields()
        self._emit(lambda w: w.event(sync.t_cue_s, SYNC_JUMP_EVENT, **fields), step)
        cue = sync.end_cue()
        if cue:
            self._sync_end_cue = DrillEvent(float(sync.t_end_s or sync.t_cue_s), "cue",
                                            {"text": cue, "sync_jump_end": sync.outcome})

    def _run_pipeline(self, batch: SampleBatch, step: Step, *, final: bool = False) -> None:
        """The pipeline on the samples read, in whole ``PIPELINE_STEP_S`` steps (all of them
        when ``final``), for the front end to show now; the guide, the events and the recorder
        take its output in whole analysis steps (``_analyse``)."""
        if self.analysis_failed:
            return
        waiting = [b for b in (*self._unprocessed, batch) if len(b)]
        self._unprocessed = []
        if not waiting:
            return
        raw = waiting[0] if len(waiting) == 1 else SampleBatch.concat(waiting)
        m = self._micro
        n = len(raw) if final else len(raw) // m * m
        if n < len(raw):
            self._unprocessed = [raw.slice(n)]
        outs = []
        try:
            for i in range(0, n, m):
                outs.append(self.pipeline.process(as_stored(raw.slice(i, min(n, i + m)))))
        except Exception as exc:  # the data matter more than the live analysis
            self.analysis_failed = f"{type(exc).__name__}: {exc}"
            step.errors.append(f"live analysis stopped (recording goes on): "
                               f"{self.analysis_failed}")
            return
        if outs:
            self._processed += outs
            step.processed = cut_processed(outs, [n])[0][0] if len(outs) > 1 else outs[0]
            step.read = raw.slice(0, n)

    def _take(self, final: bool) -> SampleBatch:
        """The pending samples in whole analysis steps (all of them when ``final``)."""
        pending = [b for b in self._pending if len(b)]
        self._pending = []
        if not pending:
            return SampleBatch.empty()
        batch = pending[0] if len(pending) == 1 else SampleBatch.concat(pending)
        size = self._chunk
        n = len(batch) if final else len(batch) // size * size
        if n < len(batch):
            self._pending = [batch.slice(n)]
        return batch.slice(0, n)

    def _process(self, batch: SampleBatch, step: Step, *, final: bool = False) -> None:
        if len(batch):
            self._analyse(batch, step)
            if self.drill_over and step.done is None:
                step.done = "drill done"
            if step.done == "drill done":  # record up to the end of the sets, not the batch
                self.recording_stopped = True
                self._pending = []
                self._processed = []
                self._unprocessed = []
                t_over = self._t_sets_over(step.drill_events)
                if t_over is not None:
                    batch = batch.slice(0, int((batch.t_s <= t_over).sum()))
                    # nor the core's events detected in those samples: analyze of the recording
                    # cannot find them (e.g. the planned foot-down after the last set, a
                    # "settle" whose onset is before the end but its detection after it)
                    step.core_events = [e for e in step.core_events
                                        if float(e.get("t_detected_s", e["t_s"])) <= t_over]
        step.batch = batch
        if len(batch):
            self._emit(lambda w: w.append(batch), step)
            if self.first_t_s is None:
                self.first_t_s = float(batch.t_s[0])
            self.last_t_s = float(batch.t_s[-1])
            self.n_samples += len(batch)
        last = self.last_t_s
        due = [st for st in self._statuses
               if final or (last is not None and float(st.t_s or 0.0) <= last)]
        self._statuses = [st for st in self._statuses if st not in due]
        self._write(step.core_events, step.drill_events, step, statuses=due)

    def _timed_statuses(self, statuses: list[SourceStatus], batch: SampleBatch | None
                        ) -> list[SourceStatus]:
        """Statuses on the session clock. One without its own time is placed at the first
        sample read with it, else at the last recorded sample; before any sample it has no
        place on the clock and is not recorded."""
        out = []
        last = self.writer.last_t_s if self.writer is not None else None
        for st in statuses:
            t = st.t_s
            if t is None:
                t = float(batch.t_s[0]) if batch is not None and len(batch) else last
            if t is not None:
                out.append(replace(st, t_s=float(t)))
        return out

    @staticmethod
    def _t_sets_over(events: list[DrillEvent]) -> float | None:
        for ev in events:
            if ev.type == "phase" and ev.data.get("phase") in (PAIN, DONE):
                return float(ev.t_s)
        return None

    def _analyse(self, batch: SampleBatch, step: Step) -> None:
        """The batch through the pipeline and the guide, one analysis step at a time (the guide
        sees the same steps whatever the polling)."""
        if self.analysis_failed:
            return
        size = self._chunk
        parts = [batch] if len(batch) <= size else batch.split([size] * (len(batch) // size))
        outs, self._processed = cut_processed(self._processed, [len(p) for p in parts])
        drill_events: list[DrillEvent] = []
        try:
            for part, processed in zip(parts, outs, strict=True):
                events: list[DrillEvent] = []
                drill = self.drill
                if drill is not None and not (drill.phase == READY and self.sync is not None
                                              and self.sync.holds(float(part.t_s[0]))):
                    if drill.phase == READY:
                        events += drill.start(float(part.t_s[0]))
                        self._guide_started(float(part.t_s[0]))
                    if drill.phase not in (PAIN, DONE):
                        events += drill.feed(processed)
                    self._accumulate(processed, events)
                    if self.spec.kind == "balance":
                        self._feed_trials(processed, events)
                self._note(processed.events, events)
                drill_events += events
                if drill is not None and drill.phase in (PAIN, DONE):
                    break  # the sets are over: no analysis past them, however large the batch
        except Exception as exc:  # the data matter more than the live analysis
            self.analysis_failed = f"{type(exc).__name__}: {exc}"
            step.errors.append(f"live analysis stopped (recording goes on): "
                               f"{self.analysis_failed}")
            return
        step.core_events = [e for out in outs for e in out.events]
        step.drill_events = drill_events

    def _guide_started(self, t_s: float) -> None:
        """After the sync jump's step, a simulated person follows the guide's real start (a
        skip: it does not jump either)."""
        follow = getattr(self.source, "guide_starts", None)
        if self.sync is not None and follow is not None:
            follow(t_s)

    def _accumulate(self, processed: ProcessedBatch, drill_events: list[DrillEvent]) -> None:
        """Whole-drill sway over the samples inside sets (``set_start`` ≤ t < ``set_end``):
        exact running sums, the same however the data is batched."""
        t = np.asarray(processed.t_s, dtype=np.float64)
        ap = np.asarray(processed.tilt_ap_deg, dtype=np.float64)
        ml = np.asarray(processed.tilt_ml_deg, dtype=np.float64)
        for ev in [e for e in drill_events if e.type in ("set_start", "set_end")] + [None]:
            if ev is not None and ev.type == "set_start":
                self._active_from = float(ev.t_s)
                continue
            if self._active_from is None:
                continue
            end = np.inf if ev is None else float(ev.t_s)
            sel = (t >= self._active_from) & (t < end)
            if sel.any():
                self.sway.add(ap[sel], ml[sel],
                              np.hypot(ap[sel], ml[sel]) <= self.plan.target_radius_deg)
            if ev is None:
                self._active_from = float(np.nextafter(t[-1], np.inf)) if t.size else None
            else:
                self._active_from = None

    def _feed_trials(self, processed: ProcessedBatch, drill_events: list[DrillEvent]) -> None:
        """Per-trial sway: each trial's samples from "Go" to its end (the window from the settle
        time to the end, first loss or touchdown is cut by time, so batching does not matter)."""
        quat = getattr(processed, "quat_wxyz", None)

        def feed() -> None:
            self.trials.feed(processed.t_s, processed.tilt_ap_deg, processed.tilt_ml_deg, quat)

        if self.trials.active:
            feed()
        losses = self.losses_t_s + [float(e.t_s) for e in drill_events
                                    if e.type == "balance_loss"]
        for ev in drill_events:
            if ev.type == "set_start":
                self.trials.begin(int(ev.data.get("set", 0)), float(ev.t_s))
                feed()
            elif ev.type == "set_end" and self.trials.active:
                self.trials.end(float(ev.t_s), losses, self.touchdowns_t_s)

    def _note(self, core_events: list[dict[str, Any]], drill_events: list[DrillEvent]) -> None:
        for ev in drill_events:
            if ev.type == "set_start" and self.first_active_t_s is None:
                self.first_active_t_s = float(ev.t_s)
        if self.drill is not None:
            self.losses_t_s += [float(ev.t_s) for ev in drill_events if ev.type == "balance_loss"]
        else:
            self.losses_t_s += [float(e["t_s"]) for e in core_events
                                if e.get("type") == "balance_loss"]

    def _guarded(self, call: Callable[[], list[DrillEvent]]) -> list[DrillEvent]:
        try:
            return call()
        except Exception as exc:
            self.analysis_failed = f"{type(exc).__name__}: {exc}"
            return []

    # ------------------------------------------------------------------ events
    def _write(self, core_events: list[dict[str, Any]], drill_events: list[DrillEvent],
               step: Step | None = None, statuses: list[SourceStatus] = ()  # type: ignore[assignment]
               ) -> None:
        """One ``balance_loss`` line per loss: the core's fields (kind, t_detected_s,
        peak_tilt_deg, direction_deg) plus the drill's (set, since_set_start_s) when the loss
        fell inside a set; every other persisted drill event as it is; the (timed) source
        statuses; all in time order."""
        if self.writer is None and not self.sinks:
            return
        lines: list[tuple[float, str, Any]] = []
        drill_losses: dict[float, dict[str, Any]] = {}
        for ev in drill_events:
            if not ev.persist:
                continue
            if ev.type == "balance_loss":
                drill_losses[float(ev.t_s)] = dict(ev.data)
            else:
                lines.append((float(ev.t_s), ev.type, dict(ev.data)))
        for e in core_events:
            t = float(e["t_s"])
            fields = {k: v for k, v in e.items() if k not in ("t_s", "type")}
            lines.append((t, str(e["type"]), {**fields, **drill_losses.pop(t, {})}))
        lines += [(t, "balance_loss", data) for t, data in drill_losses.items()]
        lines += [(float(st.t_s or 0.0), "", st) for st in statuses]
        for t, kind, data in sorted(lines, key=lambda x: x[0]):
            if not kind:  # a source status (its own event type: link_lost, gap, battery, …)
                self._emit(lambda w, st=data: w.status_event(st), step)  # type: ignore[misc]
            else:
                self._emit(lambda w, t=t, kind=kind, data=data:  # type: ignore[misc]
                           w.event(t, kind, **data), step)

    def _emit(self, call: Callable[[Any], object], step: Step | None) -> None:
        """``call`` on the recorder and on every sink; a failing sink is dropped (one error
        line), the session and the recording go on."""
        if self.writer is not None:
            self._record(lambda: call(self.writer), step)
        for sink in list(self.sinks):
            try:
                call(sink)
            except Exception as exc:
                self.sinks.remove(sink)
                with contextlib.suppress(Exception):
                    sink.close()
                if step is not None:
                    step.errors.append(f"live streaming stopped: {type(exc).__name__}: {exc}")

    def _record(self, call: Callable[[], object], step: Step | None) -> None:
        """A recorder call; on failure the recording is closed (kept) and the session goes on."""
        if self.writer is None:
            return
        try:
            call()
        except Exception as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.recording_failed = f"recording stopped (data so far kept): {reason}"
            if step is not None:
                step.errors.append(self.recording_failed)
            writer, self.writer = self.writer, None
            with contextlib.suppress(Exception):
                writer.close(error=reason)

    def user_event(self, event_type: str, t_s: float | None = None, **fields: Any) -> float | None:
        """An event the person makes (``USER_EVENT_TYPES``), at ``t_s`` or the last sample: into
        the recording, and to the drill guide when it handles it (issue 12: ``user_touchdown``
        ends the trial). Returns its time (None: no data yet)."""
        if event_type not in USER_EVENT_TYPES:
            raise ValueError(f"unknown user event {event_type!r}")
        t = self.last_t_s if t_s is None else float(t_s)
        if t is None:
            return None
        if event_type == "user_touchdown":  # ends the trial's steady state (per-trial sway)
            self.touchdowns_t_s.append(t)
        handler = getattr(self.drill, "user_event", None)
        drill_events = self._guarded(lambda: handler(event_type, t, **fields)) if handler else []
        self._emit(lambda w: w.event(t, event_type, **fields), None)
        self._write([], drill_events)
        return t

    def there(self) -> list[DrillEvent]:
        """Joint position sense: the person says "there" (Space) while reproducing a target, at
        the last sample; the guide's events are recorded and returned (cues)."""
        drill, t = self.drill, self.last_t_s
        if drill is None or t is None or self.recording_stopped:
            return []
        events = self._guarded(lambda: drill.there(float(t)))
        self._write([], events)
        return events

    # ------------------------------------------------------------------ the end
    def stop_drill(self, t_s: float | None = None) -> list[DrillEvent]:
        """The user stops early (or the session ends): the sets end, the pain question is next."""
        drill = self.drill
        t = self.last_t_s if t_s is None else t_s
        if drill is None or drill.phase in (READY, PAIN, DONE) or t is None:
            return []
        events = self._guarded(lambda: drill.stop(float(t)))
        self._write([], events)
        self.recording_stopped = True
        return events

    @property
    def asks_pain(self) -> bool:
        """The drill waits for the 0-10 pain rating (a set was begun)."""
        return self.drill is not None and self.drill.phase == PAIN and bool(self.drill.sets)

    def rate_pain(self, rating: int) -> list[DrillEvent]:
        """The pain rating, stamped at the recording's last sample: ``pain_rating``,
        ``drill_end``."""
        drill = self.drill
        if drill is None or drill.phase != PAIN or self.last_t_s is None:
            return []
        events = self._guarded(lambda: drill.rate_pain(int(rating), float(self.last_t_s or 0)))
        self._write([], events)
        return events

    def skip_pain(self) -> list[DrillEvent]:
        """No rating (not asked on a non-terminal, window closed, Skip): ``drill_end`` without
        one (``pain_skipped`` when a set was begun)."""
        drill = self.drill
        if drill is None or drill.phase != PAIN or self.last_t_s is None:
            return []
        data: dict[str, Any] = {"drill": drill.spec.id, "result": self._result()}
        if drill.sets:
            data["pain_skipped"] = True
        drill.phase = DONE
        events = [DrillEvent(float(self.last_t_s), "drill_end", data)]
        self._write([], events)
        return events

    def _result(self) -> dict[str, Any] | None:
        if self.drill is None or self.drill.t_start_s is None:
            return None
        try:
            return dict(self.drill.result())
        except Exception as exc:
            self.analysis_failed = self.analysis_failed or f"{type(exc).__name__}: {exc}"
            return None

    def flush(self) -> None:
        """Process and record the samples and statuses still waiting for a whole step."""
        if not self.recording_stopped and (self._pending or self._statuses):
            with contextlib.suppress(Exception):
                step = Step()
                self._run_pipeline(SampleBatch.empty(), step, final=True)
                self._process(self._take(final=True), step, final=True)

    def stop_recording(self, reason: str) -> None:
        """The samples still waiting for a whole analysis step, the last source statuses and
        ``recording_stop``; no more samples are recorded."""
        self.flush()
        self.recording_stopped = True
        if self.sync is not None and self.sync.stop(self.last_t_s):
            self._end_sync(None)
        if self.writer is None:
            return
        with contextlib.suppress(Exception):
            self._write([], [], statuses=self._timed_statuses(self.source.drain_status(), None))
        if self.writer is not None and self.writer.last_t_s is not None \
                and not self._stop_written:
            self._stop_written = True
            last = self.writer.last_t_s
            self._emit(lambda w: w.event(last, "recording_stop", reason=reason), None)

    def finish(self, reason: str = "stopped", *,
               ask_pain: Callable[[], int | None] | None = None,
               show: Callable[[list[DrillEvent]], None] | None = None,
               stop_source: bool | None = None) -> Outcome:
        """End everything, in this order: ``recording_stop``; the drill stopped (if it was not
        over); the pain rating (``ask_pain`` when given and a set was begun; else skipped);
        ``drill_end``; the recording closed ``complete`` with the summary; the level updated
        (real sensors). ``show`` sees the drill events of each step (cues, advice) as they
        happen. ``stop_source`` None: stop the source when this session started it (the
        dashboard keeps streaming after a drill). Idempotent; never raises (problems are in
        ``Outcome.errors``)."""
        if self.outcome is not None:
            return self.outcome
        errors: list[str] = []
        self.stop_recording(reason)
        drill = self.drill
        result: dict[str, Any] | None = None
        if drill is not None and drill.phase != READY and not self.analysis_failed:
            def shown(events: list[DrillEvent]) -> None:
                if show is not None and events:
                    show(events)

            if drill.phase not in (PAIN, DONE):
                shown(self.stop_drill())
            if drill.phase == PAIN:
                rating = ask_pain() if ask_pain is not None and self.asks_pain else None
                shown(self.rate_pain(rating) if rating is not None else self.skip_pain())
            result = self._result()
        summary = self.summary(result)
        meta = None
        if self.writer is not None:
            try:
                meta = dict(self.writer.close("complete", summary=summary))
            except OSError as exc:
                errors.append(f"finishing {self.writer.path} failed: {exc.strerror or exc} (the "
                              "samples written so far are kept; the session opens as recovered)")
        elif self.recording_failed:
            errors.append(self.recording_failed)
        if self.analysis_failed:
            errors.append(f"live analysis stopped: {self.analysis_failed}")
        if stop_source if stop_source is not None else self._owns_source:
            with contextlib.suppress(Exception):
                self.source.stop()
        note = None
        if result is not None and drill is not None and drill.sets and drill.phase == DONE:
            note = self._store_result(drill, result, str((meta or {}).get("session_id") or ""))
        self.outcome = Outcome(self.path if meta is not None else None, meta, result, summary,
                               note, errors)
        return self.outcome

    def _store_result(self, drill: DrillSession, result: dict[str, Any],
                      session_id: str) -> str:
        if not self.update_progress:
            return "simulated sensor: your progression is not changed"
        return store_result(drill, result, session_id, self.store)

    def summary(self, result: dict[str, Any] | None = None) -> dict[str, Any]:
        """What ``session.json`` keeps under ``summary`` (the History tab reads it)."""
        out: dict[str, Any] = {"drill": self.plan.drill_id, "side": self.plan.side,
                               "losses": len(self.losses_t_s),
                               "losses_t_s": [round(t, 3) for t in self.losses_t_s]}
        if self.spec.kind == "balance":  # the mean over trials of the steady-state sway
            summ = self.trials.summary()
            mean = summ["mean"]
            for k in ("ellipse_area", "rms", "mean_velocity"):
                if mean.get(k) is not None:
                    out[k] = mean[k]
            out["sway_trials"] = self.trials.trials
        # reps, holds and stretches: no sway metrics
        pct = self.sway.in_target_pct()
        if pct is not None:
            out["time_in_target_pct"] = pct
        if self.losses_t_s and self.first_active_t_s is not None:
            out["time_to_first_loss_s"] = max(0.0, self.losses_t_s[0] - self.first_active_t_s)
        if self.sway.n:
            out["active_samples"] = self.sway.n
        if result is not None:
            out["result"] = result
        return out


def stored_calibration(info: Any, *, side: str | None, placement: str,
                       accept_flagged: bool = False) -> tuple[CalibrationProfile, str]:
    """The sensor's stored calibration profile when it is usable (else a neutral one) and the
    line that says which (``calibration.store.profile_for_source``); the one lookup `record`
    and the dashboard share. ``ProfileError`` for an unreadable stored profile."""
    from calibration import store

    choice = store.profile_for_source(info, side=side, placement=placement,
                                      accept_flagged=accept_flagged)
    return choice.profile, choice.summary() if choice.stored is not None or not info.simulated \
        else ""


def store_result(drill: DrillSession, result: dict[str, Any], session_id: str,
                 store: DrillStore | None = None) -> str:
    """The progression store learns the result (next level, strong pain); the line to show."""
    try:
        decision = (store or DrillStore()).record_result(
            drill.spec, drill.side, dict(drill.params), result, session_id=session_id or None)
    except (OSError, ValueError) as exc:
        return f"warning: progress not stored: {exc}"
    return f"next time: {decision.label} ({decision.action}: {decision.reason})"


def follow_guide(source: Source, guide: DrillSession | None, *, start_s: float = 0.0) -> Source:
    """The simulated ``source`` (not started yet) again, its person now following ``guide``:
    lead-in, sets, reps, tempo, holds, rests and countdowns from the guide's plan, so live
    counts, ``analyze`` and the simulator's truth agree. Other sources, or no guide: as is."""
    from firmware_bridge.simulator import SimulatedSource
    from firmware_bridge.simulator import follow_guide as guided_config

    if guide is None or not isinstance(source, SimulatedSource):
        return source
    try:
        config = guided_config(source.config, guide, start_s=start_s)
    except ValueError as exc:
        raise TrainingError(f"simulator: {exc}") from None
    return SimulatedSource(config, speed=source.speed, clock=source.clock)


def release_session_dir(out: Path | None) -> None:
    """Give back a folder :func:`new_session_dir` reserved when nothing was written into it
    (the session never started); a folder with anything in it stays."""
    if out is not None:
        with contextlib.suppress(OSError):
            out.rmdir()


def new_session_dir(drill_id: str, side: str, root: str | os.PathLike[str] | None = None
                    ) -> Path:
    """A fresh ``<UTC time>-<drill>-<side>`` folder in ``root`` (default: the user's sessions
    folder), created empty: reserving the name is what keeps two sessions started in the same
    second (``record`` in two terminals, or beside the dashboard) apart — each gets its own."""
    from datetime import UTC, datetime

    from trainer.paths import ensure_private_dir, sessions_dir

    base = Path(root) if root is not None else ensure_private_dir(sessions_dir())
    stem = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{drill_id}-{side}"
    out, k = base / stem, 1
    while True:
        try:
            out.mkdir(mode=0o700)
            return out
        except FileExistsError:
            k += 1
            out = base / f"{stem}-{k}"
