"""The processing pipeline (stable API for the UI, recorder, drills and ``analyze``).

``Pipeline(PipelineConfig(...)).process(batch)`` runs, per batch and with state carried over:
calibration (``CalibrationProfile.apply``) → orientation (online VQF) → anatomical tilt → target
zone → balance-loss events, and keeps a sliding window for ``live_metrics()``.
``analyze(batch, config, offline=False)`` runs the same stages over a whole recording; with
``offline=False`` it is exactly what streaming the recording batch by batch gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from calibration.profile import CalibrationProfile
from trainer.core.batch import SampleBatch
from trainer.core.events import BalanceLossDetector, EventConfig, LossSummary, summarize
from trainer.core.orientation import OnlineOrientation, offline_orientation
from trainer.core.sway import MIN_SAMPLES, sway_metrics
from trainer.core.tilt import TiltEstimator, strapping_text

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class PipelineConfig:
    """What the pipeline needs to know about the recording and the feedback wanted.

    ``calibration``: the profile applied to raw samples (None: raw values used as they are); its
    mounting quaternion, when present, defines the segment frame. ``strapping``: the convention
    used without a mounting (None: ``front`` on the shank, ``top`` on the foot; see
    ``trainer.core.tilt.STRAPPINGS``). ``target_radius_deg`` around ``target_center_deg``
    (AP, ML) is the zone counted as "in target". ``detect_balance_losses``: run the balance-loss
    detector (off for drills whose movements are not losses, e.g. calf raises).
    ``metrics_window_s``: live sway window; ``metrics_refresh_s``: live metrics are recomputed at
    most this often (sample time).
    """

    sample_rate_hz: float
    placement: str = "shank"
    side: str = "left"
    calibration: CalibrationProfile | None = None
    target_radius_deg: float = 3.0
    target_center_deg: tuple[float, float] = (0.0, 0.0)
    metrics_window_s: float = 10.0
    metrics_refresh_s: float = 0.1
    strapping: str | None = None
    detect_balance_losses: bool = True
    events: EventConfig = field(default_factory=EventConfig)
    vqf_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sample_rate_hz) and self.sample_rate_hz > 0):
            raise ValueError(f"sample_rate_hz must be positive, got {self.sample_rate_hz!r}")
        if not (self.target_radius_deg > 0 and self.metrics_window_s > 0):
            raise ValueError("target_radius_deg and metrics_window_s must be positive")

    @property
    def mount_quat_wxyz(self) -> FloatArray | None:
        cal = self.calibration
        return None if cal is None else cal.mount_quat_wxyz

    @property
    def strapping_text(self) -> str:
        """How the sensor is assumed to be strapped when there is no mounting calibration."""
        return strapping_text(self.placement, self.strapping)


@dataclass(frozen=True)
class ProcessedBatch:
    """Per-sample outputs of one batch (n rows) and the events detected in it.

    ``quat_wxyz``: sensor → Earth (z up, heading arbitrary). ``tilt_*_deg``: anatomical tilt (NaN
    while the vertical reference is not known yet, uncalibrated only). ``gyr_dps`` / ``acc_g``:
    calibrated, in the segment frame when a mounting is known, else the sensor frame.
    ``events``: dicts ``{"t_s", "type": "balance_loss", "kind", "t_detected_s", …}``; ``t_s`` is
    the estimated onset and may lie in an earlier batch.
    """

    t_s: FloatArray
    quat_wxyz: FloatArray
    tilt_ap_deg: FloatArray
    tilt_ml_deg: FloatArray
    gyr_dps: FloatArray
    acc_g: FloatArray
    in_target: BoolArray
    events: list[dict[str, Any]]

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


class _Window:
    """Last ``size`` finite tilt samples (amortised O(1) append, contiguous view)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._buf = np.empty((2, 2 * size))
        self._n = 0

    def append(self, ap: FloatArray, ml: FloatArray) -> None:
        ok = np.isfinite(ap) & np.isfinite(ml)
        if not ok.all():
            ap, ml = ap[ok], ml[ok]
        m = ap.shape[0]
        if m >= self.size:
            self._buf[0, : self.size] = ap[-self.size :]
            self._buf[1, : self.size] = ml[-self.size :]
            self._n = self.size
            return
        if self._n + m > self._buf.shape[1]:
            keep = self.size - m
            self._buf[:, :keep] = self._buf[:, self._n - keep : self._n]
            self._n = keep
        self._buf[0, self._n : self._n + m] = ap
        self._buf[1, self._n : self._n + m] = ml
        self._n += m

    def view(self) -> FloatArray:
        lo = max(0, self._n - self.size)
        out: FloatArray = self._buf[:, lo : self._n]
        return out


