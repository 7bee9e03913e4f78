"""Balance-loss detection on losses from an independent model (tests/trainer/core/loss_model.py):
no touchdown jolt needed, few false alarms in quiet stance. The full grid (jolt 0.1-3 g ×
excursion 3-15°) is benchmarks/bench_loss_detection.py."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loss_model import Busy, ModelRecording, _imu, busy_quiet, quiet_sway, session

from tests.external.realtouch import stance_view
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


# ---------------------------------------------------------------------------------------------
# busy variant: real-like stance-leg corrections (benchmarks/bench_loss_detection.py --busy)

def _standout(rec: ModelRecording) -> list[float]:
    out = []
    for loss in rec.losses:
        v = stance_view(rec.t_s, rec.acc_g, rec.gyr_dps, loss.t_touchdown_s)
        assert v is not None
        out.append(v.jolt_g / max(v.before_g, 1e-3))
    return out


def test_busy_touchdowns_stand_out_as_little_as_real_ones() -> None:
    """realtouch's measure (jolt ÷ the same over the 0.3 s before) at the realistic jolts:
    real touchdowns 1.6 (median of 16), the smooth model ~30-80."""
    busy, smooth = [], []
    for jolt, seed in ((0.1, 1), (0.3, 2), (0.1, 3), (0.3, 4)):
        args = (120.0, FS, [15.0, 42.0, 69.0, 96.0], 8.0, jolt, seed)
        busy += _standout(session(*args, busy=Busy()))
        smooth += _standout(session(*args))
    assert 1.0 <= float(np.median(busy)) <= 3.0, np.median(busy)
    assert float(np.median(smooth)) > 10.0


@pytest.mark.parametrize("excursion", [5.0, 11.0])
def test_busy_losses_are_still_losses(excursion: float) -> None:
    """Tilt excursion of the given size from the posture before, then a new posture that
    stands out of the single-leg sway before (≥ 0.75 × its SD)."""
    rec = session(120.0, FS, [15.0, 42.0, 69.0, 96.0], excursion, 0.1, seed=3, busy=Busy())
    ap, ml = rec.tilt_ap_deg, rec.tilt_ml_deg
    for loss in rec.losses:
        i0, td = int(loss.t_onset_s * FS), int(loss.t_touchdown_s * FS)
        pre = slice(i0 - int(5 * FS), i0 - int(1 * FS))  # before the struggle's lead
        p_ap, p_ml = float(np.mean(ap[pre])), float(np.mean(ml[pre]))
        sd = float(np.hypot(np.std(ap[pre]), np.std(ml[pre])))
        peak = float(np.max(np.hypot(ap[i0:td + 50] - p_ap, ml[i0:td + 50] - p_ml)))
        assert 0.75 * loss.excursion_deg < peak < 1.4 * loss.excursion_deg, (peak, loss)
        post = slice(td + int(1 * FS), td + int(3 * FS))  # both feet down
        shift = float(np.hypot(np.mean(ap[post]) - p_ap, np.mean(ml[post]) - p_ml))
        assert shift >= max(0.2 * loss.excursion_deg, 0.75 * sd), (shift, sd, loss)


def test_busy_quiet_stance_keeps_the_single_leg_sway_and_raises_no_alarm() -> None:
    for eyes, lo, hi in (("open", 0.9, 1.4), ("closed", 1.5, 2.3)):
        rec = busy_quiet(5 * 60.0, FS, seed=11, eyes=eyes)
        sd = float(np.hypot(np.std(rec.tilt_ap_deg), np.std(rec.tilt_ml_deg)))
        assert lo <= sd <= hi, (eyes, sd)  # the smooth model's 1.1° / 1.9°
        assert _events(rec) == []
