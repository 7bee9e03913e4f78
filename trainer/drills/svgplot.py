"""Small self-contained SVG charts for the HTML reports (no network assets, no plotting library).

Each function returns one ``<svg>`` element as a string (well-formed XML, inline styles). Long
series are reduced to a min/max envelope per pixel column so peaks survive.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
FONT = "font-family:sans-serif;font-size:11px"


@dataclass(frozen=True)
class Frame:
    """Plot area and data ranges; maps data to pixels."""

    width: int
    height: int
    x0: float
    x1: float
    y0: float
    y1: float
    left: int = 48
    right: int = 12
    top: int = 14
    bottom: int = 30

    def px(self, x: ArrayLike) -> np.ndarray:
        span = (self.x1 - self.x0) or 1.0
        w = self.width - self.left - self.right
        return self.left + (np.asarray(x, dtype=np.float64) - self.x0) / span * w

    def py(self, y: ArrayLike) -> np.ndarray:
        span = (self.y1 - self.y0) or 1.0
        h = self.height - self.top - self.bottom
        return self.top + h - (np.asarray(y, dtype=np.float64) - self.y0) / span * h


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + 1e-9 * step:
        out.append(round(v, 10))
        v += step
    return out


def _fmt(v: float) -> str:
    return f"{v:g}" if abs(v) >= 0.01 or v == 0 else f"{v:.2g}"


def envelope(x: ArrayLike, y: ArrayLike, max_points: int = 1200) -> tuple[np.ndarray, np.ndarray]:
    """Min/max per bucket (keeps peaks) when there are more than ``max_points`` samples."""
    xa = np.asarray(x, dtype=np.float64)
    ya = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(xa) & np.isfinite(ya)
    xa, ya = xa[ok], ya[ok]
    n = xa.size
    if n <= max_points:
        return xa, ya
    buckets = max_points // 2
    edges = np.linspace(0, n, buckets + 1).astype(int)
    xs, ys = [], []
    for a, b in itertools.pairwise(edges):
        if b <= a:
            continue
        seg = ya[a:b]
        i, j = int(np.argmin(seg)), int(np.argmax(seg))
        for k in sorted((i, j)):
            xs.append(xa[a + k])
            ys.append(seg[k])
    return np.asarray(xs), np.asarray(ys)


def _axes(f: Frame, xlabel: str, ylabel: str,
          x_ticks: Sequence[float] | None = None) -> list[str]:
    out = []
    x_left, x_right = f.left, f.width - f.right
    y_top, y_bot = f.top, f.height - f.bottom
    out.append(f'<rect x="{x_left}" y="{y_top}" width="{x_right - x_left}" '
               f'height="{y_bot - y_top}" fill="#ffffff" stroke="#999999" stroke-width="1"/>')
    for v in nice_ticks(f.y0, f.y1):
        y = float(f.py(v))
        out.append(f'<line x1="{x_left}" y1="{y:.1f}" x2="{x_right}" y2="{y:.1f}" '
                   f'stroke="#eeeeee" stroke-width="1"/>')
        out.append(f'<text x="{x_left - 4}" y="{y + 4:.1f}" text-anchor="end" '
                   f'style="{FONT}">{escape(_fmt(v))}</text>')
    for v in (nice_ticks(f.x0, f.x1, 8) if x_ticks is None else x_ticks):
        x = float(f.px(v))
        out.append(f'<line x1="{x:.1f}" y1="{y_bot}" x2="{x:.1f}" y2="{y_bot + 4}" '
                   f'stroke="#999999" stroke-width="1"/>')
        out.append(f'<text x="{x:.1f}" y="{y_bot + 15}" text-anchor="middle" '
                   f'style="{FONT}">{escape(_fmt(v))}</text>')
    out.append(f'<text x="{(x_left + x_right) / 2:.1f}" y="{f.height - 3}" '
               f'text-anchor="middle" style="{FONT}">{escape(xlabel)}</text>')
    out.append(f'<text x="12" y="{(y_top + y_bot) / 2:.1f}" text-anchor="middle" '
               f'transform="rotate(-90 12 {(y_top + y_bot) / 2:.1f})" '
               f'style="{FONT}">{escape(ylabel)}</text>')
    return out


def _polyline(f: Frame, x: np.ndarray, y: np.ndarray, color: str, width: float = 1.2,
              dash: str | None = None) -> str:
    if x.size == 0:
        return ""
    pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(f.px(x), f.py(y), strict=True))
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<polyline points="{pts}" fill="none" stroke="{color}" '
            f'stroke-width="{width}"{d}/>')


def _legend(f: Frame, names: Sequence[str]) -> list[str]:
    out = []
    x = f.left + 8
    for i, name in enumerate(names):
        c = PALETTE[i % len(PALETTE)]
        out.append(f'<line x1="{x}" y1="{f.top + 10}" x2="{x + 16}" y2="{f.top + 10}" '
                   f'stroke="{c}" stroke-width="2"/>')
        out.append(f'<text x="{x + 20}" y="{f.top + 14}" style="{FONT}">{escape(name)}</text>')
        x += 28 + 7 * len(name)
    return out


def _ylim(values: Sequence[np.ndarray], pad: float = 0.08) -> tuple[float, float]:
    finite = [v[np.isfinite(v)] for v in values if v.size]
    finite = [v for v in finite if v.size]
    if not finite:
        return 0.0, 1.0
    lo = float(min(np.min(v) for v in finite))
    hi = float(max(np.max(v) for v in finite))
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    return lo - pad * span, hi + pad * span


def time_series(t: ArrayLike, series: dict[str, ArrayLike], *, xlabel: str = "time (s)",
                ylabel: str = "", width: int = 760, height: int = 240,
                bands: Sequence[tuple[float, float, str]] = (),
                marks: Sequence[tuple[float, str, str]] = (), title: str = "") -> str:
    """Lines over time; ``bands`` (t0, t1, colour) shade intervals, ``marks`` (t, colour, label)
    draw vertical markers."""
    ta = np.asarray(t, dtype=np.float64)
    reduced = {k: envelope(ta, v) for k, v in series.items()}
    x0 = float(ta[0]) if ta.size else 0.0
    x1 = float(ta[-1]) if ta.size else 1.0
    y0, y1 = _ylim([v[1] for v in reduced.values()])
    f = Frame(width, height, x0, x1 if x1 > x0 else x0 + 1, y0, y1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title or ylabel)}">']
    parts += _axes(f, xlabel, ylabel)
    for a, b, color in bands:
        xa, xb = float(f.px(max(a, x0))), float(f.px(min(b, f.x1)))
        if xb > xa:
            parts.append(f'<rect x="{xa:.1f}" y="{f.top}" width="{xb - xa:.1f}" '
                         f'height="{height - f.top - f.bottom}" fill="{color}" '
                         f'fill-opacity="0.15"/>')
    for i, (_name, (x, y)) in enumerate(reduced.items()):
        parts.append(_polyline(f, x, y, PALETTE[i % len(PALETTE)]))
    for tm, color, label in marks:
        if x0 <= tm <= f.x1:
            x_mark = float(f.px(tm))
            parts.append(f'<line x1="{x_mark:.1f}" y1="{f.top}" x2="{x_mark:.1f}" '
                         f'y2="{height - f.bottom}" stroke="{color}" stroke-width="1" '
                         f'stroke-dasharray="3,2"><title>{escape(label)}</title></line>')
    parts += _legend(f, list(series))
    parts.append("</svg>")
    return "".join(parts)


def sway_trace(ap: ArrayLike, ml: ArrayLike, *, size: int = 300, target_deg: float | None = None,
               title: str = "sway trace") -> str:
    """ML (x) against AP (y) in degrees, means removed, equal axes; optional target circle."""
    a = np.asarray(ap, dtype=np.float64)
    m = np.asarray(ml, dtype=np.float64)
    ok = np.isfinite(a) & np.isfinite(m)
    a, m = a[ok], m[ok]
    if a.size:
        a, m = a - a.mean(), m - m.mean()
    if a.size > 3000:
        step = math.ceil(a.size / 3000)
        a, m = a[::step], m[::step]
    lim = float(max(np.max(np.abs(a)) if a.size else 1.0, np.max(np.abs(m)) if m.size else 1.0,
                    target_deg or 0.0, 0.5)) * 1.1
    f = Frame(size, size, -lim, lim, -lim, lim, left=40, right=10, top=10, bottom=30)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
             f'viewBox="0 0 {size} {size}" role="img" aria-label="{escape(title)}">']
    parts += _axes(f, "medio-lateral (deg)", "antero-posterior (deg)")
    if target_deg:
        cx, cy = float(f.px(0.0)), float(f.py(0.0))
        r = float(f.px(target_deg)) - cx
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="none" '
                     f'stroke="#2ca02c" stroke-dasharray="4,3"/>')
    parts.append(_polyline(f, m, a, PALETTE[0], width=0.8))
    parts.append("</svg>")
    return "".join(parts)


def timeline(items: Sequence[dict[str, Any]], t0: float, t1: float, *, width: int = 760,
             height: int = 150, ylabel: str = "amplitude (deg)", title: str = "timeline") -> str:
    """Rep bars (``{"t": …, "value": …}``) and hold spans (``{"t0": …, "t1": …, "label": …}``)."""
    bars = [i for i in items if "t" in i]
    spans = [i for i in items if "t0" in i]
    top = max([float(b["value"]) for b in bars] + [1.0]) * 1.15
    f = Frame(width, height, t0, t1 if t1 > t0 else t0 + 1, 0.0, top)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}">']
    parts += _axes(f, "time (s)", ylabel if bars else "")
    for s in spans:
        xa, xb = float(f.px(s["t0"])), float(f.px(s["t1"]))
        y = f.top + 8
        color = s.get("color", PALETTE[2])
        parts.append(f'<rect x="{xa:.1f}" y="{y}" width="{max(xb - xa, 1):.1f}" '
                     f'height="{height - f.top - f.bottom - 16}" fill="{color}" '
                     f'fill-opacity="0.35"><title>{escape(str(s.get("label", "")))}</title></rect>')
        if s.get("label"):
            parts.append(f'<text x="{(xa + xb) / 2:.1f}" y="{y + 14}" text-anchor="middle" '
                         f'style="{FONT}">{escape(str(s["label"]))}</text>')
    base = float(f.py(0.0))
    for b in bars:
        x = float(f.px(b["t"]))
        y_top = float(f.py(b["value"]))
        parts.append(f'<line x1="{x:.1f}" y1="{base:.1f}" x2="{x:.1f}" y2="{y_top:.1f}" '
                     f'stroke="{b.get("color", PALETTE[0])}" stroke-width="3">'
                     f'<title>{escape(str(b.get("label", "")))}</title></line>')
    parts.append("</svg>")
    return "".join(parts)


def progress_chart(points: Sequence[tuple[str, float]], *, ylabel: str, width: int = 640,
                   height: int = 200, reference: float | None = None,
                   reference_label: str = "") -> str:
    """A metric over sessions (x: session number, labelled with the date in a tooltip)."""
    n = len(points)
    ys = np.array([p[1] for p in points], dtype=np.float64)
    vals = [ys] + ([np.array([reference])] if reference is not None else [])
    y0, y1 = _ylim(vals)
    y0 = min(y0, 0.0) if np.all(ys >= 0) else y0
    f = Frame(width, height, 0.5, max(n, 1) + 0.5, y0, y1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(ylabel)}">']
    step = max(1, math.ceil(n / 12))
    parts += _axes(f, "session", ylabel, x_ticks=list(range(1, n + 1, step)))
    if reference is not None:
        y = float(f.py(reference))
        parts.append(f'<line x1="{f.left}" y1="{y:.1f}" x2="{width - f.right}" y2="{y:.1f}" '
                     f'stroke="#ff7f0e" stroke-dasharray="6,3"/>')
        parts.append(f'<text x="{width - f.right - 4}" y="{y - 4:.1f}" text-anchor="end" '
                     f'style="{FONT}">{escape(reference_label)}</text>')
    xs = np.arange(1, n + 1, dtype=np.float64)
    parts.append(_polyline(f, xs, ys, PALETTE[0], width=1.5))
    for (label, v), x in zip(points, xs, strict=True):
        parts.append(f'<circle cx="{float(f.px(x)):.1f}" cy="{float(f.py(v)):.1f}" r="3.5" '
                     f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(_fmt(v))}</title>'
                     f'</circle>')
    parts.append("</svg>")
    return "".join(parts)
