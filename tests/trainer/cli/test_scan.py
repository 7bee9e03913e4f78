"""`balance-trainer scan` against the mock BlueZ: listing, --all, and one-line errors for
no adapter / Bluetooth off / no BlueZ / no D-Bus."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import dbus
import pytest
from dbusmock.testcase import BusType, PrivateDBus

from firmware_bridge.ble.errors import (
    NO_ADAPTER,
    NO_BLUEZ,
    NO_DBUS,
    PERMISSION,
    POWERED_OFF,
    explain,
)
from tests.mockbluez import SPECS, MockBluez
from tests.mockbluez.devices import DeviceSpec
from trainer.cli.main import main

pytestmark = pytest.mark.skipif(shutil.which("dbus-daemon") is None,
                                reason="dbus-daemon is not installed")


@pytest.fixture
def bluez() -> Iterator[MockBluez]:
    with MockBluez() as mb:
        yield mb


def _err(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def test_lists_supported_sensors_strongest_first(
    bluez: MockBluez, capsys: pytest.CaptureFixture[str]
) -> None:
    bluez.add_device("AA:00:00:00:00:01", SPECS["witmotion"]())
    mw = SPECS["metawear"]()
    mw.rssi = -40
    bluez.add_device("AA:00:00:00:00:02", mw)
    bluez.add_device("AA:00:00:00:00:03", DeviceSpec("none", "Headphones", [], data_uuid=""))
    assert main(["scan", "--timeout", "0.6"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ADDRESS", "RSSI", "PROFILE", "NAME"]
    assert lines[1].split() == ["AA:00:00:00:00:02", "-40", "metawear", "MetaWear"]
    assert lines[2].split() == ["AA:00:00:00:00:01", "-58", "witmotion", "WT901BLE68"]
    assert len(lines) == 3
    assert main(["scan", "--timeout", "0.6", "--all"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[3].split() == ["AA:00:00:00:00:03", "-58", "-", "Headphones"]


def test_nothing_found_says_what_to_check(bluez: MockBluez,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--timeout", "0.3"]) == 0
    assert "no supported sensors found" in capsys.readouterr().out


def test_no_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    with MockBluez(adapter=False):
        assert NO_ADAPTER in _err(capsys, ["scan", "--timeout", "0.3"])


def test_bluetooth_off(bluez: MockBluez, capsys: pytest.CaptureFixture[str]) -> None:
    props = dbus.Interface(bluez.conn.get_object("org.bluez", "/org/bluez/hci0"),
                           "org.freedesktop.DBus.Properties")
    props.Set("org.bluez.Adapter1", "Powered", False)
    assert POWERED_OFF in _err(capsys, ["scan", "--timeout", "0.3"])


def test_bluez_not_running(capsys: pytest.CaptureFixture[str]) -> None:
    saved = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
    try:
        with PrivateDBus(BusType.SYSTEM):  # a system bus without bluetoothd
            assert NO_BLUEZ in _err(capsys, ["scan", "--timeout", "0.3"])
    finally:
        if saved is None:
            os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        else:
            os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = saved


def test_no_system_dbus(monkeypatch: pytest.MonkeyPatch, tmp_path: object,
                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/missing_socket")
    assert NO_DBUS in _err(capsys, ["scan", "--timeout", "0.3"])


def test_permission_errors_are_explained() -> None:
    from bleak.exc import (
        BleakBluetoothNotAvailableError,
        BleakBluetoothNotAvailableReason,
        BleakDBusError,
    )

    reason = BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM
    denied = BleakBluetoothNotAvailableError("no", reason)
    assert explain(denied) == PERMISSION
    assert explain(BleakDBusError("org.freedesktop.DBus.Error.AccessDenied", [])) == PERMISSION
    assert explain(PermissionError(13, "denied")) == PERMISSION
