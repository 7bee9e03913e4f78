"""Balance-loss detection on simulated sessions with known losses; synthetic hop/excursion."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.core.events import BalanceLossDetector, EventConfig, summarize
from trainer.core.pipeline import PipelineConfig, analyze

RATES = (50.0, 100.0, 200.0, 400.0)


def _match(truth: list[float], found: list[float], tol: float = 0.25) -> tuple[int, int]:
    """(truth events found within tol, detections matching nothing)."""
    free = list(found)
    hits = 0
    for t in truth:
        near = [f for f in free if abs(f - t) <= tol]
        if near:
            free.remove(min(near, key=lambda f: abs(f - t)))
            hits += 1
    return hits, len(free)


def test_found_within_0p25_s_across_rates_and_eyes() -> None:
    n_truth = n_hit = n_extra = 0
    for fs in RATES:
        for eyes, surface in (("open", "firm"), ("closed", "foam")):
            rec = simulate(SimConfig(seed=int(fs) + len(eyes), duration_s=120.0, sample_rate_hz=fs,
                                     eyes=eyes, surface=surface, balance_loss_rate_per_min=6.0))
            res = analyze(rec.batch, PipelineConfig(sample_rate_hz=fs))
            end = float(rec.batch.t_s[-1])
            # a loss whose foot has not touched down before the recording ends cannot be scored
            truth = [e["t_s"] for e in rec.truth.balance_losses if e["t_touchdown_s"] < end - 0.3]
            hits, extra = _match(truth, [e["t_s"] for e in res.events])
            n_truth += len(truth)
            n_hit += hits
            n_extra += extra
    # since the simulator's touchdown jolts are small (0.05-0.3 g, the evidence of issue 12)
    # rather than the 1.5-3 g the old impact detector waited for: 41/46 within 0.25 s, 3 extra
    # (again 41/46 since single-leg ML sway is 1.17x AP and double-stance ML sway follows BDS;
    # 37/46 with the first alone: double stance at 0.35x in both planes sat just above the
    # settle test's 0.3). Circular (simulator vs detector), see README
    assert n_truth >= 40
    assert n_hit / n_truth >= 0.85, f"{n_hit}/{n_truth} found"
    assert n_extra <= 4


@pytest.mark.parametrize(("fs", "eyes", "surface"), [(50.0, "closed", "foam"),
                                                     (400.0, "closed", "foam"),
                                                     (100.0, "open", "firm")])
def test_at_most_one_false_alarm_in_5_min_of_quiet_stance(fs, eyes, surface) -> None:  # type: ignore[no-untyped-def]
    rec = simulate(SimConfig(seed=7, duration_s=300.0, sample_rate_hz=fs, eyes=eyes,
                             surface=surface))
    res = analyze(rec.batch, PipelineConfig(sample_rate_hz=fs))
    assert len(res.events) <= 1


def test_planned_touchdowns_between_holds_are_not_losses() -> None:
    rec = simulate(SimConfig(seed=3, duration_s=100.0, sample_rate_hz=100.0, hold_s=20.0,
                             rest_s=10.0, reps=3, balance_loss_times_s=(14.0,)))
    res = analyze(rec.batch, PipelineConfig(sample_rate_hz=100.0))
    holds = [(h["t_s"], h["t_end_s"]) for h in rec.truth.holds]
    # the stance shank cannot tell a planned foot-down from a loss's touchdown (both end
    # single-leg sway in a new, quieter posture): the core may flag one at a hold's end; the
    # drill analysis counts losses inside the trials only
    inside = [round(e["t_s"]) for e in res.events
              if any(a <= e["t_s"] <= b - 1.0 for a, b in holds)]
    assert inside == [14]
    assert all(any(abs(e["t_s"] - b) <= 1.0 for _, b in holds) for e in res.events
               if round(e["t_s"]) != 14)


def test_same_events_for_any_batching() -> None:
    fs = 200.0
    rec = simulate(SimConfig(seed=2, duration_s=60.0, sample_rate_hz=fs,
                             balance_loss_rate_per_min=8.0))
    # processing at the sample rate, so the detector sees exactly the per-sample series
    res = analyze(rec.batch, PipelineConfig(sample_rate_hz=fs, processing_rate_hz=None))
    assert len(res.events) >= 3
    rng = np.random.default_rng(0)
    det = BalanceLossDetector(fs)
    i = 0
    n = len(res.t_s)
    streamed = []
    while i < n:
        j = min(n, i + int(rng.integers(1, 400)))
        streamed += det.update(res.t_s[i:j], res.acc_g[i:j], res.tilt_ap_deg[i:j],
                               res.tilt_ml_deg[i:j])
        i = j
    assert len(streamed) == len(res.events)
    for a, b in zip(streamed, res.events, strict=True):
        assert a.keys() == b.keys()
        for key, value in a.items():
            if isinstance(value, str):
                assert value == b[key]
            else:
                assert value == pytest.approx(b[key], abs=1e-9)


def _synthetic(fs: float, seconds: float):  # type: ignore[no-untyped-def]
    n = int(seconds * fs)
    t = np.arange(n) / fs
    acc = np.tile([0.0, 0.0, 1.0], (n, 1))
    return t, acc, np.zeros(n), np.zeros(n)


def test_hop_free_fall_then_landing() -> None:
    fs = 100.0
    t, acc, ap, ml = _synthetic(fs, 10.0)
    ff = (t >= 5.0) & (t < 5.2)
    acc[ff] = [0.0, 0.0, 0.05]
    acc[(t >= 5.2) & (t < 5.23)] = [0.0, 0.0, 3.0]
    events = BalanceLossDetector(fs).update(t, acc, ap, ml)
    assert len(events) == 1
    assert events[0]["kind"] == "hop"
    assert events[0]["t_s"] == pytest.approx(5.0, abs=0.02)


def test_excursion_beyond_the_limit_without_impact() -> None:
    fs = 100.0
    t, acc, ap, ml = _synthetic(fs, 12.0)
    fall = (t >= 6.0) & (t < 6.5)
    ml[fall] = 14.0 * ((t[fall] - 6.0) / 0.5) ** 2
    ml[t >= 6.5] = 14.0
    events = BalanceLossDetector(fs).update(t, acc, ap, ml)
    assert len(events) == 1
    assert events[0]["kind"] == "excursion"
    assert events[0]["t_s"] == pytest.approx(6.0, abs=0.1)
    assert events[0]["direction_deg"] == pytest.approx(90.0, abs=1.0)


def test_impact_without_preceding_tilt_is_not_a_loss() -> None:
    fs = 100.0
    t, acc, ap, ml = _synthetic(fs, 10.0)
    acc[(t >= 5.0) & (t < 5.03)] = [0.0, 0.0, 2.5]  # a knock on the sensor while standing still
    assert BalanceLossDetector(fs).update(t, acc, ap, ml) == []


def test_nan_tilt_at_the_start_is_ignored() -> None:
    fs = 50.0
    t, acc, ap, ml = _synthetic(fs, 6.0)
    ap[:50] = np.nan
    ml[:50] = np.nan
    assert BalanceLossDetector(fs).update(t, acc, ap, ml) == []


def test_summary() -> None:
    events = [{"t_s": 12.5, "type": "balance_loss"}, {"t_s": 30.0, "type": "balance_loss"}]
    in_target = np.array([True, True, False, False, True])
    valid = np.array([True, True, True, False, True])
    s = summarize(events, 2.5, in_target, valid, 3.0)
    assert s.balance_losses_t_s == [12.5, 30.0]
    assert s.time_to_first_loss_s == pytest.approx(10.0)
    assert s.n_losses == 2
    assert s.time_in_target_pct == pytest.approx(75.0)
    none = summarize([], 0.0, in_target, valid, 3.0).to_dict()
    assert none["time_to_first_loss_s"] is None and none["balance_losses_t_s"] == []


def _lull(posture_deg: float) -> tuple[np.ndarray, ...]:
    """Large single-leg sway (~2.9 deg SD) that goes still for 3 s at ``posture_deg`` ML from the
    mean posture, then sways on."""
    fs = 100.0
    t, acc, _, _ = _synthetic(fs, 30.0)
    ap = 2.5 * np.sin(2 * np.pi * 0.7 * t) + 1.5 * np.sin(2 * np.pi * 1.3 * t + 1.0)
    ml = 2.5 * np.sin(2 * np.pi * 0.6 * t + 2.0) + 1.5 * np.sin(2 * np.pi * 1.1 * t)
    still = (t >= 15.0) & (t < 18.0)
    ap[still] = 0.02 * np.sin(2 * np.pi * 0.3 * t[still])
    ml[still] = posture_deg
    return t, acc, ap, ml


def test_a_lull_in_large_sway_is_not_a_new_posture() -> None:
    """The tilt rate going quiet for a moment within the sway's own range is no double-leg
    stance (the simulator's eyes-closed-on-foam false alarms); a quiet posture well outside the
    sway is."""
    fs = 100.0
    lull = _lull(1.5)
    assert BalanceLossDetector(fs).update(*lull) == []
    # the same with the posture test alone (before issue 12's last change): a false alarm
    old = BalanceLossDetector(fs, EventConfig(settle_shift_sd=0.0)).update(*lull)
    assert [e["kind"] for e in old] == ["settle"]
    moved = BalanceLossDetector(fs).update(*_lull(6.0))
    assert [e["kind"] for e in moved] == ["settle"]
