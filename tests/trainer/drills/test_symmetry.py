"""Limb symmetry: injured vs uninjured per measure and week, the LSI and its 90 % line, in
``history --json`` and the progress report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from trainer.drills.report import progress_report
from trainer.drills.symmetry import LSI_THRESHOLD_PCT, MEASURES, lsi_pct, symmetry

ROOT = Path(__file__).resolve().parents[3]
WEEK0 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday


def entry(drill: str, side: str, week: int, **result: Any) -> SimpleNamespace:
    return SimpleNamespace(drill_id=drill, side=side, start_time=WEEK0 + timedelta(weeks=week),
                           result=result, session_id=f"{drill}-{side}-{week}", pain=None)


def test_lsi_direction_injured_worse_is_under_100() -> None:
    assert lsi_pct(36.0, 40.0, higher_is_better=True) == 90.0  # lunge: less is worse
    assert lsi_pct(4.0, 2.0, higher_is_better=False) == 50.0  # JPS error: more is worse
    assert lsi_pct(None, 2.0, True) is None and lsi_pct(1.0, 0.0, True) is None


def test_every_issue_measure_is_covered() -> None:
    keys = {(m.drill, m.key) for m in MEASURES}
    assert {("single-leg-balance", "best_stance_s"), ("single-leg-balance", "ellipse_area"),
            ("ankle-inversion", "rom_deg"), ("calf-raise", "reps"), ("calf-raise", "height_cm"),
            ("joint-position-sense", "absolute_error_deg"),
            ("lunge-test", "max_lunge_deg")} <= keys


def test_weekly_means_and_threshold() -> None:
    entries = [
        entry("lunge-test", "left", 0, max_lunge_deg=30.0),
        entry("lunge-test", "left", 0, max_lunge_deg=32.0),
        entry("lunge-test", "right", 0, max_lunge_deg=40.0),
        entry("lunge-test", "left", 2, max_lunge_deg=38.0),
        entry("lunge-test", "right", 2, max_lunge_deg=40.0),
        entry("joint-position-sense", "left", 1, absolute_error_deg=5.0),
        entry("joint-position-sense", "right", 1, absolute_error_deg=3.0),
        entry("single-leg-balance", "left", 1, sway_trials=[{"ellipse_area": 4.0},
                                                            {"ellipse_area": 6.0}]),
        entry("single-leg-balance", "right", 1, ellipse_area=4.0),
        entry("calf-raise", "left", 1, reps=20),  # one leg only: no LSI
    ]
    sym = symmetry(entries, "left")
    by = {(m["drill"], m["key"]): m for m in sym["measures"]}
    lunge = by[("lunge-test", "max_lunge_deg")]
    assert [w["week"] for w in lunge["weeks"]] == ["2026-W45", "2026-W47"]
    assert lunge["weeks"][0]["injured"] == 31.0 and lunge["weeks"][0]["lsi_pct"] == 77.5
    assert lunge["weeks"][0]["below_threshold"] is True
    assert lunge["latest"]["lsi_pct"] == 95.0 and lunge["latest"]["below_threshold"] is False
    assert by[("joint-position-sense", "absolute_error_deg")]["latest"]["lsi_pct"] == 60.0
    assert by[("single-leg-balance", "ellipse_area")]["latest"]["lsi_pct"] == 80.0
    assert by[("calf-raise", "reps")]["latest"] is None
    assert sym["threshold_pct"] == LSI_THRESHOLD_PCT == 90.0
    flipped = symmetry(entries, "right")
    assert {(m["drill"], m["key"]): m for m in flipped["measures"]}[
        ("lunge-test", "max_lunge_deg")]["latest"]["lsi_pct"] == pytest.approx(105.3, abs=0.1)
    html = progress_report(entries, {}, symmetry=sym)
    assert "Limb symmetry (injured: left leg)" in html and "LSI by week" in html
    assert html.count("<svg") >= 3 and ">90 %<" in html


def test_history_json_has_symmetry_from_recorded_sessions(tmp_path: Path) -> None:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))

    def cli(*argv: str) -> str:
        out = subprocess.run([sys.executable, "-m", "trainer.cli.main", *argv], env=env,
                             capture_output=True, text=True, timeout=300, check=False,
                             stdin=subprocess.DEVNULL)
        assert out.returncode == 0, out.stderr
        return out.stdout

    sessions = tmp_path / "sessions"
    sessions.mkdir()
    for side in ("left", "right"):
        cli("record", "--simulate", "--drill", "lunge-test", "--side", side, "--no-guide",
            "--duration", "30", "--sim-speed", "1000", "--out", str(sessions / f"lunge-{side}"),
            "--quiet")
    doc = json.loads(cli("history", "--dir", str(sessions), "--json", "--analyze",
                         "--injured", "right"))
    lunge = next(m for m in doc["symmetry"]["measures"] if m["drill"] == "lunge-test")
    assert doc["symmetry"]["injured_side"] == "right"
    latest = lunge["latest"]
    assert latest["injured"] > 30 and latest["uninjured"] > 30
    assert latest["lsi_pct"] == pytest.approx(100 * latest["injured"] / latest["uninjured"],
                                              abs=0.1)
    text = cli("history", "--dir", str(sessions))  # the saved injured side is used
    assert "Limb symmetry (injured: right leg" in text
