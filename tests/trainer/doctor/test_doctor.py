"""`balance-trainer doctor` against the mock BlueZ (adapter on/off, no adapter, no bluetoothd, no
D-Bus), offscreen Qt, and real folders / stored answers / profiles under a temporary home."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import dbus
import pytest
from dbusmock.testcase import BusType, PrivateDBus

from tests.conftest import PROJECT_ROOT
from tests.mockbluez import SPECS, MockBluez
from trainer.cli.main import main
from trainer.doctor import FAIL, OK, SKIP, WARN, Check

needs_dbus = pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                reason="dbus-daemon is not installed")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    return tmp_path / "home"


@pytest.fixture
def bluetoothctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake ``bluetoothctl --version`` first on PATH; write the version into the returned file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    version = tmp_path / "bluez-version"
    version.write_text("5.66")
    script = bin_dir / "bluetoothctl"
    script.write_text(f"#!/bin/sh\necho \"bluetoothctl: $(cat {version})\"\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    return version


def doctor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Check]]:
    code = main(["doctor", "--json", "--no-display", *args])
    report = json.loads(capsys.readouterr().out)
    return code, {c["id"]: Check(**c) for c in report["checks"]}


@needs_dbus
def test_ready_machine_all_bluetooth_lines_ok(bluez_ready: MockBluez,
                                              bluetoothctl: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, checks = doctor(capsys, "--scan-time", "0.8")
    assert checks["bluetooth.stack"].status == OK
    assert checks["bluetooth.stack"].summary == "BlueZ 5.66 is running"
    assert checks["bluetooth.permission"].status == OK
    adapter = checks["bluetooth.adapter"]
    assert adapter.status == OK and "hci0" in adapter.summary and "powered on" in adapter.summary
    sensors = checks["bluetooth.sensors"]
    assert sensors.status == OK and "AA:00:00:00:00:01" in sensors.summary
    assert sensors.details["sensors"][0]["profile"] == "witmotion"
    assert code == 0  # audio / display may warn, nothing fails


@needs_dbus
def test_text_output_one_line_per_check_with_the_fix(bluez_ready: MockBluez, bluetoothctl: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    bluetoothctl.write_text("5.50")
    props = dbus.Interface(bluez_ready.conn.get_object("org.bluez", "/org/bluez/hci0"),
                           "org.freedesktop.DBus.Properties")
    props.Set("org.bluez.Adapter1", "Powered", False)
    assert main(["doctor", "--no-display", "--scan-time", "0.5"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("balance-trainer 0.1.0 doctor — ")
    assert any(ln.startswith("warn  Bluetooth service: BlueZ 5.50 is running (older than 5.55")
               for ln in lines)
    off = next(ln for ln in lines if ln.startswith("FAIL  Bluetooth adapter"))
    assert "powered off — fix: " in off and "power on" in off
    assert any(ln.startswith("skip  Sensor nearby: not scanned") for ln in lines)
    assert lines[-1].startswith("1 problem(s)")


@needs_dbus
def test_no_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    with MockBluez(adapter=False):
        code, checks = doctor(capsys, "--scan-time", "0.3")
    assert code == 1
    assert checks["bluetooth.adapter"].status == FAIL
    assert checks["bluetooth.adapter"].summary == "no Bluetooth adapter found"
    assert "adapter" in (checks["bluetooth.adapter"].fix or "")
    assert checks["bluetooth.sensors"].status == SKIP


@needs_dbus
def test_no_bluetoothd(capsys: pytest.CaptureFixture[str]) -> None:
    saved = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    try:
        with PrivateDBus(BusType.SYSTEM):  # a system bus nobody serves org.bluez on
            code, checks = doctor(capsys, "--scan-time", "0.3")
    finally:
        if saved is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = saved
    assert code == 1
    stack = checks["bluetooth.stack"]
    assert stack.status == FAIL and stack.summary == "BlueZ (bluetoothd) is not running"
    assert "systemctl enable --now bluetooth" in (stack.fix or "")
    assert "bluetooth.adapter" not in checks and checks["bluetooth.sensors"].status == SKIP


def test_no_system_dbus(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/missing_socket")
    code, checks = doctor(capsys, "--no-scan")
    assert code == 1 and checks["bluetooth.stack"].status == FAIL
    assert "cannot reach the system D-Bus" in checks["bluetooth.stack"].summary


@needs_dbus
def test_a_connected_sensor_is_pointed_out(bluez_ready: MockBluez, bluetoothctl: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    dev = bluez_ready.conn.get_object("org.bluez", bluez_ready.devices[0].path)
    dbus.Interface(dev, "org.freedesktop.DBus.Properties").Set(
        "org.bluez.Device1", "Connected", True)
    _, checks = doctor(capsys, "--no-scan")
    busy = checks["bluetooth.connected"]
    assert busy.status == WARN and "AA:00:00:00:00:01" in busy.summary
    assert "disconnect" in (busy.fix or "")
    assert checks["bluetooth.sensors"].summary == "not scanned (--no-scan)"


# -- display ---------------------------------------------------------------------------------
def test_offscreen_qt_is_probed_in_a_subprocess() -> None:
    from trainer.doctor.system import display_check

    c = display_check()
    assert c.status == WARN and "'offscreen'" in c.summary and "invisible" in c.summary
    assert c.details["qt"].startswith("6.")
    assert "QT_QPA_PLATFORM" in (c.fix or "")


def test_no_display_is_a_failure_with_the_xvfb_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.doctor.system import display_check

    if not sys.platform.startswith("linux"):
        pytest.skip("DISPLAY/WAYLAND_DISPLAY are Linux's")
    for var in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    c = display_check()
    assert c.status == FAIL and "no display" in c.summary and "xvfb-run -a" in (c.fix or "")


def test_parent_process_never_imports_qt(home: Path) -> None:
    code = ("import sys; from trainer.doctor import run_checks; "
            "run_checks(scan_s=None, display=True); print('PySide6' in sys.modules)")
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent"}
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "False"


# -- folders and stored data ----------------------------------------------------------------
def test_folders_missing_private_shared_and_broken(home: Path) -> None:
    from trainer import paths
    from trainer.doctor.system import folder_checks

    first = {c.id: c for c in folder_checks()}
    assert all(c.status == OK and "created on first use" in c.summary for c in first.values())
    assert "h of recording at 100 Hz" in first["folders.sessions"].summary
    paths.ensure_private_dir(paths.sessions_dir())
    paths.data_dir().chmod(0o755)
    now = {c.id: c for c in folder_checks()}
    assert now["folders.sessions"].status == OK and "owner-only" in now["folders.sessions"].summary
    data = now["folders.data"]
    assert data.status == WARN and "mode 0755" in data.summary
    assert data.fix == f"`chmod 700 {paths.data_dir()}` (sessions are health data)"
    paths.config_dir().parent.mkdir(parents=True, exist_ok=True)
    paths.config_dir().write_text("oops")
    broken = {c.id: c for c in folder_checks()}["folders.config"]
    assert broken.status == FAIL and "is a file, not a folder" in broken.summary


def test_safety_answers_none_cleared_and_red_flag(capsys: pytest.CaptureFixture[str]) -> None:
    from trainer.doctor.system import safety_check

    c = safety_check()
    assert c.status == WARN and c.summary == "not answered yet"
    assert c.fix is not None and "balance-trainer safety" in c.fix
    assert main(["safety", "--answers", "no,no,no,no"]) == 0
    c = safety_check()
    assert c.status == OK and "answered 0 day(s) ago, no red flags" in c.summary
    later = safety_check(datetime.now(UTC) + timedelta(days=400))
    assert later.status == WARN and later.fix == "`balance-trainer safety`"
    assert main(["safety", "--answers", "yes,no,no,no"]) == 1
    capsys.readouterr()
    blocked = safety_check()
    assert blocked.status == WARN and "see a doctor" in (blocked.fix or "")


def test_calibration_profiles_age_and_firmware(home: Path) -> None:
    from calibration.store import save
    from trainer.doctor.system import profile_checks
    from trainer.vocab.calibration import CalibrationProfile

    (none,) = profile_checks()
    assert none.status == OK and none.summary.startswith("none yet")
    fresh = CalibrationProfile.neutral("AA:00:00:00:00:01", "WT901BLE68")
    fresh.firmware = "5.1"
    fresh.mark_step("gyro", {"residual_dps": 0.01})
    save(fresh)
    old = CalibrationProfile.neutral("AA:00:00:00:00:02", "WT901BLE68")
    old.mark_step("gyro", {}, when=(datetime.now(UTC) - timedelta(days=200))
                  .isoformat(timespec="seconds").replace("+00:00", "Z"))
    save(old)
    (home / "config" / "profiles" / "broken.json").write_text("{")
    checks = profile_checks()
    by_addr = {c.details.get("address"): c for c in checks}
    ok = by_addr["AA:00:00:00:00:01"]
    assert ok.status == OK and "0 day(s) old, firmware 5.1, gyro" in ok.summary
    stale = by_addr["AA:00:00:00:00:02"]
    assert stale.status == WARN and "200 days old" in stale.summary
    assert stale.fix == "`balance-trainer calibrate --device AA:00:00:00:00:02`"
    assert any(c.status == WARN and "broken.json is unreadable" in c.summary for c in checks)


def test_json_is_complete_for_a_support_request(monkeypatch: pytest.MonkeyPatch,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/none")
    assert main(["doctor", "--json", "--no-scan"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["app"] == "balance-trainer" and report["status"] == FAIL
    assert {"version", "python", "platform", "time", "checks"} <= set(report)
    ids = [c["id"] for c in report["checks"]]
    for wanted in ("bluetooth.stack", "bluetooth.sensors", "audio.output", "display.qt",
                   "folders.sessions", "folders.profiles", "stored.safety", "stored.profiles"):
        assert wanted in ids
    assert all(set(c) == {"id", "title", "status", "summary", "fix", "details"}
               for c in report["checks"])


@pytest.fixture
def bluez_ready() -> Iterator[MockBluez]:
    with MockBluez() as mb:
        mb.add_device("AA:00:00:00:00:01", SPECS["witmotion"]())
        yield mb
