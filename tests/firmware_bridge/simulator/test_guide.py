"""The simulated person following a drill guide: lead-in, sets, reps, holds, rests and countdowns
from the guide's plan (``SimConfig.guide``, ``follow_guide``); without a guide nothing changes."""

from __future__ import annotations

import json
from dataclasses import asdict, replace

import numpy as np
import pytest

from firmware_bridge.simulator import (
    GuidedSet,
    GuideSchedule,
    SensorStream,
    SimConfig,
    follow_guide,
    schedule_from_plan,
    simulate,
)
from firmware_bridge.simulator.guide import REACTION_S
from tests.firmware_bridge.simulator.conftest import assert_batches_equal
from trainer.drills.catalog import get_drill
from trainer.drills.session import DrillSession


def guide(drill: str, level: int | None = None, **params: object) -> DrillSession:
    return DrillSession(get_drill(drill), "left", level=level, params=params or None)


def guided(drill: str, duration_s: float, level: int | None = None, seed: int = 2,
           **kw: object) -> SimConfig:
    return follow_guide(SimConfig(scenario=drill, seed=seed, duration_s=duration_s, **kw),  # type: ignore[arg-type]
                        guide(drill, level))


def test_the_schedule_is_the_guides_plan() -> None:
    g = guide("ankle-inversion", level=1)  # 3 × 10, rest 45 s, tempo 3 s, countdown 3 s
    sched = schedule_from_plan(g.plan, g.params, start_s=1.5)
    assert sched.start_s == 1.5 and sched.countdown_s == 3.0 and sched.first_go_s == 4.5
    assert [(s.work, s.reps, s.rest_after_s) for s in sched.sets] == [
        ("reps", 10, 45.0), ("reps", 10, 45.0), ("reps", 10, 0.0)]
    assert sched.after_rest_s(0) == 48.0 and sched.timed_windows() == []
    cfg = follow_guide(SimConfig(scenario="ankle-inversion"), g)
    assert cfg.guide is not None and cfg.tempo_s == 3.0  # the guide's tempo …
    assert follow_guide(SimConfig(scenario="ankle-inversion", tempo_s=2.0), g).tempo_s == 2.0
    holds = schedule_from_plan(guide("isometric-eversion").plan, guide("isometric-eversion")
                               .params)  # start level: 6 × 5 s, rest 10 s
    wins = holds.timed_windows()
    assert wins[:2] == [(3.0, 8.0), (21.0, 26.0)] and len(wins) == 6


def test_without_a_guide_nothing_changes() -> None:
    cfg = SimConfig(scenario="calf-raise", seed=3, duration_s=30.0)
    assert cfg.guide is None and "guide" in asdict(cfg)
    assert replace(cfg, guide=None) == cfg


@pytest.mark.parametrize("drill", ["ankle-inversion", "calf-raise"])
def test_reps_start_after_go_and_rest_through_the_rest_and_the_countdown(drill: str) -> None:
    cfg = guided(drill, 300.0, level=1)
    rec = simulate(cfg)
    assert cfg.guide is not None
    sets = rec.truth.events_of("set")
    reps = rec.truth.reps
    n_sets = len(cfg.guide.sets)
    assert len(sets) == n_sets and [s["index"] for s in sets] == list(range(n_sets))
    per_set = [[r for r in reps if r["set"] == k] for k in range(n_sets)]
    assert [len(r) for r in per_set] == [s.reps for s in cfg.guide.sets]  # nothing more
    assert sets[0]["t_s"] == pytest.approx(cfg.guide.first_go_s + REACTION_S)
    for k in range(1, n_sets):  # last rep over, then the rest, the countdown and a reaction
        gap = sets[k]["t_s"] - per_set[k - 1][-1]["t_end_s"]
        assert gap == pytest.approx(cfg.guide.after_rest_s(k - 1) + REACTION_S)
    tempos = np.array([r["t_end_s"] - r["t_s"] for r in reps])
    assert tempos.min() > 0.7 * 3.0 and tempos.max() < 1.3 * 3.0  # the guide's tempo
    # after the last set the person keeps still
    t_last = per_set[-1][-1]["t_end_s"]
    late = rec.truth.t_true_s > t_last + 1.0
    channel = "plantarflexion_deg" if drill == "calf-raise" else "inversion_deg"
    assert np.abs(rec.truth.extra[channel][late]).max() < 3.0


@pytest.mark.parametrize(("drill", "rise_s"), [("isometric-eversion", 0.8),
                                               ("calf-stretch", 2.5)])
