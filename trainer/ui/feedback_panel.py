"""Feedback panel: visual/audio switches, fading mode, target size, plot scale."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox

from trainer.feedback import FADING_MODES
from trainer.ui.settings import FeedbackSettings

MODE_LABELS = {
    "concurrent": "always",
    "bandwidth": "only outside target",
    "summary": "summary at the end",
    "fading": "fading (always → outside → none)",
}


class FeedbackPanel(QGroupBox):
    changed = Signal(object)  # FeedbackSettings

    def __init__(self) -> None:
        super().__init__("Feedback")
        self.visual = QCheckBox("colour dot")
        self.visual.setChecked(True)
        self.audio = QCheckBox("sound (pitch = AP, left/right = ML)")
        self.mode = QComboBox()
        for m in FADING_MODES:
            self.mode.addItem(MODE_LABELS[m], m)
        # as wide as the side panel, not as its longest label (the list shows them whole)
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(12)
        self.radius = QDoubleSpinBox()
        self.radius.setRange(0.5, 15)
        self.radius.setSingleStep(0.5)
        self.radius.setValue(3.0)
        self.radius.setSuffix(" °")
        self.scale = QComboBox()
        for r in (4, 8, 15, 30):
            self.scale.addItem(f"± {r} °", float(r))
        self.scale.setCurrentIndex(1)
        form = QFormLayout(self)
        form.addRow(self.visual)
        form.addRow(self.audio)
        form.addRow("Show", self.mode)
        form.addRow("Target", self.radius)
        form.addRow("Scale", self.scale)
        for w in (self.visual, self.audio):
            w.toggled.connect(self._emit)
        self.mode.currentIndexChanged.connect(self._emit)
        self.scale.currentIndexChanged.connect(self._emit)
        self.radius.valueChanged.connect(self._emit)

    def settings(self) -> FeedbackSettings:
        return FeedbackSettings(
            visual=self.visual.isChecked(),
            audio=self.audio.isChecked(),
            mode=str(self.mode.currentData()),
            target_radius_deg=float(self.radius.value()),
            range_deg=float(self.scale.currentData()),
        )

    def set_audio_unavailable(self, reason: str) -> None:
        self.audio.setChecked(False)
        self.audio.setEnabled(False)
        self.audio.setToolTip(f"no sound: {reason}")
        self.audio.setText("sound (unavailable)")

    def _emit(self) -> None:
        self.changed.emit(self.settings())
