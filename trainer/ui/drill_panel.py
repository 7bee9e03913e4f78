"""Drill panel: choose the drill, side, eyes, surface, sets and hold time; start/stop; progress;
the 0–10 pain rating the guided drill asks for at the end.

The drills package (``trainer.drills``) owns what a drill is: its defaults fill the panel when a
drill is chosen, and ``trainer.ui.guided.GuidedDrill`` runs it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from trainer.ui.settings import DrillSettings
from trainer.vocab.ids import DRILL_IDS


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


def drill_defaults(drill_id: str) -> dict[str, Any]:
    try:
        from trainer.drills import get_drill

        return dict(get_drill(drill_id).params(None))
    except Exception:
        return {}


class PainRating(QWidget):
    """'How much pain?' with eleven big buttons 0–10 (shown only when the drill asks)."""

    rated = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.question = QLabel("Pain during the drill? 0 = none, 10 = worst")
        self.question.setWordWrap(True)
        grid = QGridLayout()
        grid.setSpacing(3)
        self.buttons: list[QPushButton] = []
        for n in range(11):
            b = QPushButton(str(n))
            b.setMinimumHeight(34)
            b.clicked.connect(lambda _c=False, n=n: self.rated.emit(n))
            grid.addWidget(b, n // 6, n % 6)
            self.buttons.append(b)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.question)
        lay.addLayout(grid)


class DrillPanel(QGroupBox):
    start_requested = Signal(object)  # DrillSettings
    stop_requested = Signal()
    pain_rated = Signal(int)

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
        self.sets = QSpinBox()
        self.sets.setRange(1, 20)
        self.duration = QDoubleSpinBox()
        self.duration.setRange(2, 3600)
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
        self.pain = PainRating()
        self.pain.setVisible(False)
        form = QFormLayout()
        form.addRow("Drill", self.drill)
        form.addRow("Side", self.side)
        form.addRow("Eyes", self.eyes)
        form.addRow("Surface", self.surface)
        form.addRow("Sets", self.sets)
        form.addRow("Hold", self.duration)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.record)
        lay.addWidget(self.start_button)
        lay.addWidget(self.progress)
        lay.addWidget(self.pain)
        self.running = False
        self.start_button.clicked.connect(self._clicked)
        self.pain.rated.connect(self.pain_rated.emit)
        self.drill.currentIndexChanged.connect(self._drill_changed)
        self._drill_changed()

    def _drill_changed(self) -> None:
        d = drill_defaults(str(self.drill.currentData()))
        if "sets" in d:
            self.sets.setValue(int(d["sets"]))
        self.sets.setEnabled("sets" in d or not d)
        self.duration.setEnabled("hold_s" in d or not d)
        if "hold_s" in d:
            self.duration.setValue(float(d["hold_s"]))
        for key, combo in (("eyes", self.eyes), ("surface", self.surface)):
            combo.setEnabled(key in d or not d)
            if key in d:
                combo.setCurrentText(str(d[key]))

    def settings(self) -> DrillSettings:
        return DrillSettings(
            drill_id=str(self.drill.currentData()),
            side=self.side.currentText(),
            eyes=self.eyes.currentText(),
            surface=self.surface.currentText(),
            duration_s=float(self.duration.value()),
            record=self.record.isChecked(),
            sets=int(self.sets.value()),
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
        for w in (self.drill, self.side, self.record):
            w.setEnabled(not running)
        if running:
            for field in (self.eyes, self.surface, self.sets, self.duration):
                field.setEnabled(False)
        else:
            self._drill_changed()
            self.progress.setValue(0)
            self.progress.setFormat("")
            self.show_pain(False)

    def show_pain(self, on: bool, question: str | None = None) -> None:
        if question:
            self.pain.question.setText(question)
        self.pain.setVisible(on)
        self.start_button.setEnabled(not on)

    def set_progress(self, fraction: float, text: str) -> None:
        value = int(min(1.0, max(0.0, fraction)) * 1000)
        if value != self.progress.value():
            self.progress.setValue(value)
        if text != self.progress.format():
            self.progress.setFormat(text)
