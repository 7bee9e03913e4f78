"""Replay controls, like a video player: open/recent, play/pause, speed, scrub, jump to events."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QWidget,
)

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
SLIDER_STEPS = 1000


def fmt_time(t_s: float) -> str:
    m, s = divmod(max(0.0, t_s), 60)
    return f"{int(m)}:{s:04.1f}"


class ReplayPanel(QWidget):
    open_requested = Signal(str)  # a path, or "" for the file dialog
    play_toggled = Signal(bool)
    speed_changed = Signal(float)
    seek_requested = Signal(float)  # seconds from the start
    prev_event = Signal()
    next_event = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.open_button = QPushButton("Open session…")
        self.recent = QComboBox()
        self.recent.setMinimumWidth(160)
        self.recent.setMaximumWidth(320)
        self.recent.setPlaceholderText("recent sessions")
        self.play_button = QPushButton("▶ Play")
        self.play_button.setCheckable(True)
        self.play_button.setMinimumWidth(90)
        self.prev_button = QPushButton("◀ prev event")
        self.next_button = QPushButton("next event ▶")
        self.speed = QComboBox()
        for s in SPEEDS:
            self.speed.addItem(f"{s:g}×", s)
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setMinimumWidth(220)
        self.time = QLabel("0:00.0 / 0:00.0")
        self.time.setObjectName("replayTime")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.open_button, self.recent, self.play_button, self.prev_button,
                  self.next_button, self.speed):
            lay.addWidget(w)
        lay.addWidget(self.slider, 1)
        lay.addWidget(self.time)
        self.duration_s = 0.0
        self._recent_paths: list[str] = []

        self.open_button.clicked.connect(lambda: self.open_requested.emit(""))
        self.recent.activated.connect(self._recent_chosen)
        self.play_button.toggled.connect(self._play_toggled)
        self.speed.currentIndexChanged.connect(
            lambda _i: self.speed_changed.emit(float(self.speed.currentData())))
        self.slider.sliderReleased.connect(self._seek_from_slider)
        self.slider.actionTriggered.connect(self._slider_action)
        self.prev_button.clicked.connect(self.prev_event.emit)
        self.next_button.clicked.connect(self.next_event.emit)
        self.set_enabled_controls(False)

    def set_recent(self, paths: list[str]) -> None:
        self._recent_paths = list(paths)
        self.recent.clear()
        for p in paths:
            self.recent.addItem(p.rstrip("/").split("/")[-1], p)

    def _recent_chosen(self, index: int) -> None:
        path = self.recent.itemData(index)
        if path:
            self.open_requested.emit(str(path))

    def _play_toggled(self, on: bool) -> None:
        self.play_button.setText("❚❚ Pause" if on else "▶ Play")
        self.play_toggled.emit(on)

    def set_playing(self, on: bool) -> None:
        self.play_button.blockSignals(True)
        self.play_button.setChecked(on)
        self.play_button.setText("❚❚ Pause" if on else "▶ Play")
        self.play_button.blockSignals(False)

    def set_speed(self, speed: float) -> None:
        """Show ``speed`` in the combo (without emitting)."""
        i = self.speed.findData(float(speed))
        if i >= 0:
            self.speed.blockSignals(True)
            self.speed.setCurrentIndex(i)
            self.speed.blockSignals(False)

    def set_enabled_controls(self, on: bool) -> None:
        # live: only "open" and the recent list; a replay shows the player controls
        for w in (self.play_button, self.prev_button, self.next_button, self.speed, self.slider,
                  self.time):
            w.setEnabled(on)
            w.setVisible(on)

    def set_position(self, position_s: float, duration_s: float) -> None:
        self.duration_s = duration_s
        if not self.slider.isSliderDown():
            frac = 0.0 if duration_s <= 0 else position_s / duration_s
            self.slider.blockSignals(True)
            self.slider.setValue(round(min(1.0, max(0.0, frac)) * SLIDER_STEPS))
            self.slider.blockSignals(False)
        self.time.setText(f"{fmt_time(position_s)} / {fmt_time(duration_s)}")

    def _seek_from_slider(self) -> None:
        self.seek_requested.emit(self.slider.value() / SLIDER_STEPS * self.duration_s)

    def _slider_action(self, action: int) -> None:
        # clicks on the groove / keyboard steps (not drags, handled on release)
        if not self.slider.isSliderDown():
            pos = self.slider.sliderPosition()
            self.seek_requested.emit(pos / SLIDER_STEPS * self.duration_s)
