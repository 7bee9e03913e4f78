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

from firmware_bridge.simulator import SensorStream, SimConfig, Truth, follow_guide
from firmware_bridge.simulator.guide import REACTION_S
from trainer.cli.common import CliError
from trainer.cli.main import main
from trainer.drills.catalog import get_drill
from trainer.drills.evaluate import match
from trainer.drills.session import DrillSession
from trainer.recording import Session, open_session
from trainer.vocab.batch import SampleBatch

ROOT = Path(__file__).resolve().parents[3]
FAKE_DEVICE = "AA:BB:CC:DD:EE:FF"  # no BlueZ here: only the safety gate can answer first


def _record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Path:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    code = main(["record", "--simulate", "--sim-speed", "100", "--quiet", "--out", str(out),
                 *args])
    assert code == 0
    return out


def _guide(s: Session) -> DrillSession:
    """The guide `record` ran for this session (its drill, side, placement and level)."""
    level = s.meta["drill"]["parameters"].get("level")
    return DrillSession(get_drill(s.drill_id), s.side, level=level, fs_hz=s.sample_rate_hz,
                        placement=s.placement)


def _simulation(s: Session, seed: int, **kw: Any) -> tuple[SampleBatch, Truth]:
    """The (endless) simulation `record --simulate` streamed, with its truth: the person
    following the session's guide."""
    config = SimConfig(seed=seed, duration_s=None, scenario=s.drill_id, side=s.side,
                       placement=s.placement, **kw)
    batch, truth = SensorStream(follow_guide(config, _guide(s))).next_with_truth(s.n_samples)
    got = s.batch()  # exactly these samples were recorded
    np.testing.assert_array_equal(got.t_s, batch.t_s)
    np.testing.assert_array_equal(got.acc_g, batch.acc_g.astype(np.float32))
    np.testing.assert_array_equal(got.gyr_dps, batch.gyr_dps.astype(np.float32))
    return batch, truth


def _sets(events: list[dict[str, Any]]) -> list[tuple[float, float]]:
    starts = [e["t_s"] for e in events if e["type"] == "set_start"]
    ends = [e["t_s"] for e in events if e["type"] == "set_end"]
    assert len(starts) == len(ends)
    return list(zip(starts, ends, strict=True))