def test_holds_last_from_just_after_go_to_just_after_stop(drill: str, rise_s: float) -> None:
    cfg = guided(drill, 200.0, clock_drift_ppm=300.0, hold_disturbance=True)
    assert cfg.guide is not None
    rec = simulate(cfg)
    wins = cfg.guide.timed_windows()
    holds = rec.truth.holds
    assert len(holds) == len(wins) == len(cfg.guide.sets)
    for h, (go, stop) in zip(holds, wins, strict=True):  # session clock despite the drift
        assert h["t_s"] == pytest.approx(go + REACTION_S + rise_s, abs=2e-3)  # rise: true s
        assert h["t_end_s"] == pytest.approx(stop + REACTION_S, abs=1e-6)
    if drill.startswith("isometric"):
        assert [d["index"] for d in rec.truth.events_of("disturbance")] == [1, 4]


def test_single_leg_stance_follows_the_guides_trials() -> None:
    g = guide("single-leg-balance", level=0)  # 3 × 20 s, rest 20 s
    cfg = follow_guide(SimConfig(seed=4, duration_s=150.0, side="right",
                                 balance_loss_rate_per_min=6.0), g, start_s=2.0)
    assert cfg.guide is not None
    rec = simulate(cfg)
    wins = cfg.guide.timed_windows()
    assert wins[0] == (5.0, 25.0) and wins[1] == (48.0, 68.0)
    holds = [(h["t_s"], h["t_end_s"]) for h in rec.truth.holds]
    assert np.allclose(np.array(holds), np.array(wins) + REACTION_S)
    losses = [e["t_s"] for e in rec.truth.balance_losses]
    assert losses and all(any(a < t < b for a, b in holds) for t in losses)
    # standing on both legs (less sway) during the countdowns and rests
    t = rec.truth.t_true_s
    rest = (t > 30.0) & (t < 45.0)
    trial = (t > 7.0) & (t < 24.0) & ~np.any([(t > x - 0.5) & (t < x + 4.0) for x in losses],
                                             axis=0)
    assert rec.truth.extra["sway_ap_deg"][rest].std() < 0.6 * rec.truth.extra[
        "sway_ap_deg"][trial].std()


def test_warm_up_blocks_follow_the_plan() -> None:
    cfg = guided("warm-up", 150.0)
    assert cfg.guide is not None
    assert [(s.motion, s.reps) for s in cfg.guide.sets] == [("pump", 20), ("circle", 10),
                                                           ("circle", 10)]
    rec = simulate(cfg)
    sets = rec.truth.events_of("set")
    assert [(s["motion"], s.get("direction")) for s in sets] == [
        ("pump", None), ("circle", "clockwise"), ("circle", "counter-clockwise")]
    assert [sum(r["set"] == k for r in rec.truth.reps) for k in range(3)] == [20, 10, 10]
    assert sets[1]["t_s"] - sets[0]["t_end_s"] == pytest.approx(10.0 + 3.0 + REACTION_S)


def test_a_guided_stream_is_chunk_invariant_and_its_config_survives_json() -> None:
    cfg = guided("calf-raise", 60.0)
    whole = SensorStream(cfg).next(6000)
    s = SensorStream(cfg)
    parts = [s.next(n) for n in (1, 777, 3000, 2222)]
    from trainer.vocab.batch import SampleBatch

    assert_batches_equal(whole, SampleBatch.concat(parts))
    back = SimConfig(**{k: tuple(v) if isinstance(v, list) else v
                        for k, v in json.loads(json.dumps(asdict(cfg))).items()})
    assert back == cfg
    assert_batches_equal(simulate(back).batch, simulate(cfg).batch)


@pytest.mark.parametrize(("kw", "match"), [
    ({"scenario": "still"}, "drill scenario"),
    ({"scenario": "calf-raise", "guide": GuideSchedule((GuidedSet("hold", hold_s=5.0),))},
     "reps sets"),
    ({"scenario": "calf-stretch", "guide": GuideSchedule((GuidedSet("reps", reps=3),))},
     "hold sets"),
    ({"guide": GuideSchedule(())}, "no sets"),
    ({"guide": GuideSchedule((GuidedSet("hold", hold_s=-1.0),))}, "hold_s"),
    ({"guide": GuideSchedule((GuidedSet("hold", hold_s=5.0),), countdown_s=float("nan"))},
     "countdown_s"),
    ({"guide": {"sets": [{"work": "hold", "hold": 5}]}}, "bad guide schedule"),
    ({"guide": "3 x 10"}, "GuideSchedule"),
])
def test_bad_guides_are_refused_in_one_line(kw: dict[str, object], match: str) -> None:
    kw.setdefault("guide", GuideSchedule((GuidedSet("hold", hold_s=5.0),)))
    with pytest.raises(ValueError, match=match):
        SimConfig(**kw)  # type: ignore[arg-type]
