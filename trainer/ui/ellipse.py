"""The 95 % prediction ellipse of a sway trace as a drawable outline (pure numpy/scipy).

Same definition as ``sway_metrics``' ``ellipse_area`` (DESIGN.md: Chew 1966; Schubert & Kirchner
2014): the ellipse of the sample covariance ``S`` (N−1) scaled by
``k² = F₀.₉₅(2, N−2) · 2(N−1)(N+1)/(N(N−2))``, so its area is π·k²·√det(S).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray


@lru_cache(maxsize=4096)
def _k2(n: int) -> float:
    from trainer.core.sway import prediction_scale

    return prediction_scale(n)


@dataclass(frozen=True)
class Ellipse:
    centre: tuple[float, float]  # (x, y)
    semi_axes: tuple[float, float]  # major, minor
    angle_rad: float  # of the major axis from +x
    area: float

    def outline(self, n_points: int = 64) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Closed outline (x, y) with ``n_points + 1`` vertices."""
        t = np.linspace(0.0, 2 * np.pi, n_points + 1)
        a, b = self.semi_axes
        c, s = np.cos(self.angle_rad), np.sin(self.angle_rad)
        x0 = a * np.cos(t)
        y0 = b * np.sin(t)
        return self.centre[0] + c * x0 - s * y0, self.centre[1] + s * x0 + c * y0


def prediction_ellipse(x: NDArray[np.float64], y: NDArray[np.float64]) -> Ellipse | None:
    """95 % prediction ellipse of the points (x, y); None with fewer than 4 finite points."""
    ok = np.isfinite(x) & np.isfinite(y)
    xs, ys = np.asarray(x)[ok], np.asarray(y)[ok]
    n = xs.shape[0]
    if n < 4:
        return None
    cov = np.cov(np.vstack([xs, ys]))
    evals, evecs = np.linalg.eigh(cov)
    evals = np.clip(evals, 0.0, None)
    k2 = _k2(n)
    major, minor = np.sqrt(k2 * evals[1]), np.sqrt(k2 * evals[0])
    angle = float(np.arctan2(evecs[1, 1], evecs[0, 1]))
    area = float(np.pi * k2 * np.sqrt(max(np.linalg.det(cov), 0.0)))
    return Ellipse((float(xs.mean()), float(ys.mean())), (float(major), float(minor)), angle, area)