def test_single_leg_balance_records_losses_near_the_true_times_and_the_drill(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _record(tmp_path, monkeypatch, "--drill", "single-leg-balance", "--side", "right",
                  "--seed", "4", "--sim-losses", "3")
    s = open_session(out)
    assert s.status == "complete"
    types = [e["type"] for e in s.events]
    assert types[0] == "drill_start" and types.count("set_start") == 3  # start level: 3 × 30 s
    assert types.count("drill_end") == 1 and "drill_stopped" not in types
    assert s.events_of("recording_stop")[0]["reason"] == "drill done"  # the guide ended it
    assert s.meta["drill"]["parameters"]["hold_s"] == 30.0

    losses = s.events_of("balance_loss")
    _, sim = _simulation(s, 4, balance_loss_rate_per_min=3.0)
    truth = sim.balance_losses
    assert len(truth) >= 4
    # the person stood on one leg from just after each "Go" to just after its "stop"
    holds = [(h["t_s"], h["t_end_s"]) for h in sim.holds]
    assert np.allclose(np.array(holds) - np.array(_sets(s.events)), REACTION_S)
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


@pytest.mark.parametrize("drill", ["ankle-inversion", "calf-raise", "isometric-eversion"])
def test_the_simulated_person_follows_the_guide_so_live_analyze_and_truth_agree(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        drill: str) -> None:
    """Reps and holds start after the guide's "Go" and rest through its rest and countdown: the
    live result (drill_end), `analyze --json` and the simulator's truth count the same sets."""
    out = _record(tmp_path, monkeypatch, "--drill", drill, "--seed", "3")
    s = open_session(out)
    assert s.events_of("recording_stop")[0]["reason"] == "drill done"
    live = s.events_of("drill_end")[0]["result"]
    capsys.readouterr()
    assert main(["analyze", "--json", str(out)]) == 0
    offline = json.loads(capsys.readouterr().out)["drill"]
    _, truth = _simulation(s, 3)
    plan = _guide(s).plan
    sets = _sets(s.events)
    assert live["sets_done"] == offline["sets_done"] == len(plan) == len(sets)
    assert not s.events_of("balance_loss")  # these movements are not balance losses
    if plan[0].work == "reps":
        target = [p.target_reps for p in plan]
        assert live["reps_per_set"] == offline["reps_per_set"] == target
        assert live["reps"] == offline["reps"] == len(truth.reps) == sum(target)
        for r in truth.reps:  # every true rep begun after its set's "Go", peaking before its end
            t0, t1 = sets[r["set"]]
            assert t0 + REACTION_S <= r["t_s"] + 1e-9 and r["t_peak_s"] < t1
        # detected peaks one-to-one near the true ones (trainer.drills.evaluate's tolerance)
        assert match([e["t_s"] for e in s.events_of("rep")], truth.reps) == (sum(target), 0)
        assert match(offline["rep_times_s"], truth.reps) == (sum(target), 0)
        assert [e["set"] for e in s.events_of("rep")] == [r["set"] + 1 for r in truth.reps]
        true_rom = float(np.mean([r["amplitude_deg"] for r in truth.reps]))
        assert abs(live["rom_deg"] - offline["rom_deg"]) < 0.2
        assert abs(live["rom_deg"] - true_rom) < 1.0
    else:
        hold_s = [p.hold_s for p in plan]
        assert live["holds_s"] == offline["holds_s"] == hold_s
        assert live["movement_during_hold"] == offline["movement_during_hold"] == 0
        assert len(truth.holds) == len(plan)
        for h, (t0, t1) in zip(truth.holds, sets, strict=True):
            # pushing from just after "Go" (reaction and effort rise) to just after "stop"
            assert t0 + REACTION_S < h["t_s"] < t0 + 1.5
            assert h["t_end_s"] == pytest.approx(t1 + REACTION_S, abs=1e-6)


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
    from trainer.drills.catalog import get_drill
    from trainer.drills.session import DrillSession
    from trainer.drills.store import DrillStore
    from trainer.training.session import store_result

    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    spec = get_drill("single-leg-balance")
    drill = DrillSession(spec, "left", level=DrillStore().level_for(spec, "left"))
    drill.start(0.0)
    drill.tick(10.0)  # into the first hold
    drill.stop(10.0)
    drill.rate_pain(2, 10.0)
    assert store_result(drill, drill.result(), "sid-1").startswith("next time:")
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


def test_follow_guide_rebuilds_only_a_simulated_source() -> None:
    from firmware_bridge.simulator import SimulatedSource
    from trainer.cli.sources import follow_guide as follow

    sim = SimulatedSource(SimConfig(scenario="calf-raise", duration_s=None), speed=7.0)
    g = DrillSession(get_drill("calf-raise"), "left")
    assert follow(sim, None) is sim
    got = follow(sim, g)
    assert isinstance(got, SimulatedSource) and got is not sim and got.speed == 7.0
    assert got.config == follow_guide(sim.config, g) and got.config.guide is not None
    other = object()  # a replay or BLE source: as it is
    assert follow(other, g) is other  # type: ignore[arg-type]
    with pytest.raises(CliError, match=r"simulator: .*reps sets"):  # not this drill's guide
        follow(sim, DrillSession(get_drill("calf-stretch"), "left"))


def test_without_a_terminal_the_pain_question_is_not_shown(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """No terminal, no pain rating asked: its question is not printed either (it was, and then
    nothing waited for an answer); the drill's other cues still are."""
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert main(["record", "--simulate", "--sim-speed", "100", "--drill", "calf-raise",
                 "--out", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    assert "set 1:" in err and "pain" not in err.lower()
    assert open_session(tmp_path / "s").events_of("drill_end")[0]["pain_skipped"] is True


def test_sessions_started_in_the_same_second_get_their_own_folders(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without --out the session folder is named by the second it starts; two started in the
    same second (two terminals, or record beside the dashboard) each get their own — the name
    is reserved when chosen — and a record that stops before it writes leaves no empty one."""
    from trainer.training.session import new_session_dir

    first, second = (new_session_dir("calf-raise", "left", tmp_path) for _ in range(2))
    assert first != second and first.is_dir() and second.is_dir()  # (was: the same name)

    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    assert main(["record", "--simulate", "--drill", "calf-raise", "--norm-test", "open"]) == 2
    sessions = [p for p in (tmp_path / "home").rglob("*") if p.is_dir() and "calf-raise" in p.name]
    assert sessions == []
