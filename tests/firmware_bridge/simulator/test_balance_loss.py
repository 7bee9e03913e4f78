"""Losses of balance: a large excursion, a small touchdown jolt, double stance, a recovery — all
in the truth."""

from __future__ import annotations

import itertools

import numpy as np

from firmware_bridge.simulator import SimConfig, simulate


def test_requested_losses_appear_with_excursion_impact_and_recovery() -> None:
    cfg = SimConfig(seed=11, duration_s=40.0, sample_rate_hz=100.0,
                    balance_loss_times_s=(10.0, 25.0))
    rec = simulate(cfg)
    losses = rec.truth.balance_losses
    assert [round(e["t_s"], 6) for e in losses] == [10.0, 25.0]
    t = rec.batch.t_s
    tilt = np.hypot(rec.truth.tilt_ap_deg, rec.truth.tilt_ml_deg)
    acc = np.linalg.norm(rec.batch.acc_g, axis=1)
    gyr = np.linalg.norm(rec.batch.gyr_dps, axis=1)
    quiet = (t > 2.0) & (t < 9.0)
    for ev in losses:
        assert ev["t_s"] < ev["t_touchdown_s"] < ev["t_recovered_s"]
        near = (t >= ev["t_touchdown_s"] - 0.1) & (t <= ev["t_touchdown_s"] + 0.1)
        assert float(tilt[near].max()) > 6.0  # a large excursion
        # the other foot lands: the stance shank gets its own arrest and a small jolt, no g-level
        # impact (the literature's tibial shock is the landing leg's)
        assert float(acc[quiet].max()) < float(acc[near].max()) < 1.6
        assert float(gyr[near].max()) > 3 * float(np.percentile(gyr[quiet], 99))
        both = (t > ev["t_touchdown_s"] + 1.5) & (t < ev["t_recovered_s"])
        ml = rec.truth.tilt_ml_deg
        assert float(np.mean(ml[both])) < -2.0  # on both feet: the double-stance posture
        assert float(np.std(ml[both])) < float(np.std(ml[quiet]))  # and less sway
        after = (t > ev["t_recovered_s"] + 0.5) & (t < ev["t_recovered_s"] + 3.0)
        assert float(tilt[after].max()) < 5.0  # recovered: on one leg again
    assert float(acc[quiet].max()) < 1.1  # no impacts outside the events


def test_rate_gives_poisson_losses_deterministically() -> None:
    cfg = SimConfig(seed=3, duration_s=300.0, sample_rate_hz=50.0, balance_loss_rate_per_min=2.0)
    a = simulate(cfg).truth.balance_losses
    b = simulate(cfg).truth.balance_losses
    assert a == b
    assert 3 <= len(a) <= 20
    onsets = [e["t_s"] for e in a]
    assert onsets == sorted(onsets) and onsets[-1] < 300.0
    for prev, nxt in itertools.pairwise(a):
        assert nxt["t_s"] > prev["t_recovered_s"]  # one at a time


def test_no_losses_by_default_and_events_on_the_session_clock() -> None:
    assert simulate(SimConfig(seed=1, duration_s=30.0)).truth.balance_losses == []
    cfg = SimConfig(seed=1, duration_s=30.0, clock_drift_ppm=1000.0, balance_loss_times_s=(20.0,))
    rec = simulate(cfg)
    ev = rec.truth.balance_losses[0]
    assert abs(ev["t_s"] - 20.0) < 1e-9
    i = int(np.argmax(np.linalg.norm(rec.batch.gyr_dps, axis=1)))  # the arrest of the fall
    assert abs(rec.batch.t_s[i] - ev["t_touchdown_s"]) < 0.05


def test_sets_alternate_single_leg_holds_and_rests() -> None:
    cfg = SimConfig(seed=2, duration_s=100.0, hold_s=20.0, rest_s=10.0, reps=3,
                    balance_loss_rate_per_min=6.0)
    rec = simulate(cfg)
    holds = rec.truth.holds
    assert [(h["t_s"], h["t_end_s"]) for h in holds] == [(3.0, 23.0), (33.0, 53.0), (63.0, 83.0)]
    t = rec.batch.t_s
    ml = rec.truth.tilt_ml_deg
    rest = (t > 25.0) & (t < 31.0)
    hold = (t > 5.0) & (t < 21.0)
    assert float(np.mean(ml[rest])) < -2.0  # both feet down: the left shank leans medially
    assert float(np.std(ml[rest])) < float(np.std(ml[hold]))
    acc = np.linalg.norm(rec.batch.acc_g, axis=1)
    quiet = (t > 5.0) & (t < 9.0)
    for h in holds:  # the foot is put down at the end of each hold: a small jolt
        near = (t > h["t_end_s"]) & (t < h["t_end_s"] + 0.2)
        assert float(acc[quiet].max()) < float(acc[near].max()) < 1.3
    for ev in rec.truth.balance_losses:  # losses only happen on one leg
        assert any(h["t_s"] < ev["t_s"] < h["t_end_s"] for h in holds)
    assert rec.truth.balance_losses
    assert all(type(v) is not np.float64 for e in rec.truth.events for v in e.values())
