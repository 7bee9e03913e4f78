"""Balance-loss detection on losses from an independent model (tests/trainer/core/loss_model.py):
no touchdown jolt needed, few false alarms in quiet stance. The full grid (jolt 0.1-3 g ×
excursion 3-15°) is benchmarks/bench_loss_detection.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loss_model import ModelRecording, _imu, quiet_sway, session

from trainer.core.pipeline import PipelineConfig, analyze
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile

FS = 100.0


def _events(rec: ModelRecording) -> list[dict[str, float]]:
    cal = CalibrationProfile.neutral()
    cal.mount_quat_wxyz = np.array([1.0, 0.0, 0.0, 0.0])
    res = analyze(SampleBatch.from_arrays(rec.t_s, rec.acc_g, rec.gyr_dps),
                  PipelineConfig(sample_rate_hz=FS, calibration=cal))
    return [e for e in res.events if e["type"] == "balance_loss"]


def test_the_model_is_what_the_pipeline_measures() -> None:
    rec = session(60.0, FS, [30.0], 8.0, 0.1, seed=1)
    cal = CalibrationProfile.neutral()
    cal.mount_quat_wxyz = np.array([1.0, 0.0, 0.0, 0.0])
    res = analyze(SampleBatch.from_arrays(rec.t_s, rec.acc_g, rec.gyr_dps),
                  PipelineConfig(sample_rate_hz=FS, calibration=cal))
    err = np.hypot(res.tilt_ap_deg - rec.tilt_ap_deg, res.tilt_ml_deg - rec.tilt_ml_deg)
    assert float(np.sqrt(np.nanmean(err[300:] ** 2))) < 0.5


@pytest.mark.parametrize("excursion", [5.0, 8.0])
def test_losses_without_a_touchdown_jolt_are_found(excursion: float) -> None:
    found = total = extra = 0
    for seed, eyes in ((1, "open"), (2, "closed")):
        rec = session(120.0, FS, [15.0, 42.0, 69.0, 96.0], excursion, 0.1, seed, eyes)
        ev = _events(rec)
        free = list(ev)
        for loss in rec.losses:
            hit = [e for e in free if loss.t_onset_s - 1.0 <= e["t_s"] <= loss.t_touchdown_s + 0.5]
            if hit:
                free.remove(hit[0])
                found += 1
                assert hit[0]["t_detected_s"] - loss.t_touchdown_s < 5.0  # settle: median ~2 s
        total += len(rec.losses)
        extra += len(free)
    assert found >= total - 1 and extra <= 1, (found, total, extra)


def test_quiet_stance_of_the_model_raises_no_alarm() -> None:
    rng = np.random.default_rng(5)
    n = int(10 * 60 * FS)
    ap, ml = quiet_sway(n, FS, rng, "closed")
    acc, gyr = _imu(ap, ml, FS, rng)
    assert _events(ModelRecording(np.arange(n) / FS, acc, gyr, ap, ml, FS)) == []
