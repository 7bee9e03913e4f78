"""Offline drill analysis on simulated recordings (truth from the simulator)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.drills.analysis import analyze_drill, isometric_holds, stretch_holds


def arrays(cfg: SimConfig) -> tuple[dict[str, Any], Any]:
    rec = simulate(cfg)
    b, tr = rec.batch, rec.truth
    res = {"t_s": b.t_s, "gyr_dps": b.gyr_dps, "tilt_ap_deg": tr.tilt_ap_deg,
           "tilt_ml_deg": tr.tilt_ml_deg, "sample_rate_hz": cfg.sample_rate_hz,
           "balance_losses_t_s": [e["t_s"] for e in tr.balance_losses]}
    return res, tr


@pytest.mark.parametrize("drill", ["ankle-inversion", "ankle-eversion", "calf-raise"])
@pytest.mark.parametrize("side", ["left", "right"])
def test_rep_drills_count_and_rom(drill: str, side: str) -> None:
    cfg = SimConfig(seed=4, duration_s=70, scenario=drill, side=side)
    res, tr = arrays(cfg)
    d = analyze_drill(drill, res, {"side": side, "placement": cfg.effective_placement})
    assert d["id"] == drill and isinstance(d["reps"], int)
    assert d["reps"] == len(tr.reps)
    truth_amp = float(np.mean([e["amplitude_deg"] for e in tr.reps]))
    assert d["rom_deg"] == pytest.approx(truth_amp, abs=2.0)
    assert 1.0 < d["tempo_s"] < 4.0


def test_calf_raise_on_the_foot_gives_a_height_proxy() -> None:
    res, _ = arrays(SimConfig(seed=1, duration_s=40, scenario="calf-raise", placement="foot"))
    d = analyze_drill("calf-raise", res, {"side": "left", "placement": "foot"})
    assert 3.0 < d["height_cm"] < 10.0


def test_isometric_holds_and_movement_during_hold() -> None:
    cfg = SimConfig(seed=2, duration_s=100, scenario="isometric-eversion", hold_disturbance=True)
    res, tr = arrays(cfg)
    d = analyze_drill("isometric-eversion", res, {"side": "left"})
    holds = [h for h in tr.holds if h["t_end_s"] <= 100]
    assert len(d["holds_s"]) == len(holds)
    for got, h in zip(d["holds_s"], holds, strict=True):
        assert got == pytest.approx(h["duration_s"], abs=1.5)
    assert d["movement_during_hold"] == len(tr.events_of("disturbance"))


def test_isometric_without_disturbance_has_no_movement_cue() -> None:
    res, _ = arrays(SimConfig(seed=5, duration_s=60, scenario="isometric-inversion"))
    assert analyze_drill("isometric-inversion", res, {"side": "right"})[
        "movement_during_hold"] == 0


def test_stretch_holds_and_angle() -> None:
    res, tr = arrays(SimConfig(seed=3, duration_s=100, scenario="calf-stretch"))
    d = analyze_drill("calf-stretch", res, {"side": "left"})
    holds = [h for h in tr.holds if h["t_end_s"] <= 100]
    assert len(d["holds_s"]) == len(holds)
    for got, h in zip(d["holds_s"], holds, strict=True):
        assert got == pytest.approx(h["duration_s"], abs=1.5)
    assert d["angle_held_deg"] == pytest.approx(np.mean([h["angle_deg"] for h in holds]), abs=1.5)


def test_balance_time_to_first_loss_and_norms() -> None:
    res, _ = arrays(SimConfig(seed=1, duration_s=60, balance_loss_times_s=(22.0, 40.0)))
    d = analyze_drill("single-leg-balance", res, {"side": "left", "age": 45, "eyes": "open"})
    assert d["time_to_first_loss_s"] == pytest.approx(22.0, abs=0.1)
    assert d["holds_s"] == [pytest.approx(22.0, abs=0.1)] and d["balance_losses"] == 2
    assert d["norms"]["age_group"] == "40-49" and d["norms"]["status"] == "below_mean"


def test_balance_without_core_losses_has_none() -> None:
    """The core's events are the one definition of a loss: none given, none found."""
    res, _ = arrays(SimConfig(seed=1, duration_s=60, balance_loss_times_s=(25.0,)))
    res.pop("balance_losses_t_s")
    d = analyze_drill("single-leg-balance", res, {"side": "left"})
    assert d["time_to_first_loss_s"] is None


def test_guided_session_events_define_the_sets() -> None:
    res, _ = arrays(SimConfig(seed=1, duration_s=60, balance_loss_times_s=(15.0,)))
    events = [{"t_s": 5.0, "type": "set_start", "set": 1},
              {"t_s": 25.0, "type": "set_end", "set": 1},
              {"t_s": 35.0, "type": "set_start", "set": 2},
              {"t_s": 55.0, "type": "set_end", "set": 2},
              {"t_s": 56.0, "type": "pain_rating", "rating": 2}]
    d = analyze_drill("single-leg-balance", res, {"side": "left", "events": events})
    assert d["source"] == "events" and d["pain"] == 2
    assert d["holds_s"] == [pytest.approx(10.0, abs=0.1), pytest.approx(20.0)]
    assert d["time_to_first_loss_s"] == pytest.approx(10.0, abs=0.1)
    # steady-state sway per trial (3 s after Go to the loss / the trial end), mean over trials
    rows = d["sets"]
    assert [r["ended_by"] for r in rows] == ["balance_loss", "trial_end"]
    assert rows[0]["sway"]["steady_s"] == pytest.approx(15.0 - 5.0 - 3.0, abs=0.1)
    areas = [r["sway"]["ellipse_area"] for r in rows]
    assert d["sway"]["ellipse_area"] == pytest.approx(np.mean(areas), rel=1e-3)
    assert d["sway_best_trial"] == 1 + int(np.argmin(areas))
    assert d["sway"]["time_in_target_pct"] is not None


def test_user_touchdown_is_the_trial_end() -> None:
    res, _ = arrays(SimConfig(seed=2, duration_s=60, balance_loss_times_s=(40.0,)))
    events = [{"t_s": 5.0, "type": "set_start", "set": 1},
              {"t_s": 50.0, "type": "set_end", "set": 1},
              {"t_s": 20.0, "type": "user_touchdown"}]
    d = analyze_drill("single-leg-balance", res, {"side": "left", "events": events})
    assert d["holds_s"] == [pytest.approx(15.0)]
    assert d["sets"][0]["ended_by"] == "user_touchdown"
    assert d["sets"][0]["sway"]["steady_s"] == pytest.approx(12.0)


def test_helpers_find_nothing_in_quiet_data() -> None:
    t = np.arange(0, 30, 0.01)
    rng = np.random.default_rng(0)
    gyr = rng.normal(0, 0.1, (t.size, 3))
    assert isometric_holds(t, gyr, 100.0) == []
    assert stretch_holds(t, rng.normal(0, 0.3, t.size), 100.0) == []


def test_missing_series_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="t_s"):
        analyze_drill("calf-raise", {}, {})
