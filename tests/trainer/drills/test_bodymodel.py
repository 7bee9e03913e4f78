"""Drill analysis on the independent motion model (``tests.bodymodel``), through the CLI.

Recordings the detectors were not built from: any strapping, the foot or the shank, tempo
0.8-5 s per rep, varied amplitude and pauses, partial reps, sensor noise, gyro bias, accelerometer
offset and scale error, 50-200 Hz. Each set goes ``import --format generic`` → ``analyze --json``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.bodymodel import drills as bm
from tests.bodymodel.evaluate import CASES, make, score, summary

SEEDS = range(5)


@pytest.fixture(scope="module")
def scores(tmp_path_factory: pytest.TempPathFactory) -> list:
    tmp = tmp_path_factory.mktemp("bodymodel")
    return [score(case, seed, make(case, seed), tmp) for case in CASES for seed in SEEDS]


def test_every_set_within_one_rep(scores: list) -> None:
    bad = [(s.case, s.seed, s.reported, s.true_reps) for s in scores if not s.ok]
    assert not bad


def test_overall_accuracy_and_no_double_counts(scores: list) -> None:
    total = summary(scores)["all"]
    assert total["matched"] / total["true"] >= 0.95
    assert total["doubles"] == 0


def test_partial_reps_are_shown_not_counted(scores: list) -> None:
    with_partials = [s for s in scores if s.partials_true and s.partials_reported is not None]
    assert with_partials
    found = sum(min(s.partials_reported or 0, s.partials_true) for s in with_partials)
    # the smallest half-reps (15-35 % of the range) may not register as a movement at all
    assert found >= 0.3 * sum(s.partials_true for s in with_partials)
    total = summary(scores)["all"]
    assert total["extra"] <= 0.02 * total["true"]  # partial reps are not counted as reps
    for s in scores:
        d = s.drill
        assert len(d["partial_rep_times_s"]) == d["partial_reps"]
        assert d["reps"] == sum(d["reps_per_set"])


def test_shank_calf_raise_reports_a_heel_rise(scores: list) -> None:
    for s in scores:
        if s.case.startswith("calf-raise-shank"):
            assert s.drill["placement"] == "shank"
            assert 2.0 < s.drill["height_cm"] < 12.0
            assert 2.0 < s.drill["shank_lean_deg"] < 20.0
            # measured: the strap's rise and the shank's turn; the foot angle is an estimate
            assert s.drill["height_source"] == "strap" and s.drill["rom_estimated"] is True
        elif s.case.startswith("calf-raise-foot"):
            assert s.drill["height_source"] == "foot_angle" and "rom_estimated" not in s.drill


def test_band_drill_on_the_shank_says_what_it_cannot_measure(tmp_path: Path) -> None:
    from tests.bodymodel.evaluate import analyze_recording

    rec = bm.band_reps(np.random.default_rng(4), "ankle-inversion", "left", "shank", 10)
    d = analyze_recording(rec, tmp_path)["drill"]
    assert d["measurable"] is False
    assert d["reps"] is None and d["rom_deg"] is None
    assert "foot" in d["not_measured"]
    from tests.bodymodel.evaluate import run_cli

    code, table, _ = run_cli(["analyze", str(tmp_path / "set")])  # the readable table too
    assert code == 0
    assert "not measured: Ankle inversion" in table and "partial_reps" not in table
