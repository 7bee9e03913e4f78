"""Live traces of every sensor of a multi-sensor session: one small scrolling tilt plot per extra
sensor, under the primary sensor's tilt plot and on its time axis.

All sensors are on one session clock, so x is time relative to the primary's newest sample for
every plot: a jump or a stamp seen by all sensors lines up vertically. Fast like the main plots
(fixed ranges, cached axes, 1-px pens, views of ring buffers, ``setData`` once per frame per
curve); titles are re-set only when a sensor's state changes. With one sensor nothing is shown.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtWidgets import QVBoxLayout, QWidget

from trainer.ui import theme
from trainer.ui.multi_live import AP, ML, SensorTracks, T
from trainer.ui.plots import FastPlotWidget, _curve, visible_rows
from trainer.vocab.roles import Role


class SensorTracePlots:
    """The extra sensors' plots (``widget``) and the listener feeding them (``tracks``)."""

    def __init__(self, primary_plot: FastPlotWidget, window_s: float = 10.0,
                 range_deg: float = 10.0) -> None:
        self.primary_plot = primary_plot
        self.window_s = window_s
        self.range_deg = range_deg
        self.widget = QWidget()
        self._lay = QVBoxLayout(self.widget)
        self._lay.setContentsMargins(0, 0, 0, 0)
        self._lay.setSpacing(2)
        self.widget.setVisible(False)
        self.tracks: SensorTracks | None = None
        self.plots: dict[Role, tuple[FastPlotWidget, Any, Any]] = {}
        self._titles: dict[Role, str] = {}
        self._source: Any = None
        self._primary_title = primary_plot.getPlotItem().titleLabel.text

    # -- following the source ------------------------------------------------------------------
    def sync(self, source: Any, *, side: str = "left", calibrations: Any = None) -> None:
        """Follow ``source`` (called every frame, cheap): a ``PrimaryView`` of two or more
        sensors gets plots and a listener; anything else none."""
        if source is self._source:
            return
        self._detach()
        self._source = source
        sensors = getattr(source, "sensors", None)
        listeners = getattr(source, "listeners", None)
        if sensors is None or listeners is None or len(getattr(sensors, "roles", ())) < 2:
            return
        self.tracks = SensorTracks(sensors.sensor_info(), sensors.primary, side=side,
                                   window_s=self.window_s, calibrations=calibrations)
        listeners.append(self.tracks)
        for role in self.tracks.roles:
            plot = FastPlotWidget((-self.window_s, 0.0), (-self.range_deg, self.range_deg))
            plot.getPlotItem().setXLink(self.primary_plot.getPlotItem())
            plot.getPlotItem().getAxis("bottom").setStyle(showValues=False)
            plot.setMinimumHeight(120)  # readable ticks: the gyro plot below gives way
            self.plots[role] = (plot, _curve(plot, theme.AP_COLOUR), _curve(plot, theme.ML_COLOUR))
            self._lay.addWidget(plot)
        self.primary_plot.getPlotItem().setTitle(
            f"{sensors.primary} (analysed) tilt (°): <span style='color:{theme.AP_COLOUR}'>AP"
            f"</span> <span style='color:{theme.ML_COLOUR}'>ML</span>",
            color=theme.MUTED, size="11pt")
        self.widget.setVisible(True)

    def _detach(self) -> None:
        listeners = getattr(self._source, "listeners", None)
        if self.tracks is not None and listeners is not None and self.tracks in listeners:
            listeners.remove(self.tracks)
        self.tracks = None
        for plot, _ap, _ml in self.plots.values():
            self._lay.removeWidget(plot)
            plot.setParent(None)
            plot.deleteLater()
        self.plots = {}
        self._titles = {}
        self._source = None
        if self.widget.isVisible():
            self.primary_plot.getPlotItem().setTitle(self._primary_title, color=theme.MUTED,
                                                     size="11pt")
        self.widget.setVisible(False)

    def set_range(self, range_deg: float) -> None:
        self.range_deg = range_deg
        for plot, _ap, _ml in self.plots.values():
            plot.set_ranges((-self.window_s, 0.0), (-range_deg, range_deg))

    # -- per frame -----------------------------------------------------------------------------
    def update(self, t_now: float | None) -> None:
        """Redraw every extra sensor's last ``window_s`` relative to ``t_now`` (the primary's
        newest sample; None: the sensor's own newest)."""
        tracks = self.tracks
        if tracks is None:
            return
        for role, (plot, ap, ml) in self.plots.items():
            track = tracks.tracks[role]
            title = f"{role} tilt (°) · {track.failed or track.state}"
            if self._titles.get(role) != title:
                self._titles[role] = title
                plot.getPlotItem().setTitle(title, color=theme.MUTED, size="10pt")
            rows = track.ring.view()
            if rows.shape[0] == 0:
                ap.setData([], [])
                ml.setData([], [])
                continue
            now = float(rows[-1, T]) if t_now is None else t_now
            rows = visible_rows(rows, self.window_s, plot.width())
            x = rows[:, T] - now
            skip = bool(np.isfinite(rows[0, AP]))
            ap.setData(x, rows[:, AP], skipFiniteCheck=skip)
            ml.setData(x, rows[:, ML], skipFiniteCheck=skip)

    def close(self) -> None:
        self._detach()
