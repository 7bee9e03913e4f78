"""DrillSession: the Qt-free state machine that guides one drill on one side.

Phases: ``ready`` → (``countdown`` → ``active`` → ``rest``)… → ``pain`` → ``done``. The UI drives
it with timestamps on the session clock (the data's ``t_s``):

    s = DrillSession(get_drill("single-leg-balance"), side="left", level=1)
    out = s.start(t_s)                 # countdown of the first set
    out += s.feed(processed_batch)     # each ProcessedBatch (detection + timers)
    out += s.tick(t_s)                 # timers only, when no data arrives
    out += s.rate_pain(3, t_s)         # in phase "pain": 0-10 rating, then "done"
    s.view()                           # what to show now (cue text, countdown, reps, time left)
    s.result()                         # the drill result (same shape as analyze_drill)

Every call returns ``DrillEvent``s: ``persist`` ones (drill_start, set_start, rep, hold_start,
hold_end, movement_during_hold, balance_loss, set_end, pain_rating, drill_end) belong in
``events.jsonl`` (``SessionWriter.event(ev.t_s, ev.type, **ev.data)``); the others are for the UI:
``cue`` (text, level info/warning), ``beep`` (kind tick/start/stop/rep/warning/done),
``countdown`` (seconds left), ``phase`` (the new phase).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer.drills.axis import up_from_quat
from trainer.drills.catalog import Catalog, DrillSpec, SetPlan, load_catalog
from trainer.drills.detectors import (
    DrillAngles,
    FloatArray,
    Rep,
    RepCounter,
    StillnessMonitor,
)
from trainer.drills.placement import placement_check
from trainer.drills.reps import (
    PREROLL_S,
    REP_GRACE_CONFIRM_S,
    REP_GRACE_S,
    LiveReps,
    vertical_acc_g,
)
from trainer.drills.results import build_result, hold_entry_deg, signal_for

READY, COUNTDOWN, ACTIVE, REST, PAIN, DONE = "ready", "countdown", "active", "rest", "pain", "done"
PHASES = (READY, COUNTDOWN, ACTIVE, REST, PAIN, DONE)
PERSISTED_TYPES = frozenset({
    "drill_start", "set_start", "rep", "hold_start", "hold_end", "movement_during_hold",
    "balance_loss", "set_end", "pain_rating", "drill_end", "drill_stopped",
    "there", "jps_trial", "lunge",
})
PROPRIO_KINDS = ("position-sense", "lunge")
MOVEMENT_CUE_GAP_S = 3.0
TEMPO_FAST_FRACTION = 0.15  # rising faster than this share of the tempo: 'slower'


@dataclass(frozen=True)
class DrillEvent:
    t_s: float
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def persist(self) -> bool:
        return self.type in PERSISTED_TYPES

    def to_json(self) -> dict[str, Any]:
        """The events.jsonl line: ``{"t_s": …, "type": …, …}``."""
        return {"t_s": round(float(self.t_s), 4), "type": self.type, **self.data}


@dataclass
class SetRecord:
    plan: SetPlan
    t_start_s: float
    t_end_s: float | None = None
    reps: list[Rep] = field(default_factory=list)
    losses_t_s: list[float] = field(default_factory=list)
    movements: int = 0
    angle_deg: float | None = None
    held_s: float | None = None


class _Frames:
    """Per-sample arrays of a ProcessedBatch-like object (attributes or mapping)."""

    def __init__(self, pb: Any) -> None:
        def get(name: str) -> Any:
            return pb.get(name) if isinstance(pb, Mapping) else getattr(pb, name, None)

        self.t_s = np.asarray(get("t_s"), dtype=np.float64).reshape(-1)
        n = self.t_s.size
        self.ap = np.asarray(get("tilt_ap_deg"), dtype=np.float64).reshape(-1)
        self.ml = np.asarray(get("tilt_ml_deg"), dtype=np.float64).reshape(-1)
        gyr = get("gyr_dps")
        self.gyr = (np.zeros((n, 3)) if gyr is None
                    else np.asarray(gyr, dtype=np.float64).reshape(-1, 3))
        quat, acc = get("quat_wxyz"), get("acc_g")
        self.quat = None if quat is None else np.asarray(quat, dtype=np.float64).reshape(-1, 4)
        self.acc = None if acc is None else np.asarray(acc, dtype=np.float64).reshape(-1, 3)
        events = get("events")
        #: the source runs the core's balance-loss detection (a ProcessedBatch always does)
        self.has_core_events = events is not None
        self.events = list(events or [])


def _event_fields(ev: Any) -> tuple[str, float | None]:
    if isinstance(ev, Mapping):
        return str(ev.get("type", "")), ev.get("t_s")
    return str(getattr(ev, "type", "")), getattr(ev, "t_s", None)



def pain_question(catalog: Catalog) -> str:
    """The cue that asks for the pain rating at a drill's end (the catalog's, or a short one)."""
    return catalog.common_cues.get("pain_question", "Pain 0-10?")

class DrillSession:
    """Guides one drill on one side; see the module docstring for the protocol."""

    def __init__(self, spec: DrillSpec, side: str, *, level: int | None = None,
                 params: Mapping[str, Any] | None = None, fs_hz: float = 100.0,
                 catalog: Catalog | None = None, placement: str | None = None,
                 calibrated: bool = False, rom_ref_deg: float | None = None) -> None:
        if side not in ("left", "right"):
            raise ValueError("side must be left or right")
        self.spec = spec
        self.side = side
        self.placement = placement or spec.placement
        self.calibrated = bool(calibrated)  # gyro/acc arrive in the segment frame
        #: the person's own range from their first sessions: the partial-rep reference
        self.rom_ref_deg = float(rom_ref_deg) if rom_ref_deg else None
        #: can the drill be measured with the sensor here? (front ends: ask before start())
        self.placement_check = placement_check(spec, self.placement)
        self.catalog = catalog or load_catalog()
        self.level = (spec.clamp_level(level) if level is not None and spec.progression
                      else (spec.start_level if spec.progression else None))
        self.params = spec.params(self.level, params)
        self.plan = spec.plan(self.params)
        self.fs_hz = float(fs_hz)
        self.phase = READY
        self.t_phase_s = 0.0
        self.t_now_s = 0.0
        self.t_start_s: float | None = None
        self.set_i = -1
        self.sets: list[SetRecord] = []
        self.pain: int | None = None
        self.pain_category: str | None = None
        self.stopped = False
        self._countdown_left = 0
        self._rep_counter: RepCounter | LiveReps | None = None
        self._rep_rec: SetRecord | None = None  # the set the rep counter counts for
        self._rep_fed_s = -np.inf  # last sample time the rep counter has seen
        self._rep_grace_until_s = np.inf  # the counter's reps confirmed later do not count
        self._rep_sign = 1.0
        self._rep_axis = "ml"
        self._still: StillnessMonitor | None = None
        self._losses_seen: set[float] = set()
        self._angles = DrillAngles(self.fs_hz, self.placement, side)
        self._last_move_cue = -np.inf
        self._cue = ""
        self._g_ml: FloatArray = np.empty(0)
        self._g_ap: FloatArray = np.empty(0)
        self._acc_v: FloatArray | None = None
        self._up: FloatArray | None = None
        #: the countdown's last samples (t, gyr, up, acc_v): a rep counter starts on them, so a
        #: rep begun just before "Go" is measured from its onset (as ``analyze`` does)
        self._preroll: list[tuple[FloatArray, FloatArray, FloatArray | None,
                                  FloatArray | None]] = []
        self._proprio: Any = None
        if spec.kind in PROPRIO_KINDS:  # joint position sense, lunge test: their own measure
            from trainer.drills.proprio import ProprioLive

            self._proprio = ProprioLive(spec, side, self.fs_hz)

    # ------------------------------------------------------------------ control
    def start(self, t_s: float) -> list[DrillEvent]:
        if self.phase != READY:
            return []
        self.t_start_s = float(t_s)
        self.t_now_s = float(t_s)
        out = [DrillEvent(t_s, "drill_start", {
            "drill": self.spec.id, "side": self.side, "placement": self.placement,
            "level": self.level, "level_label": self.spec.level_label(self.level),
            "params": self._json_params(), "n_sets": len(self.plan)})]
        out += self._begin_countdown(float(t_s), first=True)
        return out

    def tick(self, t_s: float) -> list[DrillEvent]:
        """Advance the timers to ``t_s`` (no data)."""
        return self._advance(float(t_s))

    def feed(self, processed: Any) -> list[DrillEvent]:
        """Detection on one ProcessedBatch (t_s, tilt_ap_deg, tilt_ml_deg, gyr_dps, events).

        The batch is processed phase by phase: it is split at every phase change (a timer
        running out, or a set of reps reaching its target) and the rest goes to the next phase,
        so the result and the persisted events do not depend on how the data is batched.
        """
        f = _Frames(processed)
        n = f.t_s.size
        if n == 0:
            return []
        # phase-independent per-sample state: once per sample, for the whole batch
        self._g_ap, self._g_ml = self._angles.update(f.t_s, f.ap, f.ml, f.gyr)
        if self.spec.kind == "reps" and f.acc is not None:
            self._up = None if f.quat is None or self.calibrated else up_from_quat(f.quat)
            self._acc_v = vertical_acc_g(f.acc, f.quat, f.ap, f.ml, self.side, self.calibrated,
                                         self._up)
        else:
            self._acc_v, self._up = None, None
        pending = self._new_losses(f)
        out: list[DrillEvent] = []
        start = 0
        for _ in range(n + 4 * len(self.plan) + 8):  # each pass ends a phase or the batch
            boundary = self._next_boundary()
            stop = (n if boundary is None
                    else max(int(np.searchsorted(f.t_s, boundary, side="left")), start))
            if stop > start:
                evs, switched = self._detect(f, start, stop)
                out += evs
                if switched is not None:  # the set ended inside: the rest is the next phase's
                    if switched >= n:
                        break
                    start = switched
                    continue
            if boundary is not None:  # losses detected before a timer's phase change come first
                out += self._flush_losses(pending, boundary)
            if stop >= n:
                break
            out += self._advance(float(f.t_s[stop]))
            start = stop
        out += self._flush_losses(pending, np.inf)
        out += self._advance(float(f.t_s[-1]))
        return out

    def skip(self, t_s: float) -> list[DrillEvent]:
        """End the current set (or rest, or countdown) now."""
        t = float(t_s)
        if self.phase == ACTIVE:
            return self._end_set(t)
        if self.phase in (REST, COUNTDOWN):
            boundary = self._next_boundary()
            if boundary is not None and boundary > t:
                self.t_phase_s -= boundary - t  # the phase ends now
            self._countdown_left = 0
            return self._advance(t)
        return []

    def there(self, t_s: float) -> list[DrillEvent]:
        """Joint position sense: the person says "there" (Space) while reproducing a target."""
        if self._proprio is None or self.phase != ACTIVE:
            return []
        row = self._proprio.there(float(t_s))
        if row is None:
            return []
        return [DrillEvent(float(t_s), "there", {"set": self.set_i + 1}),
                *self._captured(float(t_s), row)]

    def _captured(self, t: float, row: Mapping[str, Any]) -> list[DrillEvent]:
        """Cues once a reproduction is captured: knowledge of results as the set's feedback
        mode allows (always; only when off by more than the tolerance; none), then neutral."""
        plan = self.current
        out = [DrillEvent(t, "beep", {"kind": "rep"})]
        err = row.get("error_deg")
        mode = plan.feedback if plan is not None else "none"
        tol = float(self.params.get("tolerance_deg", 5.0))
        neutral = self.spec.cues.get("neutral", "Back to neutral")
        if err is None or mode == "none" or (mode == "far" and abs(float(err)) <= tol):
            return [*out, self._cue_ev(t, f"Got it. {neutral}")]
        if abs(float(err)) <= tol:
            text = self.spec.cues.get("hit", "Good").replace("{error}", f"{abs(err):.0f}°")
        else:
            key = "far_over" if float(err) > 0 else "far_short"
            text = f"{self.spec.cues.get(key, '')} ({abs(float(err)):.0f}°)"
        return [*out, self._cue_ev(t, f"{text}. {neutral}",
                                   "info" if abs(float(err)) <= tol else "warning")]

    def stop(self, t_s: float) -> list[DrillEvent]:
        """Stop the drill early; the pain rating is still asked."""
        t = float(t_s)
        if self.phase in (PAIN, DONE):
            return []
        out: list[DrillEvent] = []
        if self.phase == ACTIVE:
            out += self._end_set(t, go_on=False)
        self.stopped = True
        out.append(DrillEvent(t, "drill_stopped", {"drill": self.spec.id, "sets_done":
                                                   len(self.sets)}))
        out += self._enter_pain(t)
        return out

    def rate_pain(self, rating: int, t_s: float) -> list[DrillEvent]:
        """The 0-10 pain rating after the drill (phase ``pain``); then the drill is done."""
        from trainer.drills.safety import pain_advice

        if self.phase != PAIN:
            raise ValueError(f"no pain rating expected in phase {self.phase!r}")
        adv = pain_advice(rating, self.catalog.safety)
        self.pain = int(adv["rating"])
        self.pain_category = str(adv["category"])
        t = float(t_s)
        out = [DrillEvent(t, "pain_rating", {"rating": self.pain, "category": adv["category"],
                                             "drill": self.spec.id}),
               self._cue_ev(t, str(adv["advice"]),
                            "warning" if adv["category"] in ("back_off", "stop") else "info")]
        self.phase = DONE
        result = self.result()
        out.append(DrillEvent(t, "drill_end", {"drill": self.spec.id, "result": result}))
        out.append(DrillEvent(t, "phase", {"phase": DONE}))
        out.append(DrillEvent(t, "beep", {"kind": "done"}))
        out.append(self._cue_ev(t, self.catalog.common_cues.get("drill_done", "Done")))
        other = self.next_side
        if other is not None:
            text = self.catalog.common_cues.get("switch_side", "Now the {side} leg.")
            out.append(self._cue_ev(t, text.format(side=other, placement=self.placement)))
        return out

    @property
    def next_side(self) -> str | None:
        """The other leg when the drill is done on both and this was the first one."""
        sides = list(self.params.get("sides") or [])
        if len(sides) == 2 and sides[0] == self.side and not self.stopped:
            return str(sides[1])
        return None

    # ------------------------------------------------------------------ views
    @property
    def current(self) -> SetPlan | None:
        return self.plan[self.set_i] if 0 <= self.set_i < len(self.plan) else None

    @property
    def done(self) -> bool:
        return self.phase == DONE

    def view(self) -> dict[str, Any]:
        """What the UI shows now."""
        plan = self.current
        v: dict[str, Any] = {
            "drill": self.spec.id, "name": self.spec.name, "side": self.side,
            "placement": self.placement, "phase": self.phase, "cue": self._cue,
            "level": self.level, "level_label": self.spec.level_label(self.level),
            "set": self.set_i + 1 if plan else None, "n_sets": len(self.plan),
            "remaining_s": self._remaining(), "countdown": None, "reps": None,
            "target_reps": None, "elapsed_s": None, "eyes": self.params.get("eyes"),
            "surface": self.params.get("surface"), "next_side": self.next_side,
        }
        if self.phase == COUNTDOWN:
            v["countdown"] = max(1, int(np.ceil(self._remaining() or 0.0)))
        if plan is not None and self.sets and self.phase == ACTIVE:
            rec = self.sets[-1]
            v["elapsed_s"] = self.t_now_s - rec.t_start_s
            if plan.work == "reps":
                v["reps"] = _full(rec.reps)
                v["partial_reps"] = len(rec.reps) - _full(rec.reps)
                v["target_reps"] = plan.target_reps
        if self._proprio is not None:
            v["proprio"] = self._proprio_view(plan)
        if self.phase == PAIN:
            from trainer.drills.safety import pain_scale_data

            v["pain_scale"] = pain_scale_data(self.catalog.safety)
        return v

    def _proprio_view(self, plan: SetPlan | None) -> dict[str, Any]:
        """Gauge, target and trial table of a proprioception drill (``view()["proprio"]``).
        ``show_gauge``: the live angle may be shown now (always while a target is shown; in a
        reproduction as its feedback mode says, and never once it is captured)."""
        pl = self._proprio
        active = self.phase == ACTIVE and plan is not None
        stage = plan.stage if active and plan is not None else None
        gauge = pl.inclination_deg if self.spec.kind == "lunge" else pl.gauge_deg
        target = plan.target_deg if active and plan is not None else None
        tol = float(self.params.get("tolerance_deg", 5.0))
        show = True
        if stage == "reproduce" and plan is not None:
            off = abs((gauge or 0.0) - (target or 0.0))
            show = pl.captured is None and (plan.feedback == "always"
                                            or (plan.feedback == "far" and off > tol))
        return {
            "kind": self.spec.kind, "stage": stage, "gauge_deg": gauge, "show_gauge": show,
            "target_deg": target, "motion": plan.motion if plan is not None else None,
            "tolerance_deg": tol if self.spec.kind == "position-sense" else None,
            "feedback": plan.feedback if plan is not None else None,
            "captured": pl.captured is not None, "trials": list(pl.trials),
            "lunges_deg": [round(x, 2) for x in pl.lunges],
            "depth_deg": pl.depth_deg if active else None,
            "threshold_deg": float(self.spec.detection.get("restricted_below_deg", 34.0))
            if self.spec.kind == "lunge" else None,
        }

    def result(self) -> dict[str, Any]:
        """The drill result so far (the ``analyze_drill`` shape, ``source`` "live")."""
        out = build_result(self.spec, self.side, self.params, self.level,
                           self._set_dicts(), pain=self.pain, source="live",
                           stopped=self.stopped, placement=self.placement,
                           extra=None if self._proprio is None
                           else self._proprio.summary(self.params))
        out.update(self.placement_check.result_fields())
        return out

    # --------------------------------------------------------------- internals
    def _json_params(self) -> dict[str, Any]:
        return {k: v for k, v in self.params.items()}

    def _cue_ev(self, t: float, text: str, level: str = "info") -> DrillEvent:
        self._cue = text
        return DrillEvent(t, "cue", {"text": text, "level": level})

    def _remaining(self) -> float | None:
        b = self._next_boundary()
        return None if b is None else max(0.0, b - self.t_now_s)

    def _next_boundary(self) -> float | None:
        """Session time of the next timer event in the current phase (None: none pending)."""
        plan = self.current
        if self.phase == COUNTDOWN:
            return self.t_phase_s + float(self.params.get("countdown_s", 3.0))
        if self.phase == REST and plan is not None:
            return self.t_phase_s + plan.rest_after_s
        if self.phase == ACTIVE and plan is not None:
            if plan.work == "hold" and plan.hold_s is not None:
                return self.t_phase_s + plan.hold_s
            if plan.time_limit_s is not None:
                return self.t_phase_s + plan.time_limit_s
        return None

    def _advance(self, t: float) -> list[DrillEvent]:
        out: list[DrillEvent] = []
        if t < self.t_now_s:
            return out
        self.t_now_s = t
        for _ in range(4 * len(self.plan) + 8):  # several phases may end within one call
            if self.phase == COUNTDOWN:
                out += self._countdown_ticks(t)
            b = self._next_boundary()
            if b is None or t < b:
                break
            if self.phase == COUNTDOWN:
                out += self._begin_active(b)
            elif self.phase == ACTIVE:
                out += self._end_set(b)
            elif self.phase == REST:
                out += self._begin_countdown(b)
        return out

    def _begin_countdown(self, t: float, first: bool = False) -> list[DrillEvent]:
        self.set_i += 1
        plan = self.current
        if plan is None:
            return self._enter_pain(t)
        self.phase = COUNTDOWN
        self.t_phase_s = t
        self._countdown_left = int(np.ceil(float(self.params.get("countdown_s", 3.0))))
        text = self.catalog.common_cues.get("get_ready", "Get ready")
        label = f"{text}: {plan.name}" + (f" (set {plan.index} of {plan.n_sets})"
                                          if plan.n_sets > 1 else "")
        out = [DrillEvent(t, "phase", {"phase": COUNTDOWN, "set": plan.index}),
               self._cue_ev(t, label)]
        out += self._countdown_ticks(t)
        return out

    def _countdown_ticks(self, t: float) -> list[DrillEvent]:
        out: list[DrillEvent] = []
        total = float(self.params.get("countdown_s", 3.0))
        while self._countdown_left > 0:
            t_tick = self.t_phase_s + total - self._countdown_left
            if t < t_tick:
                break
            out.append(DrillEvent(t_tick, "countdown", {"remaining": self._countdown_left}))
            out.append(DrillEvent(t_tick, "beep", {"kind": "tick"}))
            self._countdown_left -= 1
        return out

    def _begin_active(self, t: float) -> list[DrillEvent]:
        plan = self.current
        assert plan is not None
        self.phase = ACTIVE
        self.t_phase_s = t
        rec = SetRecord(plan, t_start_s=t)
        self.sets.append(rec)
        data: dict[str, Any] = {"set": plan.index, "n_sets": plan.n_sets, "work": plan.work,
                                "name": plan.name}
        if plan.work == "reps":
            data["target_reps"] = plan.target_reps
        else:
            data["hold_s"] = plan.hold_s
        if plan.stage is not None:
            data.update(stage=plan.stage, trial=plan.trial, motion=plan.motion,
                        target_deg=plan.target_deg, feedback=plan.feedback)
        out = [DrillEvent(t, "set_start", data), DrillEvent(t, "phase", {"phase": ACTIVE}),
               DrillEvent(t, "beep", {"kind": "start"})]
        cue = plan.cue or self.spec.cues.get("start", "")
        if self.spec.kind == "balance" and self.params.get("protocol") == "norm-test":
            from trainer.drills.norms import NORM_TEST_CUE

            cue = f"{NORM_TEST_CUE} {cue}"
        if self.spec.kind == "balance" and self.params.get("eyes") == "closed":
            cue = f"{cue}. {self.spec.cues.get('eyes_closed', 'Close your eyes')}"
        out.append(self._cue_ev(t, f"{self.catalog.common_cues.get('go', 'Go')}: {cue}"))
        if self._proprio is not None:
            self._proprio.begin(plan)
        elif plan.work == "reps":
            self._setup_reps(plan, rec)
        elif self.spec.kind == "hold":
            axis, _ = signal_for(self.spec, self.side, plan.motion)
            self._rep_axis = axis
            self._still = StillnessMonitor(
                self.fs_hz, float(self.spec.detection.get("still_dps", 12.0)),
                float(self.spec.detection.get("move_deg", 4.0)),
                entry_deg=hold_entry_deg(self.spec))
            self._still.begin(t)
            out.append(DrillEvent(t, "hold_start", {"set": plan.index, "hold_s": plan.hold_s}))
        return out

    def _setup_reps(self, plan: SetPlan, rec: SetRecord) -> None:
        axis, sign = signal_for(self.spec, self.side, plan.motion)
        self._rep_axis, self._rep_sign = axis, sign
        det = self.spec.detection
        direction = 0 if plan.motion in ("pump", "circle") else 1
        if self.spec.kind == "reps":  # the movement's own axis, whatever the strapping
            self._rep_counter = LiveReps(self.spec, self.side, self.placement, self.fs_hz,
                                         self.calibrated, rom_ref_deg=self.rom_ref_deg)
            self._start_on_preroll(self._rep_counter, rec.t_start_s)
        else:
            self._rep_counter = RepCounter(
                self.fs_hz, direction=direction, min_rom_deg=float(det.get("min_rom_deg", 6.0)),
                min_interval_s=float(det.get("min_interval_s", 0.7)),
                lowpass_hz=float(det.get("lowpass_hz", 3.0)))
        self._rep_rec = rec
        self._rep_fed_s = -np.inf
        self._rep_grace_until_s = np.inf

    def _end_set(self, t: float, go_on: bool = True) -> list[DrillEvent]:
        plan = self.current
        assert plan is not None and self.sets
        rec = self.sets[-1]
        rec.t_end_s = t
        out: list[DrillEvent] = []
        data: dict[str, Any] = {"set": plan.index, "work": plan.work}
        if plan.work == "reps":
            data["reps"] = _full(rec.reps)
            data["partial_reps"] = len(rec.reps) - _full(rec.reps)
            data["target_reps"] = plan.target_reps
        elif self.spec.kind == "balance":
            first = rec.losses_t_s[0] - rec.t_start_s if rec.losses_t_s else None
            rec.held_s = first if first is not None else t - rec.t_start_s
            data.update(held_s=round(rec.held_s, 3), balance_losses=len(rec.losses_t_s),
                        time_to_first_loss_s=None if first is None else round(first, 3))
        elif self._proprio is not None:
            res = self._proprio.end(t)
            if res is not None:
                out.append(DrillEvent(t, res[0], res[1]))
                data.update({k: v for k, v in res[1].items()
                             if k in ("depth_deg", "reproduced_deg", "error_deg")})
        elif self._still is not None:
            iv = self._still.end(t)
            self._still = None
            if iv is not None:
                rec.held_s = iv.duration_s
                rec.movements = iv.movements
                rec.angle_deg = iv.angle_deg
                out.append(DrillEvent(t, "hold_end", {
                    "set": plan.index, "duration_s": round(iv.duration_s, 3),
                    "angle_deg": round(iv.angle_deg, 2), "movements": iv.movements}))
                data.update(held_s=round(iv.duration_s, 3), movements=iv.movements)
        out.append(DrillEvent(t, "set_end", data))
        out.append(DrillEvent(t, "beep", {"kind": "stop"}))
        if plan.work == "reps":
            # the counter runs on into a grace period: until the next "Go" at the latest
            nxt = (plan.rest_after_s + float(self.params.get("countdown_s", 3.0))
                   if go_on and self.set_i + 1 < len(self.plan) else np.inf)
            self._rep_grace_until_s = t + min(REP_GRACE_CONFIRM_S, nxt)
        else:
            self._rep_counter, self._rep_rec = None, None
        if not go_on:
            return out
        if self.set_i + 1 >= len(self.plan):
            out.append(self._cue_ev(t, self.spec.cues.get("done", "Done")))
            return out + self._enter_pain(t)
        self.phase = REST
        self.t_phase_s = t
        out.append(DrillEvent(t, "phase", {"phase": REST}))
        rest = self.catalog.common_cues.get("rest", "Rest")
        out.append(self._cue_ev(t, f"{self.spec.cues.get('done', '')}. {rest} "
                                   f"{plan.rest_after_s:.0f} s".strip(". ")))
        if plan.rest_after_s <= 0:
            out += self._begin_countdown(t)
        return out

    def _enter_pain(self, t: float) -> list[DrillEvent]:
        self.phase = PAIN
        self.t_phase_s = t
        return [DrillEvent(t, "phase", {"phase": PAIN}),
                self._cue_ev(t, pain_question(self.catalog))]

    # ------------------------------------------------------------- detection
    def _detect(self, f: _Frames, a: int, b: int) -> tuple[list[DrillEvent], int | None]:
        """Detection on samples a..b-1, all in the current phase. Also returns the index after
        the sample where detection itself ended the phase (a set of reps reached its target),
        or None: the samples from there on belong to the next phase."""
        out: list[DrillEvent] = []
        if self._proprio is not None:
            return self._detect_proprio(f, a, b), None
        if self.phase == COUNTDOWN and self.spec.kind == "reps":
            self._keep_preroll(f, a, b)
        if self.phase != ACTIVE or not self.sets:
            # keep rep counters warm into the grace period after a reps set
            if self._rep_counter is not None and self._rep_rec is not None \
                    and self._rep_rec.t_end_s is not None:
                evs, _ = self._detect_reps(f, a, b, grace=True)
                out += evs
            return out, None
        plan = self.current
        if plan is None:
            return out, None
        if plan.work == "reps":
            return self._detect_reps(f, a, b)
        if self._still is not None:
            angle = (self._g_ml if self._rep_axis == "ml" else self._g_ap)[a:b]
            for ev in self._still.update(f.t_s[a:b], angle, f.gyr[a:b]):
                ev_t = float(ev["t_s"])
                self.sets[-1].movements += 1
                out.append(DrillEvent(ev_t, "movement_during_hold",
                                      {k: v for k, v in ev.items() if k not in ("t_s", "type")}
                                      | {"set": plan.index}))
                if ev_t - self._last_move_cue >= MOVEMENT_CUE_GAP_S:
                    self._last_move_cue = ev_t
                    out.append(DrillEvent(ev_t, "beep", {"kind": "warning"}))
                    out.append(self._cue_ev(ev_t, self.catalog.common_cues.get(
                        "movement_during_hold", "Keep still"), "warning"))
        return out, None

    def _keep_preroll(self, f: _Frames, a: int, b: int) -> None:
        """Remember the countdown's samples (the last ``PREROLL_S`` of them)."""
        if b <= a:
            return
        self._preroll.append((f.t_s[a:b], f.gyr[a:b],
                              None if self._up is None else self._up[a:b],
                              None if self._acc_v is None else self._acc_v[a:b]))
        t_keep = float(f.t_s[b - 1]) - PREROLL_S
        while len(self._preroll) > 1 and float(self._preroll[0][0][-1]) < t_keep:
            self._preroll.pop(0)

    def _start_on_preroll(self, counter: LiveReps, t0: float) -> None:
        """Feed a new set's counter the countdown's last ``PREROLL_S`` (before "Go" at t0)."""
        pre, self._preroll = self._preroll, []
        if not pre:
            return
        t = np.concatenate([p[0] for p in pre])
        k = (t >= t0 - PREROLL_S) & (t < t0)
        if not k.any():
            return
        up = None if any(p[2] is None for p in pre) else np.concatenate(
            [p[2] for p in pre if p[2] is not None])[k]
        av = None if any(p[3] is None for p in pre) else np.concatenate(
            [p[3] for p in pre if p[3] is not None])[k]
        counter.update(t[k], np.concatenate([p[1] for p in pre])[k], up, av)

    def _detect_proprio(self, f: _Frames, a: int, b: int) -> list[DrillEvent]:
        """The proprioception measure sees every sample (its rotation and gyro bias carry on
        through rests); it captures reproductions only in an active reproduce set."""
        pl = self._proprio
        if self.phase != ACTIVE:
            pl.plan = None
        out: list[DrillEvent] = []
        for t, kind, row in pl.update(f.t_s[a:b], f.gyr[a:b], f.ap[a:b], f.ml[a:b]):
            if kind == "captured":
                out += self._captured(t, row)
        return out

    def _detect_reps(self, f: _Frames, a: int, b: int, grace: bool = False
                     ) -> tuple[list[DrillEvent], int | None]:
        """Reps on samples a..b-1 (see ``_detect`` for the returned index).

        The counter sees every sample once, from its set's "Go" on: during the set it stops
        right after the sample that confirms the target rep (the rest of the batch is the next
        phase's), after the set it runs on only until ``_rep_grace_until_s``. So what it counts
        does not depend on where the batches end.
        """
        rc, rec = self._rep_counter, self._rep_rec
        if rc is None or rec is None:
            return [], None
        t = f.t_s
        lo = a + int(np.searchsorted(t[a:b], self._rep_fed_s, side="right"))
        hi = b if not grace else a + int(np.searchsorted(t[a:b], self._rep_grace_until_s,
                                                         side="left"))
        sig = (self._g_ml if self._rep_axis == "ml" else self._g_ap)[lo:hi] * self._rep_sign
        target = rec.plan.target_reps or 0
        out: list[DrillEvent] = []
        i = lo
        while i < hi:
            left = (target - _full(rec.reps) if target and not grace and rec.t_end_s is None
                    else None)
            if isinstance(rc, LiveReps):
                new = rc.update(t[i:hi], f.gyr[i:hi],
                                None if self._up is None else self._up[i:hi],
                                None if self._acc_v is None else self._acc_v[i:hi],
                                max_reps=left)
            else:
                new = rc.update(t[i:hi], sig[i - lo:], max_reps=left)
            i += rc.consumed
            self._rep_fed_s = float(t[i - 1])
            for rep in new:
                out += self._count_rep(rec, rep, grace)
            if rec.t_end_s is not None and not grace:  # the target was reached at t[i - 1]
                return out, i
        if rec.t_end_s is not None and b > a and t[b - 1] >= self._rep_grace_until_s:
            self._rep_counter, self._rep_rec = None, None  # past the grace period
        return out, None

    def _count_rep(self, rec: SetRecord, rep: Rep, grace: bool) -> list[DrillEvent]:
        """A rep the counter confirmed: counted for ``rec`` (unless too late), cued, and the
        set's end when it reaches the target."""
        if rep.t_peak_s < rec.t_start_s or (rec.t_end_s is not None
                                            and rep.t_peak_s > rec.t_end_s + REP_GRACE_S):
            return []
        rec.reps.append(rep)
        n = _full(rec.reps)
        target = rec.plan.target_reps or 0
        if rep.partial:  # shown and stored, not counted toward the target
            return [DrillEvent(rep.t_peak_s, "rep", {
                        "set": rec.plan.index, "index": n, "partial": True,
                        "t_start_s": round(rep.t_start_s, 4),
                        "amplitude_deg": round(rep.amplitude_deg, 2)}),
                    DrillEvent(rep.t_confirm_s, "beep", {"kind": "warning"}),
                    self._cue_ev(rep.t_confirm_s, "Partial rep, not counted: go all the way "
                                 f"({n}" + (f" / {target})" if target else ")"), "warning")]
        out = [DrillEvent(rep.t_peak_s, "rep", {
                   "set": rec.plan.index, "index": n, "t_start_s": round(rep.t_start_s, 4),
                   "amplitude_deg": round(rep.amplitude_deg, 2)}),
               DrillEvent(rep.t_confirm_s, "beep", {"kind": "rep"})]
        out.append(self._cue_ev(rep.t_confirm_s, f"{n}" + (f" / {target}" if target else "")))
        tempo = float(self.params.get("tempo_s", 0.0))
        if (tempo > 0 and rec.plan.motion not in ("pump", "circle")
                and rep.t_peak_s - rep.t_start_s < TEMPO_FAST_FRACTION * tempo):
            out.append(self._cue_ev(rep.t_confirm_s,
                                    f"Slower: about {tempo:.0f} s per rep", "warning"))
        if not grace and target and n >= target and self.phase == ACTIVE and rec.t_end_s is None:
            out += self._end_set(rep.t_confirm_s)
        return out

    # -------------------------------------------------------- balance losses
    def _new_losses(self, f: _Frames) -> list[tuple[float, float, str]]:
        """Balance losses found in this batch as (detection time, onset, source), in detection
        order: the core's events (``trainer.core.events``, the one definition of a loss; a
        pipeline without events reports none)."""
        if self.spec.kind != "balance":
            return []
        found: list[tuple[float, float, str]] = []
        if f.has_core_events:
            for e in f.events:
                kind, tt = _event_fields(e)
                if kind != "balance_loss" or tt is None or float(tt) in self._losses_seen:
                    continue
                self._losses_seen.add(float(tt))
                det = (e.get("t_detected_s") if isinstance(e, Mapping)
                       else getattr(e, "t_detected_s", None))
                found.append((float(det) if det is not None else float(tt), float(tt), "core"))
        return sorted(found)

    def _flush_losses(self, pending: list[tuple[float, float, str]], before_s: float
                      ) -> list[DrillEvent]:
        """Take the losses detected before ``before_s`` off ``pending`` and record them."""
        k = 0
        while k < len(pending) and pending[k][0] < before_s:
            k += 1
        take, pending[:] = pending[:k], pending[k:]
        out: list[DrillEvent] = []
        for t_det, tl, source in take:
            out += self._record_loss(tl, max(tl, t_det), source)
        return out

    def _record_loss(self, tl: float, t_det: float, source: str) -> list[DrillEvent]:
        """Assign a loss to the trial it happened in (none during countdowns and rests)."""
        rec = next((r for r in self.sets if r.t_start_s <= tl
                    and (r.t_end_s is None or tl <= r.t_end_s)), None)
        if rec is None:
            return []
        first = not rec.losses_t_s
        rec.losses_t_s.append(tl)
        out = [DrillEvent(tl, "balance_loss", {
                   "set": rec.plan.index, "source": source,
                   "since_set_start_s": round(tl - rec.t_start_s, 3)}),
               DrillEvent(t_det, "beep", {"kind": "warning"})]
        if first and rec.t_end_s is None:
            out.append(self._cue_ev(t_det, self.catalog.common_cues.get(
                "balance_loss", "Balance lost"), "warning"))
        return out

    def _set_dicts(self) -> list[dict[str, Any]]:
        out = []
        for rec in self.sets:
            end = rec.t_end_s if rec.t_end_s is not None else self.t_now_s
            held = rec.held_s
            if self.spec.kind == "balance" or (held is None and rec.plan.work == "hold"):
                first = rec.losses_t_s[0] - rec.t_start_s if rec.losses_t_s else None
                held = first if first is not None else end - rec.t_start_s
            out.append({
                "index": rec.plan.index, "work": rec.plan.work, "motion": rec.plan.motion,
                "t_start_s": rec.t_start_s, "t_end_s": end, "target_reps": rec.plan.target_reps,
                "hold_target_s": rec.plan.hold_s, "reps": list(rec.reps),
                "losses_t_s": list(rec.losses_t_s), "movements": rec.movements,
                "angle_deg": rec.angle_deg, "held_s": held,
            })
        return out


def _full(reps: list[Rep]) -> int:
    """Reps that count (partial reps are shown and stored, not counted)."""
    return sum(not r.partial for r in reps)


def persisted(events: Iterable[DrillEvent]) -> list[dict[str, Any]]:
    """The events.jsonl lines among ``events``."""
    return [e.to_json() for e in events if e.persist]


__all__ = ["PERSISTED_TYPES", "PHASES", "DrillEvent", "DrillSession", "FloatArray", "persisted"]
