"""The proprioception drills' live view: an angle gauge with the target (and tolerance band, or
the lunge test's threshold) and the table of trials (target, shown, reproduced, error) or
lunges. It only shows ``DrillSession.view()["proprio"]``; the measure lives in
``trainer.drills.proprio``.
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.ui import theme

GAUGE_MAX_DEG = {"position-sense": 40.0, "lunge": 60.0}


class AngleGauge(QWidget):
    """A half-dial from 0 to ``max_deg``: needle = live angle, green band = target ±
    tolerance, red tick = a threshold. The needle is hidden when feedback is withheld."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(260, 170)
        self.max_deg = 40.0
        self.angle_deg: float | None = None
        self.target_deg: float | None = None
        self.tolerance_deg: float | None = None
        self.threshold_deg: float | None = None
        self.show_needle = True
        self.caption = ""

    def set_state(self, *, angle: float | None, target: float | None, tolerance: float | None,
                  threshold: float | None, show: bool, max_deg: float, caption: str) -> None:
        self.angle_deg, self.target_deg, self.tolerance_deg = angle, target, tolerance
        self.threshold_deg, self.show_needle = threshold, show
        self.max_deg, self.caption = max_deg, caption
        self.update()

    def _point(self, c: QPointF, r: float, deg: float) -> QPointF:
        """Dial position of ``deg`` (0 on the left, max on the right, over the top)."""
        frac = min(max(deg / self.max_deg, -0.05), 1.05)
        a = math.pi * (1.0 - frac)
        return QPointF(c.x() + r * math.cos(a), c.y() - r * math.sin(a))

    def paintEvent(self, event: QPaintEvent) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h = self.width(), self.height()
        r = max(40.0, min(w / 2 - 48, h - 74))  # room for the tick labels at both ends
        c = QPointF(w / 2, h - 34)
        rect = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r)
        p.setPen(QPen(theme.qcolor("#3a3f4b"), 14, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        p.drawArc(rect, 0, 180 * 16)
        if self.target_deg is not None and self.tolerance_deg:
            lo = max(0.0, self.target_deg - self.tolerance_deg) / self.max_deg
            hi = min(self.max_deg, self.target_deg + self.tolerance_deg) / self.max_deg
            p.setPen(QPen(theme.qcolor(theme.TARGET_COLOUR), 14, Qt.PenStyle.SolidLine,
                          Qt.PenCapStyle.FlatCap))
            p.drawArc(rect, int((1.0 - hi) * 180 * 16), int((hi - lo) * 180 * 16))
        p.setFont(theme.font(13))
        p.setPen(QPen(theme.qcolor(theme.MUTED), 1))
        step = 10.0
        k = 0.0
        while k <= self.max_deg + 1e-9:
            a, b = self._point(c, r - 12, k), self._point(c, r + 8, k)
            p.drawLine(a, b)
            t = self._point(c, r + 22, k)
            p.drawText(QRectF(t.x() - 16, t.y() - 9, 32, 18), Qt.AlignmentFlag.AlignCenter,
                       f"{k:.0f}")
            k += step
        if self.target_deg is not None:
            p.setPen(QPen(theme.qcolor(theme.TARGET_COLOUR), 3))
            p.drawLine(self._point(c, r - 22, self.target_deg),
                       self._point(c, r + 10, self.target_deg))
        if self.threshold_deg is not None:
            p.setPen(QPen(theme.qcolor(theme.LOSS_COLOUR), 3))
            p.drawLine(self._point(c, r - 22, self.threshold_deg),
                       self._point(c, r + 10, self.threshold_deg))
        if self.show_needle and self.angle_deg is not None and math.isfinite(self.angle_deg):
            p.setPen(QPen(theme.qcolor(theme.ML_COLOUR), 4))
            p.drawLine(c, self._point(c, r - 6, self.angle_deg))
            p.setBrush(QBrush(theme.qcolor(theme.ML_COLOUR)))
            p.drawEllipse(c, 6, 6)
        p.setPen(QPen(theme.qcolor(theme.FG), 1))
        p.setFont(theme.font(34, bold=True))
        value = (f"{self.angle_deg:.1f}°" if self.show_needle and self.angle_deg is not None
                 and math.isfinite(self.angle_deg) else "—")
        p.drawText(QRectF(c.x() - 110, c.y() - r * 0.55, 220, 44), Qt.AlignmentFlag.AlignCenter,
                   value)
        p.setFont(theme.font(15))
        p.setPen(QPen(theme.qcolor(theme.MUTED), 1))
        p.drawText(QRectF(0, c.y() + 4, w, 24), Qt.AlignmentFlag.AlignCenter, self.caption)
        p.end()


def _fmt(x: Any, signed: bool = False) -> str:
    if x is None:
        return "—"
    return f"{float(x):+.1f}°" if signed else f"{float(x):.1f}°"


class ProprioPanel(QGroupBox):
    """Gauge + stage + trial table for ``joint-position-sense`` and ``lunge-test``."""

    JPS_COLUMNS = ("Trial", "Target", "Shown", "Reproduced", "Error")
    LUNGE_COLUMNS = ("Lunge", "Depth", "vs 34°")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Position sense", parent)
        self.gauge = AngleGauge()
        self.stage = QLabel("")
        self.stage.setWordWrap(True)
        self.stage.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.summary.setStyleSheet(f"color: {theme.MUTED}; font-size: 15px;")
        self.table = QTableWidget(0, len(self.JPS_COLUMNS))
        self.table.setHorizontalHeaderLabels(self.JPS_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        left = QVBoxLayout()
        left.addWidget(self.gauge, 1)
        left.addWidget(self.stage)
        right = QVBoxLayout()
        right.addWidget(self.table, 1)
        right.addWidget(self.summary)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addLayout(right, 1)
        self._kind = ""
        self._rows: tuple[Any, ...] = ()

    def show_view(self, v: dict[str, Any] | None) -> None:
        """Update from ``DrillSession.view()["proprio"]`` (None: nothing running)."""
        if not v:
            return
        kind = str(v.get("kind") or "")
        if kind != self._kind:
            self._kind = kind
            cols = self.LUNGE_COLUMNS if kind == "lunge" else self.JPS_COLUMNS
            self.setTitle("Lunge test (knee to wall)" if kind == "lunge"
                          else "Joint position sense")
            self.table.setColumnCount(len(cols))
            self.table.setHorizontalHeaderLabels(cols)
            self._rows = ()
        stage = v.get("stage")
        target = v.get("target_deg")
        if kind == "lunge":
            caption = "shank angle from vertical"
            text = {"lunge": "Knee to the wall, heel down"}.get(str(stage), "Stand upright")
        else:
            label = f"{target:g}° {v.get('motion') or ''}".strip() if target is not None else ""
            caption = f"target {label}" if label else "rotation from neutral"
            if stage == "present":
                text = f"Move to {label} and hold"
            elif stage == "reproduce":
                text = ("Captured — back to neutral" if v.get("captured")
                        else f"Eyes closed: find {label} (Space = there)")
                if not v.get("show_gauge"):
                    target = None  # no hint where the target is
            else:
                text = "Neutral: relax the foot"
        self.stage.setText(text)
        self.gauge.set_state(angle=v.get("gauge_deg"), target=target,
                             tolerance=v.get("tolerance_deg") if target is not None else None,
                             threshold=v.get("threshold_deg"), show=bool(v.get("show_gauge")),
                             max_deg=GAUGE_MAX_DEG.get(kind, 40.0), caption=caption)
        rows = tuple(v.get("lunges_deg") or ()) if kind == "lunge" else tuple(
            (r.get("trial"), r.get("target_deg"), r.get("motion"), r.get("presented_deg"),
             r.get("reproduced_deg"), r.get("error_deg")) for r in v.get("trials") or ())
        if rows != self._rows:
            self._rows = rows
            self._fill(kind, rows, v)

    def _fill(self, kind: str, rows: tuple[Any, ...], v: dict[str, Any]) -> None:
        self.table.setRowCount(len(rows))
        if kind == "lunge":
            thr = float(v.get("threshold_deg") or 34.0)
            for i, d in enumerate(rows):
                verdict = "ok" if float(d) >= thr else "restricted"
                for j, text in enumerate((str(i + 1), _fmt(d), verdict)):
                    self.table.setItem(i, j, QTableWidgetItem(text))
            best = max(rows) if rows else None
            self.summary.setText(f"best {_fmt(best)} · threshold {thr:g}° (Pope et al. 1998)"
                                 if best is not None else "")
            return
        errs = []
        for i, (trial, target, motion, shown, rep, err) in enumerate(rows):
            cells = (str(trial), f"{target:g}° {motion}" if target is not None else "—",
                     _fmt(shown), _fmt(rep), _fmt(err, signed=True))
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
            if err is not None:
                errs.append(float(err))
        if errs:
            ae = sum(abs(e) for e in errs) / len(errs)
            ce = sum(errs) / len(errs)
            self.summary.setText(f"absolute error {ae:.1f}° · constant error {ce:+.1f}° "
                                 f"({len(errs)} trials)")
        else:
            self.summary.setText("")
