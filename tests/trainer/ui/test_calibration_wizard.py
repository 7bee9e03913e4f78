"""The dashboard calibration wizard, offscreen: simulated sensor end to end, a live source."""

from __future__ import annotations

import stat
from typing import Any

import numpy as np
import pytest

from calibration import store
from calibration.rotation import angle_between_quats_deg
from calibration.simulated import sensor_errors, step_config
from firmware_bridge.simulator import SensorStream
from trainer.ui.calibration_wizard import CalibrationWizard
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus


def run_page(qtbot: Any, wizard: CalibrationWizard, step: str) -> None:
    page = wizard.pages[step]
    assert wizard.currentPage() is page
    qtbot.waitUntil(page.isComplete, timeout=20000)
    assert page.progress.value() == 1000
    wizard.next()


def test_simulated_sensor_all_steps(qtbot: Any) -> None:
    wizard = CalibrationWizard(simulate=True, seed=4, speed=300.0, side="right",
                               placement="foot")
    qtbot.addWidget(wizard)
    saved: list[Any] = []
    wizard.profile_saved.connect(saved.append)
    wizard.show()
    wizard.next()  # intro → gyro
    gyro = wizard.pages["gyro"]
    assert "table" in gyro.prompt.text()
    run_page(qtbot, wizard, "gyro")
    assert "+Z up" in wizard.pages["accel"].prompt.text()
    run_page(qtbot, wizard, "accel")
    assert "captured" in wizard.pages["accel"].log.toPlainText()
    run_page(qtbot, wizard, "mount")
    assert wizard.currentPage() is wizard.summary
    assert "Stored for SIM:CA:1B:00:00:04" in wizard.summary.text.text()
    assert saved and saved[0].missing == []
    assert stat.S_IMODE(wizard.saved_path.stat().st_mode) == 0o600
    stored = store.load("SIM:CA:1B:00:00:04")
    assert stored is not None and stored.side == "right" and stored.placement == "foot"
    truth = sensor_errors(4)
    np.testing.assert_allclose(stored.gyro_bias_dps, truth["gyro_bias_dps"], atol=0.05)
    np.testing.assert_allclose(stored.acc_offset_g, truth["acc_offset_g"], atol=0.005)
    assert stored.mount_quat_wxyz is not None
    assert angle_between_quats_deg(stored.mount_quat_wxyz, truth["mount_quat_wxyz"]) < 1.0


class FakeLive:
    """A live-like source streaming a simulated still sensor, a few samples per read."""

    def __init__(self) -> None:
        self.stream = SensorStream(step_config("gyro", seed=9))
        self.info = SourceInfo(name="Fake", address="AA:BB:CC:00:00:07", profile="fake",
                               sample_rate_hz=100.0, firmware="2.0")
        self.started = self.stopped = False
        self.finished = False

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True

    def read(self) -> SampleBatch:
        return self.stream.next(120)

    def drain_status(self) -> list[SourceStatus]:
        return []


def test_live_sensor_one_step_and_a_bad_address(qtbot: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeLive()
    monkeypatch.setattr("trainer.ui.sources.device_source", lambda address: fake)
    wizard = CalibrationWizard(simulate=False, steps=["gyro"])
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.next()  # no address yet: refused with a message
    assert wizard.currentPage() is wizard.intro
    assert "address" in wizard.intro.error.text()
    wizard.intro.address.setText("AA:BB:CC:00:00:07")
    wizard.next()
    assert fake.started
    page = wizard.pages["gyro"]
    qtbot.waitUntil(lambda: page.still.text() == "still", timeout=5000)
    run_page(qtbot, wizard, "gyro")
    assert wizard.currentPage() is wizard.summary and fake.stopped
    stored = store.load("AA:BB:CC:00:00:07")
    assert stored is not None and stored.steps_done == ["gyro"] and stored.firmware == "2.0"
    assert "Reconnect" in wizard.summary.text.text()


def test_the_dashboards_tools_menu_opens_the_wizard(window: Any) -> None:
    window.calibrate_action.trigger()
    wizard = getattr(window, "_wizard", None)
    assert isinstance(wizard, CalibrationWizard) and wizard.isVisible()
    assert wizard.currentPage() is wizard.intro
    wizard.reject()
