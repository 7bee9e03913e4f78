"""Tilt columns for CSV export, from the core pipeline (when it is available).

``tilt_columns(session)`` returns a per-batch function giving ``tilt_ap_deg``/``tilt_ml_deg``
(stateful: batches must arrive in order), or None when the pipeline is not installed yet — the
export then has the generic columns only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from trainer.core.batch import SampleBatch
from trainer.recording.reader import Session

TiltFn = Callable[[SampleBatch], Mapping[str, np.ndarray]]


def tilt_columns(session: Session) -> TiltFn | None:
    """Per-batch tilt for ``session`` (its calibration and placement), or None."""
    return None  # wired up once trainer.core.pipeline exposes its streaming API
