"""Tilt columns for CSV export, from the core pipeline.

``tilt_columns(session)`` returns a per-batch function giving ``tilt_ap_deg``/``tilt_ml_deg``:
the online pipeline (what the dashboard showed live) with the session's calibration, placement
and side. It is stateful, so batches must arrive in order. Values are NaN while the vertical
reference is not known yet (uncalibrated sensors, first moments). Returns None when the pipeline
refuses the session's settings (then the export has the generic columns only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.recording.reader import Session
from trainer.vocab.batch import SampleBatch

TiltFn = Callable[[SampleBatch], Mapping[str, np.ndarray]]


def tilt_columns(session: Session) -> TiltFn | None:
    """Per-batch tilt for ``session``, or None when the pipeline refuses its settings."""
    try:
        pipeline = Pipeline(PipelineConfig(
            sample_rate_hz=session.sample_rate_hz,
            placement=session.placement if session.placement in ("shank", "foot") else "shank",
            side=session.side if session.side in ("left", "right") else "left",
            calibration=session.calibration,
            detect_balance_losses=False,
        ))
    except ValueError:
        return None

    def columns(batch: SampleBatch) -> Mapping[str, np.ndarray]:
        out = pipeline.process(batch)
        return {"tilt_ap_deg": out.tilt_ap_deg, "tilt_ml_deg": out.tilt_ml_deg}

    return columns
