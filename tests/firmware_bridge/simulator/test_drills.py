"""Drill motions: reps, holds, stretch and warm-up with truth that detection can be tested on."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.simulator import DRILL_IDS, SensorStream, SimConfig, simulate
from firmware_bridge.simulator.drills import DEFAULTS
from tests.firmware_bridge.simulator.conftest import assert_batches_equal
from trainer.vocab.batch import SampleBatch


def at(times: np.ndarray, t: float) -> int:
    return int(np.searchsorted(times, t))


@pytest.mark.parametrize("drill", [d for d in DRILL_IDS if d != "single-leg-balance"])
@pytest.mark.parametrize("placement", ["shank", "foot"])
def test_every_drill_simulates_with_plausible_signals(drill: str, placement: str) -> None:
    rec = simulate(SimConfig(scenario=drill, placement=placement, seed=2, duration_s=60.0,
                             rest_s=5.0))
    acc = np.linalg.norm(rec.batch.acc_g, axis=1)
    assert 0.98 < float(np.median(acc)) < 1.02
    assert float(acc.max()) < 1.5  # drills are gentle
    assert float(np.abs(rec.batch.gyr_dps).max()) < 250.0
    assert rec.truth.events, "every drill has truth events"
    assert {e["type"] for e in rec.truth.events} <= {"set", "rep", "hold", "disturbance",
                                                     "trial", "lunge"}


@pytest.mark.parametrize(("drill", "sign"), [("ankle-inversion", 1.0), ("ankle-eversion", -1.0)])
@pytest.mark.parametrize("side", ["left", "right"])
def test_inversion_eversion_reps(drill: str, sign: float, side: str) -> None:
    cfg = SimConfig(scenario=drill, side=side, seed=5, duration_s=80.0, reps=8, rest_s=10.0,
                    amplitude_deg=22.0, posture="chair")
    rec = simulate(cfg)
    reps = rec.truth.reps
    sets = rec.truth.events_of("set")
    assert [r["index"] for r in reps if r["set"] == 0] == list(range(8))
    assert len(sets) >= 2
    tempos = [r["t_end_s"] - r["t_s"] for r in reps]
    assert max(tempos) > 1.2 * min(tempos)  # variable tempo
    lateral = 1.0 if side == "left" else -1.0
    t = rec.truth.t_true_s
    for r in reps:
        assert 10.0 <= r["amplitude_deg"] <= 30.0
        i = at(t, r["t_peak_s"])
        inv = rec.truth.extra["inversion_deg"][i]
        assert abs(inv - sign * r["amplitude_deg"]) < 1.5
        # foot flat (chair): inversion tilts the foot's z axis laterally, mirrored by side
        assert abs(rec.truth.tilt_ml_deg[i] - lateral * sign * r["amplitude_deg"]) < 2.0
    # the motion is a rotation about the foot's long axis: the gyro's x axis carries it
    g = np.abs(rec.batch.gyr_dps - rec.batch.gyr_dps.mean(axis=0)).mean(axis=0)
    assert g[0] > 3 * max(g[1], g[2])


def test_long_sit_posture_points_the_foot_up() -> None:
    rec = simulate(SimConfig(scenario="ankle-inversion", seed=1, duration_s=10.0))
    g_sensor = rec.batch.acc_g[:100].mean(axis=0)  # identity mounting: foot frame
    assert g_sensor[0] > 0.9  # the foot's long axis (x) is near vertical


def test_calf_raise_foot_pitches_and_shank_rises() -> None:
    base = {"scenario": "calf-raise", "seed": 3, "duration_s": 40.0, "reps": 10,
            "amplitude_deg": 25.0}
    foot = simulate(SimConfig(placement="foot", **base))  # type: ignore[arg-type]
    shank = simulate(SimConfig(placement="shank", **base))  # type: ignore[arg-type]
    t = foot.truth.t_true_s
    for r in foot.truth.reps:
        i = at(t, r["t_peak_s"])
        assert abs(foot.truth.tilt_ap_deg[i] - r["amplitude_deg"]) < 1.0  # heel up
        assert 1.0 < shank.truth.tilt_ap_deg[i] < 6.0  # the shank leans only slightly
    # the shank goes up and down: vertical acceleration swings both ways during reps
    acc_z = shank.batch.acc_g[:, 2]
    assert float(acc_z.max()) > 1.02 and float(acc_z.min()) < 0.98


@pytest.mark.parametrize("drill", ["isometric-inversion", "isometric-eversion"])
def test_isometric_holds_are_near_still(drill: str) -> None:
    cfg = SimConfig(scenario=drill, seed=4, duration_s=70.0, hold_s=8.0, rest_s=5.0)
    rec = simulate(cfg)
    holds = rec.truth.holds
    assert len(holds) >= 4
    assert rec.truth.events_of("disturbance") == []
    t = rec.batch.t_s
    for h in holds:
        assert abs(h["duration_s"] - 8.0) < 0.5
        m = (t > h["t_s"]) & (t < min(h["t_end_s"], 70.0))
        gyr = rec.batch.gyr_dps[m] - rec.truth.gyro_bias_dps[m]
        assert float(np.linalg.norm(gyr, axis=1).max()) < 12.0
        inv = rec.truth.extra["inversion_deg"][m]
        assert float(np.ptp(inv)) < 4.0


def test_movement_during_a_hold_is_a_disturbance_in_truth() -> None:
    cfg = SimConfig(scenario="isometric-inversion", seed=4, duration_s=70.0, hold_s=8.0,
                    rest_s=5.0, hold_disturbance=True)
    rec = simulate(cfg)
    dist = rec.truth.events_of("disturbance")
    assert dist
    t = rec.batch.t_s
    for d in dist:
        hold = next(h for h in rec.truth.holds if h["index"] == d["index"])
        assert hold["t_s"] < d["t_s"] < d["t_end_s"] < hold["t_end_s"]
        m = (t >= d["t_s"]) & (t <= d["t_end_s"])
        assert float(np.abs(rec.batch.gyr_dps[m]).max()) > 20.0
        assert float(np.ptp(rec.truth.extra["inversion_deg"][m])) > 6.0


def test_calf_stretch_holds_the_shank_forward() -> None:
    rec = simulate(SimConfig(scenario="calf-stretch", seed=6, duration_s=110.0))
    holds = rec.truth.holds
    assert len(holds) == 3
    t = rec.truth.t_true_s
    for h in holds:
        assert 28.0 < h["duration_s"] < 32.0
        assert 10.0 <= h["angle_deg"] <= 20.0
        m = (t > h["t_s"]) & (t < h["t_end_s"])
        assert abs(float(np.mean(rec.truth.tilt_ap_deg[m])) - h["angle_deg"]) < 1.0
    assert float(np.abs(rec.truth.tilt_ap_deg[: at(t, 1.5)]).max()) < 3.0  # upright before


def test_warm_up_has_pumps_and_circles_both_ways() -> None:
    rec = simulate(SimConfig(scenario="warm-up", seed=1, duration_s=70.0))
    sets = rec.truth.events_of("set")
    assert [s["motion"] for s in sets[:3]] == ["pump", "circle", "circle"]
    assert [s.get("direction") for s in sets[1:3]] == ["clockwise", "counter-clockwise"]
    pumps = [r for r in rec.truth.reps if r["motion"] == "pump" and r["set"] == 0]
    assert len(pumps) == DEFAULTS["warm-up"].reps
    pf = rec.truth.extra["plantarflexion_deg"]
    assert float(pf.max()) > 15.0 and float(pf.min()) < -15.0


def test_drills_are_chunk_invariant() -> None:
    cfg = SimConfig(scenario="calf-raise", seed=1, duration_s=None, packet_loss=0.01)
    whole = SensorStream(cfg).next(5000)
    stream = SensorStream(cfg)
    parts = [stream.next(n) for n in (3, 1500, 1, 2000, 1496)]
    assert_batches_equal(SampleBatch.concat(parts), whole)
