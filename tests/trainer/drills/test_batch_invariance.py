"""DrillSession gives the same result and the same persisted events however the data is batched
(the core's principle: batch by batch equals all at once). A simulated person follows the guide
(``follow_guide``), the core pipeline processes the recording, and the guide is fed the
processed samples in batches of random sizes, from one sample to the whole recording."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, SimulatedRecording, follow_guide, simulate
from trainer.core.pipeline import Pipeline, PipelineConfig, ProcessedBatch
from trainer.drills import get_drill
from trainer.drills.analysis import analyze_drill
from trainer.drills.session import PAIN, DrillSession, persisted

CASES: dict[str, dict[str, Any]] = {
    "ankle-inversion": {"duration_s": 260.0},
    "warm-up": {"duration_s": 200.0},
    "isometric-eversion": {"duration_s": 100.0, "hold_disturbance": True},
    "calf-stretch": {"duration_s": 150.0},
    # losses just before a trial's end (the 1st ends at 33 s), inside the 2nd, and one in a rest
    "single-leg-balance": {"duration_s": 145.0, "balance_loss_times_s": (20.0, 32.0, 85.0)},
}


def _session(drill: str, cfg: SimConfig) -> DrillSession:
    return DrillSession(get_drill(drill), cfg.side, fs_hz=cfg.sample_rate_hz,
                        placement=cfg.effective_placement)


@cache
def guided(drill: str) -> tuple[SimConfig, ProcessedBatch]:
    """The recording of a simulated person following the guide, processed by the core."""
    cfg, pb, _ = guided_recording(drill)
    return cfg, pb


@cache
def guided_recording(drill: str) -> tuple[SimConfig, ProcessedBatch, SimulatedRecording]:
    kw = CASES[drill]
    base = SimConfig(seed=4, scenario=drill, side="left", **kw)
    cfg = follow_guide(base, _session(drill, base), start_s=0.0)
    rec = simulate(cfg)
    pipe = Pipeline(PipelineConfig(sample_rate_hz=cfg.sample_rate_hz,
                                   placement=cfg.effective_placement, side=cfg.side,
                                   detect_balance_losses=get_drill(drill).kind == "balance"))
    return cfg, pipe.process(rec.batch), rec


def feed(drill: str, sizes: list[int], core_events: bool = True
         ) -> tuple[DrillSession, list[dict[str, Any]]]:
    """Feed the processed recording in batches of ``sizes`` (cycled); each core event goes with
    the batch holding its detection time, as the live pipeline gives it."""
    cfg, pb = guided(drill)
    s = _session(drill, cfg)
    evs = s.start(0.0)
    t = pb.t_s
    a, i = 0, 0
    while a < t.size:
        b = min(t.size, a + sizes[i % len(sizes)])
        i += 1
        batch: dict[str, Any] = {"t_s": t[a:b], "tilt_ap_deg": pb.tilt_ap_deg[a:b],
                                 "tilt_ml_deg": pb.tilt_ml_deg[a:b], "gyr_dps": pb.gyr_dps[a:b]}
        if core_events:
            batch["events"] = [e for e in pb.events if t[a] <= e["t_detected_s"] <= t[b - 1]]
        evs += s.feed(batch)
        a = b
    return s, persisted(evs)


def random_sizes(rng: np.random.Generator, n: int) -> list[int]:
    """Log-uniform batch sizes from 1 sample to the whole recording."""
    return [int(x) for x in np.exp(rng.uniform(0.0, np.log(n), 400)).round()]


def splits(drill: str) -> list[list[int]]:
    cfg, pb = guided(drill)
    n = pb.t_s.size
    rng = np.random.default_rng(sum(map(ord, drill)))
    return [[n], [int(120 * cfg.sample_rate_hz)], [int(80 * cfg.sample_rate_hz)],
            [3, 4000], *(random_sizes(rng, n) for _ in range(3))]


@pytest.mark.parametrize("drill", list(CASES))
def test_result_and_events_do_not_depend_on_batch_size(drill: str) -> None:
    ref, ref_events = feed(drill, [10])  # 0.1 s batches, like a live stream
    assert ref.phase == PAIN  # the whole plan was done
    for sizes in splits(drill):
        s, events = feed(drill, sizes)
        assert s.result() == ref.result(), sizes[:5]
        assert events == ref_events, sizes[:5]


def test_reps_sets_reach_their_targets_in_one_batch() -> None:
    """The reported case: 120 s batches end a set and start the next one in the same batch."""
    cfg, _ = guided("ankle-inversion")
    for sizes in ([10], [int(120 * cfg.sample_rate_hz)], [10 ** 9]):
        assert feed("ankle-inversion", sizes)[0].result()["reps_per_set"] == [10, 10, 10]
    assert feed("warm-up", [10 ** 9])[0].result()["reps_per_set"] == [20, 10, 10]


def test_live_pipeline_in_120_s_chunks() -> None:
    """End to end as reported: simulator following the guide → core pipeline → guide, 120 s
    chunks (was [10, 9, 0])."""
    base = SimConfig(seed=0, scenario="ankle-inversion", side="right", duration_s=260.0)
    s = _session("ankle-inversion", base)
    cfg = follow_guide(base, s, start_s=0.0)
    rec = simulate(cfg)
    pipe = Pipeline(PipelineConfig(sample_rate_hz=cfg.sample_rate_hz, side="right",
                                   placement=cfg.effective_placement,
                                   detect_balance_losses=False))
    s.start(0.0)
    n = int(120 * cfg.sample_rate_hz)
    for b in rec.batch.split([n] * (len(rec.batch) // n)):
        s.feed(pipe.process(b))
    assert s.result()["reps_per_set"] == [10, 10, 10]


def test_holds_and_disturbances_in_one_batch() -> None:
    r = feed("isometric-eversion", [10 ** 9])[0].result()
    assert r["holds_s"] == pytest.approx([5.0] * 6)
    assert r["movement_during_hold"] == 2  # the simulated disturbances in holds 2 and 5


def test_balance_loss_before_a_trials_end_is_in_its_set_end_event() -> None:
    """A loss detected before the trial's end counts in that trial's set_end event, however
    late in a batch it comes."""
    for sizes in ([10], [10 ** 9]):
        s, events = feed("single-leg-balance", sizes)
        ends = [e for e in events if e["type"] == "set_end"]
        assert [e["balance_losses"] for e in ends] == [2, 1, 0]
        assert ends[0]["time_to_first_loss_s"] == pytest.approx(17.0, abs=0.3)
        assert s.result()["holds_s"] == pytest.approx([17.0, 29.0, 30.0], abs=0.3)


def test_without_the_cores_events_there_are_no_balance_losses() -> None:
    """One definition of a loss (``trainer.core.events``): a pipeline without events (a test
    double, a source analysed elsewhere) gives the drill none — no second detector guesses."""
    s, events = feed("single-leg-balance", [10], core_events=False)
    assert s.result()["balance_losses"] == 0
    assert not [e for e in events if e["type"] == "balance_loss"]


def test_guided_calf_stretch_has_no_movement_cue_live_or_offline() -> None:
    """The simulated person leans into each stretch 0.5 s after "Go" (2.5 s ramp) and holds
    still: no movement during the holds (was one per set), and the angle held is the truth's."""
    cfg, pb, rec = guided_recording("calf-stretch")
    s, events = feed("calf-stretch", [10])
    live = s.result()
    truth = float(np.mean([h["angle_deg"] for h in rec.truth.holds]))
    assert live["movement_during_hold"] == 0
    assert not [e for e in events if e["type"] == "movement_during_hold"]
    assert live["angle_held_deg"] == pytest.approx(truth, abs=0.5)
    series = {"t_s": pb.t_s, "gyr_dps": pb.gyr_dps, "tilt_ap_deg": pb.tilt_ap_deg,
              "tilt_ml_deg": pb.tilt_ml_deg, "sample_rate_hz": cfg.sample_rate_hz}
    offline = analyze_drill("calf-stretch", series, {"side": cfg.side, "events": events})
    assert offline["movement_during_hold"] == 0
    assert offline["holds_s"] == pytest.approx(live["holds_s"])
    assert offline["angle_held_deg"] == pytest.approx(live["angle_held_deg"], abs=0.2)
