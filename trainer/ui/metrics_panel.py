"""Big live numbers (readable from two metres), the cue banner and the recording indicator."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from trainer.ui import theme

# (key, caption, unit, format)
TILES = (
    ("ellipse_area", "Sway area 95 %", "°²", "{:.1f}"),
    ("mean_velocity", "Sway speed", "°/s", "{:.1f}"),
    ("time_in_target_pct", "In target", "%", "{:.0f}"),
    ("losses", "Balance losses", "", "{:.0f}"),
    ("time_left_s", "Time left", "s", "{:.0f}"),
)


class BigNumber(QWidget):
    """A big number that repaints only itself when it changes.

    A QLabel's ``setText`` re-lays out its parents (the tiles, the page: a whole-window repaint,
    ~10 ms, each time the numbers change); this widget has a fixed height, paints its own opaque
    background and text, and only asks for a repaint of itself."""

    def __init__(self, text: str = "–") -> None:
        super().__init__()
        self._text = text
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self._bg = QColor(theme.PANEL_BG)
        self._fg = QColor(theme.FG)

    def text(self) -> str:
        return self._text

    def sizeHint(self) -> QSize:  # the font's (the style sheet's #metricValue), never the text's
        return QSize(40, QFontMetrics(self.font()).height() + 4)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def setText(self, text: str) -> None:  # QLabel's name: a drop-in
        if text != self._text:
            self._text = text
            self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), self._bg)
        p.setPen(self._fg)
        p.setFont(self.font())
        p.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), self._text)
        p.end()


class MetricTile(QFrame):
    def __init__(self, caption: str, unit: str) -> None:
        super().__init__()
        self.setStyleSheet(f"background: {theme.PANEL_BG}; border-radius: 8px;")
        self.value = BigNumber("–")
        self.value.setObjectName("metricValue")
        cap = QLabel(f"{caption}" + (f" ({unit})" if unit else ""))
        cap.setObjectName("metricCaption")
        cap.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.addWidget(self.value)
        lay.addWidget(cap)


class MetricsPanel(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.tiles: dict[str, MetricTile] = {}
        self._formats: dict[str, str] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, (key, caption, unit, fmt) in enumerate(TILES):
            tile = MetricTile(caption, unit)
            self.tiles[key] = tile
            self._formats[key] = fmt
            grid.addWidget(tile, 0, i)
            grid.setColumnStretch(i, 1)

    def set_values(self, values: dict[str, float | None]) -> None:
        for key, tile in self.tiles.items():
            if key not in values:
                continue
            v = values[key]
            tile.value.setText("–" if v is None else self._formats[key].format(v))

    def text_of(self, key: str) -> str:
        return self.tiles[key].value.text()


class CueBanner(QLabel):
    """One line of big text: countdown, drill cue, 'balance lost', the end summary.

    Text and colour are only touched when they change: a style change re-polishes the widget and
    can repaint its neighbours (the plots) in the same frame.
    """

    def __init__(self) -> None:
        super().__init__("")
        self.setObjectName("cue")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setFixedHeight(64)
        self.setMinimumWidth(200)
        # long cues must not widen the window: the label may shrink below its text width
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._style = ""

    @staticmethod
    def font_px(text: str) -> int:
        """Big for short cues; smaller for long sentences so they still fit on one line."""
        n = len(text)
        return 42 if n <= 34 else 32 if n <= 48 else 24 if n <= 66 else 18

    def show_cue(self, text: str, colour: str = theme.FG) -> None:
        if text != self.text():
            self.setText(text)
        style = f"color: {colour}; font-size: {self.font_px(text)}px;"
        if style != self._style:
            self._style = style
            self.setStyleSheet(style)


class RecordingIndicator(QWidget):
    """A red '● REC 0:42' badge that blinks while recording; grey 'not recording' otherwise.

    Fixed size, and the style is set only when the state changes (see CueBanner)."""

    def __init__(self) -> None:
        super().__init__()
        self.label = QLabel("")
        self.label.setObjectName("rec")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setFixedWidth(190)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.label)
        self.recording = False
        self._styled: bool | None = None
        self.set_recording(False)

    def set_recording(self, on: bool, elapsed_s: float = 0.0, path: str = "") -> None:
        self.recording = on
        if on != self._styled:
            self._styled = on
            style = (f"color: white; background: {theme.REC_COLOUR}; border-radius: 6px; "
                     "padding: 4px 12px;" if on
                     else f"color: {theme.MUTED}; padding: 4px 12px; font-size: 16px;")
            self.label.setStyleSheet(style)
            self.label.setToolTip(path)
        if not on:
            text = "not recording"
        else:
            m, s = divmod(int(elapsed_s), 60)
            dot = "●" if int(elapsed_s) % 2 == 0 else "○"
            text = f"{dot} REC {m}:{s:02d}"
        if text != self.label.text():
            self.label.setText(text)
