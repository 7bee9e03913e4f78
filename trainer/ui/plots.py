"""Live plots: scrolling tilt and angular-velocity traces, and the 2-D sway view with the target.

Fast by construction (DESIGN.md): relative time on a fixed x range (ticks never regenerate), fixed y
ranges, 1-px cosmetic pens, antialias off, ``skipFiniteCheck=True``, data as views of the ring
buffer. Nothing here runs per sample; ``update`` runs once per frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from numpy.typing import NDArray
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QPaintEvent
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem

from trainer.feedback import ZONE_COLOURS, Zone
from trainer.ui import theme
from trainer.ui.ellipse import Ellipse
from trainer.ui.live import AP, GX, GY, GZ, ML, T

DOT_PX = 34


class FastPlotWidget(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph ships no type hints
    """A PlotWidget with fixed ranges, no mouse interaction and an optional post-paint hook."""

    def __init__(self, xrange: tuple[float, float], yrange: tuple[float, float],
                 *, title: str | None = None) -> None:
        super().__init__()
        self.paint_hook: Callable[[], None] | None = None
        item = self.getPlotItem()
        item.setMouseEnabled(False, False)
        item.hideButtons()
        item.setMenuEnabled(False)
        item.disableAutoRange()
        # no grid (it costs ~10 % of a core at 60 fps); zero lines instead, drawn once
        item.addItem(pg.InfiniteLine(0, angle=0, pen=theme.pen("#3a3f4b")), ignoreBounds=True)
        if title:
            item.setTitle(title, color=theme.MUTED, size="11pt")
        item.getAxis("left").setWidth(48)
        for name in ("left", "bottom"):
            ax = item.getAxis(name)
            ax.setTickFont(theme.font(13))
            ax.setTextPen(theme.FG)
            # fixed ranges: the axes never change, so paint them from a cached pixmap (their
            # labels are child items: cached on their own)
            ax.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
            ax.label.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        # the title (HTML text, laid out at every paint otherwise) too
        item.titleLabel.item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.set_ranges(xrange, yrange)
        # the plot paints its whole area (background brush): Qt need not paint the widgets
        # behind it first, so a frame repaints the plots, not the window under them
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    def set_ranges(self, xrange: tuple[float, float], yrange: tuple[float, float]) -> None:
        item = self.getPlotItem()
        item.setXRange(*xrange, padding=0)
        item.setYRange(*yrange, padding=0)

    def paintEvent(self, ev: QPaintEvent) -> None:
        super().paintEvent(ev)
        if self.paint_hook is not None:
            self.paint_hook()


class FastCurve(pg.PlotCurveItem):  # type: ignore[misc]  # pyqtgraph ships no type hints
    """A bare curve whose bounds cost next to nothing, for plots that do not auto-range.

    A ``PlotCurveItem``'s ``setData`` invalidates its bounds and recomputes them (NaN-aware min
    and max of x and y, plus a pixel margin from the view's transform) when Qt next asks, and
    announces a geometry change and emits signals. Here ``setData(x, y[, skipFiniteCheck=…])``
    swaps the arrays, takes min and max once, keeps the pixel margin until the view's transform
    changes (a resize), and announces a geometry change only when the bounds moved. The bounds
    stay tight — Qt repaints only the rectangle the curve covers (old and new), not the whole
    plot — which is what keeps the paint (and the X11 transfer) small."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        self._rect = QRectF()
        self._pad: tuple[float, float] | None = None
        super().__init__(*args, **kwargs)

    def boundingRect(self) -> QRectF:
        return self._rect

    def viewTransformChanged(self) -> None:
        self._pad = None
        super().viewTransformChanged()
        self._rect = self._bounds(*self.getData())

    def _bounds(self, x: NDArray[np.float64] | None, y: NDArray[np.float64] | None) -> QRectF:
        if x is None or y is None or x.size == 0:
            return QRectF()
        # fmin/fmax skip NaN (tilt before the vertical is known) without nanmin's copies
        lo_x, hi_x = float(np.fmin.reduce(x)), float(np.fmax.reduce(x))
        lo_y, hi_y = float(np.fmin.reduce(y)), float(np.fmax.reduce(y))
        if not np.isfinite(lo_x + hi_x + lo_y + hi_y):  # all NaN (or an infinity)
            return QRectF()
        if self._pad is None:
            px, py = self.pixelVectors()
            pad = 1.0 + self.opts["pen"].widthF()  # a pen's half width, and a pixel to spare
            self._pad = ((px.length() if px is not None else 0.0) * pad,
                         (py.length() if py is not None else 0.0) * pad)
        dx, dy = self._pad
        return QRectF(lo_x - dx, lo_y - dy, hi_x - lo_x + 2 * dx, hi_y - lo_y + 2 * dy)

    def setData(self, *args: object, **kwargs: object) -> None:
        if len(args) != 2 or not set(kwargs) <= {"skipFiniteCheck"}:
            super().setData(*args, **kwargs)
            self.prepareGeometryChange()
            self._rect = self._bounds(*self.getData())
            return
        x = np.asarray(args[0], dtype=np.float64)
        y = np.asarray(args[1], dtype=np.float64)
        if x.ndim != 1 or x.shape != y.shape:
            raise ValueError(f"x and y must be 1-D of one length, got {x.shape} and {y.shape}")
        self.xData, self.yData = x, y
        if "skipFiniteCheck" in kwargs:
            self.opts["skipFiniteCheck"] = bool(kwargs["skipFiniteCheck"])
        self.path = None
        self.fillPath = None
        self._fillPathList = None
        self._mouseShape = None
        self._lineSegmentsRendered = False
        rect = self._bounds(x, y)
        if rect != self._rect:
            self.prepareGeometryChange()  # Qt repaints where it was, too
            self._rect = rect
        self.update()


