"""The partial-rep rule uses the person's own range from their first sessions: kept per sensor
placement in the progress store, handed to the guide, recorded in session.json's drill
parameters, and used by ``analyze`` the same way (so the first reps of a set are judged too)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trainer.drills import get_drill
from trainer.drills.analysis import analyze_drill
from trainer.drills.detectors import Rep
from trainer.drills.progression import Outcome, Progress, decide
from trainer.drills.reps import LiveReps
from trainer.drills.store import DrillStore
from trainer.training.session import TrainingPlan, drill_guide, recorded_parameters

CALF = get_drill("calf-raise")
INV = get_drill("ankle-inversion")


def _rep(amp: float) -> Rep:
    return Rep(1, 0.0, 1.0, 1.2, amp, amp)


def test_first_rep_is_judged_against_the_persons_reference() -> None:
    live = LiveReps(INV, "left", "foot", 100.0)
    assert not live.is_partial(_rep(8.0), [])  # nothing to compare the first rep with
    assert live.is_partial(_rep(8.0), [_rep(30.0)])  # the largest so far
    assert not live.is_partial(_rep(20.0), [_rep(30.0), _rep(8.0), _rep(28.0), _rep(26.0)])
    ref = LiveReps(INV, "left", "foot", 100.0, rom_ref_deg=28.0)
    assert ref.is_partial(_rep(8.0), [])
    assert not ref.is_partial(_rep(20.0), [])


def test_reference_is_kept_per_placement() -> None:
    p = Progress(CALF.id, "left", 0)
    for rom in (24.0, 26.0, 28.0):
        p, _ = decide(p, Outcome(True, 0, "ok", rom_deg=rom, placement="shank"), CALF)
    assert p.rom_ref_deg == 26.0 and p.rom_ref_placement == "shank"
    assert p.rom_reference("shank") == 26.0
    assert p.rom_reference("foot") is None  # the foot's rotation is another measure
    p, _ = decide(p, Outcome(True, 0, "ok", rom_deg=45.0, placement="foot"), CALF)
    assert (p.rom_ref_deg, p.rom_ref_placement, p.rom_sessions) == (45.0, "foot", 1)
    assert Progress.from_dict(p.to_dict()) == p
    old = Progress.from_dict({"drill_id": CALF.id, "side": "left", "level": 0,
                              "rom_ref_deg": 30.0, "rom_sessions": 3})
    assert old.rom_reference("shank") == 30.0  # files from before: no placement recorded


def test_guide_and_recording_carry_the_reference(tmp_path: Path) -> None:
    store = DrillStore(tmp_path)
    store.apply_session(INV, "left", Outcome(True, 0, "ok", rom_deg=30.0, placement="foot"))
    plan = TrainingPlan(drill_id=INV.id, side="left", placement="foot")
    guide = drill_guide(plan, 100.0, store)
    assert guide.rom_ref_deg == 30.0
    assert recorded_parameters(guide, plan)["rom_ref_deg"] == 30.0


def test_analyze_uses_the_recorded_reference() -> None:
    """A band inversion set whose first rep is a small one: counted without a reference,
    partial with the person's (as the live guide with that reference judged it)."""
    fs = 100.0
    t = np.arange(int(40 * fs)) / fs
    amps = [8.0, 30.0, 30.0, 30.0, 30.0]
    ang = np.zeros_like(t)
    for k, a in enumerate(amps):
        ang += a * np.exp(-0.5 * ((t - 4.0 - 7.0 * k) / 0.8) ** 2)
    gyr = np.zeros((t.size, 3))
    gyr[:, 0] = -np.gradient(ang, t)  # a left inversion: a negative turn about the foot's x
    result = {"t_s": t, "gyr_dps": gyr, "tilt_ap_deg": np.zeros_like(t),
              "tilt_ml_deg": np.zeros_like(t), "sample_rate_hz": fs,
              "calibrated_mounting": True}
    plain = analyze_drill(INV.id, result, {"side": "left", "placement": "foot"})
    assert (plain["reps"], plain["partial_reps"]) == (5, 0)
    judged = analyze_drill(INV.id, result, {"side": "left", "placement": "foot",
                                            "rom_ref_deg": 30.0})
    assert (judged["reps"], judged["partial_reps"]) == (4, 1)
