"""`balance-trainer analyze`: table, --json, --series, --offline, several sessions, bad input."""

from __future__ import annotations

import builtins
import json
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.cli.main import main
from trainer.core.sway import METRIC_KEYS
from trainer.recording.writer import SessionWriter
from trainer.vocab.calibration import CalibrationProfile


def _write(path: Path, *, drill: str = "single-leg-balance", losses: tuple[float, ...] = (),
           mounted: bool = True, seed: int = 0) -> Path:
    rec = simulate(SimConfig(seed=seed, duration_s=20.0, sample_rate_hz=100.0, side="right",
                             balance_loss_times_s=losses, mount_quat_wxyz=(0.95, 0.1, 0.2, 0.2)))
    cal = CalibrationProfile.neutral()
    if mounted:
        cal.mount_quat_wxyz = np.asarray(rec.truth.mount_quat_wxyz)
        cal.steps_done.append("mount")
    w = SessionWriter(path, sample_rate_hz=100.0, drill_id=drill, side="right",
                      placement="shank", calibration=cal, simulated=True)
    for b in rec.batch.split([137] * 20):
        w.append(b)
    w.close()
    return path


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("sessions")
    return (_write(root / "loss", losses=(8.0,)), _write(root / "quiet", mounted=False, seed=3))


def test_json_has_the_contract_fields(sessions, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["analyze", "--json", str(sessions[0]), str(sessions[1])]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    reports = [json.loads(line) for line in lines]
    first = reports[0]
    assert first["session"] == str(sessions[0])
    assert first["duration_s"] == pytest.approx(20.0, abs=0.05)
    assert first["sample_rate_hz"] == 100.0
    assert set(METRIC_KEYS) <= set(first["sway"]) and first["sway"]["units"] == "deg"
    ev = first["events"]
    assert len(ev["balance_losses_t_s"]) == 1
    assert ev["balance_losses_t_s"][0] == pytest.approx(8.0, abs=0.25)
    assert ev["time_to_first_loss_s"] == pytest.approx(8.0, abs=0.25)
    assert 0.0 <= ev["time_in_target_pct"] <= 100.0
    assert first["drill"]["id"] == "single-leg-balance"
    second = reports[1]
    assert second["events"]["balance_losses_t_s"] == []
    assert second["events"]["time_to_first_loss_s"] is None
    assert second["analysis"]["tilt_frame"] == "strapping convention"


def test_table_is_readable(sessions, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["analyze", str(sessions[0])]) == 0
    out = capsys.readouterr().out
    assert "ellipse_area" in out and "deg²" in out
    assert "balance losses" in out and "time in target" in out


def test_series_csv_and_offline(sessions, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "series.csv"
    assert main(["analyze", "--offline", "--json", "--series", str(out), str(sessions[1])]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["analysis"]["offline"] is True
    data = np.genfromtxt(out, delimiter=",", names=True)
    assert data.dtype.names == ("t_s", "q_w", "q_x", "q_y", "q_z", "tilt_ap_deg", "tilt_ml_deg")
    assert data.shape == (2000,)
    q = np.column_stack([data[c] for c in ("q_w", "q_x", "q_y", "q_z")])
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-6)
    assert np.all(np.isfinite(data["tilt_ap_deg"]))  # offline: no sample without a tilt


def test_series_for_several_sessions(sessions, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "s.csv"
    assert main(["analyze", "--series", str(out), *map(str, sessions)]) == 0
    capsys.readouterr()
    assert (tmp_path / "s_loss.csv").is_file() and (tmp_path / "s_quiet.csv").is_file()


def test_calf_raise_is_not_a_balance_loss(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    rec = simulate(SimConfig(seed=2, duration_s=20.0, scenario="calf-raise"))
    w = SessionWriter(tmp_path / "cr", sample_rate_hz=100.0, drill_id="calf-raise",
                      placement="foot")
    w.append(rec.batch)
    w.close()
    assert main(["analyze", "--json", str(tmp_path / "cr")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"]["balance_losses_t_s"] == []
    assert report["drill"]["id"] == "calf-raise"


def test_without_drills_package_the_drill_is_just_its_id(  # type: ignore[no-untyped-def]
    sessions, monkeypatch, capsys
) -> None:
    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name == "trainer.drills.analysis":
            raise ModuleNotFoundError("No module named 'trainer.drills.analysis'", name=name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    assert main(["analyze", "--json", str(sessions[1])]) == 0
    assert json.loads(capsys.readouterr().out)["drill"] == {"id": "single-leg-balance"}


def _one_line_error(capsys, argv) -> str:  # type: ignore[no-untyped-def]
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err
    return lines[0]


def test_missing_session_is_one_line_exit_2(sessions, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    line = _one_line_error(capsys, ["analyze", "--json", str(sessions[0]), str(tmp_path / "nope")])
    assert "nope" in line


def test_corrupt_session_is_one_line_exit_2(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "session.json").write_text("{not json")
    (bad / "imu.bin").write_bytes(b"\0" * 10)
    _one_line_error(capsys, ["analyze", str(bad)])


def test_bad_target_radius_is_one_line_exit_2(sessions, capsys) -> None:  # type: ignore[no-untyped-def]
    _one_line_error(capsys, ["analyze", "--target-radius", "-1", str(sessions[0])])


def test_series_into_missing_directory(sessions, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    _one_line_error(capsys, ["analyze", "--series", str(tmp_path / "no" / "x.csv"),
                             str(sessions[0])])


def test_json_norms_use_the_given_age_and_sex(sessions, capsys) -> None:  # type: ignore[no-untyped-def]
    """--age/--sex reach the drill's norms: eyes open at 72 gets Seino et al.'s mean and SD for
    women 65+; without them (and no stored profile) the norms ask for an age."""
    assert main(["analyze", "--json", str(sessions[0]), "--age", "72", "--sex", "female"]) == 0
    norms = json.loads(capsys.readouterr().out)["drill"]["norms"]
    spread = norms["spread"]
    assert norms["age_group"] == "70-79" and spread["available"]
    assert (spread["short"], spread["age_group"], spread["sex"], spread["n"]) == (
        "Seino et al. 2014", "65+", "female", 1766)
    assert spread["z"] == pytest.approx((norms["best_s"] - 36.8) / 23.4, abs=0.005)
    assert main(["analyze", "--json", str(sessions[0])]) == 0
    assert json.loads(capsys.readouterr().out)["drill"]["norms"]["status"] == "no_age"
