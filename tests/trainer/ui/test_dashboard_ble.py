"""The dashboard on a BLE sensor end to end: bleak's real BlueZ backend against the mock BlueZ
(private system bus), connect from the window, stream, a link drop and the reconnection shown in
the sensor panel — the GUI never waits on Bluetooth."""

from __future__ import annotations

from typing import Any

from tests.firmware_bridge.ble.conftest import mock_bluez  # noqa: F401  (the fixture)
from tests.mockbluez import SPECS, MockBluez, make_stream
from tests.trainer.ui.conftest import wait_until

ADDR = "C4:7C:8D:6A:01:23"


def test_connect_stream_link_drop_and_reconnect(
        qtbot: Any, window: Any, mock_bluez: MockBluez) -> None:  # noqa: F811
    spec = SPECS["witmotion"]()
    dev = mock_bluez.add_device(ADDR, spec)
    window.connect_device(ADDR)
    assert "connecting" in window.device_panel.state.text()
    wait_until(qtbot, lambda: window.sources.kind == "device", 40)
    assert "witmotion" in window.source_label.text().lower()
    config = spec.services[0]["chars"][1]["uuid"]  # WitMotion write characteristic
    n_config = 4  # unlock, rate, save, battery request
    wait_until(qtbot, lambda: len(dev.writes(config)) >= n_config, 20)  # configured: notifying
    dev.emit(spec.data_uuid, make_stream("witmotion", 1500, seed=3).packets, 0.002)
    wait_until(qtbot, lambda: window.live.ring.total >= 1500, 30)
    wait_until(qtbot, lambda: "streaming" in window.device_panel.state.text(), 10)
    dev.drop_link()
    wait_until(qtbot, lambda: any(s in window.device_panel.state.text()
                                  for s in ("lost", "reconnecting")), 20)
    wait_until(qtbot, lambda: dev.state()["connects"] == 2 and dev.state()["connected"], 30)
    wait_until(qtbot, lambda: len(dev.writes(config)) >= 2 * n_config, 20)  # configured again
    before = window.live.ring.total
    dev.emit(spec.data_uuid, make_stream("witmotion", 300, seed=4, seq0=1500).packets, 0.002)
    wait_until(qtbot, lambda: window.live.ring.total >= before + 300, 30)
    wait_until(qtbot, lambda: "streaming" in window.device_panel.state.text(), 10)
    window.disconnect_source()
    assert window.device_panel.state.text() == "disconnected"


def test_scan_lists_the_sensor(qtbot: Any, window: Any, mock_bluez: MockBluez) -> None:  # noqa: F811
    dev = mock_bluez.add_device(ADDR, SPECS["witmotion"]())
    window.device_panel.scan_button.click()
    assert not window.device_panel.scan_button.isEnabled()
    for _ in range(3):
        qtbot.wait(500)
        dev.advertise(-61)
    wait_until(qtbot, lambda: window.device_panel.scan_button.isEnabled(), 20)
    combo = window.device_panel.address
    assert combo.count() == 1 and combo.itemData(0) == ADDR
    assert "-61 dBm" in combo.itemText(0)
