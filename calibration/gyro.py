"""Gyroscope bias from the still parts of a recording (``trainer.core.stillness.gyro_bias``, the
estimator the drills use too, with a table's thresholds).

At rest a gyroscope should read zero; its mean over the still samples is the bias. Refuses (with a
reason the user can act on) when too little of the recording was still.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from calibration.errors import CalibrationError
from trainer.core.stillness import TABLE, StillnessThresholds, gyro_bias

FloatArray = NDArray[np.float64]

MIN_STILL_S = 5.0


@dataclass(frozen=True, slots=True)
class GyroBiasResult:
    """The bias and how it was measured (noise is the per-axis std of the still samples)."""

    bias_dps: FloatArray
    noise_dps: FloatArray
    still_s: float
    total_s: float

    def quality(self) -> dict[str, Any]:
        return {
            "still_s": round(self.still_s, 2),
            "noise_dps": [round(float(v), 4) for v in self.noise_dps],
        }


def estimate_gyro_bias(
    t_s: FloatArray,
    acc_g: FloatArray,
    gyr_dps: FloatArray,
    *,
    thresholds: StillnessThresholds = TABLE,
    min_still_s: float = MIN_STILL_S,
) -> GyroBiasResult:
    """Mean gyroscope reading over the still samples (raises :class:`CalibrationError` when the
    sensor moved too much to leave ``min_still_s`` seconds of rest)."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.shape[0] < 10:
        raise CalibrationError("too few samples for a gyroscope bias; record at least 10 s")
    est = gyro_bias(t, gyr_dps, acc_g, thresholds, min_run_s=1.0)
    if est.still_s < min_still_s:
        raise CalibrationError(
            f"the sensor moved: only {est.still_s:.1f} s of {est.total_s:.1f} s were still "
            f"(need {min_still_s:.0f} s); lay it on a table, do not touch it, and repeat"
        )
    return GyroBiasResult(est.bias_dps, est.noise_dps, est.still_s, est.total_s)
