"""Sensor orientation with VQF (Laidig & Seel 2023), 6D (no magnetometer: heading arbitrary).

* ``OnlineOrientation`` — causal, live: ``vqf.VQF.updateBatch`` runs the C++ filter over each batch
  and keeps its state between calls, so any batching gives bit-identical quaternions.
* ``offline_orientation`` — non-causal (``vqf.offlineVQF``: forward-backward bias and
  inclination estimation), for replay and ``analyze --offline``.

Units: the core works in g and °/s; VQF wants m/s² and rad/s (converted here). Output quaternions
rotate sensor-frame vectors into an Earth frame with z up (heading arbitrary), ``wxyz``, n×4.
Non-finite samples are neutralised (gyro 0, accelerometer [0,0,0], which VQF skips) so one bad
sample cannot poison the filter state.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import vqf
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

G_MS2 = 9.80665
DEG2RAD = math.pi / 180.0

#: VQF parameters: VQF 2.x's own defaults, chosen on real data (benchmarks/bench_vqf_params.py,
#: README "Orientation"): on the BROAD trials with optical ground truth the defaults give 0.55°
#: online inclination RMSE; the earlier simulator-tuned set (tauAcc 1.5 s, restThGyr 1 °/s) gave
#: 0.65° (1.18×; 0.91° vs 0.30° on the translation trial), and no variation tried beat the
#: defaults by more than the noise between trials (tauAcc 2-4 s: 1.04-1.05×, restThGyr 1-3: 1.00×).
ONLINE_PARAMS: dict[str, Any] = {}
OFFLINE_PARAMS: dict[str, Any] = {}


def _to_vqf_units(acc_g: FloatArray, gyr_dps: FloatArray) -> tuple[FloatArray, FloatArray]:
    acc = np.asarray(acc_g, dtype=np.float64) * G_MS2
    gyr = np.asarray(gyr_dps, dtype=np.float64) * DEG2RAD
    bad = ~(np.isfinite(acc).all(axis=1) & np.isfinite(gyr).all(axis=1))
    if bad.any():
        acc[bad] = 0.0
        gyr[bad] = 0.0
    return np.ascontiguousarray(acc), np.ascontiguousarray(gyr)


class OnlineOrientation:
    """Causal 6D VQF whose state carries over between batches."""

    def __init__(self, sample_rate_hz: float, **params: Any) -> None:
        if not (math.isfinite(sample_rate_hz) and sample_rate_hz > 0):
            raise ValueError(f"sample rate must be positive, got {sample_rate_hz!r}")
        self.sample_rate_hz = float(sample_rate_hz)
        self._params = {**ONLINE_PARAMS, **params}
        self._vqf = vqf.VQF(1.0 / self.sample_rate_hz, **self._params)

    def __deepcopy__(self, memo: dict[int, Any]) -> OnlineOrientation:
        """A copy with the filter's whole state (VQF's C++ object cannot be pickled; its
        ``state`` can): replay keyframes are deep copies of the pipeline."""
        new = OnlineOrientation(self.sample_rate_hz, **self._params)
        new._vqf.state = copy.deepcopy(self._vqf.state, memo)
        return new

    def update(self, acc_g: FloatArray, gyr_dps: FloatArray) -> FloatArray:
        """Quaternions (n×4, sensor → Earth z-up) after each sample of the batch."""
        if acc_g.shape[0] == 0:
            return np.empty((0, 4))
        acc, gyr = _to_vqf_units(acc_g, gyr_dps)
        out: FloatArray = self._vqf.updateBatch(gyr, acc)["quat6D"]
        return out

    def bias_dps(self) -> FloatArray:
        """Current gyroscope bias estimate (°/s)."""
        bias, _sigma = self._vqf.getBiasEstimate()
        out: FloatArray = np.asarray(bias, dtype=np.float64) / DEG2RAD
        return out

    @property
    def rest_detected(self) -> bool:
        return bool(self._vqf.getRestDetected())


def offline_orientation(
    acc_g: FloatArray, gyr_dps: FloatArray, sample_rate_hz: float, **params: Any
) -> FloatArray:
    """Non-causal 6D VQF over a whole recording (n×4, sensor → Earth z-up)."""
    if acc_g.shape[0] == 0:
        return np.empty((0, 4))
    acc, gyr = _to_vqf_units(acc_g, gyr_dps)
    merged = {**OFFLINE_PARAMS, **params}
    out: FloatArray = vqf.offlineVQF(gyr, acc, None, 1.0 / float(sample_rate_hz), merged or None)[
        "quat6D"
    ]
    return out
