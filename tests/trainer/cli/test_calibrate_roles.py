"""Calibration per sensor role (issue 14): `calibrate --device ADDRESS:ROLE` and
`calibrate --from SESSION --sensor ROLE` make the mounting for that role (the trunk's from a
forward lean); `record` with several sensors applies each sensor's own profile — its stored one
when made for its role, or `--calibration ROLE=PROFILE.json`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from calibration import store
from calibration.rotation import angle_between_quats_deg, quat_from_matrix
from tests.calibration.synth import SensorErrors, random_rotation, stand_and_swing, through_sensor
from trainer.cli.main import main
from trainer.recording.sensors import MultiSessionWriter
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.source import SourceInfo

SHANK, TRUNK = "C4:7C:8D:6A:50:01", "C4:7C:8D:6A:50:02"
SIM_TRUNK = "SIM:00:00:00:00:02"  # `record --simulate --roles left-shank,trunk`: the trunk


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def lean_session(path: Path, r_trunk: np.ndarray) -> Path:
    """Two sensors: the left shank stands and swings, the trunk (mounted ``r_trunk``) stands
    and leans forward."""
    rng = np.random.default_rng(5)
    infos = {"left-shank": SourceInfo("WT901", SHANK, "witmotion", 100.0),
             "trunk": SourceInfo("Ref", TRUNK, "reference", 100.0)}
    recs = {"left-shank": through_sensor(*stand_and_swing(np.eye(3), rng), SensorErrors(), rng),
            "trunk": through_sensor(*stand_and_swing(r_trunk, rng, amp_deg=-30.0),
                                    SensorErrors(), rng)}
    with MultiSessionWriter(path, sensors={r: (i, None) for r, i in infos.items()},
                            primary="left-shank", sample_rate_hz=100.0,
                            device=infos["left-shank"]) as w:
        for role, rec in recs.items():
            batch = SampleBatch.from_arrays(rec.t_s, rec.acc_g, rec.gyr_dps,
                                            np.arange(len(rec.t_s)))
            (w.append if role == "left-shank" else lambda b, r=role: w.append_sensor(r, b))(batch)
    return path


def test_calibrate_one_sensor_of_a_session_for_its_role(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    r_true = random_rotation(np.random.default_rng(3))
    session = lean_session(tmp_path / "two", r_true)
    assert main(["calibrate", "--from", str(session), "--sensor", "trunk", "--step",
                 "mount"]) == 0
    assert f"profile stored for {TRUNK}" in capsys.readouterr().out
    trunk = store.load(TRUNK)
    assert trunk is not None and trunk.placement == "trunk"
    assert angle_between_quats_deg(trunk.mount_quat_wxyz, quat_from_matrix(r_true)) < 1.5
    assert store.load(SHANK) is None  # only the sensor asked for
    assert main(["calibrate", "--from", str(session), "--step", "mount"]) == 0  # the primary
    shank = store.load(SHANK)
    assert shank is not None and (shank.side, shank.placement) == ("left", "shank")


@pytest.mark.parametrize(("args", "message"), [
    (["--device", f"{SHANK}:left-shank", "--side", "right"],
     "--side right: the left-shank sensor is on the left leg"),
    (["--device", f"{TRUNK}:trunk", "--placement", "shank"],
     "--placement shank: the trunk sensor is on the trunk"),
    (["--device", f"{SHANK}:left-knee"], "unknown sensor role 'left-knee'"),
    (["--simulate", "--sensor", "trunk"], "--sensor is for --from SESSION"),
])
def test_role_errors_are_one_line(args: list[str], message: str,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    try:
        code = main(["calibrate", *args])
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and message in err[0], err


def record_two(tmp_path: Path, *extra: str) -> dict[str, dict[str, object]]:
    out = tmp_path / "rec"
    assert main(["record", "--simulate", "--roles", "left-shank,trunk", "--sim-speed", "50",
                 "--quiet", "--no-guide", "--duration", "2", "--out", str(out), *extra]) == 0
    meta = json.loads((out / "session.json").read_text())
    return {s["role"]: s["calibration"] for s in meta["sensors"]}


def profile(address: str, placement: str, bias: float) -> CalibrationProfile:
    p = CalibrationProfile.neutral(address, "sim")
    p.gyro_bias_dps = np.array([bias, 0.0, 0.0])
    p.mount_quat_wxyz = np.array([0.0, 0.0, 0.0, 1.0])  # turned 180° about z
    p.placement, p.side = placement, "left"
    p.steps_done = ["gyro", "mount"]
    return p


def test_record_applies_each_sensors_own_profile(tmp_path: Path) -> None:
    store.save(profile(SIM_TRUNK, "trunk", 0.5))
    cals = record_two(tmp_path)
    assert cals["trunk"]["gyro_bias_dps"] == [0.5, 0.0, 0.0]
    assert cals["trunk"]["mounting"]["quat_wxyz"] == [0.0, 0.0, 0.0, 1.0]  # made for the trunk
    assert cals["left-shank"]["gyro_bias_dps"] == [0.0, 0.0, 0.0]

    store.save(profile(SIM_TRUNK, "shank", 0.25))  # the sensor was aligned on a shank
    cals = record_two(tmp_path / "b")
    assert cals["trunk"]["gyro_bias_dps"] == [0.25, 0.0, 0.0]  # the sensor's own errors
    assert cals["trunk"]["mounting"]["quat_wxyz"] is None  # not its mounting on the trunk

    f = store.write_profile_file(profile(SIM_TRUNK, "trunk", 0.75), tmp_path / "trunk.json")
    g = store.write_profile_file(profile("x", "shank", 0.125), tmp_path / "shank.json")
    cals = record_two(tmp_path / "c", "--calibration", f"trunk={f}", "--calibration", str(g))
    assert cals["trunk"]["gyro_bias_dps"] == [0.75, 0.0, 0.0]
    assert cals["left-shank"]["gyro_bias_dps"] == [0.125, 0.0, 0.0]  # no role: the primary


def test_calibration_for_a_missing_role_is_refused(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    f = store.write_profile_file(profile("x", "foot", 0.1), tmp_path / "p.json")
    out = tmp_path / "never"
    assert main(["record", "--simulate", "--roles", "left-shank,trunk", "--no-guide", "--quiet",
                 "--duration", "1", "--out", str(out), "--calibration", f"right-foot={f}"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no right-foot sensor" in err[0]
    assert not out.exists()
