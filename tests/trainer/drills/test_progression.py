"""Progression: harder after good sessions, easier after pain >= 5 or repeated failures."""

from __future__ import annotations

from pathlib import Path

from trainer.drills import get_drill
from trainer.drills.progression import Outcome, Progress, decide, session_outcome
from trainer.drills.store import DrillStore

BAL = get_drill("single-leg-balance")
GOOD = Outcome(True, 1, "ok")
BAD = Outcome(False, 1, "missed")


def run(outcomes: list[Outcome], level: int = 2) -> list[str]:
    p = Progress(BAL.id, "left", level)
    actions = []
    for o in outcomes:
        p, d = decide(p, o, BAL)
        actions.append(f"{d.action}:{p.level}")
    return actions


def test_two_good_sessions_advance_one_level() -> None:
    assert run([GOOD, GOOD, GOOD, GOOD]) == ["stay:2", "advance:3", "stay:3", "advance:4"]


def test_pain_five_or_more_backs_off_at_once() -> None:
    assert run([GOOD, Outcome(True, 5, "ok")]) == ["stay:2", "back_off:1"]
    assert run([Outcome(True, 8, "ok")]) == ["back_off:1"]


def test_moderate_pain_holds_the_level() -> None:
    assert run([Outcome(True, 4, "ok")] * 3) == ["stay:2"] * 3


def test_repeated_failures_back_off() -> None:
    assert run([BAD, BAD, BAD, BAD]) == ["stay:2", "back_off:1", "stay:1", "back_off:0"]


def test_a_failure_resets_the_success_streak() -> None:
    assert run([GOOD, BAD, GOOD, GOOD]) == ["stay:2", "stay:2", "stay:2", "advance:3"]


def test_ladder_ends_are_respected() -> None:
    top = len(BAL.progression) - 1
    assert run([GOOD, GOOD], level=top)[-1] == f"stay:{top}"
    assert run([Outcome(True, 9, "x")], level=0) == ["stay:0"]


def test_harder_levels_mean_longer_holds_eyes_closed_foam() -> None:
    levels = [lv.params for lv in BAL.progression]
    assert levels[1]["hold_s"] > levels[0]["hold_s"]
    assert any(lv["surface"] == "foam" for lv in levels)
    assert levels[-1]["eyes"] == "closed"


def test_session_outcome_per_kind() -> None:
    p = BAL.params(1)
    assert session_outcome(BAL, p, {"holds_s": [30, 29, 30]}, 1).met_targets
    assert not session_outcome(BAL, p, {"holds_s": [30, 12, 30]}, 1).met_targets
    inv = get_drill("ankle-inversion")
    pi = inv.params(1)
    assert session_outcome(inv, pi, {"reps": 29}, 0).met_targets
    assert not session_outcome(inv, pi, {"reps": 20}, 0).met_targets
    iso = get_drill("isometric-eversion")
    pis = iso.params(1)
    holds = [10.0] * pis["sets"]
    assert session_outcome(iso, pis, {"holds_s": holds, "movement_during_hold": 2}, 0).met_targets
    assert not session_outcome(iso, pis, {"holds_s": holds, "movement_during_hold": 30},
                               0).met_targets


def test_store_keeps_levels_per_drill_and_side(tmp_path: Path) -> None:
    store = DrillStore(tmp_path)
    for _ in range(2):
        store.apply_session(BAL, "left", GOOD, "s1")
    assert store.progress(BAL, "left").level == BAL.start_level + 1
    assert store.progress(BAL, "right").level == BAL.start_level
    store.progress_path.write_text("[broken")
    assert store.progress(BAL, "left").level == BAL.start_level


def test_record_result_after_a_guided_session(tmp_path: Path) -> None:
    from trainer.drills.session import DrillSession

    store = DrillStore(tmp_path)
    spec = get_drill("calf-stretch")
    level = store.level_for(spec, "left")
    for _ in range(2):
        s = DrillSession(spec, "left", level=level, fs_hz=100.0)
        s.start(0.0)
        s.tick(1000.0)  # holds run to time; no data means no movement
        s.rate_pain(1, 1000.0)
        decision = store.record_result(spec, "left", s.params, s.result(), "sid")
    assert decision.action == "advance" and store.level_for(spec, "left") == level + 1


def test_strong_pain_backs_off_and_asks_the_safety_questions_again(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from trainer.drills.safety import questions, screen

    store = DrillStore(tmp_path)
    t0 = datetime(2025, 1, 1, tzinfo=UTC)
    store.save_screening(screen({q["id"]: False for q in questions()}, t0))
    d = store.record_result(BAL, "left", BAL.params(2), {"holds_s": [30, 30, 30], "pain": 8},
                            when=t0 + timedelta(hours=1))
    assert d.action == "back_off"
    assert not store.gate(t0 + timedelta(hours=2)).may_train


# -------------------------------------------------------------- quality (issue 11)


def test_reps_below_the_persons_own_range_miss_the_target() -> None:
    from trainer.drills.catalog import get_drill
    from trainer.drills.progression import Progress, decide, session_outcome

    spec = get_drill("ankle-inversion")
    params = spec.params(1)
    full = {"reps": 30, "rom_deg": 20.0}
    p = Progress.start(spec, "left")
    for _ in range(3):  # the first sessions set the person's own range
        p, _ = decide(p, session_outcome(spec, params, full, 0, p.rom_ref_deg), spec)
    assert p.rom_ref_deg == 20.0 and p.rom_sessions == 3
    shallow = session_outcome(spec, params, {"reps": 30, "rom_deg": 12.0}, 0, p.rom_ref_deg)
    assert not shallow.met_targets and "range" in shallow.reason
    assert session_outcome(spec, params, {"reps": 30, "rom_deg": 18.0}, 0,
                           p.rom_ref_deg).met_targets


def test_an_unmeasured_session_keeps_the_level_and_counts_neither_way() -> None:
    from trainer.drills.catalog import get_drill
    from trainer.drills.progression import Progress, decide, session_outcome

    spec = get_drill("isometric-eversion")
    p = Progress(spec.id, "left", 1, successes=1, failures=0)
    out = session_outcome(spec, spec.params(1), {"measurable": False, "holds_s": None}, 0)
    assert not out.measured
    new, decision = decide(p, out, spec)
    assert decision.action == "stay" and new.level == 1
    assert (new.successes, new.failures) == (1, 0)


def test_a_stretch_held_with_movements_misses_the_target() -> None:
    from trainer.drills.catalog import get_drill
    from trainer.drills.progression import session_outcome

    spec = get_drill("calf-stretch")
    params = spec.params(0)
    holds = [float(params["hold_s"])] * int(params["sets"])
    assert session_outcome(spec, params, {"holds_s": holds, "movement_during_hold": 0},
                           0).met_targets
    assert not session_outcome(spec, params, {"holds_s": holds, "movement_during_hold": 9},
                               0).met_targets