def _curve(plot: FastPlotWidget, colour: str, width: float = 1, dashed: bool = False
           ) -> FastCurve:
    """A bare curve item (:class:`FastCurve`): its ``setData`` costs a small fraction of a
    PlotDataItem's (no scatter/downsampling/bounds bookkeeping), which matters at 60 frames/s
    with many curves."""
    c = FastCurve(pen=theme.pen(colour, width, dashed), skipFiniteCheck=True)
    plot.addItem(c)
    return c


def visible_rows(rows: NDArray[np.float64], window_s: float, width_px: int
                 ) -> NDArray[np.float64]:
    """The ring-buffer rows worth drawing: those of the last ``window_s`` (the ring holds a bit
    more), thinned to about one per pixel column. The rows kept are every ``k``-th *sample*
    counted on the session clock (``round(t · rate)``), so the same samples stay drawn while
    the trace scrolls (no shimmer). A strided view, never a copy."""
    n = rows.shape[0]
    if n < 2:
        return rows
    t = rows[:, T]
    first = int(np.searchsorted(t, t[-1] - window_s, side="left"))
    rows = rows[first:]
    n = rows.shape[0]
    step = -(-n // max(1, int(width_px)))  # ceil: at most one point per pixel column
    if step <= 1 or n < 2:
        return rows
    span = float(rows[-1, T] - rows[0, T])
    rate = (n - 1) / span if span > 0 else 0.0
    start = (-round(float(rows[0, T]) * rate)) % step if rate > 0 else 0
    return rows[start::step]


def _vlines(xs: NDArray[np.float64], lo: float, hi: float) -> tuple[NDArray[np.float64], ...]:
    """Vertical segments at ``xs`` as (x, y) pairs for ``connect='pairs'``."""
    x = np.repeat(xs, 2)
    y = np.tile([lo, hi], xs.shape[0])
    return x, y


class JumpMark:
    """A dashed vertical line at the sync jump's landing on a scrolling plot (x: time relative
    to now); set only when it moves into, along or out of the window."""

    def __init__(self, plot: FastPlotWidget) -> None:
        self.item = plot.plot([], [], pen=theme.pen(theme.FG, dashed=True),
                              connect="pairs", skipFiniteCheck=True)
        self.x: float | None = None

    def update(self, jump_t_s: float | None, t_now: float, window_s: float,
               range_deg: float) -> None:
        x = None if jump_t_s is None else float(jump_t_s) - t_now
        if x is not None and not -window_s <= x <= 0.0:
            x = None
        if x == self.x:
            return
        self.x = x
        if x is None:
            self.item.setData([], [])
        else:
            self.item.setData(*_vlines(np.array([x]), -range_deg, range_deg),
                              connect="pairs", skipFiniteCheck=True)


class ScrollingPlots:
    """Tilt AP/ML and angular velocity over the last ``window_s`` seconds (time relative to now)."""

    def __init__(self, window_s: float = 10.0, tilt_range_deg: float = 10.0,
                 gyr_range_dps: float = 60.0) -> None:
        self.window_s = window_s
        self.tilt = FastPlotWidget((-window_s, 0.0), (-tilt_range_deg, tilt_range_deg),
                                   title=f"Tilt (°): <span style='color:{theme.AP_COLOUR}'>"
                                   f"AP forward +</span>  <span style='color:{theme.ML_COLOUR}'>"
                                   "ML lateral +</span>")
        self.gyr = FastPlotWidget((-window_s, 0.0), (-gyr_range_dps, gyr_range_dps),
                                  title="Angular velocity (°/s): " + " ".join(
                                      f"<span style='color:{c}'>{a}</span>"
                                      for c, a in zip(theme.GYR_COLOURS, "xyz", strict=True)))
        self.gyr.getPlotItem().setXLink(self.tilt.getPlotItem())
        self.gyr.getPlotItem().getAxis("bottom").setLabel("seconds (0 = now)", color=theme.MUTED)
        self.tilt_range_deg = tilt_range_deg
        self.gyr_range_dps = gyr_range_dps
        self.band = [
            self.tilt.plot([-window_s, 0], [y, y], pen=theme.pen(theme.TARGET_COLOUR, dashed=True))
            for y in (-3.0, 3.0)
        ]
        self.ap = _curve(self.tilt, theme.AP_COLOUR)
        self.ml = _curve(self.tilt, theme.ML_COLOUR)
        self.g = [_curve(self.gyr, c) for c in theme.GYR_COLOURS]
        self.loss_tilt = self.tilt.plot([], [], pen=theme.pen(theme.LOSS_COLOUR, width=2),
                                        connect="pairs", skipFiniteCheck=True)
        self.loss_gyr = self.gyr.plot([], [], pen=theme.pen(theme.LOSS_COLOUR, width=2),
                                      connect="pairs", skipFiniteCheck=True)
        self._markers_shown = False
        #: the sync jump's landing (several sensors): where their clocks were lined up
        self.jump_mark = JumpMark(self.tilt)

    @property
    def widgets(self) -> tuple[FastPlotWidget, FastPlotWidget]:
        return self.tilt, self.gyr

    def set_target(self, radius_deg: float) -> None:
        for line, y in zip(self.band, (-radius_deg, radius_deg), strict=True):
            line.setData([-self.window_s, 0], [y, y])

    def set_band_visible(self, shown: bool) -> None:
        """The target band (sway drills); hidden while a drill moves on purpose."""
        for line in self.band:
            line.setVisible(shown)

    def set_tilt_range(self, range_deg: float) -> None:
        self.tilt_range_deg = range_deg
        self.tilt.set_ranges((-self.window_s, 0.0), (-range_deg, range_deg))

    def update(self, rows: NDArray[np.float64], losses_t_s: Sequence[float],
               jump_t_s: float | None = None) -> None:
        """Redraw from ring-buffer rows (oldest first); x is time relative to the newest row.
        ``jump_t_s``: the sync jump's landing, marked while in the window."""
        if rows.shape[0] == 0:
            for c in (self.ap, self.ml, *self.g):
                c.setData([], [])
            self.jump_mark.update(None, 0.0, self.window_s, self.tilt_range_deg)
            return
        t_now = rows[-1, T]
        self.jump_mark.update(jump_t_s, float(t_now), self.window_s, self.tilt_range_deg)
        rows = visible_rows(rows, self.window_s, self.tilt.width())
        x = rows[:, T] - t_now
        # tilt is NaN only until the vertical reference is found (the oldest rows): check then
        skip = bool(np.isfinite(rows[0, AP]))
        self.ap.setData(x, rows[:, AP], skipFiniteCheck=skip)
        self.ml.setData(x, rows[:, ML], skipFiniteCheck=skip)
        if not self.gyr.isHidden():  # hidden while extra sensors' traces take its room
            for c, col in zip(self.g, (GX, GY, GZ), strict=True):
                c.setData(x, rows[:, col], skipFiniteCheck=True)
        lx = np.asarray([t - t_now for t in losses_t_s if t_now - self.window_s <= t <= t_now])
        if lx.size or self._markers_shown:  # markers only when there are (or were) some
            self._markers_shown = bool(lx.size)
            for item, lim in ((self.loss_tilt, self.tilt_range_deg),
                              (self.loss_gyr, self.gyr_range_dps)):
                if lx.size:
                    item.setData(*_vlines(lx, -lim, lim), connect="pairs", skipFiniteCheck=True)
                else:
                    item.setData([], [])


class SwayPlot(FastPlotWidget):
    """Tilt AP (up = forward) against ML (right = lean right): trace, target, ellipse, live dot.

    ``tilt_ml_deg`` is + toward the lateral side of the instrumented leg (left leg: the person's
    left; right leg: their right), so the screen's x is ``ml_screen_sign · ML`` with −1 for the
    left leg and +1 for the right: the dot moves the way the user leans while facing the screen.
    """

    def __init__(self, range_deg: float = 8.0, target_radius_deg: float = 3.0) -> None:
        super().__init__((-range_deg, range_deg), (-range_deg, range_deg))
        item = self.getPlotItem()
        item.setAspectLocked(True)
        item.setLabel("bottom", "← left · ML tilt (°) · right →", color=theme.MUTED)
        item.setLabel("left", "AP tilt (°, forward +)", color=theme.MUTED)
        self.range_deg = range_deg
        self.radius_deg = target_radius_deg
        item.addItem(pg.InfiniteLine(0, angle=90, pen=theme.pen("#3a3f4b")), ignoreBounds=True)
        self.target = _curve(self, theme.TARGET_COLOUR, width=3)
        self.trace = _curve(self, theme.TRACE_COLOUR)
        self.ellipse = _curve(self, theme.ELLIPSE_COLOUR, width=2, dashed=True)
        self.losses = pg.ScatterPlotItem(size=14, symbol="x", pen=theme.pen(theme.LOSS_COLOUR, 2),
                                         brush=None)
        self.losses.setVisible(False)  # shown when there are some (an empty one still paints)
        self.addItem(self.losses)
        # the live dot: a plain ellipse item moved with setPos (pixel-sized, ignores the view's
        # scale) — much cheaper per frame than re-creating a one-point ScatterPlotItem
        self.dot = QGraphicsEllipseItem(-DOT_PX / 2, -DOT_PX / 2, DOT_PX, DOT_PX)
        self.dot.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.dot.setPen(pg.mkPen("#ffffff", width=2))
        self.dot.setZValue(10)
        self.dot.setVisible(False)
        self.addItem(self.dot)
        self.zone: Zone = Zone.INSIDE
        self.ml_screen_sign = -1.0  # left leg
        self.dot_brush: QBrush | None = None
        self._brushes = {z: pg.mkBrush(*rgb) for z, rgb in ZONE_COLOURS.items()}
        self._neutral = pg.mkBrush(150, 150, 150)
        self.set_target(target_radius_deg)

    def set_target(self, radius_deg: float) -> None:
        self.radius_deg = radius_deg
        t = np.linspace(0, 2 * np.pi, 97)
        self.target.setData(radius_deg * np.cos(t), radius_deg * np.sin(t))

    def set_range(self, range_deg: float) -> None:
        self.range_deg = range_deg
        self.set_ranges((-range_deg, range_deg), (-range_deg, range_deg))

    def set_side(self, side: str) -> None:
        self.ml_screen_sign = -1.0 if side == "left" else 1.0

    def update_trace(self, ap: NDArray[np.float64], ml: NDArray[np.float64]) -> None:
        skip = bool(ap.size and np.isfinite(ap[0]))
        self.trace.setData(self.ml_screen_sign * ml, ap, skipFiniteCheck=skip)

    def update_dot(self, ap: float | None, ml: float | None, zone: Zone, show_colour: bool) -> None:
        if ap is None or ml is None or not (np.isfinite(ap) and np.isfinite(ml)):
            if self.dot.isVisible():
                self.dot.setVisible(False)
            return
        self.zone = zone
        # keep the dot on screen (at the edge) when the tilt exceeds the range
        r = self.range_deg * 0.97
        x, y = float(np.clip(self.ml_screen_sign * ml, -r, r)), float(np.clip(ap, -r, r))
        brush = self._brushes[zone] if show_colour else self._neutral
        if brush is not self.dot_brush:
            self.dot_brush = brush
            self.dot.setBrush(brush)
        self.dot.setPos(x, y)
        if not self.dot.isVisible():
            self.dot.setVisible(True)

    def dot_position(self) -> tuple[float, float] | None:
        """Where the dot is drawn (plot coordinates), None when hidden."""
        if not self.dot.isVisible():
            return None
        p = self.dot.pos()
        return (p.x(), p.y())

    def dot_rgb(self) -> tuple[int, int, int] | None:
        """Colour of the live dot (None when hidden)."""
        if self.dot_brush is None or not self.dot.isVisible():
            return None
        c = self.dot_brush.color()
        return (c.red(), c.green(), c.blue())

    def update_ellipse(self, ellipse: Ellipse | None) -> None:
        if ellipse is None:
            self.ellipse.setData([], [])
            return
        x, y = ellipse.outline()
        self.ellipse.setData(x, y)

    def update_losses(self, ap: Sequence[float], ml: Sequence[float]) -> None:
        if not ap and not self.losses.isVisible():
            return
        self.losses.setData([self.ml_screen_sign * v for v in ml], list(ap))
        self.losses.setVisible(bool(ap))
