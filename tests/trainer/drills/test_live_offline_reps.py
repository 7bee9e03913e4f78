"""One rep detector live and offline: a guided calf raise with the sensor on the shank (rise +
turn, ``trainer.drills.rise``) counts the same reps and ROM however the processed samples are
batched, and ``analyze_drill`` of the recording with the session's events finds what the live
session counted (it used to count 20 live and 12 offline)."""

from __future__ import annotations

from functools import cache
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.simulator import SimConfig, follow_guide, simulate
from trainer.core.pipeline import Pipeline, PipelineConfig, ProcessedBatch
from trainer.drills import get_drill
from trainer.drills.analysis import analyze_drill
from trainer.drills.session import DrillSession, persisted


def _session(cfg: SimConfig) -> DrillSession:
    return DrillSession(get_drill("calf-raise"), cfg.side, fs_hz=cfg.sample_rate_hz,
                        placement="shank")


@cache
def recording() -> tuple[SimConfig, ProcessedBatch]:
    base = SimConfig(seed=3, scenario="calf-raise", side="left", placement="shank",
                     duration_s=130.0)
    cfg = follow_guide(base, _session(base), start_s=0.0)
    pipe = Pipeline(PipelineConfig(sample_rate_hz=cfg.sample_rate_hz, placement="shank",
                                   side=cfg.side, detect_balance_losses=False))
    return cfg, pipe.process(simulate(cfg).batch)


def feed(sizes: list[int]) -> tuple[DrillSession, list[dict[str, Any]]]:
    cfg, pb = recording()
    s = _session(cfg)
    evs = s.start(0.0)
    a, i = 0, 0
    n = pb.t_s.size
    while a < n:
        b = min(n, a + sizes[i % len(sizes)])
        i += 1
        evs += s.feed({"t_s": pb.t_s[a:b], "tilt_ap_deg": pb.tilt_ap_deg[a:b],
                       "tilt_ml_deg": pb.tilt_ml_deg[a:b], "gyr_dps": pb.gyr_dps[a:b],
                       "acc_g": pb.acc_g[a:b], "quat_wxyz": pb.quat_wxyz[a:b]})
        a = b
    return s, persisted(evs)


@cache
def reference() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    s, events = feed([10])  # 0.1 s batches, like a live stream
    return s.result(), events


def test_live_counts_the_simulated_reps_and_analyze_agrees() -> None:
    live, events = reference()
    assert live["reps_per_set"] == [10, 10]
    assert 15.0 < live["rom_deg"] < 45.0  # the simulated foot turns ~25° ± 30 %
    _, pb = recording()
    offline = analyze_drill("calf-raise", {
        "t_s": pb.t_s, "gyr_dps": pb.gyr_dps, "tilt_ap_deg": pb.tilt_ap_deg,
        "tilt_ml_deg": pb.tilt_ml_deg, "acc_g": pb.acc_g, "quat_wxyz": pb.quat_wxyz,
        "sample_rate_hz": recording()[0].sample_rate_hz},
        {"side": "left", "placement": "shank", "events": events})
    assert offline["reps_per_set"] == live["reps_per_set"]
    assert offline["rep_times_s"] == live["rep_times_s"]
    assert offline["rom_deg"] == live["rom_deg"]
    assert offline["partial_reps"] == live["partial_reps"]


@settings(max_examples=6)
@given(st.lists(st.one_of(st.integers(1, 40), st.integers(40, 20000)), min_size=1,
                max_size=12))
def test_any_batching_gives_the_same_reps(sizes: list[int]) -> None:
    ref, ref_events = reference()
    s, events = feed(sizes)
    assert s.result() == ref
    assert events == ref_events
