"""Progression rules: make a drill harder gradually after good sessions, easier after pain/failure.

Follows the programme ("progress gradually"; pain is a signal, not something to push through):
- a session *succeeds* when its targets were met (see ``session_outcome``) and pain was at most the
  scale's acceptable maximum (3/10);
- after ``SUCCESSES_TO_ADVANCE`` successful sessions in a row the drill moves up one level of its
  ladder (longer holds, more reps, eyes closed, foam, a stronger band, one leg);
- pain at or above the scale's ``back_off_at`` (5/10) moves it down one level at once;
- ``FAILURES_TO_BACK_OFF`` failed sessions in a row move it down one level;
- moderate pain (4/10) keeps the level and does not count towards advancing;
- quality counts, not just counting: a reps session whose mean range of motion falls below
  ``ROM_FRACTION`` of the person's own range (the mean of their first ``ROM_REF_SESSIONS``
  sessions at this drill and side) missed its target, and so did a hold session with more than
  one movement per hold (isometric and stretch holds must be still);
- a session the sensor could not measure (``measurable`` false: a foot drill recorded on the
  shank) keeps the level and counts neither way: an effort the sensor cannot see is never
  credited.
Levels are per drill and per side: the injured side often starts lower. Pure logic: the state is
stored by ``trainer.drills.store``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from trainer.drills.catalog import DrillSpec, PainScale, load_catalog

SUCCESSES_TO_ADVANCE = 2
JPS_HIT_PCT = 70.0  # position-sense training: reproductions within the tolerance
FAILURES_TO_BACK_OFF = 2
HOLD_FRACTION = 0.9  # a hold counts as done at 90 % of its target (timing jitter, late start)
REPS_FRACTION = 0.9
MAX_MOVEMENT_CUES_PER_HOLD = 1.0
ROM_FRACTION = 0.8  # a session's mean ROM below 80 % of the person's own range: target missed
ROM_REF_SESSIONS = 3  # the person's own range: the mean ROM of their first sessions


@dataclass(frozen=True)
class Progress:
    """Where a drill stands for one side."""

    drill_id: str
    side: str
    level: int
    successes: int = 0  # consecutive successful sessions at this level
    failures: int = 0  # consecutive failed sessions
    sessions: int = 0
    rom_ref_deg: float | None = None  # the person's own range (mean of the first sessions)
    rom_sessions: int = 0  # sessions in that mean
    rom_ref_placement: str | None = None  # where the sensor was in them (shank | foot)

    def to_dict(self) -> dict[str, Any]:
        return {"drill_id": self.drill_id, "side": self.side, "level": self.level,
                "successes": self.successes, "failures": self.failures,
                "sessions": self.sessions, "rom_ref_deg": self.rom_ref_deg,
                "rom_sessions": self.rom_sessions, "rom_ref_placement": self.rom_ref_placement}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Progress:
        ref = d.get("rom_ref_deg")
        return cls(str(d["drill_id"]), str(d["side"]), int(d["level"]), int(d.get("successes", 0)),
                   int(d.get("failures", 0)), int(d.get("sessions", 0)),
                   float(ref) if isinstance(ref, int | float) else None,
                   int(d.get("rom_sessions", 0)),
                   str(d["rom_ref_placement"]) if d.get("rom_ref_placement") else None)

    def rom_reference(self, placement: str | None) -> float | None:
        """The person's own range for a session with the sensor at ``placement`` (None when
        their first sessions had it elsewhere: a shank's foot angle from the rise and the
        foot's own rotation are not the same measure)."""
        if self.rom_ref_deg is None or (self.rom_ref_placement is not None
                                        and placement != self.rom_ref_placement):
            return None
        return self.rom_ref_deg

    @classmethod
    def start(cls, spec: DrillSpec, side: str) -> Progress:
        return cls(spec.id, side, spec.start_level)


@dataclass(frozen=True)
class Outcome:
    """How one session went against its targets."""

    met_targets: bool
    pain: int | None
    reason: str
    measured: bool = True  # False: the sensor could not measure the drill where it was
    rom_deg: float | None = None  # the session's mean range of motion (rep drills)
    placement: str | None = None  # where the sensor was (the range's measure depends on it)


@dataclass(frozen=True)
class Decision:
    action: str  # advance | stay | back_off
    old_level: int
    new_level: int
    reason: str
    label: str  # the new level's label

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "old_level": self.old_level, "new_level": self.new_level,
                "reason": self.reason, "label": self.label}


