"""`balance-trainer calibrate`: simulated guided run, --from SESSION, a live source, bad input."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from calibration import store
from calibration.rotation import angle_between_quats_deg
from firmware_bridge.simulator import SensorStream, SimConfig, simulate
from trainer.cli.main import main
from trainer.recording import SessionWriter
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


SENSOR = {"gyro_bias_dps": (0.8, -1.1, 0.3), "acc_offset_g": (0.03, -0.02, 0.04),
          "acc_scale": (1.02, 0.98, 1.01), "acc_misalignment_rad": (0.01, -0.008, 0.012)}


def write_session(path: Path, scenario: str, duration_s: float, **kw: Any) -> SimConfig:
    config = SimConfig(seed=5, scenario=scenario, duration_s=duration_s, **SENSOR, **kw)
    rec = simulate(config)
    with SessionWriter(path, sample_rate_hz=100.0, device=rec.info,
                       placement=kw.get("placement") or "shank",
                       side=kw.get("side", "left")) as w:
        w.append(rec.batch)
    return config


def test_simulated_guided_run_meets_the_accuracy_targets(capsys: pytest.CaptureFixture[str],
                                                        home: Path) -> None:
    assert main(["calibrate", "--simulate", "--seed", "3", "--json"]) == 0
    captured = capsys.readouterr()
    profile = json.loads(captured.out)  # stdout is only the JSON profile
    assert profile["steps_done"] == ["gyro", "accel", "mount"]
    check = profile["simulator_check"]
    assert check["gyro"]["bias_error_dps"] < 0.05
    assert check["accel"]["scale_error_pct"] < 0.2
    assert check["accel"]["offset_error_mg"] < 5.0
    assert check["mount"]["mounting_error_deg"] < 1.0
    assert profile["quality"]["accel"]["pass"] is True
    # prompts and progress went to stderr
    assert "Step 2/3: Accelerometer" in captured.err
    assert "+X up: stand it on its -X edge" in captured.err
    assert "[####################] 100%" in captured.err
    path = home / "config" / "profiles" / "SIM-CA-1B-00-00-03.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    stored = store.load("SIM:CA:1B:00:00:03")
    assert stored is not None and stored.missing == []
    choice = store.profile_for_sensor("SIM:CA:1B:00:00:03", firmware="simulator-1",
                                      side="left", placement="shank")
    assert choice.applied and choice.profile.has_mounting


def test_one_step_to_a_file_without_storing(tmp_path: Path, home: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.json"
    assert main(["calibrate", "--simulate", "--step", "gyro", "--out", str(out),
                 "--no-save"]) == 0
    text = capsys.readouterr().out
    assert "Lay the sensor on a table" in text and "vs simulator truth" in text
    data = json.loads(out.read_text())
    assert data["steps_done"] == ["gyro"] and data["missing_steps"] == ["accel", "mount"]
    assert not (home / "config" / "profiles").exists()


def test_from_sessions_gyro_accel_then_mount(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    still = tmp_path / "still"
    write_session(still, "still", 15.0)
    faces = tmp_path / "faces"
    config = write_session(faces, "six-face", 92.0)
    swing = tmp_path / "swing"
    q_true = (0.3, -0.5, 0.7, 0.4)
    write_session(swing, "mount-swing", 14.0, mount_quat_wxyz=q_true, side="right",
                  placement="foot")
    out = tmp_path / "profile.json"
    assert main(["calibrate", "--from", str(still), "--out", str(out)]) == 0
    assert "steps: gyro" in capsys.readouterr().out
    assert main(["calibrate", "--from", str(faces), "--out", str(out)]) == 0
    assert "steps: gyro, accel" in capsys.readouterr().out
    assert main(["calibrate", "--from", str(swing), "--out", str(out)]) == 0
    assert "steps: mount" in capsys.readouterr().out
    data = json.loads(out.read_text())
    assert data["steps_done"] == ["gyro", "accel", "mount"]  # steps add up in the store
    assert data["mounting"]["side"] == "right" and data["mounting"]["placement"] == "foot"
    q_unit = np.asarray(q_true) / np.linalg.norm(q_true)
    assert angle_between_quats_deg(data["mounting"]["quat_wxyz"], q_unit) < 1.0
    np.testing.assert_allclose(data["gyro_bias_dps"], SENSOR["gyro_bias_dps"], atol=0.05)
    np.testing.assert_allclose(data["acc_offset_g"], SENSOR["acc_offset_g"], atol=0.005)
    scale = np.linalg.norm(np.asarray(data["acc_matrix"]) @ config.acc_error_matrix(), axis=0)
    assert np.max(np.abs(scale - 1.0)) < 0.002
    # an explicit step on the wrong kind of recording is refused in one line
    assert main(["calibrate", "--from", str(swing), "--step", "accel"]) == 2
    err = capsys.readouterr().err
    assert "need six still faces" in err and len(err.strip().splitlines()) == 1


class ReplayingSource:
    """A live-like source that hands out a simulated stream in small pieces (no waiting)."""

    def __init__(self, config: SimConfig) -> None:
        self.stream = SensorStream(config)
        self.info = SourceInfo(name="Fake", address="AA:BB:CC:00:00:09", profile="fake",
                               sample_rate_hz=100.0, firmware="1.0")
        self.started = self.stopped = False
        self.finished = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def read(self) -> SampleBatch:
        return self.stream.next(7)

    def drain_status(self) -> list[SourceStatus]:
        return []


def test_live_device_path_with_a_fake_source(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    config = SimConfig(seed=2, scenario="still", duration_s=None, **SENSOR)
    fake = ReplayingSource(config)
    import trainer.cli.sources as sources

    monkeypatch.setattr(sources, "open_source", lambda **kw: fake)
    assert main(["calibrate", "--device", "AA:BB:CC:00:00:09", "--step", "gyro", "--yes"]) == 0
    assert fake.started and fake.stopped
    text = capsys.readouterr().out
    assert "profile stored for AA:BB:CC:00:00:09" in text
    stored = store.load("AA:BB:CC:00:00:09")
    assert stored is not None and stored.firmware == "1.0"
    np.testing.assert_allclose(stored.gyro_bias_dps, SENSOR["gyro_bias_dps"], atol=0.05)


def test_live_step_times_out_with_one_line(monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = SimConfig(seed=2, scenario="mount-swing", duration_s=None, **SENSOR)
    fake = ReplayingSource(config)  # a person swinging: never 10 s still on a table
    import trainer.cli.sources as sources

    monkeypatch.setattr(sources, "open_source", lambda **kw: fake)
    monkeypatch.setattr("trainer.cli.calibrate.time.sleep", lambda s: None)
    code = main(["calibrate", "--device", "AA:BB:CC:DD:EE:FF", "--step", "gyro", "--yes",
                 "--timeout", "0.5"])
    err = capsys.readouterr().err
    assert code == 2 and "did not finish within" in err and len(err.strip().splitlines()) == 1
    assert fake.stopped


@pytest.mark.parametrize("argv, message", [
    (["calibrate"], "one of the arguments"),
    (["calibrate", "--simulate", "--step", "wobble"], "invalid choice"),
    (["calibrate", "--from", "/nonexistent/session"], "nonexistent"),
    (["calibrate", "--simulate", "--no-save"], "--no-save needs --out"),
])
def test_bad_input_is_one_line_exit_2(argv: list[str], message: str,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_moving_session_is_refused_for_the_gyro(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    moving = tmp_path / "moving"
    write_session(moving, "ankle-inversion", 20.0)
    assert main(["calibrate", "--from", str(moving), "--step", "gyro", "--out",
                 str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert "moved" in err and len(err.strip().splitlines()) == 1


def test_moving_session_with_json_is_still_one_line(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """With --json the messages go to stderr: the session summary came before the error."""
    moving = tmp_path / "moving"
    write_session(moving, "ankle-inversion", 20.0)
    assert main(["calibrate", "--from", str(moving), "--step", "gyro", "--json"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "moved" in out.err and len(out.err.strip().splitlines()) == 1


def test_unwritable_out_leaves_the_stored_profile_alone(tmp_path: Path, home: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    still = tmp_path / "still"
    write_session(still, "still", 15.0)
    bad_out = tmp_path / "no-such-dir" / "p.json"
    assert main(["calibrate", "--from", str(still), "--step", "gyro", "--out",
                 str(bad_out)]) == 2
    err = capsys.readouterr().err
    assert str(bad_out) in err and len(err.strip().splitlines()) == 1
    assert not (home / "config" / "profiles").exists() or not any(
        (home / "config" / "profiles").iterdir())
