"""INTERIM stand-in for ``trainer.core.pipeline.Pipeline`` until it lands (then deleted).

Tilt from the accelerometer only (low-passed), same output fields as ``ProcessedBatch``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from trainer.core.batch import SampleBatch


@dataclass
class InterimBatch:
    t_s: Any
    tilt_ap_deg: Any
    tilt_ml_deg: Any
    gyr_dps: Any
    in_target: Any
    events: list[dict[str, Any]] = field(default_factory=list)


class InterimPipeline:
    def __init__(self, sample_rate_hz: float, target_radius_deg: float = 3.0) -> None:
        self.fs = sample_rate_hz
        self.r = target_radius_deg
        self._ap: list[Any] = []
        self._ml: list[Any] = []

    def process(self, batch: SampleBatch) -> InterimBatch:
        a = batch.acc_g
        ap = np.degrees(np.arctan2(a[:, 0], a[:, 2])) if len(batch) else np.empty(0)
        ml = np.degrees(np.arctan2(a[:, 1], a[:, 2])) if len(batch) else np.empty(0)
        self._ap.append(ap)
        self._ml.append(ml)
        keep = int(self.fs * 10)
        if sum(len(x) for x in self._ap) > 2 * keep:
            self._ap = [np.concatenate(self._ap)[-keep:]]
            self._ml = [np.concatenate(self._ml)[-keep:]]
        return InterimBatch(batch.t_s, ap, ml, batch.gyr_dps, np.hypot(ap, ml) <= self.r)

    def live_metrics(self) -> dict[str, float]:
        ap = np.concatenate(self._ap)[-int(self.fs * 10):] if self._ap else np.empty(0)
        ml = np.concatenate(self._ml)[-int(self.fs * 10):] if self._ml else np.empty(0)
        if ap.size < 4:
            return {}
        ap = ap - ap.mean()
        ml = ml - ml.mean()
        path = float(np.sum(np.hypot(np.diff(ap), np.diff(ml))))
        return {"rms": float(np.sqrt(np.mean(ap**2 + ml**2))),
                "mean_velocity": path / (ap.size / self.fs),
                "ellipse_area": float(np.pi * 5.99 * np.sqrt(np.linalg.det(np.cov([ap, ml]))))}
