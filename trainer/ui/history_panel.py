"""History tab: past sessions per drill and side, progress plots, injured vs uninjured side.

Scanning runs in a worker thread (results come back as a queued Qt signal); the GUI never waits
on the disk.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import cast

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from trainer.ui import theme
from trainer.ui.drill_panel import drill_names
from trainer.ui.history_model import SessionSummary, filter_sessions, scan_sessions_report
from trainer.ui.settings import open_settings

SIDE_COLOURS = {"injured": "#eb4034", "other": "#4fc3f7"}
COLUMNS = ("Date", "Drill", "Side", "Duration (s)", "Sway area (°²)", "First loss (s)",
           "Losses", "In target (%)", "Drill progress")


class HistoryPanel(QWidget):
    loaded = Signal(object)  # list[SessionSummary] or an error string

    def __init__(self, root: Path | None = None) -> None:
        super().__init__()
        self._root = root
        self.sessions: list[SessionSummary] = []
        self.skipped: list[str] = []  # "<name>: <reason>" of sessions that could not be read
        self._loaded_once = False
        self._loading = False
        self._closed = False
        self.drill = QComboBox()
        self.drill.addItem("all drills", "all")
        for did, name in drill_names():
            self.drill.addItem(name, did)
        self.side = QComboBox()
        self.side.addItems(["both", "left", "right"])
        self.injured = QComboBox()
        self.injured.addItems(["left", "right"])
        stored = open_settings().value("injured_side", "left")
        self.injured.setCurrentText(str(stored))
        self.reload_button = QPushButton("Reload")
        self.info = QLabel("")
        self.info.setStyleSheet(f"color: {theme.MUTED};")
        bar = QHBoxLayout()
        for label, w in (("Drill", self.drill), ("Side", self.side),
                         ("Injured side", self.injured)):
            bar.addWidget(QLabel(label))
            bar.addWidget(w)
        bar.addWidget(self.reload_button)
        bar.addWidget(self.info, 1)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.area_plot = self._date_plot("Sway area (95 % ellipse, °²) — lower is steadier")
        self.loss_plot = self._date_plot("Time to first balance loss (s) — higher is better")
        self.progress_plot = self._date_plot("Drill progress (the drill's own metric)")
        plots = QSplitter(Qt.Orientation.Vertical)
        plots.addWidget(self.area_plot)
        plots.addWidget(self.loss_plot)
        plots.addWidget(self.progress_plot)
        for w in (self.loss_plot, self.progress_plot):  # one time axis for the three
            w.getPlotItem().setXLink(self.area_plot.getPlotItem())
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.table)
        split.addWidget(plots)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 1)
        split.setSizes([700, 800])
        self.table.verticalHeader().setVisible(False)
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(split, 1)

        self.loaded.connect(self._on_loaded)
        self.reload_button.clicked.connect(self.reload)
        for combo in (self.drill, self.side):
            combo.currentIndexChanged.connect(self.refresh)
        self.injured.currentIndexChanged.connect(self._injured_changed)

    def _date_plot(self, title: str) -> pg.PlotWidget:
        w = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem()})
        w.setTitle(title, color=theme.MUTED, size="11pt")
        w.showGrid(x=True, y=True, alpha=0.15)
        w.addLegend(offset=(10, 10))
        return w

    def root(self) -> Path:
        if self._root is not None:
            return self._root
        from trainer.paths import sessions_dir

        return sessions_dir()

    # -- loading -------------------------------------------------------------------------------
    def ensure_loaded(self) -> None:
        if not self._loaded_once and not self._loading:
            self.reload()

    def request_reload(self) -> None:
        if self._loaded_once:
            self.reload()

    def reload(self) -> None:
        if self._loading:
            return
        self._loading = True
        self.info.setText("loading…")
        root = self.root()

        def work() -> None:
            try:
                result: object = scan_sessions_report(root, drill_results=True)
            except Exception as exc:
                result = f"cannot read sessions: {exc}"
            if not self._closed:
                self.loaded.emit(result)

        threading.Thread(target=work, name="history-scan", daemon=True).start()

    def shutdown(self) -> None:
        self._closed = True

    def _on_loaded(self, result: object) -> None:
        self._loading = False
        self._loaded_once = True
        if isinstance(result, str):
            self.info.setText(result)
            return
        sessions, skipped = cast(tuple[list[SessionSummary], list[str]], result)
        self.sessions = list(sessions)
        self.skipped = list(skipped)
        self.refresh()

    def _injured_changed(self) -> None:
        open_settings().setValue("injured_side",
                                                           self.injured.currentText())
        self.refresh()

    # -- drawing -------------------------------------------------------------------------------
    def visible(self) -> list[SessionSummary]:
        return filter_sessions(self.sessions, self.drill.currentData(), self.side.currentText())

    def refresh(self) -> None:
        rows = self.visible()
        text = f"{len(rows)} of {len(self.sessions)} sessions in {self.root()}"
        if self.skipped:
            from trainer.drills.history import summarise_skipped

            text += f" · {summarise_skipped(self.skipped)}"
        self.info.setText(text)
        self.info.setToolTip("\n".join(f"skipped {line}" for line in self.skipped[:50]))
        self.table.setRowCount(len(rows))

        def cell(v: object, fmt: str = "{:.1f}") -> QTableWidgetItem:
            return QTableWidgetItem("–" if v is None else (fmt.format(v) if fmt else str(v)))

        for i, s in enumerate(reversed(rows)):  # newest first
            values = [
                cell(s.start.astimezone().strftime("%Y-%m-%d"), ""),
                cell(s.drill_id, ""),
                cell(s.side + (" (injured)" if s.side == self.injured.currentText() else ""), ""),
                cell(s.duration_s, "{:.0f}"),
                cell(s.ellipse_area),
                cell(s.time_to_first_loss_s),
                cell(s.losses, "{}"),
                cell(s.time_in_target_pct, "{:.0f}"),
                cell(None if s.progress_value is None else
                     f"{s.progress_name} {s.progress_value:g} {s.progress_unit}", ""),
            ]
            for j, item in enumerate(values):
                self.table.setItem(i, j, item)
        self.table.resizeColumnsToContents()
        self._plot(self.area_plot, rows, "ellipse_area")
        self._plot(self.loss_plot, rows, "time_to_first_loss_s")
        self._plot(self.progress_plot, rows, "progress_value")
        names = {f"{s.progress_name} ({s.progress_unit})" for s in rows if s.progress_name}
        self.progress_plot.setTitle(
            "Drill progress: " + (", ".join(sorted(names)) if names else "–"),
            color=theme.MUTED, size="11pt")

    def _plot(self, plot: pg.PlotWidget, rows: list[SessionSummary], key: str) -> None:
        plot.clear()
        injured = self.injured.currentText()
        for side in ("left", "right"):
            pts = [(s.start_epoch_s, getattr(s, key)) for s in rows
                   if s.side == side and getattr(s, key) is not None]
            if not pts:
                continue
            x, y = np.array(pts, dtype=float).T
            colour = SIDE_COLOURS["injured" if side == injured else "other"]
            label = f"{side} ({'injured' if side == injured else 'uninjured'})"
            plot.plot(x, y, pen=pg.mkPen(colour, width=2), symbol="o", symbolSize=9,
                      symbolBrush=colour, name=label)

    def series(self, key: str, side: str) -> list[float]:
        """Plotted values of one side, oldest first (for tests and reports)."""
        return [getattr(s, key) for s in self.visible()
                if s.side == side and getattr(s, key) is not None]
