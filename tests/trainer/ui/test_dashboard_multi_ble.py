"""Two sensors connected together from the dashboard on bleak's real BlueZ backend (mock BlueZ on
a private system bus, two profiles): both stream into the window, the trunk's link drops and
reconnects while the shank goes on, and the sensor panel shows each sensor's link."""

from __future__ import annotations

from typing import Any

from tests.firmware_bridge.ble.conftest import mock_bluez  # noqa: F401  (the fixture)
from tests.mockbluez import SPECS, MockBluez, make_stream
from tests.trainer.ui.conftest import wait_until

SHANK, TRUNK = "C4:7C:8D:6A:40:01", "C4:7C:8D:6A:40:02"


def lines(window: Any) -> list[str]:
    return [lab.full for lab in window.device_panel.several.links if lab.isVisible()]


def test_two_sensors_connect_together_and_one_reconnects(
        qtbot: Any, window: Any, mock_bluez: MockBluez) -> None:  # noqa: F811
    shank = mock_bluez.add_device(SHANK, SPECS["witmotion"]())
    trunk = mock_bluez.add_device(TRUNK, SPECS["reference"]())
    window.connect_sensors([(TRUNK, "trunk"), (SHANK, "left-shank")])
    assert "connecting" in window.device_panel.state.text()
    wait_until(qtbot, lambda: window.sources.sensors is not None, 60)
    sensors = window.sources.sensors
    assert sensors.roles == ("left-shank", "trunk")  # the drill's leg first, whatever the order
    assert "witmotion" in window.source_label.text() and "reference" in window.source_label.text()
    config = shank.spec.services[0]["chars"][1]["uuid"]
    wait_until(qtbot, lambda: len(shank.writes(config)) >= 4, 20)  # configured: notifying
    shank.emit(shank.spec.data_uuid, make_stream("witmotion", 1500, seed=3).packets, 0.01)
    trunk_data = make_stream("reference", 400, seed=4)
    trunk.wait_stream(trunk.emit(trunk.spec.data_uuid, trunk_data.packets, 0.01), 30)
    wait_until(qtbot, lambda: window.sensor_plots.tracks is not None
               and window.sensor_plots.tracks.tracks["trunk"].received >= 400, 30)
    # (the shank's "streams at N Hz, not 100" warning is not a link state)
    wait_until(qtbot, lambda: len(lines(window)) == 2
               and all(line.startswith("streaming") for line in lines(window)), 10)
    before = window.live.ring.total
    trunk.drop_link()
    # the mock reconnects at once: the row shows the loss, or already the reconnection
    wait_until(qtbot, lambda: lines(window)[1].startswith(("lost", "reconnecting"))
               or "1 reconnect" in lines(window)[1], 20)
    wait_until(qtbot, lambda: window.live.ring.total > before + 50, 20)  # the shank goes on
    assert lines(window)[0].startswith("streaming")
    wait_until(qtbot, lambda: trunk.state()["connects"] == 2 and trunk.state()["connected"], 40)
    more = make_stream("reference", 200, seed=5, seq0=1000)
    trunk.wait_stream(trunk.emit(trunk.spec.data_uuid, more.packets, 0.01), 30)
    wait_until(qtbot, lambda: window.sensor_plots.tracks.tracks["trunk"].received >= 600, 30)
    wait_until(qtbot, lambda: lines(window)[1].startswith("streaming")
               and "1 reconnect" in lines(window)[1], 10)
    window.disconnect_source()
    assert window.device_panel.state.text() == "disconnected"
