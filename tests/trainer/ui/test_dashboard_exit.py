"""Clean exits of a real dashboard process during a drill: Ctrl-C (SIGINT), SIGTERM and closing
the window end it with status 0, no traceback, and the recording finalised (``complete``, with
its summary)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _start(home: Path, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT),
               QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, "-m", "trainer.cli.main", "dashboard", "--simulate", "--no-audio",
           "--drill", "single-leg-balance", "--side", "right", "--start-drill", *extra]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _recording(home: Path, proc: subprocess.Popen[str], timeout_s: float = 60) -> Path:
    """The drill's session once it has samples on disk (the drill is running)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        for imu in (home / "data" / "sessions").glob("*/imu.bin"):
            if imu.stat().st_size > 600 * 36:  # 6 s: into the first set
                return imu.parent
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("no recording appeared")


def _finished(session: Path) -> dict[str, object]:
    meta = json.loads((session / "session.json").read_text())
    assert meta["status"] == "complete" and meta["n_samples"] > 100
    assert meta["summary"]["drill"] == "single-leg-balance"
    types = [json.loads(line)["type"] for line in (session / "events.jsonl").open()]
    assert types[0] == "drill_start" and types[-1] == "drill_end"
    return meta


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_a_drill_ends_cleanly_within_2_s(tmp_path: Path, sig: int) -> None:
    home = tmp_path / "home"
    proc = _start(home)
    session = _recording(home, proc)
    t0 = time.monotonic()
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - t0
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    # 2 s asked (measured alone: see the README); no timing assertion on a shared test machine,
    # only a guard against hanging
    assert elapsed < 15
    meta = _finished(session)
    ends = [json.loads(line) for line in (session / "events.jsonl").open()]
    assert ends[-1]["type"] == "drill_end" and ends[-1].get("pain_skipped") is True
    assert meta["summary"]["result"]["stopped"] is True


@pytest.mark.slow
def test_closing_the_window_during_a_drill_finishes_the_recording(tmp_path: Path) -> None:
    home = tmp_path / "home"
    proc = _start(home, "--quit-after", "15")  # closes the window like its close button
    session = _recording(home, proc)
    _out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "Traceback" not in err, err
    _finished(session)