def session_outcome(spec: DrillSpec, params: Mapping[str, Any], result: Mapping[str, Any],
                    pain: int | None, rom_ref_deg: float | None = None) -> Outcome:
    """Did the session meet its targets? ``result`` is a drill result (``analyze_drill`` shape);
    ``rom_ref_deg``: the person's own range for this drill and side (``Progress``)."""
    sets = int(params.get("sets", 1))
    if result.get("measurable") is False:
        return Outcome(False, pain, "not measured (sensor placement): level kept",
                       measured=False)
    if spec.kind == "balance" or spec.kind == "hold":
        target = float(params.get("hold_s", 30.0))
        holds = [float(h) for h in result.get("holds_s") or []]
        done = sum(1 for h in holds if h >= HOLD_FRACTION * target)
        if done < sets:
            return Outcome(False, pain, f"{done} of {sets} holds reached {target:.0f} s")
        if spec.kind == "hold":  # isometric and stretch holds must be held still
            moves = int(result.get("movement_during_hold") or 0)
            if moves > MAX_MOVEMENT_CUES_PER_HOLD * sets:
                return Outcome(False, pain, f"the ankle moved {moves} times during the holds")
        return Outcome(True, pain, f"all {sets} holds reached {target:.0f} s")
    if spec.kind == "reps":
        target_reps = sets * int(params.get("reps", 10))
        reps = int(result.get("reps") or 0)
        rom = result.get("rom_deg")
        rom = float(rom) if isinstance(rom, int | float) and reps else None
        where = result.get("placement")
        where = str(where) if where else None
        if reps < REPS_FRACTION * target_reps:
            return Outcome(False, pain, f"{reps} of {target_reps} reps", rom_deg=rom,
                           placement=where)
        if rom is not None and rom_ref_deg and rom < ROM_FRACTION * rom_ref_deg:
            return Outcome(False, pain, f"{reps} of {target_reps} reps but a range of "
                           f"{rom:.0f}° (your usual {rom_ref_deg:.0f}°)", rom_deg=rom,
                           placement=where)
        return Outcome(True, pain, f"{reps} of {target_reps} reps", rom_deg=rom,
                       placement=where)
    if spec.kind == "position-sense":
        done = int(result.get("trials_done") or 0)
        planned = int(params.get("trials", 3)) * len(params.get("targets") or [])
        if done < planned:
            return Outcome(False, pain, f"{done} of {planned} trials reproduced")
        tol = float(params.get("tolerance_deg", 5.0))
        rate = result.get("hit_rate_pct")
        if params.get("feedback", "none") != "none" and (
                not isinstance(rate, int | float) or rate < JPS_HIT_PCT):
            return Outcome(False, pain, f"{rate or 0:.0f} % of reproductions within ±{tol:g}° "
                                        f"(needs {JPS_HIT_PCT:.0f} %)")
        return Outcome(True, pain, f"all {planned} trials reproduced"
                       + (f", {rate:.0f} % within ±{tol:g}°"
                          if isinstance(rate, int | float) else ""))
    if spec.kind == "lunge":
        n = len(result.get("lunges_deg") or [])
        return Outcome(n >= sets, pain, f"{n} of {sets} lunges measured")
    return Outcome(True, pain, "warm-up done")


def decide(progress: Progress, outcome: Outcome, spec: DrillSpec,
           scale: PainScale | None = None) -> tuple[Progress, Decision]:
    """Apply the rules to one session; returns the new state and what was decided, and why."""
    scale = scale or load_catalog().safety.pain_scale
    top = max(len(spec.progression) - 1, 0)
    level = spec.clamp_level(progress.level)
    p = replace(progress, level=level, sessions=progress.sessions + 1)
    if outcome.rom_deg is not None and outcome.placement and p.rom_ref_placement not in (
            None, outcome.placement):  # the sensor moved: the reference starts again
        p = replace(p, rom_ref_deg=None, rom_sessions=0)
    if outcome.rom_deg is not None and p.rom_sessions < ROM_REF_SESSIONS:
        n = p.rom_sessions
        ref = outcome.rom_deg if p.rom_ref_deg is None or n == 0 else (
            (p.rom_ref_deg * n + outcome.rom_deg) / (n + 1))
        p = replace(p, rom_ref_deg=round(ref, 2), rom_sessions=n + 1,
                    rom_ref_placement=outcome.placement or p.rom_ref_placement)

    def make(action: str, new_level: int, reason: str, *, successes: int,
             failures: int) -> tuple[Progress, Decision]:
        new_level = max(0, min(new_level, top))
        if action == "advance" and new_level == level:
            action, reason = "stay", reason + "; already at the top level"
        if action == "back_off" and new_level == level:
            action, reason = "stay", reason + "; already at the easiest level"
        state = replace(p, level=new_level, successes=successes, failures=failures)
        return state, Decision(action, level, new_level, reason, spec.level_label(new_level))

    if not spec.progression:
        return make("stay", level, "this drill has no levels", successes=0, failures=0)
    if not outcome.measured:
        return make("stay", level, outcome.reason, successes=p.successes, failures=p.failures)
    pain = outcome.pain
    if pain is not None and pain >= scale.back_off_at:
        return make("back_off", level - 1, f"pain {pain}/10 (>= {scale.back_off_at}): easier next "
                    "time", successes=0, failures=0)
    if not outcome.met_targets:
        failures = p.failures + 1
        if failures >= FAILURES_TO_BACK_OFF:
            return make("back_off", level - 1, f"targets missed {failures} sessions in a row "
                        f"({outcome.reason})", successes=0, failures=0)
        return make("stay", level, f"targets missed ({outcome.reason}); one more try at this "
                    "level", successes=0, failures=failures)
    if pain is not None and pain > scale.acceptable_max:
        return make("stay", level, f"targets met but pain {pain}/10: staying at this level",
                    successes=p.successes, failures=0)
    successes = p.successes + 1
    if successes >= SUCCESSES_TO_ADVANCE:
        return make("advance", level + 1, f"{successes} good sessions in a row "
                    f"({outcome.reason}): a little harder next time", successes=0, failures=0)
    return make("stay", level, f"good session ({outcome.reason}); "
                f"{SUCCESSES_TO_ADVANCE - successes} more to move up", successes=successes,
                failures=0)
