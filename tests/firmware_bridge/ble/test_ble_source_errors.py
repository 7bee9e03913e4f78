"""BleSource when things go wrong: sensor absent, unsupported device, no adapter, a reconnect
that needs several attempts, stop while scanning. Always one-line errors and no leaks."""

from __future__ import annotations

import time

from firmware_bridge.ble.errors import NO_ADAPTER
from firmware_bridge.ble.source import BleSource
from firmware_bridge.profiles import witmotion
from tests.firmware_bridge.ble.conftest import resources
from tests.mockbluez import SPECS, MockBluez, make_stream, wait_until
from tests.mockbluez.devices import DeviceSpec

ADDR = "F1:E2:D3:C4:B5:A7"


def _kinds(src: BleSource) -> list[str]:
    return [s.kind for s in src.drain_status()]


def test_absent_sensor_gives_up_with_one_line(mock_bluez: MockBluez) -> None:
    before = resources()
    src = BleSource(ADDR, "witmotion", scan_timeout_s=0.3, connect_attempts=2)
    src.start()
    assert not src.wait_connected(10)
    src.stop()
    assert src.finished and src.error is not None and "not found" in src.error
    assert "\n" not in src.error and "error" in _kinds(src)
    assert resources() == before


def test_unsupported_device_is_refused(mock_bluez: MockBluez) -> None:
    mock_bluez.add_device(ADDR, DeviceSpec("none", "Headphones", [], data_uuid=""))
    src = BleSource(ADDR, scan_timeout_s=3.0)
    src.start()
    assert not src.wait_connected(10)
    src.stop()
    assert src.error is not None and "not a supported sensor" in src.error


def test_no_adapter_is_fatal_at_once() -> None:
    with MockBluez(adapter=False):
        src = BleSource(ADDR, "witmotion", connect_attempts=5)
        t0 = time.monotonic()
        src.start()
        assert not src.wait_connected(10)
        src.stop()
    assert src.error == NO_ADAPTER and time.monotonic() - t0 < 5


def test_reconnect_retries_with_backoff_until_the_sensor_accepts(mock_bluez: MockBluez) -> None:
    spec = SPECS["witmotion"]()
    dev = mock_bluez.add_device(ADDR, spec)
    src = BleSource(ADDR, scan_timeout_s=2.0)
    src.start()
    try:
        assert src.wait_connected(15)
        dev.set_connectable(False)
        dev.drop_link()
        wait_until(lambda: "error" in [s.kind for s in src._buffer._status], 15, "a failed attempt")
        dev.set_connectable(True)
        wait_until(lambda: src.link_stats().connected, 20, "reconnect")
        s = make_stream("witmotion", 100)
        dev.wait_stream(dev.emit(witmotion.NOTIFY_UUID, s.packets, 0.001))
        wait_until(lambda: src.link_stats().samples >= 100, 10, "samples after reconnect")
    finally:
        src.stop()
    kinds = _kinds(src)
    assert kinds.count("restored") == 1 and src.link_stats().reconnects == 1
    assert src.error is None


def test_stop_while_scanning_returns_promptly(mock_bluez: MockBluez) -> None:
    before = resources()
    src = BleSource(ADDR, "metawear", scan_timeout_s=30.0)
    src.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    src.stop()
    assert time.monotonic() - t0 < 3 and not src.finished
    assert _kinds(src)[-1] == "stopped"
    assert resources() == before
