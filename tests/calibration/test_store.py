from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from calibration import store
from trainer.vocab.calibration import CalibrationProfile, ProfileError


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path))
    return tmp_path


def calibrated(address: str = "AA:BB:CC:DD:EE:01", firmware: str | None = "3.1",
               when: str | None = None) -> CalibrationProfile:
    p = CalibrationProfile.neutral(address, "WT901")
    p.firmware = firmware
    p.gyro_bias_dps = np.array([0.4, -0.2, 0.1])
    p.mark_step("gyro", {"still_s": 10.0}, when)
    p.mount_quat_wxyz = np.array([0.0, 0.0, 0.0, 1.0])
    p.side, p.placement = "left", "shank"
    p.mark_step("mount", {"swing_deg": 30.0}, when)
    return p


def test_save_and_load_round_trip_private_and_atomic(home: Path) -> None:
    path = store.save(calibrated())
    assert path.parent == home / "config" / "profiles"
    assert path.name == "AA-BB-CC-DD-EE-01.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    loaded = store.load("aa:bb:cc:dd:ee:01")
    assert loaded is not None
    np.testing.assert_allclose(loaded.gyro_bias_dps, [0.4, -0.2, 0.1])
    assert loaded.steps_done == ["gyro", "mount"] and loaded.missing == ["accel"]
    assert json.loads(path.read_text())["format_version"] == 1
    assert store.load("11:22:33:44:55:66") is None


def test_fresh_profile_is_applied() -> None:
    store.save(calibrated())
    from trainer.vocab.source import SourceInfo

    info = SourceInfo(name="WT901", address="AA:BB:CC:DD:EE:01", profile="witmotion",
                      sample_rate_hz=100.0, firmware="3.1")
    via_info = store.profile_for_source(info, side="left", placement="shank")
    assert via_info.applied and via_info.profile.has_mounting
    unknown = store.profile_for_source(SourceInfo("X", "11:22", "p", 100.0))
    assert not unknown.applied and unknown.stored is None and "no calibration" in unknown.summary()
    choice = store.profile_for_sensor("AA:BB:CC:DD:EE:01", firmware="3.1", side="left",
                                      placement="shank")
    assert choice.applied and not choice.flagged and not choice.warnings
    assert choice.profile.has_mounting
    assert "applied" in choice.summary()


def test_old_profile_is_flagged_and_not_applied_unless_accepted() -> None:
    old = (datetime.now(UTC) - timedelta(days=200)).isoformat().replace("+00:00", "Z")
    store.save(calibrated(when=old))
    profile, warnings = store.load_for_sensor("AA:BB:CC:DD:EE:01", max_age_days=90)
    assert profile is not None and any("200 days old" in w for w in warnings)
    choice = store.profile_for_sensor("AA:BB:CC:DD:EE:01", max_age_days=90)
    assert not choice.applied and choice.flagged
    assert choice.profile.missing == ["gyro", "accel", "mount"]  # neutral
    assert "NOT applied" in choice.summary()
    accepted = store.profile_for_sensor("AA:BB:CC:DD:EE:01", max_age_days=90,
                                        accept_flagged=True)
    assert accepted.applied and accepted.flagged and accepted.warnings


def test_other_firmware_is_flagged() -> None:
    store.save(calibrated(firmware="3.1"))
    choice = store.profile_for_sensor("AA:BB:CC:DD:EE:01", firmware="4.0")
    assert not choice.applied and any("firmware 3.1" in w for w in choice.warnings)


def test_mounting_for_another_leg_is_dropped() -> None:
    store.save(calibrated())
    choice = store.profile_for_sensor("AA:BB:CC:DD:EE:01", side="right", placement="shank")
    assert choice.applied and not choice.profile.has_mounting
    assert choice.profile.steps_done == ["gyro"]
    assert any("side left" in w for w in choice.warnings)


def test_corrupt_file_gives_a_warning_not_an_exception(home: Path) -> None:
    path = store.save(calibrated())
    path.write_text("{not json")
    profile, warnings = store.load_for_sensor("AA:BB:CC:DD:EE:01")
    assert profile is None and "unusable" in warnings[0]
    with pytest.raises(ProfileError, match="not valid JSON"):
        store.load("AA:BB:CC:DD:EE:01")
    assert store.list_profiles()[0][1] is None
    choice = store.profile_for_sensor("AA:BB:CC:DD:EE:01")
    assert not choice.applied


def test_profile_file_helpers(tmp_path: Path) -> None:
    out = store.write_profile_file(calibrated(), tmp_path / "p.json")
    assert store.read_profile_file(out).side == "left"
    with pytest.raises(ProfileError, match="no such"):
        store.read_profile_file(tmp_path / "missing.json")
    with pytest.raises(ProfileError, match="address"):
        store.save(CalibrationProfile.neutral(None))
    with pytest.raises(ProfileError):
        store.profile_path("::")


def test_a_session_json_is_not_a_profile_file(tmp_path: Path) -> None:
    """Any JSON with format_version 1 used to load as a neutral profile (record --calibration
    SESSION/session.json recorded uncalibrated without a word)."""
    session_json = {"format_version": 1, "session_id": "x", "status": "complete",
                    "calibration": calibrated().to_dict()}
    (tmp_path / "session.json").write_text(json.dumps(session_json))
    with pytest.raises(ProfileError, match=r"not a calibration profile: no gyro_bias_dps, "
                                           r"acc_offset_g, acc_matrix, mounting .*session.json"):
        store.read_profile_file(tmp_path / "session.json")
    (tmp_path / "p.json").write_text('{"format_version": 1, "gyro_bias_dps": [0, 0, 0]}')
    with pytest.raises(ProfileError, match=r"no acc_offset_g, acc_matrix, mounting$"):
        store.read_profile_file(tmp_path / "p.json")
