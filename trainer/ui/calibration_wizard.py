"""The dashboard's calibration wizard: the same guided steps as ``balance-trainer calibrate``.

A ``QWizard``: choose the sensor (simulated or an address), leg and placement and the steps; then
one page per step with the prompt, a progress bar, live stillness (green: still, orange: moving) and
the step's messages ("moved: …", "captured +X up"); the last page stores the profile for the
sensor (``calibration.store``). The step logic is ``calibration.guide`` (no Qt); this file only
pulls samples on a 20 Hz ``QTimer`` and shows the collectors' status.

Hook: ``CalibrationWizard(parent=main_window).show()``; it emits ``profile_saved(profile)`` when
done. ``connected(address)`` (the dashboard's): a sensor already connected at that address as a
source — one of several connected sensors is read through the set (``SensorTap``: every sensor
stays connected and streaming, the set is as before afterwards); a single streaming sensor at that
address is disconnected first (one BLE connection per sensor) and connected anew here. Reconnect
afterwards to apply the new profile.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from calibration.guide import STEP_TITLES, Collector, make_collector
from trainer.vocab.calibration import STEPS, CalibrationProfile

TICK_MS = 50
STILL_STYLE = "background: #2e7d32; color: white; padding: 4px 10px; border-radius: 4px;"
MOVING_STYLE = "background: #ef6c00; color: white; padding: 4px 10px; border-radius: 4px;"
WAIT_STYLE = "background: #616161; color: white; padding: 4px 10px; border-radius: 4px;"


class IntroPage(QWizardPage):
    """Sensor, leg, placement and steps."""

    def __init__(self, wizard: CalibrationWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Calibrate a sensor")
        self.setSubTitle("Gyroscope bias (still on a table), accelerometer (six faces and three "
                         "tilted poses), mounting on the leg (stand still, swing the leg).")
        form = QFormLayout(self)
        self.sim_radio = QRadioButton("Simulated sensor")
        self.dev_radio = QRadioButton("Sensor address:")
        group = QButtonGroup(self)
        group.addButton(self.sim_radio)
        group.addButton(self.dev_radio)
        self.address = QLineEdit(wizard.address or "")
        self.address.setPlaceholderText("AA:BB:CC:DD:EE:FF")
        (self.sim_radio if wizard.simulate else self.dev_radio).setChecked(True)
        form.addRow(self.sim_radio)
        form.addRow(self.dev_radio, self.address)
        self.side = QComboBox()
        self.side.addItems(["left", "right"])
        self.side.setCurrentText(wizard.side)
        self.placement = QComboBox()
        self.placement.addItems(["shank", "foot", "trunk"])  # trunk: one of several sensors
        self.placement.setCurrentText(wizard.placement)
        # several sensors connected: which one (its address, and its role's leg and placement)
        self.sensor = QComboBox()
        for role, address in wizard.sensors:
            self.sensor.addItem(f"{role}  {address}", (role, address))
        self.sensor.currentIndexChanged.connect(self._sensor_chosen)
        if wizard.sensors:
            form.addRow("Sensor", self.sensor)
            self._sensor_chosen(0)
        form.addRow("Leg", self.side)
        form.addRow("Placement", self.placement)
        self.step_boxes: dict[str, QCheckBox] = {}
        for step in STEPS:
            box = QCheckBox(STEP_TITLES[step])
            box.setChecked(step in wizard.steps)
            box.toggled.connect(self.completeChanged)
            self.step_boxes[step] = box
            form.addRow(box)
        self.error = QLabel("")
        self.error.setStyleSheet("color: #c62828;")
        form.addRow(self.error)

    def _sensor_chosen(self, index: int) -> None:
        """One of several sensors: its address, and its role's side and placement (the mounting
        is calibrated for the role, as ``calibrate --device ADDRESS:ROLE``)."""
        data = self.sensor.itemData(index)
        if not data:
            return
        from trainer.vocab.roles import parse_role, role_segment, role_side

        role, address = data
        self.dev_radio.setChecked(True)
        self.address.setText(address)
        r = parse_role(role)
        side = role_side(r)
        if side is not None:
            self.side.setCurrentText(side)
        self.placement.setCurrentText(role_segment(r))

    def isComplete(self) -> bool:
        return any(b.isChecked() for b in self.step_boxes.values())

    def validatePage(self) -> bool:
        w = self.wiz
        w.simulate = self.sim_radio.isChecked()
        w.address = self.address.text().strip() or None
        w.side = self.side.currentText()
        w.placement = self.placement.currentText()
        w.steps = [s for s in STEPS if self.step_boxes[s].isChecked()]
        try:
            w.open_sensor()
        except Exception as exc:  # one line for the user, never a traceback
            self.error.setText(str(exc))
            return False
        self.error.setText("")
        return True

    def nextId(self) -> int:
        return self.wiz.page_after(None)


class StepPage(QWizardPage):
    """One step: prompt, progress, stillness, messages; complete when the collector is done."""

    def __init__(self, wizard: CalibrationWizard, step: str) -> None:
        super().__init__()
        self.wiz = wizard
        self.step = step
        self.collector: Collector | None = None
        self.setTitle(STEP_TITLES[step])
        self.setCommitPage(True)  # no going back into a finished step
        lay = QVBoxLayout(self)
        self.prompt = QLabel("")
        self.prompt.setWordWrap(True)
        font = self.prompt.font()
        font.setPointSize(font.pointSize() + 3)
        self.prompt.setFont(font)
        self.still = QLabel("waiting for data")
        self.still.setStyleSheet(WAIT_STYLE)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.detail = QLabel("")
        self.log = QPlainTextEdit()
        self.log.setReadOnly(True)
        for w in (self.prompt, self.still, self.progress, self.detail, self.log):
            lay.addWidget(w)

    def initializePage(self) -> None:
        self.log.clear()
        self.collector = self.wiz.start_step(self.step)
        self.refresh([])

    def refresh(self, messages: list[str]) -> None:
        if self.collector is None:
            return
        for text in messages:
            self.log.appendPlainText(text)
        st = self.collector.status()
        self.prompt.setText(st.prompt)
        self.progress.setValue(round(st.progress * 1000))
        self.detail.setText(st.detail)
        if st.still is None:
            self.still.setText("waiting for data")
            self.still.setStyleSheet(WAIT_STYLE)
        elif st.still:
            self.still.setText("still")
            self.still.setStyleSheet(STILL_STYLE)
        else:
            self.still.setText("moving")
            self.still.setStyleSheet(MOVING_STYLE)

    def isComplete(self) -> bool:
        return self.collector is not None and self.collector.done and not self.collector.error

    def nextId(self) -> int:
        return self.wiz.page_after(self.step)


class SummaryPage(QWizardPage):
    """Stores the profile and says what was done."""

    def __init__(self, wizard: CalibrationWizard) -> None:
        super().__init__()
        self.wiz = wizard
        self.setTitle("Calibration done")
        lay = QVBoxLayout(self)
        self.text = QLabel("")
        self.text.setWordWrap(True)
        lay.addWidget(self.text)

    def initializePage(self) -> None:
        self.wiz.stop_sensor()
        self.text.setText(self.wiz.save_profile())

    def nextId(self) -> int:
        return -1


class CalibrationWizard(QWizard):
    """Guided calibration in the dashboard (see the module doc for the hook)."""

    profile_saved = Signal(object)  # CalibrationProfile

    def __init__(self, parent: QWidget | None = None, *, address: str | None = None,
                 simulate: bool | None = None, side: str = "left", placement: str = "shank",
                 steps: list[str] | None = None, seed: int = 1, speed: float = 1.0,
                 tilted: bool = True, sensors: list[tuple[str, str]] | None = None,
                 connected: Callable[[str], Any] | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate sensor")
        #: several connected sensors: (role, address) to choose from, the analysed one first
        self.sensors = list(sensors or [])
        self.address = address
        self.simulate = (address is None) if simulate is None else simulate
        self.side, self.placement = side, placement
        self.steps = list(steps or STEPS)
        self.seed, self.speed, self.tilted = seed, speed, tilted
        self.source: Any = None
        self.connected = connected
        self.tapped = False  # the sensor is read through the connected set, not connected here
        self.profile: CalibrationProfile | None = None
        self.saved_path: Any = None
        self._stream: Any = None
        self._t0 = 0.0
        self._fed = 0
        self._current: StepPage | None = None
        self.intro = IntroPage(self)
        self.pages: dict[str, StepPage] = {s: StepPage(self, s) for s in STEPS}
        self.summary = SummaryPage(self)
        self.intro_id = self.addPage(self.intro)
        self.page_ids = {s: self.addPage(p) for s, p in self.pages.items()}
        self.summary_id = self.addPage(self.summary)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Next >")
        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.tick)
        self.resize(620, 520)

    # --------------------------------------------------------------------------- navigation
    def page_after(self, step: str | None) -> int:
        order = [s for s in STEPS if s in self.steps]
        later = order if step is None else order[order.index(step) + 1:] if step in order else []
        return self.page_ids[later[0]] if later else self.summary_id

    # --------------------------------------------------------------------------- the sensor
    def open_sensor(self) -> None:
        """Prepare the profile to extend and, for a real sensor, connect to it."""
        from calibration import store

        self.stop_sensor()
        if self.simulate:
            from calibration import simulated

            address, name = simulated.address(self.seed), simulated.NAME
            firmware = simulated.FIRMWARE
        else:
            if not self.address:
                raise ValueError("enter the sensor's address (or choose the simulated sensor)")
            from trainer.ui.sources import device_source

            tap = self.connected(self.address) if self.connected is not None else None
            self.tapped = tap is not None
            self.source = tap if tap is not None else device_source(self.address)
            self.source.start()
            address = self.source.info.address or self.address
            name, firmware = self.source.info.name, self.source.info.firmware
        try:
            base = store.load(address)
        except Exception:
            base = None
        profile = base or CalibrationProfile.neutral(address, name)
        profile.sensor = {"address": address, "name": name}
        profile.firmware = firmware or profile.firmware
        self.profile = profile

    def start_step(self, step: str) -> Collector:
        """Begin a step (called when its page is shown)."""
        collector = make_collector(step, side=self.side, placement=self.placement,
                                   profile=self.profile, rounds=2 if self.simulate else 1,
                                   tilted=self.tilted and not self.simulate)
        self._current = self.pages[step]
        if self.simulate:
            from calibration.simulated import step_config
            from firmware_bridge.simulator import SensorStream

            self._stream = SensorStream(step_config(step, seed=self.seed, side=self.side,
                                                    placement=self.placement))
            self._fed = 0
        elif self.source is not None:
            self.source.read()  # drop what arrived before the step
        self._t0 = time.monotonic()
        self.timer.start()
        return collector

    def _read(self) -> Any:
        if self.simulate:
            fs = float(self._stream.config.sample_rate_hz)
            due = int((time.monotonic() - self._t0) * self.speed * fs)
            n = max(0, due - self._fed)
            self._fed += n
            return self._stream.next(n)
        return self.source.read() if self.source is not None else None

    def tick(self) -> None:
        page = self._current
        if page is None or page.collector is None or page.collector.done:
            return
        batch = self._read()
        messages = page.collector.feed_batch(batch) if batch is not None and len(batch) else []
        page.refresh(messages)
        if page.collector.done:
            self.timer.stop()
            result = getattr(page.collector, "result", None)
            if result is not None and self.profile is not None:
                from calibration.steps import with_accel, with_gyro, with_mount

                apply = {"gyro": with_gyro, "accel": with_accel, "mount": with_mount}[page.step]
                self.profile = apply(self.profile, result)
            page.completeChanged.emit()

    def stop_sensor(self) -> None:
        self.timer.stop()
        if self.source is not None:
            try:
                self.source.stop()
            finally:
                self.source = None

    def save_profile(self) -> str:
        """Store the profile for the sensor; returns the text for the last page."""
        from calibration import store

        if self.profile is None:
            return "nothing to save"
        try:
            self.saved_path = store.save(self.profile)
        except Exception as exc:
            return f"could not store the profile: {exc}"
        self.profile_saved.emit(self.profile)
        missing = self.profile.missing
        acc_q = self.profile.quality.get("accel", {})
        lines = [f"Calibrated: {', '.join(self.profile.steps_done) or 'nothing'}."]
        if missing:
            lines.append(f"Still missing: {', '.join(missing)}.")
        if acc_q:
            lines.append(f"Accelerometer: |a| = 1 g within {acc_q.get('max_norm_residual_mg')} mg "
                         f"on every pose (tolerance {acc_q.get('tolerance_mg')} mg).")
        lines.append(f"Stored for {self.profile.sensor.get('address')} in {self.saved_path}.")
        if self.tapped:
            lines.append("The sensors stayed connected; disconnect and connect them again to "
                         "apply it.")
        elif not self.simulate:
            lines.append("Reconnect the sensor to apply it.")
        return "\n".join(lines)

    def done(self, result: int) -> None:
        self.stop_sensor()
        super().done(result)


def open_wizard(parent: QWidget, *, address: str | None, side: str, placement: str,
                message: Callable[[str], None],
                sensors: list[tuple[str, str]] | None = None,
                connected: Callable[[str], Any] | None = None) -> CalibrationWizard | None:
    """The dashboard's Tools → Calibrate: the wizard for the connected sensor (``address``; None:
    simulated; ``sensors``: several connected, (role, address) to choose from; ``connected``:
    see the module doc), shown; a failure is logged and said through ``message``."""
    try:
        wizard = CalibrationWizard(parent=parent, address=address, side=side,
                                   placement=placement, sensors=sensors, connected=connected)
        wizard.profile_saved.connect(
            lambda _p: message("calibration saved; reconnect the sensor to apply it"))
        wizard.show()
    except Exception as exc:
        logging.getLogger(__name__).exception("calibration wizard failed")
        message(f"calibration wizard failed: {exc}")
        return None
    return wizard
