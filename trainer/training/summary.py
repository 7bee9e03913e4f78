"""Whole-drill sway without storing the samples: exact running sums of the active phases."""

from __future__ import annotations

from typing import Any

import numpy as np

from trainer.core.sway import prediction_scale


class SwayAccumulator:
    """Running n, Σx, Σy, Σx², Σy², Σxy, Σ in-target: covariance and 95 % prediction ellipse
    (the same constant as ``sway_metrics``) over every active sample, not just a plot window."""

    def __init__(self) -> None:
        self.s = np.zeros(6)
        self.in_target = 0

    def add(self, ap: Any, ml: Any, in_target: Any = None) -> None:
        a = np.asarray(ap, dtype=np.float64)
        m = np.asarray(ml, dtype=np.float64)
        ok = np.isfinite(a) & np.isfinite(m)
        a, m = a[ok], m[ok]
        self.s += (a.size, a.sum(), m.sum(), (a * a).sum(), (m * m).sum(), (a * m).sum())
        if in_target is not None:
            self.in_target += int(np.asarray(in_target, dtype=bool)[ok].sum())

    @property
    def n(self) -> int:
        return int(self.s[0])

    def ellipse_area(self) -> float | None:
        n = self.n
        if n < 4:
            return None
        _, sa, sm, saa, smm, sam = self.s
        caa = (saa - sa * sa / n) / (n - 1)
        cmm = (smm - sm * sm / n) / (n - 1)
        cam = (sam - sa * sm / n) / (n - 1)
        det = max(caa * cmm - cam * cam, 0.0)
        return float(np.pi * prediction_scale(n) * np.sqrt(det))

    def in_target_pct(self) -> float | None:
        return 100.0 * self.in_target / self.n if self.n else None
