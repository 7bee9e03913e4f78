"""Pipeline: streaming in random batch sizes equals one batch; API shape; live metrics."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.profile import CalibrationProfile
from firmware_bridge.simulator import SimConfig, simulate
from trainer.core.batch import SampleBatch
from trainer.core.pipeline import Pipeline, PipelineConfig, analyze
from trainer.core.sway import METRIC_KEYS, sway_metrics


@pytest.fixture(scope="module")
def rec():  # type: ignore[no-untyped-def]
    return simulate(
        SimConfig(seed=11, duration_s=40.0, sample_rate_hz=100.0, balance_loss_times_s=(15.0, 30.0),
                  mount_quat_wxyz=(0.9, 0.1, -0.3, 0.2))
    )


def _stream(batch: SampleBatch, config: PipelineConfig, seed: int):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    sizes = list(rng.integers(0, 60, size=len(batch)))
    pipe = Pipeline(config)
    outs = [pipe.process(b) for b in batch.split(sizes)]
    return pipe, outs


@pytest.mark.parametrize("mounted", [False, True])
def test_streaming_equals_one_batch(rec, mounted: bool) -> None:  # type: ignore[no-untyped-def]
    cal = None
    if mounted:
        cal = CalibrationProfile.neutral()
        cal.mount_quat_wxyz = np.asarray(rec.truth.mount_quat_wxyz)
    config = PipelineConfig(sample_rate_hz=100.0, calibration=cal)
    whole = analyze(rec.batch, config)
    _pipe, outs = _stream(rec.batch, config, seed=1)
    for name in ("quat_wxyz", "tilt_ap_deg", "tilt_ml_deg", "gyr_dps", "acc_g"):
        streamed = np.concatenate([getattr(o, name) for o in outs])
        np.testing.assert_allclose(streamed, getattr(whole, name), rtol=0, atol=1e-9,
                                   equal_nan=True, err_msg=name)
    np.testing.assert_array_equal(np.concatenate([o.in_target for o in outs]), whole.in_target)
    streamed_events = [e for o in outs for e in o.events]
    assert len(streamed_events) == len(whole.events) == 2
    for a, b in zip(streamed_events, whole.events, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == pytest.approx(b[key], abs=1e-9)
    valid = whole.valid
    again = sway_metrics(
        np.concatenate([o.tilt_ap_deg for o in outs])[valid],
        np.concatenate([o.tilt_ml_deg for o in outs])[valid], 100.0,
    )
    assert whole.sway is not None
    for key in METRIC_KEYS:
        assert again[key] == pytest.approx(whole.sway[key], rel=1e-9, abs=1e-12)


def test_processed_batch_shapes(rec) -> None:  # type: ignore[no-untyped-def]
    pipe = Pipeline(PipelineConfig(sample_rate_hz=100.0))
    out = pipe.process(rec.batch.slice(0, 250))
    assert len(out) == 250
    assert out.quat_wxyz.shape == (250, 4)
    np.testing.assert_allclose(np.linalg.norm(out.quat_wxyz, axis=1), 1.0, atol=1e-9)
    assert out.tilt_ap_deg.shape == out.tilt_ml_deg.shape == out.in_target.shape == (250,)
    assert out.gyr_dps.shape == (250, 3)
    assert out.in_target.dtype == np.bool_
    empty = pipe.process(SampleBatch.empty())
    assert len(empty) == 0 and empty.events == []


def test_live_metrics_use_the_last_window(rec) -> None:  # type: ignore[no-untyped-def]
    config = PipelineConfig(sample_rate_hz=100.0, metrics_window_s=5.0)
    pipe = Pipeline(config)
    assert pipe.live_metrics() is None
    outs = [pipe.process(b) for b in rec.batch.slice(0, 1200).split([10] * 120)]
    live = pipe.live_metrics()
    assert live is not None
    ap = np.concatenate([o.tilt_ap_deg for o in outs])
    ml = np.concatenate([o.tilt_ml_deg for o in outs])
    expected = sway_metrics(ap[-500:], ml[-500:], 100.0)
    assert live == pytest.approx(expected, rel=1e-12)
    # refreshed at most every 0.1 s of sample time: 5 more samples give the cached dict
    pipe.process(rec.batch.slice(1200, 1205))
    assert pipe.live_metrics() is live
    pipe.process(rec.batch.slice(1205, 1215))
    assert pipe.live_metrics() is not live
