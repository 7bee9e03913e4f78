"""Real heel raises (Phan et al. 2024, see ``realreps``): 10 reps per IMU, counted through
``import --format generic`` and ``analyze --json`` as a user would. Skips without a local clone
of CMU-MBL/IMU_Exercise_Prediction in ``IMU_EXERCISE_DIR`` (no licence: not copied here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bodymodel.evaluate import run_cli
from tests.external.realreps import data_dir, heel_raise_sets

pytestmark = pytest.mark.external


def _analyze(s, tmp: Path) -> dict:  # type: ignore[no-untyped-def]
    csv = s.write_csv(tmp / f"{s.segment}.csv")
    out = tmp / s.segment
    code, _, err = run_cli(["import", str(csv), "--format", "generic", "--drill", "calf-raise",
                            "--side", s.side, "--placement", s.placement, "--out", str(out)])
    assert code == 0, err
    code, text, err = run_cli(["analyze", str(out), "--json"])
    assert code == 0, err
    return dict(json.loads(text.splitlines()[-1])["drill"])


def test_heel_raises_counted_on_the_foot_and_the_shank(tmp_path: Path) -> None:
    root = data_dir()
    if root is None:
        pytest.skip("IMU_EXERCISE_DIR not set to a clone of CMU-MBL/IMU_Exercise_Prediction")
    results = {s.segment: (_analyze(s, tmp_path), s.true_reps) for s in heel_raise_sets(root)}
    for seg in ("LeftFoot", "RightFoot"):
        d, true = results[seg]
        assert d["reps"] == true, (seg, d["reps"])
        assert 30.0 < d["rom_deg"] < 60.0  # the foot turns ~40-50° in these heel raises
        assert d["height_source"] == "foot_angle"
    for seg in ("LeftShank", "RightShank"):  # the right shank twists rather than leans
        d, true = results[seg]
        assert d["reps"] >= true - 1, (seg, d["reps"])  # the first file starts mid-rep
        assert 3.0 < d["height_cm"] < 12.0  # measured at the strap: 4.8-5.0 cm (median)
        assert 2.0 < d["shank_lean_deg"] < 16.0
        assert d["height_source"] == "strap" and d["rom_estimated"] is True
