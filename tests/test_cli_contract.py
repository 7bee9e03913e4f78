"""The command-line contract, end to end: every sub-command, run as a user runs it (a subprocess of
``python -m trainer.cli.main``), turns bad input into exactly one line on stderr and exit status 2
- never a traceback - and leaves nothing half-written behind (no --out file or folder, no hidden
partial folder, no stored calibration profile).

The table below is per command; ``{name}`` in an argument is a file or folder from the
``inputs`` fixture (good and broken sessions, CSV files), ``{out}`` a fresh path that must still
not exist afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.recording import SessionWriter
from trainer.recording import format as fmt

ROOT = Path(__file__).resolve().parent.parent
HEADER = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps"
ROWS = "".join(f"{k * 0.01!r},0.01,0.02,0.99,0.1,0.2,0.3\n" for k in range(20))


def _session(path: Path, scenario: str = "single-leg-balance", seconds: float = 5.0) -> Path:
    rec = simulate(SimConfig(seed=2, scenario=scenario, duration_s=seconds))
    with SessionWriter(path, sample_rate_hz=100.0, device=rec.info, drill_id=scenario,
                       placement="shank") as w:
        w.append(rec.batch)
        w.event(1.0, "marker", label="x")
    return path


def _broken(good: Path, path: Path, change: Any) -> Path:
    """A copy of ``good`` with one thing wrong: ``change(path)`` edits the copy."""
    path.mkdir()
    for f in good.iterdir():
        (path / f.name).write_bytes(f.read_bytes())
    change(path)
    return path


def _edit_meta(**fields: Any) -> Any:
    def change(p: Path) -> None:
        meta = json.loads((p / fmt.META_FILE).read_text())
        meta.update(fields)
        (p / fmt.META_FILE).write_text(json.dumps(meta))
    return change


def _edit_imu(fn: Any) -> Any:
    def change(p: Path) -> None:
        rec = np.fromfile(p / fmt.IMU_FILE, fmt.IMU_DTYPE)
        fn(rec)
        rec.tofile(p / fmt.IMU_FILE)
    return change


def _replace_with_dir(name: str) -> Any:
    def change(p: Path) -> None:
        (p / name).unlink()
        (p / name).mkdir()
    return change


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inputs")
    good = _session(root / "good")
    files: dict[str, Path] = {"good": good,
                              "moving": _session(root / "moving", "ankle-inversion", 15.0),
                              "still": _session(root / "still", "still", 12.0)}
    broken = {
        "garbage_json": lambda p: (p / fmt.META_FILE).write_text('{"format_version": 1, garb'),
        "v2": _edit_meta(format_version=2),
        "n_mismatch": _edit_meta(n_samples=12345),
        "bad_side": _edit_meta(side="middle"),
        "bad_rate": _edit_meta(sample_rate_hz="fast"),
        "trunc_imu": lambda p: os.truncate(p / fmt.IMU_FILE, (p / fmt.IMU_FILE).stat().st_size - 7),
        "back_imu": _edit_imu(lambda r: r["t_s"].__setitem__(slice(100, 110), 0.0)),
        "nan_time": _edit_imu(lambda r: r["t_s"].__setitem__(50, np.nan)),
        "no_imu": lambda p: (p / fmt.IMU_FILE).unlink(),
        "events_dir": _replace_with_dir(fmt.EVENTS_FILE),
        "events_bad_t": lambda p: (p / fmt.EVENTS_FILE).write_text('{"t_s": "abc", "type": "x"}\n'),
        "events_garbage": lambda p: (p / fmt.EVENTS_FILE).write_text('not json\n{"t_s": 1, '
                                                                     '"type": "x"}\n'),
    }
    for name, change in broken.items():
        files[name] = _broken(good, root / name, change)
    (root / "not_session").mkdir()
    (root / "not_session" / "notes.txt").write_text("hello\n")
    files["not_session"] = root / "not_session"
    files["missing"] = root / "does-not-exist"
    csv = {
        "good_csv": HEADER + "\n" + ROWS,
        "one_row_csv": HEADER + "\n0,0,0,1,0,0,0\n",
        "empty_csv": "",
        "header_csv": HEADER + "\n",
        "text_csv": HEADER + "\n0,0,0,1,0,0,0\n0.01,0,zero,1,0,0,0\n",
        "back_csv": HEADER + "\n0.02,0,0,1,0,0,0\n0.01,0,0,1,0,0,0\n",
        "noheader_csv": ROWS,
        "missing_col_csv": "t_s,acc_x_g,acc_y_g,acc_z_g\n0,0,0,1\n",
        "short_row_csv": HEADER + "\n0,0,0,1,0,0,0\n0.01,0,0,1\n",
        "nan_csv": HEADER + "\n0,0,0,1,0,0,nan\n",
        "huge_csv": HEADER + "\n0,0,0,1,0,0,0\n0.01,1e39,0,1,0,0,0\n",
    }
    for name, text in csv.items():
        (root / f"{name}.csv").write_text(text)
        files[name] = root / f"{name}.csv"
    (root / "binary.csv").write_bytes(bytes(range(256)) * 4)
    files["binary_csv"] = root / "binary.csv"
    (root / "profile_garbage.json").write_text("{not json")
    files["profile_garbage"] = root / "profile_garbage.json"
    files["session_json"] = good / fmt.META_FILE
    files["nonempty_dir"] = root / "not_session"
    return files


NO_DISPLAY = {"DISPLAY": None, "WAYLAND_DISPLAY": None, "QT_QPA_PLATFORM": None}
OFFSCREEN = {"QT_QPA_PLATFORM": "offscreen"}
NO_DBUS = {"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent/system_bus_socket"}

# (command line, a piece of the message or None, extra environment)
CASES: dict[str, list[tuple[str, str | None, dict[str, str | None]]]] = {
    "demo": [
        ("demo --rate -5", "--rate", {}),
        ("demo --quit-after abc", "not a number", {}),
        ("demo --bogus", "unrecognized", {}),
        ("demo --quit-after 1", "no display", NO_DISPLAY),
    ],
    "dashboard": [
        ("dashboard --simulate --device AA:BB:CC:DD:EE:FF", "not allowed", {}),
        ("dashboard --replay {good} --speed 0", "--speed", {}),
        ("dashboard --simulate --quit-after 1", "no display", NO_DISPLAY),
        ("dashboard --replay {missing} --quit-after 1", "no such session", OFFSCREEN),
        ("dashboard --replay {garbage_json} --quit-after 1", "not valid JSON", OFFSCREEN),
        ("dashboard --replay {good} --speed 100 --quit-after 1", "--speed", OFFSCREEN),
    ],
    "scan": [
        ("scan --timeout -1", "--timeout", {}),
        ("scan --timeout abc", "not a number", {}),
        ("scan --timeout 1", "D-Bus", NO_DBUS),
    ],
    "record": [
        ("record --out {out} --duration 1", "--device --simulate", {}),
        ("record --simulate --device AA:BB:CC:DD:EE:FF --out {out}", "not allowed", {}),
        ("record --simulate --duration -5 --out {out}", "--duration", {}),
        ("record --simulate --drill jumping-jacks --out {out}", "invalid choice", {}),
        ("record --simulate --side middle --out {out}", "invalid choice", {}),
        ("record --simulate --rate 0 --out {out}", "--rate", {}),
        ("record --simulate --rate 1e9 --duration 1 --out {out}", "--rate", {}),
        ("record --simulate --seed -1 --duration 1 --out {out}", "seed", {}),
        ("record --simulate --sim-packet-loss 1.5 --duration 1 --out {out}", "packet_loss", {}),
        ("record --simulate --sim-losses nan --duration 1 --out {out}", "balance_loss", {}),
        ("record --simulate --duration 1 --out {nonempty_dir}", "not empty", {}),
        ("record --simulate --duration 1 --out {good_csv}", "not a directory", {}),
        ("record --simulate --duration 1 --calibration {missing} --out {out}", "no such", {}),
        ("record --simulate --duration 1 --calibration {profile_garbage} --out {out}",
         "not valid JSON", {}),
        ("record --simulate --duration 1 --calibration {session_json} --out {out}",
         "not a calibration profile", {}),
        ("record --device 11:22 --duration 1 --out {out}", None, {}),  # safety gate or address
    ],
    "import": [
        ("import {missing} --format generic --out {out}", "no such file", {}),
        ("import {not_session} --format generic --out {out}", "is a directory", {}),
        ("import {empty_csv} --format generic --out {out}", "empty file", {}),
        ("import {header_csv} --format generic --out {out}", "only a header", {}),
        ("import {text_csv} --format generic --out {out}", "line 3: column acc_y_g", {}),
        ("import {back_csv} --format generic --out {out}", "goes backwards (0.02 then 0.01)", {}),
        ("import {noheader_csv} --format generic --out {out}", "no header row", {}),
        ("import {missing_col_csv} --format generic --out {out}", "missing columns", {}),
        ("import {short_row_csv} --format generic --out {out}", "line 3: has 4 columns", {}),
        ("import {nan_csv} --format generic --out {out}", "non-finite", {}),
        ("import {huge_csv} --format generic --out {out}", "out of range", {}),
        ("import {binary_csv} --format generic --out {out}", "not a readable CSV", {}),
        ("import {one_row_csv} --format generic --out {out}", "--rate", {}),
        ("import {good_csv} --format csv --out {out}", "invalid choice", {}),
        ("import {good_csv} --format generic --rate -3 --out {out}", "--rate", {}),
        ("import {good_csv} {back_csv} --format generic --out {out}", "one file", {}),
        ("import {good_csv} --format movella --out {out}", "not a Movella DOT export", {}),
        ("import {good_csv} --format metabase --out {out}", "not a MetaBase export", {}),
        ("import {good_csv} --format generic --drill nope --out {out}", "invalid choice", {}),
        ("import {good_csv} --format generic --out {nonempty_dir}", "not empty", {}),
        ("import {good_csv} --format witmotion --out {out}", "not a WitMotion export", {}),
        ("import {good_csv} {back_csv} --format witmotion --out {out}", "one file", {}),
        ("import {good_csv} --format generic --device-id a --out {out}", "--device-id is for",
         {}),
    ],
    "export": [
        ("export {missing} --out {out}", "no such session", {}),
        ("export {not_session} --out {out}", "no session.json", {}),
        ("export {garbage_json} --out {out}", "not valid JSON", {}),
        ("export {trunc_imu} --out {out}", "whole number", {}),
        ("export {back_imu} --out {out}", "garbage time", {}),
        ("export {no_imu} --out {out}", "missing", {}),
        ("export {events_dir} --out {out}", "is a directory", {}),
        ("export {good} --format xlsx --out {out}", "invalid choice", {}),
        ("export {good}", "--out", {}),
        ("export {good} --out {not_session}", "is a directory", {}),
    ],
    "analyze": [
        ("analyze", "SESSION", {}),
        ("analyze {missing}", "no such session", {}),
        ("analyze {good} {missing}", "no such session", {}),
        ("analyze {not_session}", "no session.json", {}),
        ("analyze {garbage_json}", "not valid JSON", {}),
        ("analyze {v2}", "format_version", {}),
        ("analyze {n_mismatch}", "n_samples", {}),
        ("analyze {bad_side}", "side must be", {}),
        ("analyze {bad_rate}", "sample_rate_hz", {}),
        ("analyze {trunc_imu}", "whole number", {}),
        ("analyze --json {back_imu}", "garbage time", {}),
        ("analyze {nan_time}", "garbage time", {}),
        ("analyze {events_bad_t}", "t_s must be a finite number", {}),
        ("analyze {events_garbage}", "not valid JSON", {}),
        ("analyze --target-radius -1 {good}", "target-radius", {}),
        ("analyze --target-radius abc {good}", None, {}),
    ],
    "calibrate": [
        ("calibrate", "one of the arguments", {}),
        ("calibrate --simulate --step wobble", "invalid choice", {}),
        ("calibrate --simulate --timeout -1", "--timeout", {}),
        ("calibrate --simulate --no-save", "--no-save needs --out", {}),
        ("calibrate --device zz", "not a Bluetooth address", {}),
        ("calibrate --from {missing} --out {out}", "no such session", {}),
        ("calibrate --from {garbage_json} --out {out}", "not valid JSON", {}),
        ("calibrate --from {events_dir} --out {out}", "is a directory", {}),
        ("calibrate --from {moving} --step gyro --out {out}", "moved", {}),
        ("calibrate --from {moving} --step gyro --json", "moved", {}),
        ("calibrate --from {moving} --step accel --out {out}", "six still faces", {}),
        ("calibrate --from {still} --step gyro --out {missing}/p.json", "does not exist", {}),
    ],
    "history": [
        ("history --dir {missing}", "no such directory", {}),
        ("history --dir {good_csv}", "no such directory", {}),
        ("history --drill bogus", "invalid choice", {}),
    ],
    "report": [
        ("report", "SESSION", {}),
        ("report --progress {good}", "either", {}),
        ("report {missing} --out {out}", "no such session", {}),
        ("report {garbage_json} --out {out}", "not valid JSON", {}),
        ("report {events_dir} --out {out}", "is a directory", {}),
        ("report {good} --age -5 --out {out}", "--age", {}),
        ("report {good} --sex x --out {out}", "invalid choice", {}),
        ("report {good} --out {not_session}", "is a directory", {}),
        ("report --progress --dir {missing} --out {out}", "no such directory", {}),
    ],
    "safety": [
        ("safety --answers yes", "4 yes/no answers", {}),
        ("safety --answers no,no,no", "4 yes/no answers", {}),
        ("safety --answers no,no,no,maybe", "'maybe'", {}),
        ("safety --answers=", "4 yes/no answers", {}),
    ],
    "doctor": [
        ("doctor --scan-time 0", "--scan-time", {}),
        ("doctor --scan-time soon", "--scan-time", {}),
        ("doctor --bogus", "unrecognized arguments", {}),
    ],
    "install-desktop": [
        ("install-desktop --bogus", "unrecognized arguments", {}),
    ],
    "samples": [
        ("samples nope", "no sample 'nope'", {}),
        ("samples a b", "unrecognized arguments", {}),
    ],
}

TABLE = [pytest.param(cmd, line, match, env, id=f"{cmd}: {line}")
         for cmd, rows in CASES.items() for line, match, env in rows]


def run_cli(argv: list[str], home: Path, cwd: Path,
            env_extra: dict[str, str | None] | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT))
    env.pop("BALANCE_TRAINER_DEBUG", None)
    for k, v in (env_extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return subprocess.run([sys.executable, "-m", "trainer.cli.main", *argv], cwd=cwd, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)


def test_the_table_covers_every_command() -> None:
    from trainer.cli.main import COMMANDS

    names = ("import" if c == "import_cmd" else c.replace("_", "-") for c in COMMANDS)
    assert sorted(names) == sorted(CASES)


@pytest.mark.parametrize(("cmd", "line", "match", "env"), TABLE)
def test_bad_input_is_one_line_exit_2_and_nothing_written(
        cmd: str, line: str, match: str | None, env: dict[str, str | None],
        inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "work" / "out"
    out.parent.mkdir()
    names = {**{k: str(v) for k, v in inputs.items()}, "out": str(out)}
    argv = [a.format(**names) for a in line.split()]
    home = tmp_path / "home"
    before = _snapshot(inputs)
    proc = run_cli(argv, home, tmp_path / "work", env)
    err = proc.stderr
    assert proc.returncode == 2, (proc.returncode, err, proc.stdout[-500:])
    assert len(err.splitlines()) == 1 and err.endswith("\n"), err
    assert "Traceback" not in err and "internal error" not in err
    assert err.startswith("balance-trainer"), err
    if match is not None:
        assert match in err, err
    # nothing half-written: no --out, no hidden partial folder beside it, inputs unchanged,
    # no stored calibration profile, no session in the sessions folder
    assert not out.exists() and list(out.parent.iterdir()) == [], list(out.parent.iterdir())
    assert _snapshot(inputs) == before
    profiles = home / "config" / "profiles"
    assert not profiles.exists() or not any(profiles.iterdir())
    sessions = home / "data" / "sessions"
    assert not sessions.exists() or not any(sessions.iterdir())


def _snapshot(inputs: dict[str, Path]) -> dict[str, tuple[str, ...]]:
    """The names in every input folder and the folder holding them (nothing added or left)."""
    root = inputs["good"].parent
    return {str(p): tuple(sorted(c.name for c in p.iterdir())) for p in [root, *root.iterdir()]
            if p.is_dir()}


def test_export_import_round_trip_and_analyze_json_keys(inputs: dict[str, Path],
                                                        tmp_path: Path) -> None:
    """A session exported to CSV and imported again is the same data, and `analyze --json` of
    both gives the contract's keys and the same numbers."""
    home = tmp_path / "home"
    for argv in (["export", str(inputs["good"]), "--out", "a.csv"],
                 ["import", "a.csv", "--format", "generic", "--out", "back"],
                 ["export", "back", "--out", "b.csv"]):
        proc = run_cli(argv, home, tmp_path)
        assert proc.returncode == 0, proc.stderr
    a = (tmp_path / "a.csv").read_text()
    b = (tmp_path / "b.csv").read_text()
    assert a.splitlines()[0] == HEADER + ",seq,tilt_ap_deg,tilt_ml_deg"
    assert a == b
    proc = run_cli(["analyze", "--json", str(inputs["good"]), "back"], home, tmp_path)
    assert proc.returncode == 0, proc.stderr
    first, second = (json.loads(x) for x in proc.stdout.splitlines())
    for obj in (first, second):
        assert {"session", "duration_s", "sample_rate_hz", "sway", "events", "drill"} <= set(obj)
        assert obj["sway"]["units"] == "deg" and obj["sample_rate_hz"] == 100.0
        assert {"rms_ap", "rms_ml", "rms", "mean_distance", "range_ap", "range_ml",
                "path_length", "mean_velocity", "ellipse_area", "sway_area_rate",
                "mean_frequency", "f50", "f95", "centroid_frequency",
                "frequency_dispersion"} <= set(obj["sway"])
        assert {"balance_losses_t_s", "time_to_first_loss_s",
                "time_in_target_pct"} <= set(obj["events"])
        assert obj["drill"]["id"] == "single-leg-balance" and "holds_s" in obj["drill"]
    assert first["sway"] == second["sway"] and first["duration_s"] == second["duration_s"]


# -- known contract gaps in parts still being edited by others (remove the mark when fixed) ----
def test_analyze_json_has_every_sway_key_even_without_metrics(tmp_path: Path) -> None:
    (tmp_path / "short.csv").write_text(HEADER + "\n" + ROWS)  # 0.2 s: no sway metrics
    home = tmp_path / "home"
    assert run_cli(["import", "short.csv", "--format", "generic", "--out", "s"], home,
                   tmp_path).returncode == 0
    proc = run_cli(["analyze", "--json", "s"], home, tmp_path)
    assert proc.returncode == 0, proc.stderr
    sway = json.loads(proc.stdout)["sway"]
    assert {"rms_ap", "rms_ml", "ellipse_area", "mean_velocity", "f95", "units"} <= set(sway)
    assert sway["rms_ap"] is None and sway["units"] == "deg"


def test_dashboard_refuses_a_malformed_address(tmp_path: Path) -> None:
    proc = run_cli(["dashboard", "--device", "zz", "--quit-after", "1"], tmp_path / "home",
                   tmp_path, OFFSCREEN)
    assert proc.returncode == 2 and "not a Bluetooth address" in proc.stderr
