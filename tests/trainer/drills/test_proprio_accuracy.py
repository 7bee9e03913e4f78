"""Accuracy of the proprioception tests on recordings of an independent model
(``proprio_model``: any strapping, noise, drifting gyro bias), through the real commands:
``import --format generic --drill … --placement …`` then ``analyze --json``. Optionally with the
true mounting in the session's calibration profile (a mounting calibration)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.drills import proprio_model
from trainer.vocab.calibration import CalibrationProfile

ROOT = Path(__file__).resolve().parents[3]


def cli(*argv: str, home: Path) -> str:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "trainer.cli.main", *argv], env=env,
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout


def imported(tmp_path: Path, rec: proprio_model.Recording, drill: str, side: str,
             placement: str, mounted: bool) -> dict[str, Any]:
    csv = rec.write_csv(tmp_path / "rec.csv")
    session = tmp_path / "session"
    cli("import", str(csv), "--format", "generic", "--drill", drill, "--side", side,
        "--placement", placement, "--out", str(session), home=tmp_path)
    if mounted:  # a mounting calibration: the true sensor → segment rotation in the profile
        meta_path = session / "session.json"
        meta = json.loads(meta_path.read_text())
        prof = CalibrationProfile.neutral()
        prof.mount_quat_wxyz = __import__("numpy").asarray(rec.mount_quat_wxyz)
        prof.placement, prof.side = placement, side
        prof.steps_done.append("mount")
        meta["calibration"] = prof.to_dict()
        meta_path.write_text(json.dumps(meta))
    report = json.loads(cli("analyze", str(session), "--json", home=tmp_path))
    drill_out: dict[str, Any] = report["drill"]
    assert drill_out["id"] == drill
    return drill_out


@pytest.mark.parametrize(("seed", "side", "mounted"),
                         [(1, "left", False), (2, "right", False), (3, "left", True),
                          (4, "right", True)])
def test_lunge_angle_within_1_deg(tmp_path: Path, seed: int, side: str, mounted: bool) -> None:
    rec = proprio_model.lunges(seed, depths_deg=(36.0 + seed, 44.0 - seed, 40.0))
    out = imported(tmp_path, rec, "lunge-test", side, "shank", mounted)
    truth = [float(x["depth_deg"]) for x in rec.truth]
    assert len(out["lunges_deg"]) == len(truth), (out["lunges_deg"], truth)
    for got, want in zip(out["lunges_deg"], truth, strict=True):
        assert abs(got - want) < 1.0, (out["lunges_deg"], truth)
    assert out["max_lunge_deg"] == max(out["lunges_deg"])
    assert out["lunge_norms"]["restricted"] is False


@pytest.mark.parametrize(("seed", "side", "mounted"),
                         [(11, "left", False), (12, "right", False), (13, "left", True),
                          (14, "right", True)])
def test_position_sense_within_1_deg(tmp_path: Path, seed: int, side: str,
                                     mounted: bool) -> None:
    rec = proprio_model.position_sense(seed, side=side)
    out = imported(tmp_path, rec, "joint-position-sense", side, "foot", mounted)
    trials = out["trials"]
    assert len(trials) == len(rec.truth)
    for got, want in zip(trials, rec.truth, strict=True):
        assert got["target_deg"] == want["target_deg"]
        assert got["motion"] == want["motion"]
        assert abs(got["presented_deg"] - float(want["presented_deg"])) < 1.0, (got, want)
        assert abs(got["reproduced_deg"] - float(want["reproduced_deg"])) < 1.0, (got, want)
        assert got["error_deg"] == pytest.approx(got["reproduced_deg"] - got["target_deg"],
                                                 abs=0.02)
    by_target = {row["target"]: row for row in out["errors_by_target"]}
    assert set(by_target) == {"10° inversion", "20° inversion", "15° plantarflexion"}
    assert all(row["side"] == side and row["n"] == 2 for row in by_target.values())
    assert out["reliability"]["source"]
