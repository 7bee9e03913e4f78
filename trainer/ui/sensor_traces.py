"""Live traces of every sensor of a multi-sensor session: ONE scrolling tilt plot under the primary
sensor's, on its time axis, with every extra sensor's AP and ML in a colour of its own and a
legend (role, colours, link state) as the plot's title.

One plot for all extra sensors, not one each: a plot widget costs ~1 ms a frame to paint however
few points it has, and the GUI thread has to stay under half a core with three sensors at 200 Hz
(issue 14 item 7). All sensors are on one session clock, so x is time relative to the primary's
newest sample: a jump or a stamp seen by all sensors lines up vertically with the primary's plot.
Fast like the main plots (fixed ranges, cached axes, 1-px pens, views of ring buffers,
``setData`` once per frame per curve); the legend is re-set only when a sensor's state changes.
With one sensor nothing is shown.

Public interface (what other parts of the dashboard use):

- :meth:`SensorTracePlots.sync` — follow a source: a ``PrimaryView`` of two or more sensors gets a
  :class:`~trainer.ui.multi_live.SensorTracks` listener and the traces; anything else none;
- :meth:`SensorTracePlots.show_tracks` — draw a :class:`SensorTracks` fed by someone else (e.g. a
  multi-sensor replay pushing processed tilt with ``SensorTracks.push``), None: nothing;
- :meth:`SensorTracePlots.reset` (a seek), :meth:`set_range`, :meth:`update` (per frame),
  :meth:`close`; ``roles``, ``legend()``, ``curves`` and ``plot`` for tests and benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from PySide6.QtWidgets import QSplitter, QWidget

from trainer.ui import theme
from trainer.ui.multi_live import AP, ML, SensorTracks, T
from trainer.ui.plots import FastPlotWidget, JumpMark, _curve, visible_rows
from trainer.vocab.roles import Role

#: (AP, ML) colours of the extra sensors, in role order: a pair of neighbouring hues per sensor,
#: unlike the primary's light blue and orange (the legend says which is which).
TRACE_COLOURS = (("#66bb6a", "#d4e157"),  # green, lime
                 ("#ce5ce0", "#f48fb1"),  # purple, pink
                 ("#fff176", "#bcaaa4"),  # yellow, sand
                 ("#4db6ac", "#90caf9"))  # teal, pale blue
#: Link states shown in a warning colour in the legend.
BAD_STATES = ("lost", "reconnecting", "error", "stopped")
#: From this many extra sensors on, the legend names only bad link states.
COMPACT_LEGEND = 3


def trace_colours(i: int) -> tuple[str, str]:
    return TRACE_COLOURS[i % len(TRACE_COLOURS)]


class SensorTracePlots:
    """The extra sensors' tilt plot (``widget``) and the model feeding it (``tracks``)."""

    def __init__(self, primary_plot: FastPlotWidget, window_s: float = 10.0,
                 range_deg: float = 10.0, *, gives_way: QWidget | None = None) -> None:
        self.primary_plot = primary_plot
        #: hidden while two or more extra sensors are shown (the primary's angular velocity:
        #: their traces take its room, and a frame paints one plot less)
        self.gives_way = gives_way
        self.window_s = window_s
        self.range_deg = range_deg
        self.plot = FastPlotWidget((-window_s, 0.0), (-range_deg, range_deg))
        self.plot.getPlotItem().setXLink(primary_plot.getPlotItem())
        self.plot.getPlotItem().getAxis("bottom").setLabel("seconds (0 = now)",
                                                           color=theme.MUTED)
        self.plot.setMinimumHeight(150)  # readable ticks: the gyro plot gives way
        self.jump_mark = JumpMark(self.plot)
        self.widget: QWidget = self.plot
        self.widget.setVisible(False)
        self.tracks: SensorTracks | None = None
        self.curves: dict[Role, tuple[Any, Any]] = {}
        self._legend = ""
        self._source: Any = None
        self._listening = False
        self._primary_title = primary_plot.getPlotItem().titleLabel.text

    # -- what is shown -------------------------------------------------------------------------
    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(self.curves)

    @property
    def plots(self) -> dict[Role, tuple[FastPlotWidget, Any, Any]]:
        """Every extra sensor's (plot, AP curve, ML curve); the plot is the same for all."""
        return {role: (self.plot, ap, ml) for role, (ap, ml) in self.curves.items()}

    def legend(self) -> str:
        """The legend (the plot's title, HTML): role, its colours, its link state."""
        return self._legend

    def sync(self, source: Any, *, side: str = "left",
             calibrations: Callable[[], Any] | None = None) -> None:
        """Follow ``source`` (called every frame, cheap): a ``PrimaryView`` of two or more
        sensors gets traces and a listener; anything else none. ``calibrations`` gives the
        sensors' profiles by role, asked only when the source changed."""
        if source is self._source:
            return
        self._detach()
        self._source = source
        sensors = getattr(source, "sensors", None)
        listeners = getattr(source, "listeners", None)
        if sensors is None or listeners is None or len(getattr(sensors, "roles", ())) < 2:
            return
        tracks = SensorTracks(sensors.sensor_info(), sensors.primary, side=side,
                              window_s=self.window_s,
                              calibrations=None if calibrations is None else calibrations())
        listeners.append(tracks)
        self._listening = True
        self._show(tracks, str(sensors.primary))

    def show_tracks(self, tracks: SensorTracks | None) -> None:
        """Draw ``tracks`` (fed by the caller, not by a source's listener) until the next
        ``show_tracks``/``sync`` of another source; None: nothing."""
        self._detach()
        self._source = tracks
        if tracks is not None and tracks.roles:
            self._show(tracks, str(tracks.primary))

    def _show(self, tracks: SensorTracks, primary: str) -> None:
        self.tracks = tracks
        for i, role in enumerate(tracks.roles):
            ap_c, ml_c = trace_colours(i)
            self.curves[role] = (_curve(self.plot, ap_c), _curve(self.plot, ml_c))
        self.primary_plot.getPlotItem().setTitle(
            f"{primary} (analysed) tilt (°): <span style='color:{theme.AP_COLOUR}'>AP"
            f"</span> <span style='color:{theme.ML_COLOUR}'>ML</span>",
            color=theme.MUTED, size="11pt")
        self._set_legend()
        self.widget.setVisible(True)
        if self.gives_way is not None and len(self.curves) >= 2:
            self.gives_way.setVisible(False)
        self._share_room()

    def _share_room(self) -> None:
        """In a splitter (the window's), the plots shown get equal heights: a widget shown
        again would otherwise get only its minimum."""
        splitter = self.widget.parentWidget()
        if not isinstance(splitter, QSplitter):
            return
        shown = [not w.isHidden() for i in range(splitter.count())
                 if (w := splitter.widget(i)) is not None]
        total = sum(splitter.sizes()) or 1000 * sum(shown)
        share = total // max(1, sum(shown))
        splitter.setSizes([share if s else 0 for s in shown])

    def _detach(self) -> None:
        listeners = getattr(self._source, "listeners", None)
        if (self._listening and self.tracks is not None and listeners is not None
                and self.tracks in listeners):
            listeners.remove(self.tracks)
        self._listening = False
        self.tracks = None
        for ap, ml in self.curves.values():
            self.plot.removeItem(ap)
            self.plot.removeItem(ml)
        self.curves = {}
        self._legend = ""
        self._source = None
        if self.widget.isVisible():
            self.primary_plot.getPlotItem().setTitle(self._primary_title, color=theme.MUTED,
                                                     size="11pt")
        self.widget.setVisible(False)
        if self.gives_way is not None:
            self.gives_way.setVisible(True)

    def _set_legend(self) -> None:
        tracks = self.tracks
        if tracks is None:
            return
        parts = []
        # three or more extra sensors: a state is named only when it is bad (else the legend
        # runs off the plot's width)
        compact = len(self.curves) >= COMPACT_LEGEND
        for i, role in enumerate(self.curves):
            track = tracks.tracks[role]
            ap_c, ml_c = trace_colours(i)
            state = track.failed or track.state
            bad = bool(track.failed) or state in BAD_STATES
            state_c = theme.LOSS_COLOUR if bad else theme.MUTED
            shown = "" if compact and not bad else \
                f" <span style='color:{state_c}'>· {state}</span>"
            parts.append(f"<b>{role}</b> <span style='color:{ap_c}'>AP</span> "
                         f"<span style='color:{ml_c}'>ML</span>{shown}")
        legend = "tilt (°): " + " &nbsp;&nbsp; ".join(parts)
        if legend != self._legend:
            self._legend = legend
            self.plot.getPlotItem().setTitle(legend, color=theme.FG, size="10pt")

    def set_range(self, range_deg: float) -> None:
        self.range_deg = range_deg
        self.plot.set_ranges((-self.window_s, 0.0), (-range_deg, range_deg))

    def reset(self) -> None:
        """Forget the traces (a replay seek); the next data draws them afresh."""
        if self.tracks is not None:
            self.tracks.reset()

    # -- per frame -----------------------------------------------------------------------------
    def update(self, t_now: float | None, jump_t_s: float | None = None) -> None:
        """Redraw every extra sensor's last ``window_s`` relative to ``t_now`` (the primary's
        newest sample; None: the sensor's own newest); ``jump_t_s``: the sync jump's landing,
        marked while in the window (on the primary's time axis)."""
        tracks = self.tracks
        if tracks is None:
            return
        self.jump_mark.update(None if t_now is None else jump_t_s, t_now or 0.0,
                              self.window_s, self.range_deg)
        self._set_legend()  # a string compare unless a state changed
        width = self.plot.width()
        for role, (ap, ml) in self.curves.items():
            rows = tracks.tracks[role].ring.view()
            if rows.shape[0] == 0:
                ap.setData([], [])
                ml.setData([], [])
                continue
            now = float(rows[-1, T]) if t_now is None else t_now
            rows = visible_rows(rows, self.window_s, width)
            x = rows[:, T] - now
            skip = bool(np.isfinite(rows[0, AP]))
            ap.setData(x, rows[:, AP], skipFiniteCheck=skip)
            ml.setData(x, rows[:, ML], skipFiniteCheck=skip)

    def close(self) -> None:
        self._detach()
