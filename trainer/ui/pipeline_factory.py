"""Build the processing pipeline for a source: the core ``Pipeline`` (same code live and replay)."""

from __future__ import annotations

from collections.abc import Callable

from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.ui.live import PipelineLike
from trainer.vocab.calibration import CalibrationProfile


def pipeline_factory(
    sample_rate_hz: float,
    *,
    placement: str = "shank",
    side: str = "left",
    calibration: CalibrationProfile | None = None,
    target_radius_deg: float = 3.0,
) -> Callable[[], PipelineLike]:
    """A zero-argument factory (the live session rebuilds the pipeline after a replay seek)."""
    config = PipelineConfig(sample_rate_hz=sample_rate_hz, placement=placement, side=side,
                            calibration=calibration, target_radius_deg=target_radius_deg)
    return lambda: Pipeline(config)
