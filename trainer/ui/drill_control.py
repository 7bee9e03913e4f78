"""Drill control: a guided drill in the dashboard, from Start to the pain rating, as a
:class:`~trainer.training.session.TrainingSession` (the model `record` drives too).

Decides what the dashboard shows of a drill (cues, progress, the pain question, the recording
indicator, balance-loss flashes) and emits it as signals; the window connects them to widgets.
Collaborators come in: the :class:`~trainer.ui.source_control.SourceControl` (what streams), the
clock (cue flashes, the recording's elapsed time), and how a pre-start check is asked.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from trainer.training.session import (
    TrainingPlan,
    TrainingSession,
    new_session_dir,
    release_session_dir,
)
from trainer.ui import theme
from trainer.ui.guided import ACTIVE, DONE, PAIN, plan_for, progress
from trainer.ui.live import free_session
from trainer.ui.settings import DrillSettings
from trainer.ui.source_control import SourceControl
from trainer.ui.sources import SourceError
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.ids import detects_balance_losses

#: How long a warning cue ("Balance lost!") stays before the drill's own cue comes back.
FLASH_S = 2.0
#: The drill's view (cue, progress) is refreshed this often.
VIEW_EVERY_S = 0.1

log = logging.getLogger(__name__)

Ask = Callable[[Any], bool]


#: A cue that is only a rep count, as the guide says it: "2 / 10" (or "2").
BARE_COUNT = re.compile(r"\d+(\s*/\s*\d+)?")


def active_cue(view: dict[str, Any], name: str) -> str:
    """The banner during a set: the guide's cue with the rep count shown once. The guide's own
    rep cue is the bare count ("2 / 10"): the drill's name goes before it ("Calf raise — 2 / 10");
    a cue that already holds a count (a partial rep's) stays as it is; any other cue gets the
    count after it."""
    cue = str(view.get("cue") or name)
    if BARE_COUNT.fullmatch(cue.strip()):
        return f"{name} — {cue.strip()}"
    if view.get("reps") is None or re.search(r"\d+\s*/\s*\d+", cue):
        return cue
    return f"{cue} — {view['reps']} / {view.get('target_reps') or '?'}"


class DrillControl(QObject):
    """The current (or last) drill's training session and its presentation."""

    cue = Signal(str, str)  # text, colour
    message = Signal(str, int)  # text, ms on the status bar
    running = Signal(bool)  # the drill panel's Start/Stop
    recording = Signal(object, float)  # the session folder (None: not recording), elapsed s
    progress = Signal(float, str)  # 0…1, "set 1/3 · 20 s left"
    proprio = Signal(object)  # the position-sense / lunge view (None: hide)
    pain_question = Signal(object)  # the question text (None: hide the pain buttons)
    beep = Signal(str)  # a drill cue by ear
    leg = Signal(str, str)  # the drill's side and placement (the tilt convention follows)
    jump_wait = Signal(bool)  # the drill waits for the sync jump (the Skip button shows)
    finished = Signal()  # a drill ended (the History tab reloads)

    def __init__(self, sources: SourceControl, *, clock: Clock = wall_clock,
                 ask_screening: Ask, ask_confirm: Ask,
                 ask_placement: Callable[[str, str], str],
                 target_radius_deg: Callable[[], float] = lambda: 3.0) -> None:
        super().__init__()
        self.sources = sources
        self.clock = clock
        self.ask_screening = ask_screening
        self.ask_confirm = ask_confirm
        self.ask_placement = ask_placement
        self.target_radius_deg = target_radius_deg
        self.drill: TrainingSession | None = None
        self.placement_choice: str | None = None  # None: where each drill wants the sensor
        self.countdown_s = 3.0
        self.recording_path: Path | None = None
        self.summary: dict[str, Any] = {}
        self._recording_t0 = 0.0
        self._flash_until = -float("inf")
        self._last_view = -float("inf")
        self._markers = 0
        self._jump_wait = False

    # ------------------------------------------------------------------ state
    @property
    def active(self) -> bool:
        return self.drill is not None and self.drill.outcome is None

    @property
    def in_set(self) -> bool:
        return self.active and self.drill is not None and self.drill.phase == ACTIVE

    @property
    def state(self) -> str:
        return "idle" if self.drill is None else self.drill.phase

    # ------------------------------------------------------------------ start
    def start(self, settings: DrillSettings) -> bool:
        """Run a guided drill in its own training session (as `record`): a fresh pipeline
        configured from the drill, the guide at the user's level, the recording from its first
        sample. The simulated person does the chosen drill."""
        src = self.sources
        if src.live is None:
            self.message.emit("connect a sensor or start the simulator first", 8000)
            return False
        if self.active:
            return False
        if src.kind == "replay":
            self.message.emit("a replay is read-only: its drill is the recorded one", 8000)
            return False
        from trainer.training.session import TrainingError

        placement = self.placement_choice or self.drill_placement(settings.drill_id)
        if placement is None:
            return False
        out = None
        try:
            out = new_session_dir(settings.drill_id, settings.side) if settings.record else None
            plan = plan_for(settings, out=out, target_radius_deg=self.target_radius_deg(),
                            countdown_s=self.countdown_s, placement=placement)
            # the placement was settled just above (with a third answer: "moved")
            if not self.settle_checks(plan, real_sensor=src.real_sensor, skip=("placement",)):
                release_session_dir(out)
                return False
            session = self._session(plan)
        except (TrainingError, SourceError, OSError) as exc:
            release_session_dir(out)
            self.message.emit(f"cannot start the drill: {exc}", 8000)
            return False
        self.drill = session
        self.summary = {}
        self.leg.emit(plan.side, session.placement)
        self.running.emit(True)
        if session.recording:
            self.recording_path = session.path
            self._recording_t0 = self.clock()
            self.recording.emit(session.path, 0.0)
        self.show_view(force=True)
        return True

    def _session(self, plan: TrainingPlan) -> TrainingSession:
        """The drill's training session, started. A simulated sensor is restarted for the
        drill (its person follows the guide, as in `record --simulate`); a sensor goes on
        streaming into the new session."""
        from trainer.training.session import drill_guide, follow_guide, stored_calibration

        src = self.sources
        live = src.live
        assert live is not None
        eyes = str(plan.choices.get("eyes") or "open")
        surface = str(plan.choices.get("surface") or "firm")
        if src.kind == "simulated" and src.sensors is not None:  # several, on one person
            guide = drill_guide(plan, src.nominal_hz)
            sensors = src.simulated_sensors(src.nominal_hz, src.sensors.roles,
                                            drill_id=plan.drill_id, side=plan.side,
                                            placement=plan.placement or guide.placement,
                                            eyes=eyes, surface=surface, guide=guide,
                                            recording=plan.out is not None)
            session = TrainingSession(sensors.view, plan, guide=guide,
                                      calibration=sensors.calibrations.get(sensors.primary),
                                      pipeline_factory=src.pipeline_override,
                                      writer_factory=sensors.writer_factory())
            session.start()  # may raise: the preview keeps streaming then
            live.source.stop()  # the preview's simulated person
            src.sensors = sensors
        elif src.kind == "simulated":
            guide = drill_guide(plan, src.nominal_hz)
            sim = follow_guide(src.factory.simulated(
                src.nominal_hz, drill_id=plan.drill_id, side=plan.side,
                placement=plan.placement, eyes=eyes, surface=surface), guide)
            calibration, _ = stored_calibration(sim.info, side=plan.side,
                                                placement=plan.placement or guide.placement)
            session = TrainingSession(sim, plan, guide=guide, calibration=calibration,
                                      pipeline_factory=src.pipeline_override)
            session.start()  # may raise: the preview keeps streaming then
            live.source.stop()  # the preview's simulated person
        else:
            # several sensors: the primary follows the drill's leg, every sensor is recorded
            several = src.drill_sensors(plan.side, plan.placement or self.sources.placement)
            session = TrainingSession(live.source if several is None else several.view, plan,
                                      calibration=src.calibration, source_started=True,
                                      update_progress=src.real_sensor or None,
                                      pipeline_factory=src.pipeline_override,
                                      writer_factory=None if several is None
                                      else several.writer_factory())
            session.start()
        live.begin(session)
        return session

    def drill_placement(self, drill_id: str) -> str | None:
        """Where the drill is measured: where the sensor is when it can measure the drill there
        (one strap on the shank serves balance, calf raises and the stretch), else the drill's
        own placement once the person has moved the sensor; None: cancelled. Asks before the
        drill starts (``trainer.drills.placement``)."""
        from trainer.drills import get_drill
        from trainer.drills.placement import placement_check

        spec = get_drill(drill_id)
        here = self.sources.placement
        if self.sources.kind == "simulated":
            return str(spec.placement)
        check = placement_check(spec, here)
        if check.measurable:
            return here
        answer = self.ask_placement(check.message, spec.placement)
        if answer == "moved":
            return str(spec.placement)
        return here if answer == "continue" else None

    def settle_checks(self, plan: TrainingPlan | None, *, real_sensor: bool,
                      skip: tuple[str, ...] = ()) -> bool:
        """The pre-start checks (``trainer.training.checks``); False: do not start (the reason
        is on the status bar)."""
        from trainer.training.checks import SCREENING, pre_start_checks

        try:
            checks = [c for c in pre_start_checks(plan, real_sensor=real_sensor)
                      if c.id not in skip]
        except (OSError, ValueError) as exc:
            log.exception("pre-start checks failed")
            self.message.emit(f"not started: the safety answers cannot be read: {exc}", 8000)
            return False
        for check in checks:
            ok = (self.ask_screening(check) if check.kind == SCREENING
                  else self.ask_confirm(check))
            if not ok:
                self.message.emit(f"not started: {check.message}", 20000)
                return False
        return True

    # ------------------------------------------------------------------ the user
    def stop(self) -> None:
        """The user stops early: the recording stops, the drill asks for the pain rating."""
        session = self.drill
        if session is None or not self.active or session.drill_over:
            return
        if session.phase == "ready":  # not a sample yet: nothing began, nothing to rate
            self.done(aborted=True, reason="stopped")
            return
        session.stop_recording("stopped")
        self.events(session.stop_drill())

    def rate_pain(self, rating: int) -> None:
        session = self.drill
        if session is not None and self.active and session.phase == PAIN:
            self.events(session.rate_pain(int(rating)))

    def skip_pain(self) -> None:
        session = self.drill
        if session is not None and self.active and session.phase == PAIN:
            self.events(session.skip_pain())

    def skip_sync_jump(self) -> bool:
        """Skip (button, Space) the sync jump the drill waits for; False: none is waited for."""
        session = self.drill
        if session is None or not self.active or not session.skip_sync_jump():
            return False
        self.message.emit("sync jump skipped: the drill starts", 8000)
        self.show_view(force=True)
        return True

    def there(self) -> bool:
        """Space while reproducing a joint position: "there". False: not in such a set."""
        session = self.drill
        if (session is None or not self.in_set or session.spec.kind != "position-sense"):
            return False
        self.events(session.there())
        return True

    def abort(self, reason: str = "stopped") -> None:
        """Source switched or window closed mid-drill: the session ends as `record` ends on
        Ctrl-C (pain skipped), the recording is complete with its summary."""
        if self.active:
            self.done(aborted=True, reason=reason)

    def user_event(self, kind: str) -> None:
        """M (a marker in the recording) or T (the lifted foot touched down: ends the trial's
        stance time and steady-state sway; the report compares it with the detection)."""
        live = self.sources.live
        t = None if live is None else live.latest_t_s
        if kind == "marker" and (live is None or live.recorder is None or t is None):
            self.message.emit("markers go into a recording: start a drill with recording on",
                              8000)
            return
        if live is None or t is None:
            self.message.emit("touchdown marks need a running sensor", 8000)
            return
        fields: dict[str, Any] = {}
        if kind == "marker":
            self._markers += 1
            fields["label"] = f"marker {self._markers}"
        try:
            live.session.user_event(kind, t_s=t, **fields)
        except Exception as exc:
            log.exception("%s not recorded", kind)
            self.message.emit(f"{kind.replace('_', ' ')} not recorded: {exc}", 8000)
            return
        what = f"marker {self._markers}" if kind == "marker" else "touchdown marked"
        self.message.emit(f"{what} at {t:.1f} s", 8000)

    # ------------------------------------------------------------------ each frame
    def on_pipeline_event(self, ev: dict[str, Any]) -> None:
        """A core event outside the guide (the free stream's balance losses)."""
        if self.drill is not None and self.drill.spec.kind in ("position-sense", "lunge"):
            return  # the foot or shank moves on purpose: no balance to lose
        if str(ev.get("type", "")) in ("balance_loss", "loss", "balance-loss"):
            self.cue.emit("Balance lost!", theme.LOSS_COLOUR)
            self._flash_until = self.clock() + FLASH_S
            self.message.emit(f"balance loss at {float(ev.get('t_s') or 0):.1f} s", 8000)

    def events(self, events: list[Any], finishing: bool = False) -> None:
        """The guide's events: cues, beeps, losses, the pain question, the end."""
        live = self.sources.live
        done = False
        cues: list[str] = []
        for ev in events:
            if ev.type == "cue":
                text = str(ev.data.get("text", ""))
                cues.append(text)
                warning = ev.data.get("level", "info") == "warning"
                if not warning and self.drill is not None and BARE_COUNT.fullmatch(text.strip()):
                    text = active_cue({"cue": text}, self.drill.spec.name)  # as show_view does
                self.cue.emit(text, theme.LOSS_COLOUR if warning else theme.FG)
                if ev.data.get("sync_jump") or ev.data.get("sync_jump_end"):
                    self.message.emit(text, 8000)  # the banner goes on to the countdown
                if warning:
                    self._flash_until = self.clock() + FLASH_S
            elif ev.type == "beep":
                self.beep.emit(str(ev.data.get("kind", "tick")))
            elif ev.type == "balance_loss" and live is not None:
                live.add_loss(float(ev.t_s))
                self.message.emit(f"balance loss at {float(ev.t_s):.1f} s", 8000)
            elif ev.type == "phase" and not finishing:
                phase = ev.data.get("phase")
                if phase == PAIN:
                    self._ask_pain()
                elif phase == DONE:
                    done = True
            elif ev.type == "drill_end" and not finishing:  # also a skipped pain rating
                done = True
        if done:
            self.done()  # the summary replaces the last cue on the banner
            if cues:  # e.g. the advice for the pain rating, then what it means for the level
                outcome = self.drill.outcome if self.drill is not None else None
                note = outcome.progress_note if outcome is not None else None
                self.message.emit(" ".join(cues) + (f" — {note}" if note else ""), 20000)

    def _ask_pain(self) -> None:
        session = self.drill
        if session is None or session.drill is None:
            return
        session.stop_recording("drill done" if not session.drill.stopped else "stopped")
        if not session.asks_pain:  # stopped before a set began: nothing to rate
            self.events(session.skip_pain())
            return
        view = session.drill.view()
        self.pain_question.emit((view.get("pain_scale") or {}).get("question") or "")
        self.cue.emit("How much pain? Tap 0–10", theme.ML_COLOUR)

    def refresh(self) -> None:
        """A few times a second: the drill's view and the recording's elapsed time."""
        now = self.clock()
        if self.drill is None or now - self._last_view < VIEW_EVERY_S:
            return
        self._last_view = now
        self.show_view()
        if self.active and self.drill.recording:
            self.recording.emit(self.recording_path, now - self._recording_t0)

    def show_view(self, force: bool = False) -> None:
        """Cue banner and progress from the drill session's view."""
        session = self.drill
        if session is None or not self.active or session.drill is None:
            return
        guide = session.drill
        waiting = session.sync_waiting
        if waiting != self._jump_wait:
            self._jump_wait = waiting
            self.jump_wait.emit(waiting)
        if waiting:  # the sync jump's own step: the drill's countdown waits for the landing
            left = session.sync.wait_left_s() if session.sync is not None else None
            self.progress.emit(0.0, f"waiting for the sync jump · {left or 0:.0f} s")
            if self.clock() >= self._flash_until or force:
                self.cue.emit("Jump once on both feet — Space or Skip if jumping hurts",
                              theme.ML_COLOUR)
            return
        v = guide.view()
        phase = v.get("phase")
        self.proprio.emit(v.get("proprio"))
        n_sets = v.get("n_sets") or 1
        k = v.get("set") or 0
        left = v.get("remaining_s")
        text = f"set {k}/{n_sets}" if k else ""
        if left is not None:
            text += f" · {left:.0f} s left"
        if v.get("reps") is not None:
            text += f" · {v['reps']}/{v.get('target_reps') or '?'} reps"
        self.progress.emit(progress(guide), text)
        if (self.clock() < self._flash_until and not force) or phase == PAIN:
            return
        if phase in ("countdown", "ready"):  # ready: until the drill's first sample arrives
            self.cue.emit(f"Get ready… {v.get('countdown') or ''}", theme.ML_COLOUR)
        elif phase == "rest":
            self.cue.emit(f"Rest — next set in {left or 0:.0f} s", theme.AP_COLOUR)
        elif phase == ACTIVE:
            self.cue.emit(active_cue(v, session.spec.name), theme.FG)

    def feedback_progress(self) -> float | None:
        """How far the drill's sets are (0…1) while a set runs, for the feedback fading;
        None outside a set."""
        guide = self.drill.drill if self.drill is not None else None
        return progress(guide) if self.in_set and guide is not None else None

    def remaining_s(self) -> float | None:
        guide = self.drill.drill if self.drill is not None and self.active else None
        return None if guide is None else guide.view().get("remaining_s")

    def shows_sway(self) -> bool:
        """Whether sway numbers mean something now: no drill running (the free view), or a
        balance drill. Reps, stretches and holds move on purpose: no sway metrics there."""
        return not self.active or self.drill is None or \
            detects_balance_losses(self.drill.plan.drill_id)

    def in_target_pct(self) -> float | None:
        return self.drill.sway.in_target_pct() if self.drill is not None and self.active \
            else None

    # ------------------------------------------------------------------ the end
    def done(self, aborted: bool = False, reason: str = "drill done") -> None:
        session = self.drill
        if session is None or session.outcome is not None:
            return
        outcome = session.finish(reason, stop_source=False)
        summary = self.summary = outcome.summary
        for err in outcome.errors:
            log.error("drill session: %s", err)
            self.message.emit(err, 8000)
        live = self.sources.live
        if live is not None and live.session is session:
            # the stream goes on (preview) in a free session on the same source
            live.begin(free_session(session.source, drill_id=session.plan.drill_id,
                                    side=session.plan.side, placement=session.placement,
                                    calibration=session.calibration,
                                    pipeline_factory=self.sources.pipeline_override,
                                    source_started=True), keep_view=True)
        self.running.emit(False)
        if self._jump_wait:
            self._jump_wait = False
            self.jump_wait.emit(False)
        self.pain_question.emit(None)
        self.recording.emit(None, 0.0)
        guide = session.drill
        parts = ["Stopped" if aborted or (guide is not None and guide.stopped) else "Done!"]
        if summary.get("ellipse_area") is not None:
            parts.append(f"area {summary['ellipse_area']:.1f} °²")
        if summary.get("time_in_target_pct") is not None:
            parts.append(f"in target {summary['time_in_target_pct']:.0f} %")
        if session.spec.kind == "balance":
            parts.append(f"losses {summary.get('losses', 0)}")
        result = summary.get("result") or {}
        if result.get("reps") is not None:
            parts.append(f"reps {result['reps']}")
        self.cue.emit(" · ".join(parts), theme.TARGET_COLOUR)
        note = f" {outcome.progress_note}" if outcome.progress_note else ""
        self.message.emit("drill finished" + (f", saved to {outcome.path}" if outcome.path
                                              else "") + ("." + note if note else ""), 20000)
        if aborted:
            self.drill = None
        self.finished.emit()