class Pipeline:
    """Stateful batch processor: ``process(batch) -> ProcessedBatch``; ``live_metrics()``."""

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        fs = config.sample_rate_hz
        self.orientation = OnlineOrientation(fs, **config.vqf_params)
        self.tilt = TiltEstimator(
            fs, config.placement, config.side, config.mount_quat_wxyz, config.strapping
        )
        self.detector = BalanceLossDetector(fs, config.events)
        self._window = _Window(max(MIN_SAMPLES, round(config.metrics_window_s * fs)))
        self._min_live = max(MIN_SAMPLES, round(min(1.0, config.metrics_window_s) * fs))
        self._t_last = -math.inf
        self._t_refresh = -math.inf
        self._metrics: dict[str, float] | None = None
        self.n_samples = 0

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event detected so far."""
        return self.detector.events

    def _calibrate(self, batch: SampleBatch) -> tuple[FloatArray, FloatArray]:
        cal = self.config.calibration
        if cal is None:
            return batch.acc_g, batch.gyr_dps
        return cal.apply(batch.acc_g, batch.gyr_dps)

    def process(self, batch: SampleBatch) -> ProcessedBatch:
        acc, gyr = self._calibrate(batch)
        quat = self.orientation.update(acc, gyr)
        return self._finish(batch.t_s, quat, acc, gyr)

    def _finish(
        self, t_s: FloatArray, quat: FloatArray, acc: FloatArray, gyr: FloatArray
    ) -> ProcessedBatch:
        ap, ml = self.tilt.update(quat, acc, gyr)
        events = (
            self.detector.update(t_s, acc, ap, ml) if self.config.detect_balance_losses else []
        )
        cx, cy = self.config.target_center_deg
        r = self.config.target_radius_deg
        in_target = (ap - cx) ** 2 + (ml - cy) ** 2 <= r * r  # NaN compares False
        if self.tilt.calibrated and self.tilt.matrix is not None:
            gyr = self.tilt.to_segment(gyr)
            acc = self.tilt.to_segment(acc)
        if t_s.shape[0]:
            self._window.append(ap, ml)
            self._t_last = float(t_s[-1])
            self.n_samples += int(t_s.shape[0])
        return ProcessedBatch(t_s, quat, ap, ml, gyr, acc, in_target, events)

    def live_metrics(self) -> dict[str, float] | None:
        """``sway_metrics`` over the last ``metrics_window_s`` of valid tilt (refreshed at most
        every ``metrics_refresh_s`` of sample time), or None with less than 1 s of data."""
        if self._t_last - self._t_refresh < self.config.metrics_refresh_s:
            return self._metrics
        win = self._window.view()
        if win.shape[1] < self._min_live:
            return None
        self._t_refresh = self._t_last
        self._metrics = sway_metrics(win[0], win[1], self.config.sample_rate_hz)
        return self._metrics


@dataclass(frozen=True)
class AnalysisResult:
    """A whole recording analysed: per-sample series, sway metrics, events and their summary."""

    t_s: FloatArray
    quat_wxyz: FloatArray
    tilt_ap_deg: FloatArray
    tilt_ml_deg: FloatArray
    gyr_dps: FloatArray
    acc_g: FloatArray
    in_target: BoolArray
    events: list[dict[str, Any]]
    sway: dict[str, float] | None  # None: too little valid tilt
    summary: LossSummary
    duration_s: float
    sample_rate_hz: float
    offline: bool
    calibrated_mounting: bool
    strapping_text: str

    @property
    def valid(self) -> BoolArray:
        out: BoolArray = np.isfinite(self.tilt_ap_deg) & np.isfinite(self.tilt_ml_deg)
        return out


def analyze(batch: SampleBatch, config: PipelineConfig, offline: bool = False) -> AnalysisResult:
    """Analyse a whole recording. ``offline=False`` equals streaming it through ``Pipeline``;
    ``offline=True`` uses non-causal orientation (offline VQF) and takes the vertical reference
    (uncalibrated mounting) from the first quiet second anywhere, so no sample lacks a tilt."""
    pipe = Pipeline(config)
    if offline:
        acc, gyr = pipe._calibrate(batch)
        quat = offline_orientation(acc, gyr, config.sample_rate_hz, **config.vqf_params)
        pipe.tilt.fit_reference(quat, acc, gyr)
        out = pipe._finish(batch.t_s, quat, acc, gyr)
    else:
        out = pipe.process(batch)
    return _result(out, config, offline, pipe.tilt.calibrated)


def _result(
    out: ProcessedBatch, config: PipelineConfig, offline: bool, calibrated: bool
) -> AnalysisResult:
    fs = config.sample_rate_hz
    valid = np.isfinite(out.tilt_ap_deg) & np.isfinite(out.tilt_ml_deg)
    sway: dict[str, float] | None = None
    if int(valid.sum()) >= max(MIN_SAMPLES, round(fs)):
        sway = sway_metrics(out.tilt_ap_deg[valid], out.tilt_ml_deg[valid], fs)
    n = len(out)
    t0 = float(out.t_s[0]) if n else 0.0
    duration = float(out.t_s[-1] - out.t_s[0]) + 1.0 / fs if n else 0.0
    return AnalysisResult(
        t_s=out.t_s,
        quat_wxyz=out.quat_wxyz,
        tilt_ap_deg=out.tilt_ap_deg,
        tilt_ml_deg=out.tilt_ml_deg,
        gyr_dps=out.gyr_dps,
        acc_g=out.acc_g,
        in_target=out.in_target,
        events=out.events,
        sway=sway,
        summary=summarize(out.events, t0, out.in_target, valid, config.target_radius_deg),
        duration_s=duration,
        sample_rate_hz=fs,
        offline=offline,
        calibrated_mounting=calibrated,
        strapping_text=config.strapping_text,
    )
