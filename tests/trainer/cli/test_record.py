"""`balance-trainer record`: a real recorder process, killed or interrupted mid-session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.recording import format as fmt
from trainer.recording import open_session

ROOT = Path(__file__).resolve().parents[3]
SEED = 7


def _start(out: Path, *extra: str, home: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT))
    cmd = [sys.executable, "-m", "trainer.cli.main", "record", "--simulate", "--seed", str(SEED),
           "--drill", "single-leg-balance", "--side", "right", "--duration", "60",
           "--out", str(out), *extra]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_for_samples(proc: subprocess.Popen[str], imu: Path, n: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if imu.exists() and imu.stat().st_size >= n * fmt.IMU_DTYPE.itemsize:
            return imu.stat().st_size // fmt.IMU_DTYPE.itemsize
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("recorder did not write in time")


def _expected(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from firmware_bridge.simulator import follow_guide
    from trainer.drills.catalog import get_drill
    from trainer.drills.session import DrillSession

    # the simulated person follows the guide (a fresh home: the drill's start level)
    guide = DrillSession(get_drill("single-leg-balance"), "right", fs_hz=100.0)
    sim = simulate(follow_guide(SimConfig(seed=SEED, sample_rate_hz=100.0, duration_s=60.0,
                                          side="right", placement="shank"), guide))
    b = sim.batch.slice(0, n)
    return b.t_s, b.acc_g.astype(np.float32), b.gyr_dps.astype(np.float32)


def _assert_matches_simulator(session_dir: Path, n_min: int) -> int:
    s = open_session(session_dir)
    assert s.n_samples >= n_min  # nothing the recorder had written is lost
    got = s.batch()
    t, acc, gyr = _expected(s.n_samples)
    np.testing.assert_array_equal(got.t_s, t)
    np.testing.assert_array_equal(got.acc_g, acc)
    np.testing.assert_array_equal(got.gyr_dps, gyr)
    return s.n_samples


def test_sigkill_mid_session_recovers_every_written_sample(tmp_path: Path) -> None:
    out = tmp_path / "s"
    proc = _start(out, "--sim-speed", "4", home=tmp_path / "home")
    seen = _wait_for_samples(proc, out / "imu.bin", 400)  # ≥ 4 s of data on disk
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    s = open_session(out)
    assert s.status == "recovered" and s.meta["status"] == "recording"
    assert s.simulated and s.meta["device"]["profile"] == "simulated"
    n = _assert_matches_simulator(out, seen)
    # a partial record at the end (killed mid-write) is dropped, nothing else
    with open(out / "imu.bin", "ab") as f:
        f.write(b"\x00" * 21)
    s = open_session(out)
    assert s.n_samples == n and s.dropped_tail_bytes == 21 and s.status == "recovered"


def test_ctrl_c_stops_cleanly_and_keeps_the_data(tmp_path: Path) -> None:
    out = tmp_path / "s"
    proc = _start(out, "--sim-speed", "4", home=tmp_path / "home")
    seen = _wait_for_samples(proc, out / "imu.bin", 200)
    proc.send_signal(signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr
    meta = json.loads((out / "session.json").read_text())
    assert meta["status"] == "complete" and meta["n_samples"] >= seen
    assert meta["side"] == "right" and meta["drill"]["id"] == "single-leg-balance"
    assert str(out) in stdout
    _assert_matches_simulator(out, seen)
    events = open_session(out).events_of("recording_stop")
    assert events and events[0]["reason"] == "interrupted"


def test_record_duration_with_packet_loss_writes_gap_events(tmp_path: Path) -> None:
    from trainer.cli.main import main

    out = tmp_path / "s"
    code = main(["record", "--simulate", "--duration", "2", "--sim-speed", "4", "--quiet",
                 "--sim-packet-loss", "0.05", "--rate", "200", "--out", str(out)])
    assert code == 0
    s = open_session(out)
    assert s.status == "complete" and s.sample_rate_hz == 200
    assert 0.9 * 400 < s.n_samples < 400
    gaps = s.events_of("gap")
    assert gaps and sum(e["missing"] for e in gaps) == 400 - s.n_samples
    assert s.batch().t_s[-1] < 2.0


def _run_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "trainer.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (["--simulate", "--duration", "1", "--out", "{nonempty}"], "not empty"),
        # no BlueZ here: connecting fails in one line (the wording is the BLE source's)
        (["--device", "AA:BB:CC:DD:EE:FF", "--duration", "1", "--out", "{new}"], "error:"),
        (["--simulate", "--duration", "-1"], "positive"),
        (["--simulate", "--drill", "hop"], "invalid choice"),
        (["--duration", "1"], "one of the arguments"),
        (["--simulate", "--calibration", "{missing}"], "--calibration"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, args: list[str], match: str) -> None:
    nonempty = tmp_path / "full"
    nonempty.mkdir()
    (nonempty / "keep").write_text("x")
    new = tmp_path / "new"
    args = [a.format(nonempty=nonempty, missing=tmp_path / "nope.json", new=new) for a in args]
    if "--device" in args:  # a real sensor needs the red-flag screening answered first
        answered = _run_cli("safety", "--answers", "no,no,no,no", home=tmp_path / "home")
        assert answered.returncode == 0, answered.stderr
    proc = _run_cli("record", *args, home=tmp_path / "home")
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert match in proc.stderr
    assert (nonempty / "keep").read_text() == "x"
    assert not new.exists()  # a failed start leaves no session behind


def test_default_out_dir_is_under_sessions_dir(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trainer.cli.main import main

    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    assert main(["record", "--simulate", "--duration", "0.5", "--sim-speed", "4", "--quiet"]) == 0
    sessions = list((tmp_path / "home" / "data" / "sessions").iterdir())
    assert len(sessions) == 1 and sessions[0].name.endswith("single-leg-balance-left")
    assert open_session(sessions[0]).n_samples == 50
