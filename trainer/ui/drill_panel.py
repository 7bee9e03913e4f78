"""Drill panel: choose the drill, side, eyes, surface, sets and hold time; start/stop; progress;
the 0–10 pain rating the guided drill asks for at the end.

The drills package (``trainer.drills``) owns what a drill is: its defaults fill the panel when a
drill is chosen (at the user's level on the chosen side), and
``trainer.training.session.TrainingSession`` runs it.
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


def drill_defaults(drill_id: str, side: str = "left") -> dict[str, Any]:
    """The parameters the drill runs at the user's level on this side (what `record` runs),
    {} for an unknown drill."""
    from trainer.drills import CatalogError, get_drill
    from trainer.drills.store import DrillStore

    try:
        spec = get_drill(drill_id)
    except CatalogError:
        return {}
    try:
        level = DrillStore().level_for(spec, side) if spec.progression else None
    except (OSError, ValueError):  # an unreadable progress file: the drill's start level
        level = spec.start_level if spec.progression else None
    return dict(spec.params(level))


class PainRating(QWidget):
    """'How much pain?' with eleven big buttons 0–10 (shown only when the drill asks)."""

    rated = Signal(int)
    skipped = Signal()

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
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("end the drill without a pain rating")
        self.skip_button.setMinimumHeight(34)
        self.skip_button.clicked.connect(self.skipped.emit)
        grid.addWidget(self.skip_button, 1, 5)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.question)
        lay.addLayout(grid)


class DrillPanel(QGroupBox):
    start_requested = Signal(object)  # DrillSettings
    stop_requested = Signal()
    pain_rated = Signal(int)
    pain_skipped = Signal()
    skip_jump_requested = Signal()

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
        # several sensors: the drill waits for the sync jump; a person who cannot jump skips it
        self.skip_jump_button = QPushButton("Skip the jump")
        self.skip_jump_button.setObjectName("skipJumpButton")
        self.skip_jump_button.setToolTip("start the drill without the sync jump (Space); the "
                                         "sensors' alignment is then not measured")
        self.skip_jump_button.setMinimumHeight(34)
        self.skip_jump_button.setVisible(False)
        self.skip_jump_button.clicked.connect(self.skip_jump_requested.emit)
        form = self.form = QFormLayout()
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
        lay.addWidget(self.skip_jump_button)
        lay.addWidget(self.progress)
        lay.addWidget(self.pain)
        self.running = False
        self.start_button.clicked.connect(self._clicked)
        self.pain.rated.connect(self.pain_rated.emit)
        self.pain.skipped.connect(self.pain_skipped.emit)
        self.replay_note = QLabel("")
        self.replay_note.setWordWrap(True)
        self.replay_note.setVisible(False)
        lay.insertWidget(0, self.replay_note)
        self.replaying = False
        self.drill.currentIndexChanged.connect(self._drill_changed)
        self.side.currentIndexChanged.connect(self._drill_changed)  # levels are per side
        self._drill_changed()

    def eyes_surface(self) -> tuple[str, str]:
        """The eyes and surface chosen; while a replay shows "not recorded", the defaults."""
        eyes, surface = (c.currentText() if c.currentIndex() >= 0 else c.itemText(0)
                         for c in (self.eyes, self.surface))
        return eyes, surface

    def set_replay(self, conditions: dict[str, Any] | None) -> None:
        """Show a replayed session's own conditions, read-only (None: back to choosing)."""
        was_replaying, self.replaying = self.replaying, conditions is not None
        if conditions is None:
            if not was_replaying:  # the user's choices stay as they are
                return
            self.replay_note.setVisible(False)
            self.sets.setSpecialValueText("")
            self.sets.setRange(1, 20)
            self.duration.setSpecialValueText("")
            self.duration.setRange(2, 3600)
            for w in (self.drill, self.side, self.record, self.start_button):
                w.setEnabled(True)
            for combo in (self.eyes, self.surface):  # "not recorded" is no choice
                if combo.currentIndex() < 0:
                    combo.setCurrentIndex(0)
            self._drill_changed()
            return
        i = self.drill.findData(conditions.get("drill"))
        if i >= 0:
            self.drill.blockSignals(True)
            self.drill.setCurrentIndex(i)
            self.drill.blockSignals(False)
        self.side.setCurrentText(str(conditions.get("side") or "left"))
        for key, combo in (("eyes", self.eyes), ("surface", self.surface)):
            combo.setCurrentText(str(conditions.get(key) or "–"))
            if combo.currentText() != str(conditions.get(key) or "–"):  # not recorded
                combo.setCurrentIndex(-1)
        # not recorded (or not this drill's): "–" (the spin boxes' special value at 0)
        self.sets.setRange(0, 20)
        self.sets.setSpecialValueText("–")
        self.sets.setValue(int(conditions.get("sets") or 0))
        self.duration.setRange(0, 3600)
        self.duration.setSpecialValueText("–")
        hold = conditions.get("hold_s", conditions.get("duration_s"))
        self.duration.setValue(float(hold or 0))
        widgets: tuple[QWidget, ...] = (self.drill, self.side, self.eyes, self.surface,
                                         self.sets, self.duration, self.record,
                                         self.start_button)
        for widget in widgets:
            widget.setEnabled(False)
        placement = conditions.get("placement") or "?"
        level = conditions.get("level")
        self.replay_note.setText(f"Replaying — recorded on the {conditions.get('side')} "
                                 f"{placement}" + (f", level {level}" if level is not None
                                                   else "") + " (read-only)")
        self.replay_note.setVisible(True)

    def _drill_changed(self) -> None:
        if self.replaying:
            return
        d = drill_defaults(str(self.drill.currentData()), self.side.currentText())
        if "sets" in d:
            self.sets.setValue(int(d["sets"]))
        self.sets.setEnabled("sets" in d or not d)
        self.duration.setEnabled("hold_s" in d or not d)
        # reps and stretches have no hold time to choose: no greyed "Hold 30 s" for them
        self.form.setRowVisible(self.duration, "hold_s" in d or not d)
        if "hold_s" in d:
            self.duration.setValue(float(d["hold_s"]))
        for key, combo in (("eyes", self.eyes), ("surface", self.surface)):
            combo.setEnabled(key in d or not d)
            if key in d:
                combo.setCurrentText(str(d[key]))

    def choose(self, *, drill: str | None = None, side: str | None = None,
               eyes: str | None = None, surface: str | None = None) -> None:
        """Preset the choices (the command line's --drill/--side/--eyes/--surface)."""
        if drill is not None:
            i = self.drill.findData(drill)
            if i >= 0:
                self.drill.setCurrentIndex(i)
        if side is not None:
            self.side.setCurrentText(side)
        if eyes is not None and self.eyes.isEnabled():
            self.eyes.setCurrentText(eyes)
        if surface is not None and self.surface.isEnabled():
            self.surface.setCurrentText(surface)

    def placement(self) -> str:
        """Where the selected drill wants the sensor (shank or foot)."""
        from trainer.drills import CatalogError, get_drill

        try:
            return str(get_drill(str(self.drill.currentData())).placement)
        except CatalogError:
            return "shank"

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

    def show_skip_jump(self, on: bool) -> None:
        self.skip_jump_button.setVisible(on)

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
