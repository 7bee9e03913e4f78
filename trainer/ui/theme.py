"""Colours, fonts and pyqtgraph settings: a dark theme with big type, readable from two metres."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

BG = "#15171c"
PANEL_BG = "#1e2128"
FG = "#e6e6e6"
MUTED = "#9aa0aa"
AP_COLOUR = "#4fc3f7"  # anterior-posterior: light blue
ML_COLOUR = "#ffb74d"  # medio-lateral: orange
GYR_COLOURS = ("#ef5350", "#66bb6a", "#42a5f5")
TRACE_COLOUR = "#7f8c9d"
TARGET_COLOUR = "#2ecc71"
ELLIPSE_COLOUR = "#ce93d8"
LOSS_COLOUR = "#ff1744"
REC_COLOUR = "#d50000"

STYLESHEET = f"""
QMainWindow, QWidget {{ background: {BG}; color: {FG}; font-size: 14px; }}
QGroupBox {{ border: 1px solid #3a3f4b; border-radius: 6px; margin-top: 14px; padding: 6px;
             background: {PANEL_BG}; font-weight: bold; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 8px; padding: 0 4px; color: {MUTED}; }}
QPushButton {{ background: #2d323c; border: 1px solid #4a5160; border-radius: 4px;
               padding: 5px 10px; }}
QPushButton:hover {{ background: #394050; }}
QPushButton:disabled {{ color: #5d6470; }}
QPushButton#startButton {{ background: #1b5e20; font-size: 18px; font-weight: bold; padding: 8px; }}
QPushButton#startButton[running="true"] {{ background: #8e1b1b; }}
QComboBox, QSpinBox, QDoubleSpinBox, QLineEdit {{ background: #262a33; border: 1px solid #4a5160;
               border-radius: 3px; padding: 3px; }}
QTabWidget::pane {{ border: 0; }}
QTabBar::tab {{ background: #262a33; padding: 6px 18px; margin-right: 2px; }}
QTabBar::tab:selected {{ background: #394050; }}
QStatusBar {{ color: {MUTED}; font-size: 15px; }}
#metricValue {{ font-size: 58px; font-weight: bold; }}
QLabel#metricCaption {{ font-size: 17px; color: {MUTED}; }}
QLabel#cue {{ font-size: 42px; font-weight: bold; }}
QLabel#rec {{ font-size: 26px; font-weight: bold; }}
QLabel#sourceLabel {{ font-size: 17px; font-weight: bold; }}
QLabel#deviceState {{ font-size: 17px; font-weight: bold; }}
QLabel#replayTime {{ font-size: 17px; font-weight: bold; }}
QHeaderView::section {{ background: #262a33; color: {FG}; padding: 4px; border: 0; }}
QTableWidget {{ gridline-color: #333844; }}
"""


def configure_pyqtgraph() -> None:
    """Fast defaults: antialias off, dark background, no OpenGL (works under Xvfb/offscreen)."""
    pg.setConfigOptions(antialias=False, background=BG, foreground=FG, useOpenGL=False)


def font(px: int, bold: bool = False) -> QFont:
    f = QFont()
    f.setPixelSize(px)
    f.setBold(bold)
    return f


def qcolor(rgb: tuple[int, int, int] | str) -> QColor:
    return QColor(rgb) if isinstance(rgb, str) else QColor(*rgb)


def pen(colour: str | tuple[int, int, int], width: float = 1, dashed: bool = False) -> object:
    """A cosmetic pen (width in pixels whatever the zoom): 1 px for live curves."""
    from PySide6.QtCore import Qt

    p = pg.mkPen(qcolor(colour), width=width)
    p.setCosmetic(True)
    if dashed:
        p.setStyle(Qt.PenStyle.DashLine)
    return p
