"""Calibrating one of several connected sensors from the dashboard (issue 14 follow-up): the
wizard reads that sensor through the connected set — the other sensors stay connected and
streaming, nothing is connected twice, and after the wizard the set is as it was."""

from __future__ import annotations

from typing import Any

import pytest

from calibration import store
from tests.trainer.ui.conftest import wait_until
from tests.trainer.ui.test_multi_connect import (  # noqa: F401
    LEFT,
    TRUNK,
    ScriptedSensors,
    factory,
    link_lines,
)


def test_the_set_stays_connected_while_one_sensor_is_calibrated(
        qtbot: Any, window: Any, factory: ScriptedSensors,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    def no_second_connection(address: str) -> Any:
        raise AssertionError(f"{address} connected a second time")

    monkeypatch.setattr("trainer.ui.sources.device_source", no_second_connection)
    window.connect_sensors([(LEFT, "left-shank"), (TRUNK, "trunk")])
    wait_until(qtbot, lambda: window.sources.sensors is not None, 10)
    sensors = window.sources.sensors
    wait_until(qtbot, lambda: len(link_lines(window)) == 2
               and all(x.startswith("streaming") for x in link_lines(window)), 10)
    listeners = list(sensors.view.listeners)
    window.open_calibration()
    wizard = window._wizard
    intro = wizard.intro
    intro.sensor.setCurrentIndex(1)  # the trunk
    for step, box in intro.step_boxes.items():
        box.setChecked(step == "gyro")
    wizard.next()
    assert wizard.tapped and wizard.currentPage() is wizard.pages["gyro"]
    n_left = factory.made[LEFT].i
    page = wizard.pages["gyro"]
    wait_until(qtbot, lambda: page.still.text() == "still", 10)  # the trunk's samples arrive
    # meanwhile every sensor streams into the dashboard as before
    assert window.sources.sensors is sensors and window.sources.kind == "device"
    assert not any(src.stopped for src in factory.made.values())
    assert factory.made[LEFT].i > n_left
    assert all(x.startswith("streaming") for x in link_lines(window))
    wait_until(qtbot, page.isComplete, 30)
    wizard.next()
    assert wizard.currentPage() is wizard.summary
    assert "stayed connected" in wizard.summary.text.text()
    stored = store.load(TRUNK)
    assert stored is not None and stored.steps_done == ["gyro"]
    wizard.accept()
    # the set as before: the same sensors, all streaming, the wizard's listener gone
    assert window.sources.sensors is sensors
    assert not any(src.stopped for src in factory.made.values())
    assert sorted(factory.made) == sorted([LEFT, TRUNK])  # nothing connected twice
    assert sensors.view.listeners == listeners
    n_left = factory.made[LEFT].i
    wait_until(qtbot, lambda: factory.made[LEFT].i > n_left, 5)
    assert all(x.startswith("streaming") for x in link_lines(window))
