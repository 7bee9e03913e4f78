"""Drill panel: choose the drill, side, eyes, surface and duration; start/stop; progress."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from trainer.cli.common import DRILL_IDS
from trainer.ui.settings import DrillSettings


def drill_names() -> list[tuple[str, str]]:
    """(id, display name) from the drills catalog when available, else the contract ids."""
    try:
        from trainer.drills import DRILLS  # type: ignore[attr-defined]

        out = []
        for d in DRILLS.values() if isinstance(DRILLS, dict) else DRILLS:
            did = getattr(d, "id", None) or d["id"]
            name = getattr(d, "name", None) or (d.get("name") if isinstance(d, dict) else did)
            out.append((str(did), str(name)))
        if out:
            return out
    except Exception:
        pass
    return [(d, d.replace("-", " ").capitalize()) for d in DRILL_IDS]


class DrillPanel(QGroupBox):
    start_requested = Signal(object)  # DrillSettings
    stop_requested = Signal()

    def __init__(self) -> None:
        super().__init__("Drill")
        self.drill = QComboBox()
        for did, name in drill_names():
            self.drill.addItem(name, did)
        self.side = QComboBox()
        self.side.addItems(["left", "right"])
        self.eyes = QComboBox()
        self.eyes.addItems(["open", "closed"])
        self.surface = QComboBox()
        self.surface.addItems(["firm", "foam"])
        self.duration = QDoubleSpinBox()
        self.duration.setRange(5, 600)
        self.duration.setDecimals(0)
        self.duration.setValue(30)
        self.duration.setSuffix(" s")
        self.record = QCheckBox("record the session")
        self.record.setChecked(True)
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        form = QFormLayout()
        form.addRow("Drill", self.drill)
        form.addRow("Side", self.side)
        form.addRow("Eyes", self.eyes)
        form.addRow("Surface", self.surface)
        form.addRow("Duration", self.duration)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.record)
        lay.addWidget(self.start_button)
        lay.addWidget(self.progress)
        self.running = False
        self.start_button.clicked.connect(self._clicked)

    def settings(self) -> DrillSettings:
        return DrillSettings(
            drill_id=str(self.drill.currentData()),
            side=self.side.currentText(),
            eyes=self.eyes.currentText(),
            surface=self.surface.currentText(),
            duration_s=float(self.duration.value()),
            record=self.record.isChecked(),
        )

    def _clicked(self) -> None:
        if self.running:
            self.stop_requested.emit()
        else:
            self.start_requested.emit(self.settings())

    def set_running(self, running: bool) -> None:
        self.running = running
        self.start_button.setText("Stop" if running else "Start")
        self.start_button.setProperty("running", "true" if running else "false")
        self.start_button.style().unpolish(self.start_button)
        self.start_button.style().polish(self.start_button)
        for w in (self.drill, self.side, self.eyes, self.surface, self.duration, self.record):
            w.setEnabled(not running)
        if not running:
            self.progress.setValue(0)
            self.progress.setFormat("")

    def set_progress(self, elapsed_s: float, duration_s: float) -> None:
        frac = 0.0 if duration_s <= 0 else min(1.0, elapsed_s / duration_s)
        self.progress.setValue(int(frac * 1000))
        left = max(0.0, duration_s - elapsed_s)
        self.progress.setFormat(f"{elapsed_s:.0f} s · {left:.0f} s left")
