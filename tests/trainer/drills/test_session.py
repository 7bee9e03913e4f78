"""DrillSession: phases, cues/beeps/countdowns, detection inside sets, pain rating, events."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from trainer.drills import get_drill
from trainer.drills.session import (
    ACTIVE,
    COUNTDOWN,
    DONE,
    PAIN,
    REST,
    DrillEvent,
    DrillSession,
    persisted,
)

FS = 100.0


def frames(t: np.ndarray, ap: np.ndarray | None = None, ml: np.ndarray | None = None,
           gyr: np.ndarray | None = None, events: list[Any] | None = None) -> dict[str, Any]:
    z = np.zeros(t.size)
    return {"t_s": t, "tilt_ap_deg": z if ap is None else ap,
            "tilt_ml_deg": z if ml is None else ml,
            "gyr_dps": np.zeros((t.size, 3)) if gyr is None else gyr, "events": events or []}


def from_angles(fn: Any) -> Any:
    """A feed signal from ``fn(tt) -> (ap_deg, ml_deg)``, with the matching segment-frame gyro
    (ω_x = -d ml/dt, ω_y = d ap/dt, the convention of GyroAngles)."""
    h = 1e-3

    def sig(tt: np.ndarray) -> dict[str, Any]:
        ap, ml = fn(tt)
        ap1, ml1 = fn(tt + h)
        ap0, ml0 = fn(tt - h)
        gyr = np.zeros((tt.size, 3))
        gyr[:, 0] = -(ml1 - ml0) / (2 * h)
        gyr[:, 1] = (ap1 - ap0) / (2 * h)
        return frames(tt, ap=ap, ml=ml, gyr=gyr)
    return sig


def drive(s: DrillSession, signal: Any, t_end: float, chunk: float = 0.1) -> list[DrillEvent]:
    out: list[DrillEvent] = []
    t = 0.0
    while t < t_end and s.phase not in (PAIN, DONE):
        tt = t + np.arange(int(chunk * FS)) / FS
        out += s.feed(signal(tt))
        t += chunk
    return out


def reps_signal(sign: float = 1.0, period: float = 2.5, amp: float = 20.0) -> Any:
    def angles(tt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        y = np.where(tt < 4, 0.0, amp * np.sin(np.pi * ((tt - 4) % period) / period) ** 2)
        return np.zeros(tt.size), sign * y
    return from_angles(angles)


def test_reps_session_counts_to_target_then_rests_then_asks_pain() -> None:
    s = DrillSession(get_drill("ankle-inversion"), "left", level=0, fs_hz=FS)
    evs = s.start(0.0)
    assert s.phase == COUNTDOWN and s.view()["countdown"] == 3
    evs += drive(s, reps_signal(), 400)
    assert s.phase == PAIN
    types = [e.type for e in evs]
    assert types.count("set_start") == 2 and types.count("set_end") == 2
    assert types.count("rep") == 20
    assert [e.data["remaining"] for e in evs if e.type == "countdown"][:3] == [3, 2, 1]
    assert {"tick", "start", "stop", "rep"} <= {e.data["kind"] for e in evs if e.type == "beep"}
    r = s.result()
    assert r["reps"] == 20 and r["reps_target"] == 20 and r["rom_deg"] == pytest.approx(20, abs=1)


def test_right_side_inversion_uses_the_mirrored_sign() -> None:
    s = DrillSession(get_drill("ankle-inversion"), "right", level=0, fs_hz=FS)
    s.start(0.0)
    drive(s, reps_signal(sign=-1.0), 400)
    assert s.result()["reps"] == 20


def test_pain_rating_ends_the_drill_with_advice_and_a_result_event() -> None:
    s = DrillSession(get_drill("ankle-eversion"), "left", level=0, fs_hz=FS)
    s.start(0.0)
    drive(s, reps_signal(sign=-1.0), 400)
    with pytest.raises(Exception, match="pain"):
        s.rate_pain(11, 200.0)
    evs = s.rate_pain(6, 200.0)
    assert s.phase == DONE
    pain = next(e for e in evs if e.type == "pain_rating")
    assert pain.data["rating"] == 6 and pain.data["category"] == "back_off"
    end = next(e for e in evs if e.type == "drill_end")
    assert end.data["result"]["pain"] == 6
    assert any(e.type == "cue" and e.data["level"] == "warning" for e in evs)


def test_balance_session_times_first_loss_per_trial_from_core_events() -> None:
    s = DrillSession(get_drill("single-leg-balance"), "left", level=1, fs_hz=FS)
    s.start(0.0)
    # trial 1 starts at 3 s (after the countdown); a core balance_loss at 13 s
    losses = [{"type": "balance_loss", "t_s": 13.0}]

    def sig(tt: np.ndarray) -> dict[str, Any]:
        return frames(tt, events=[e for e in losses if tt[0] <= e["t_s"] <= tt[-1]])

    evs = drive(s, sig, 300)
    assert s.phase == PAIN
    r = s.result()
    assert r["holds_s"] == [10.0, 30.0, 30.0]
    assert r["time_to_first_loss_s"] == pytest.approx(10.0)
    assert r["balance_losses"] == 1 and r["best_stance_s"] == 30.0
    assert any(e.type == "cue" and "Balance lost" in e.data["text"] for e in evs)


def test_eyes_closed_level_says_so_at_the_start() -> None:
    spec = get_drill("single-leg-balance")
    lvl = next(i for i, lv in enumerate(spec.progression) if lv.params["eyes"] == "closed")
    s = DrillSession(spec, "right", level=lvl, fs_hz=FS)
    s.start(0.0)
    evs = s.tick(3.0)
    assert any(e.type == "cue" and "Close your eyes" in e.data["text"] for e in evs)


def test_isometric_hold_flags_movement_and_times_holds() -> None:
    spec = get_drill("isometric-inversion")
    s = DrillSession(spec, "left", level=0, fs_hz=FS)  # 6 x 5 s, rest 10 s
    s.start(0.0)

    def sig(tt: np.ndarray) -> dict[str, Any]:
        ml = np.zeros(tt.size)
        gyr = np.zeros((tt.size, 3))
        m = (tt > 5.0) & (tt < 5.6)  # during the first hold (3-8 s)
        ml[m] = 10 * np.sin(np.pi * (tt[m] - 5.0) / 0.6)
        gyr[m, 0] = 80.0
        return frames(tt, ml=ml, gyr=gyr)

    evs = drive(s, sig, 200)
    assert s.phase == PAIN
    r = s.result()
    assert r["holds_s"] == pytest.approx([5.0] * 6)
    assert r["movement_during_hold"] == 1
    assert [e.type for e in evs].count("hold_start") == 6
    mv = [e for e in evs if e.type == "movement_during_hold"]
    assert len(mv) == 1 and 5.0 <= mv[0].t_s <= 5.7
    assert any(e.type == "cue" and "still" in e.data["text"] for e in evs)


def test_rest_phase_and_skip_and_stop() -> None:
    s = DrillSession(get_drill("calf-stretch"), "left", fs_hz=FS)
    s.start(0.0)
    s.tick(3.0)
    assert s.phase == ACTIVE
    s.skip(10.0)
    assert s.phase == REST
    s.skip(11.0)
    assert s.phase == COUNTDOWN
    evs = s.stop(12.0)
    assert s.phase == PAIN and any(e.type == "drill_stopped" for e in evs)
    s.rate_pain(0, 13.0)
    assert s.result()["stopped"] is True


def test_persisted_events_are_json_lines_with_time_and_type() -> None:
    s = DrillSession(get_drill("ankle-inversion"), "left", level=0, fs_hz=FS)
    evs = s.start(0.0) + drive(s, reps_signal(), 400)
    evs += s.rate_pain(1, 200.0)
    lines = persisted(evs)
    assert {ln["type"] for ln in lines} >= {"drill_start", "set_start", "rep", "set_end",
                                            "pain_rating", "drill_end"}
    assert not {ln["type"] for ln in lines} & {"cue", "beep", "countdown", "phase"}
    for ln in lines:
        json.dumps(ln)
        assert isinstance(ln["t_s"], float) and isinstance(ln["type"], str)


def test_warmup_runs_its_blocks() -> None:
    s = DrillSession(get_drill("warm-up"), "left", fs_hz=FS)
    s.start(0.0)

    def angles(tt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ph = 2 * np.pi * tt / 2.0
        return 15 * np.sin(ph), 10 * np.cos(ph)

    drive(s, from_angles(angles), 400)
    assert s.phase == PAIN
    assert s.result()["reps_per_set"] == [20, 10, 10]


def test_view_during_a_reps_set() -> None:
    s = DrillSession(get_drill("calf-raise"), "left", level=0, fs_hz=FS)
    s.start(0.0)
    s.tick(3.5)
    v = s.view()
    assert v["phase"] == ACTIVE and v["reps"] == 0 and v["target_reps"] == 10
    assert v["set"] == 1 and v["n_sets"] == 2 and v["placement"] == "foot"


def test_done_on_the_first_side_suggests_the_other() -> None:
    s = DrillSession(get_drill("calf-stretch"), "left", fs_hz=FS)
    s.start(0.0)
    s.tick(500.0)
    evs = s.rate_pain(0, 500.0)
    assert s.next_side == "right"
    assert any(e.type == "cue" and "right" in e.data["text"] for e in evs)
    r = DrillSession(get_drill("calf-stretch"), "right", fs_hz=FS)
    assert r.next_side is None


def stretch_signal(ramp_s: float = 2.5, reaction_s: float = 0.5, depth_deg: float = 14.0,
                   bob_at: float | None = None) -> Any:
    """Calf stretch (3 × 30 s, rest 15 s: "Go" at 3, 51, 99 s): stand still ``reaction_s``
    after "Go", lean in over ``ramp_s`` to ``depth_deg``, hold, come out after "stop"; body
    sway on top; optionally a quick 8° bob out of the stretch at ``bob_at``."""
    gos = np.array([3.0, 51.0, 99.0])

    def smooth(x: np.ndarray) -> np.ndarray:
        x = np.clip(x, 0.0, 1.0)
        return x * x * (3 - 2 * x)

    def angles(tt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ap = 0.4 * np.sin(2 * np.pi * 0.3 * tt) + 0.2 * np.sin(2 * np.pi * 1.1 * tt + 1.0)
        for go in gos:
            lean_in = smooth((tt - go - reaction_s) / ramp_s)
            come_out = smooth((tt - go - 30.5) / 2.0)
            ap = ap + depth_deg * lean_in * (1 - come_out)
        if bob_at is not None:
            m = (tt > bob_at) & (tt < bob_at + 0.8)
            ap = ap - np.where(m, 8.0 * np.sin(np.pi * (tt - bob_at) / 0.8) ** 2, 0.0)
        return ap, np.zeros(tt.size)
    return from_angles(angles)


@pytest.mark.parametrize(("ramp_s", "reaction_s", "chunk"),
                         [(2.5, 0.5, 0.1), (6.0, 0.5, 0.1), (2.5, 1.5, 7.3), (1.0, 0.3, 0.02)])
def test_calf_stretch_leaning_in_after_go_is_not_movement(ramp_s: float, reaction_s: float,
                                                          chunk: float) -> None:
    """Leaning into the stretch after "Go" (slow or fast, after a pause) is getting into the
    position, not movement during the hold; the angle held is the stretch's."""
    s = DrillSession(get_drill("calf-stretch"), "left", level=0, fs_hz=FS)
    evs = s.start(0.0) + drive(s, stretch_signal(ramp_s, reaction_s), 200, chunk=chunk)
    assert s.phase == PAIN
    r = s.result()
    assert r["holds_s"] == pytest.approx([30.0] * 3)
    assert r["movement_during_hold"] == 0
    assert not [e for e in evs if e.type == "movement_during_hold"]
    assert not any(e.type == "cue" and e.data["level"] == "warning" for e in evs)
    assert r["angle_held_deg"] == pytest.approx(14.0, abs=0.5)


@pytest.mark.parametrize("chunk", [0.1, 3.7])
def test_calf_stretch_bobbing_during_the_hold_is_cued_once(chunk: float) -> None:
    s = DrillSession(get_drill("calf-stretch"), "left", level=0, fs_hz=FS)
    evs = s.start(0.0) + drive(s, stretch_signal(bob_at=66.0), 200, chunk=chunk)
    mv = [e for e in evs if e.type == "movement_during_hold"]
    assert len(mv) == 1 and mv[0].data["set"] == 2 and 66.0 <= mv[0].t_s <= 66.6
    assert mv[0].data["rate_dps"] > 15.0 or mv[0].data["drift_deg"] < -5.0
    assert s.result()["movement_during_hold"] == 1
    assert any(e.type == "cue" and "still" in e.data["text"] for e in evs)
