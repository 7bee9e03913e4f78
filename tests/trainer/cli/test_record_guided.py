"""`balance-trainer record` guided and analysed live: the core pipeline's balance losses and the
drill guide's events in events.jsonl, the pain rating on a terminal, the red-flag safety gate
before a real sensor, and `balance-trainer safety`."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.cli.common import CliError
from trainer.cli.main import main
from trainer.recording import open_session

ROOT = Path(__file__).resolve().parents[3]
FAKE_DEVICE = "AA:BB:CC:DD:EE:FF"  # no BlueZ here: only the safety gate can answer first


def _record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Path:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    code = main(["record", "--simulate", "--sim-speed", "100", "--quiet", "--out", str(out),
                 *args])
    assert code == 0
    return out


def _sets(events: list[dict[str, Any]]) -> list[tuple[float, float]]:
    starts = [e["t_s"] for e in events if e["type"] == "set_start"]
    ends = [e["t_s"] for e in events if e["type"] == "set_end"]
    assert len(starts) == len(ends)
    return list(zip(starts, ends, strict=True))


def test_single_leg_balance_records_losses_near_the_true_times_and_the_drill(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _record(tmp_path, monkeypatch, "--drill", "single-leg-balance", "--side", "right",
                  "--seed", "3", "--sim-losses", "3")
    s = open_session(out)
    assert s.status == "complete"
    types = [e["type"] for e in s.events]
    assert types[0] == "drill_start" and types.count("set_start") == 3  # start level: 3 × 30 s
    assert types.count("drill_end") == 1 and "drill_stopped" not in types
    assert s.events_of("recording_stop")[0]["reason"] == "drill done"  # the guide ended it
    assert s.meta["drill"]["parameters"]["hold_s"] == 30.0

    losses = s.events_of("balance_loss")
    truth = simulate(SimConfig(seed=3, duration_s=s.n_samples / 100.0, side="right",
                               placement="shank", balance_loss_rate_per_min=3.0)
                     ).truth.balance_losses
    assert len(truth) >= 4
    got = np.array([e["t_s"] for e in losses])
    true_t = np.array([e["t_s"] for e in truth])
    assert len(got) == len(true_t)
    assert np.abs(got - true_t).max() < 0.25  # every loss found, near its true onset

    # the same events analyze reports for the session (one line per loss, no duplicates)
    from trainer.cli.analyze import _analyze, build_report

    report = build_report("s", s, _analyze("s", s, offline=False, target_radius=3.0))
    reported = report["events"]["balance_losses"]
    assert [(e["t_s"], e["kind"], e["t_detected_s"]) for e in reported] == [
        (e["t_s"], e["kind"], e["t_detected_s"]) for e in losses]
    for a, b in zip(reported, losses, strict=True):
        assert set(a) <= set(b)  # every field analyze reports, plus the drill's set
        assert a["peak_tilt_deg"] == pytest.approx(b["peak_tilt_deg"], abs=1e-9)
        assert a["direction_deg"] == pytest.approx(b["direction_deg"], abs=1e-9)
    # losses inside a set carry the set; the drill result holds the time to the first one
    sets = _sets(s.events)
    in_set = [e for e in losses if any(a <= e["t_s"] <= b for a, b in sets)]
    assert in_set and all("set" in e for e in in_set)
    assert all("set" not in e for e in losses if e not in in_set)
    result = s.events_of("drill_end")[0]["result"]
    assert len(result["holds_s"]) == 3 and result["pain"] is None
    set1 = [e for e in in_set if e["set"] == 1]
    assert set1 and result["holds_s"][0] == pytest.approx(set1[0]["since_set_start_s"], abs=1e-3)
    # simulated: the user's progression is not touched
    assert not (tmp_path / "home" / "data" / "drills" / "progress.json").exists()


def test_calf_raise_rep_events_match_the_simulated_reps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _record(tmp_path, monkeypatch, "--drill", "calf-raise", "--seed", "3")
    s = open_session(out)
    reps = s.events_of("rep")
    sets = _sets(s.events)
    assert len(sets) == 2  # start level: 2 × 10
    truth = simulate(SimConfig(seed=3, duration_s=s.n_samples / 100.0, scenario="calf-raise",
                               placement="foot")).truth.reps
    # the reps done inside the guided sets (begun after "Go", peaking before the set ended)
    done = [r for r in truth if any(a <= r["t_s"] and r["t_peak_s"] <= b for a, b in sets)]
    assert len(done) >= 15
    assert len(reps) == len(done)
    peaks = np.array([r["t_peak_s"] for r in done])
    assert np.abs(np.array([e["t_s"] for e in reps]) - peaks).max() < 0.3
    assert [e["set"] for e in s.events_of("set_end")] == [1, 2]
    assert sum(e["reps"] for e in s.events_of("set_end")) == len(reps)
    assert s.events_of("drill_end")[0]["result"]["reps"] == len(reps)
    assert not s.events_of("balance_loss")  # calf raises are not balance losses


def test_duration_bounds_a_guided_recording_and_no_guide_records_free(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _record(tmp_path, monkeypatch, "--duration", "8")
    s = open_session(out)
    assert s.n_samples == 800
    types = [e["type"] for e in s.events]
    assert types.index("drill_start") < types.index("set_start") < types.index("drill_stopped")
    assert types[-1] == "drill_end" and s.events_of("drill_end")[0]["pain_skipped"] is True
    assert s.events_of("recording_stop")[0]["reason"] == "duration"

    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    free = tmp_path / "free"
    assert main(["record", "--simulate", "--sim-speed", "100", "--quiet", "--no-guide",
                 "--duration", "3", "--out", str(free)]) == 0
    types = [e["type"] for e in open_session(free).events]
    assert "drill_start" not in types and "recording_stop" in types


def _read_until(fd: int, marker: bytes, buf: bytearray, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while marker not in buf:
        assert time.monotonic() < deadline, bytes(buf)[-500:]
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:  # the child closed the terminal
                break
            buf.extend(chunk)


def test_on_a_terminal_cues_and_bells_and_the_pain_rating_is_asked(tmp_path: Path) -> None:
    out = tmp_path / "s"
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer.cli.main", "record", "--simulate", "--sim-speed", "20",
         "--duration", "6", "--out", str(out)],
        cwd=ROOT, env=env, stdin=slave, stderr=slave, stdout=subprocess.PIPE, text=True)
    os.close(slave)
    buf = bytearray()
    try:
        _read_until(master, b"Enter to skip", buf)
        os.write(master, b"3\n")
        stdout, _ = proc.communicate(timeout=30)
        _read_until(master, b"pain 3/10", buf, timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    text = buf.decode("utf-8", "replace")
    assert proc.returncode == 0, text
    assert "Get ready" in text and "Go: " in text and "\a" in text  # cues and a bell
    assert "\r" in text and "recording " in text  # the progress line
    s = open_session(out)
    (rating,) = s.events_of("pain_rating")
    assert rating["rating"] == 3
    assert s.events_of("drill_end")[0]["result"]["pain"] == 3
    assert str(out) in stdout


# ------------------------------------------------------------------------------- safety
def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "trainer.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def test_real_device_is_refused_without_a_screening_when_not_a_terminal(tmp_path: Path) -> None:
    home, new = tmp_path / "home", tmp_path / "new"
    proc = _cli("record", "--device", FAKE_DEVICE, "--duration", "1", "--out", str(new),
                home=home)
    assert proc.returncode == 2
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "balance-trainer safety" in proc.stderr and not new.exists()
    # a red flag: still refused, with the advice to see a doctor
    red = _cli("safety", "--answers", "yes,no,no,no", home=home)
    assert red.returncode == 1 and "doctor" in red.stdout
    proc = _cli("record", "--device", FAKE_DEVICE, "--out", str(new), home=home)
    assert proc.returncode == 2 and "see a doctor" in proc.stderr and not new.exists()
    # cleared: the gate lets it through to connecting (which fails here, in its own words)
    assert _cli("safety", "--answers", "no,no,no,no", home=home).returncode == 0
    proc = _cli("record", "--device", FAKE_DEVICE, "--out", str(new), home=home)
    assert proc.returncode == 2 and "safety" not in proc.stderr and not new.exists()


def test_gate_asks_on_a_terminal(tmp_path: Path) -> None:
    from trainer.cli.safety import require_cleared
    from trainer.drills.store import DrillStore

    store = DrillStore(tmp_path)
    err = io.StringIO()
    with pytest.raises(CliError, match="see a doctor"):
        require_cleared(interactive=True, stdin=io.StringIO("n\nmaybe\ny\nn\nn\n"), out=err,
                        store=store)
    assert "please answer y or n" in err.getvalue() and "doctor" in err.getvalue()
    assert store.gate().status == "blocked"
    with pytest.raises(CliError, match="see a doctor"):  # not a terminal: no questions
        require_cleared(interactive=False, store=store)
    with pytest.raises(CliError, match="not answered"):  # end of input: nothing stored
        require_cleared(interactive=True, stdin=io.StringIO("n\n"), out=io.StringIO(),
                        store=store)
    assert store.gate().status == "blocked"
    gate = require_cleared(interactive=True, stdin=io.StringIO("n\nn\nn\nno\n"),
                           out=io.StringIO(), store=store)
    assert gate.may_train and store.gate().may_train
    assert require_cleared(interactive=False, store=store).may_train  # stored: no questions


def test_pain_prompt() -> None:
    from trainer.cli.record import ask_pain

    out = io.StringIO()
    assert ask_pain(io.StringIO("x\n11\n4\n"), out) == 4
    assert out.getvalue().count("0-10, please") == 2
    assert ask_pain(io.StringIO("\n"), io.StringIO()) is None  # Enter skips
    assert ask_pain(io.StringIO(""), io.StringIO()) is None  # end of input skips


def test_safety_json_and_answers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    assert main(["safety", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "needs_screening" and doc["may_train"] is False
    assert len(doc["questions"]) == 4 and doc["answered_at"] is None
    assert main(["safety", "--answers", "no,no,no,no", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["status"] == "cleared" and doc["may_train"] and doc["next_screening"]
    assert main(["safety", "--answers", "no,no"]) == 2
    assert "4 yes/no answers" in capsys.readouterr().err
    assert main(["safety", "--answers", "no,no,perhaps,no"]) == 2


def test_real_sensor_results_go_to_the_progression_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.cli.record import _store_result
    from trainer.drills.catalog import get_drill
    from trainer.drills.session import DrillSession
    from trainer.drills.store import DrillStore

    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    spec = get_drill("single-leg-balance")
    drill = DrillSession(spec, "left", level=DrillStore().level_for(spec, "left"))
    drill.start(0.0)
    drill.tick(10.0)  # into the first hold
    drill.stop(10.0)
    drill.rate_pain(2, 10.0)
    _store_result(drill, drill.result(), "sid-1")
    entry = DrillStore().all_progress()["single-leg-balance|left"]
    assert entry["last_session"] == "sid-1"


def test_stopped_in_the_first_countdown_says_nothing_about_pain_or_results(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """--duration 1 ends the recording in the 3 s countdown: no set, so no pain line and no
    result line ("no balance loss") on stderr, and drill_end is not marked pain_skipped."""
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--sim-speed", "100", "--duration", "1", "--out",
                 str(out)]) == 0
    err = capsys.readouterr().err
    assert "pain" not in err.lower() and "balance loss" not in err
    s = open_session(out)
    assert "set_start" not in [e["type"] for e in s.events]
    (end,) = s.events_of("drill_end")
    assert "pain_skipped" not in end and end["result"]["sets_done"] == 0
