"""`record` with several sensors (issue 14): the simulated person with two or three sensors, the
session format that grows (imu.bin = the primary, imu-<role>.bin the others, the sensor list in
session.json), readers of one-sensor sessions unchanged, bad input one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trainer.cli.main import main
from trainer.recording import open_session
from trainer.recording.sensors import open_sensors, session_sensors

ROOT = Path(__file__).resolve().parents[3]


def _record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Path:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--sim-speed", "50", "--quiet", "--no-guide",
                 "--out", str(out), *args]) == 0
    return out


def test_three_simulated_sensors_one_person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    out = _record(tmp_path, monkeypatch, "--roles", "trunk,left-shank,right-foot", "--side",
                  "left", "--duration", "40", "--sim-losses", "4", "--seed", "3")
    one = open_session(out)  # today's reader: the primary, unchanged
    assert one.n_samples == 4000 and one.side == "left" and one.placement == "shank"
    sensors = open_sensors(out)
    assert list(sensors) == ["left-shank", "right-foot", "trunk"]
    assert [e.file for e in session_sensors(one)] == ["imu.bin", "imu-right-foot.bin",
                                                      "imu-trunk.bin"]
    for role, s in sensors.items():
        assert s.n_samples == 4000, role
        np.testing.assert_array_equal(s.t_s, one.t_s)  # one clock
    meta = json.loads((out / "session.json").read_text())
    assert [x["n_samples"] for x in meta["sensors"]] == [4000] * 3
    assert meta["sensors"][1]["device"]["simulator"]["role"] == "right-foot"
    # one person: the trunk sways with the stance shank, the lifted foot lands at the losses
    foot = sensors["right-foot"].imu
    impacts = np.flatnonzero(np.abs(np.linalg.norm(foot["acc_g"], axis=1) - 1) > 1.0)
    losses = [e for e in one.events if e["type"] == "balance_loss"]
    assert losses and impacts.size
    t_imp = foot["t_s"][impacts]
    assert all(np.min(np.abs(t_imp - e["t_s"])) < 1.5 for e in losses)


def test_one_sensor_stays_the_simple_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    out = _record(tmp_path, monkeypatch, "--duration", "2")
    meta = json.loads((out / "session.json").read_text())
    assert "sensors" not in meta and sorted(os.listdir(out)) == ["events.jsonl", "imu.bin",
                                                                 "session.json"]
    assert [e.role for e in session_sensors(open_session(out))] == ["left-shank"]


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--simulate", "--roles", "left-shank,hip"], "unknown sensor role"),
        (["--simulate", "--roles", "trunk,trunk"], "twice"),
        (["--device", "AA:BB:CC:DD:EE:01:left-shank", "--device", "AA:BB:CC:DD:EE:02"],
         "give each one a role"),
        (["--device", "AA:BB:CC:DD:EE:01:left-shank", "--device",
          "AA:BB:CC:DD:EE:02:left-shank"], "twice"),
        (["--device", "AA:BB:CC:DD:EE:01:knee"], "unknown sensor role"),
    ],
)
def test_bad_sensor_lists_are_one_line_exit_2(tmp_path: Path, args: list[str], match: str
                                              ) -> None:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "trainer.cli.main", "safety", "--answers",
                    "no,no,no,no"], cwd=ROOT, env=env, capture_output=True, timeout=60)
    proc = subprocess.run([sys.executable, "-m", "trainer.cli.main", "record", *args,
                           "--duration", "1", "--out", str(tmp_path / "new")], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert match in proc.stderr
    assert not (tmp_path / "new").exists()


def test_export_import_carry_the_role(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _record(tmp_path, monkeypatch, "--roles", "right-shank,trunk", "--side", "right",
                  "--duration", "5")
    csv_path = tmp_path / "all.csv"
    assert main(["export", str(out), "--out", str(csv_path), "--no-tilt"]) == 0
    lines = csv_path.read_text().splitlines()
    assert lines[0].endswith(",seq,role") and len(lines) == 1 + 2 * 500
    assert {ln.rsplit(",", 1)[1] for ln in lines[1:]} == {"right-shank", "trunk"}
    back = tmp_path / "back"
    assert main(["import", str(csv_path), "--format", "generic", "--side", "right",
                 "--out", str(back)]) == 0
    before, after = open_sensors(out), open_sensors(back)
    assert list(after) == ["right-shank", "trunk"]
    for role in before:
        np.testing.assert_array_equal(after[role].imu["acc_g"], before[role].imu["acc_g"])
        np.testing.assert_array_equal(after[role].t_s, before[role].t_s)
    one = tmp_path / "trunk.csv"
    assert main(["export", str(out), "--sensor", "trunk", "--out", str(one)]) == 0
    assert one.read_text().splitlines()[1].endswith(",trunk")


def test_a_drill_is_measured_on_the_sensor_the_set_has(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A calf raise belongs on the foot; with a left-shank, right-foot and trunk set it is
    measured on the left shank (placement, tilt convention and rep model of the shank), not
    counted with the foot's model on shank signals (was: 0 reps)."""
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--sim-speed", "50", "--roles",
                 "left-shank,right-foot,trunk", "--drill", "calf-raise", "--side", "left",
                 "--out", str(out)]) == 0
    assert "measured on the left-shank sensor" in capsys.readouterr().err
    one = open_session(out)
    assert (one.side, one.placement) == ("left", "shank")
    assert main(["analyze", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["drill"]["reps"] == 20
