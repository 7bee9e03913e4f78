"""Pipeline: streaming in random batch sizes equals one batch; API shape; live metrics."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.core.pipeline import Pipeline, PipelineConfig, analyze
from trainer.core.sway import METRIC_KEYS, sway_metrics
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile


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


@pytest.fixture(scope="module")
def rec400():  # type: ignore[no-untyped-def]
    return simulate(
        SimConfig(seed=12, duration_s=30.0, sample_rate_hz=400.0, balance_loss_times_s=(12.0,),
                  mount_quat_wxyz=(0.8, -0.2, 0.3, 0.4), side="right")
    )


@pytest.mark.parametrize(("fs", "mounted"), [(100.0, False), (100.0, True), (400.0, False),
                                             (400.0, True)])
def test_streaming_equals_one_batch(rec, rec400, fs: float, mounted: bool) -> None:  # type: ignore[no-untyped-def]
    if fs == 400.0:
        rec = rec400
    cal = None
    if mounted:
        cal = CalibrationProfile.neutral()
        cal.mount_quat_wxyz = np.asarray(rec.truth.mount_quat_wxyz)
        cal.gyro_bias_dps = np.array([0.3, -0.2, 0.1])
    config = PipelineConfig(sample_rate_hz=fs, calibration=cal)
    whole = analyze(rec.batch, config)
    _pipe, outs = _stream(rec.batch, config, seed=1)
    for name in ("quat_wxyz", "tilt_ap_deg", "tilt_ml_deg", "gyr_dps", "acc_g"):
        streamed = np.concatenate([getattr(o, name) for o in outs])
        np.testing.assert_allclose(streamed, getattr(whole, name), rtol=0, atol=1e-9,
                                   equal_nan=True, err_msg=name)
    np.testing.assert_array_equal(np.concatenate([o.in_target for o in outs]), whole.in_target)
    streamed_events = [e for o in outs for e in o.events]
    assert len(streamed_events) == len(whole.events) == (2 if fs == 100.0 else 1)
    for a, b in zip(streamed_events, whole.events, strict=True):
        assert a.keys() == b.keys()
        for key in a:
            assert a[key] == pytest.approx(b[key], abs=1e-9)
    # the session metrics are those of the processing-rate tilt that streaming produced
    d = round(fs / whole.tilt_rate_hz)
    ap = np.concatenate([o.tilt_ap_deg for o in outs])[d - 1 :: d]
    ml = np.concatenate([o.tilt_ml_deg for o in outs])[d - 1 :: d]
    ok = np.isfinite(ap)
    again = sway_metrics(ap[ok], ml[ok], whole.tilt_rate_hz)
    assert whole.sway is not None
    for key in METRIC_KEYS:
        assert again[key] == pytest.approx(whole.sway[key], rel=1e-9, abs=1e-12)


def test_processing_blocks_hold_the_latest_completed_block(rec400) -> None:  # type: ignore[no-untyped-def]
    cal = CalibrationProfile.neutral()
    cal.mount_quat_wxyz = np.asarray(rec400.truth.mount_quat_wxyz)
    res = analyze(rec400.batch.slice(0, 2003), PipelineConfig(sample_rate_hz=400.0,
                                                              calibration=cal))
    assert res.tilt_rate_hz == 100.0
    assert np.all(np.isnan(res.tilt_ap_deg[:3])) and np.all(np.isnan(res.quat_wxyz[:3]))
    runs = res.tilt_ap_deg[3:].reshape(-1, 4)  # samples 3..2002: 500 runs of 4
    assert np.all(runs == runs[:, :1])
    assert not np.all(runs[1:, 0] == runs[:-1, 0])
    full = analyze(rec400.batch.slice(0, 2003),
                   PipelineConfig(sample_rate_hz=400.0, calibration=cal, processing_rate_hz=None))
    assert full.tilt_rate_hz == 400.0 and np.all(np.isfinite(full.tilt_ap_deg))
    # blocks of 4 follow the full-rate tilt closely
    assert np.nanmax(np.abs(res.tilt_ap_deg - full.tilt_ap_deg)[400:]) < 0.3
    off = analyze(rec400.batch.slice(0, 2003), PipelineConfig(sample_rate_hz=400.0,
                                                              calibration=cal), offline=True)
    assert np.all(np.isfinite(off.tilt_ap_deg)) and np.all(np.isfinite(off.quat_wxyz))


def test_held_block_quaternions_give_the_same_tilt(rec400) -> None:  # type: ignore[no-untyped-def]
    """``sample_quaternions=False`` (a tilt-only user): the same tilt, in-target and events,
    streamed or not; each sample's quaternion is its block's, held like the tilt."""
    batch = rec400.batch.slice(0, 4003)
    full = analyze(batch, PipelineConfig(sample_rate_hz=400.0))
    config = PipelineConfig(sample_rate_hz=400.0, sample_quaternions=False)
    held = analyze(batch, config)
    _pipe, outs = _stream(batch, config, seed=3)
    for res in (held, outs):
        ap = res.tilt_ap_deg if res is held else np.concatenate([o.tilt_ap_deg for o in res])
        np.testing.assert_allclose(ap, full.tilt_ap_deg, rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_array_equal(held.tilt_ml_deg, full.tilt_ml_deg)
    np.testing.assert_array_equal(held.in_target, full.in_target)
    assert len(held.events) == len(full.events)
    # streamed: runs of 4 samples, each with its block's quaternion (the block's last sample's)
    q = np.concatenate([o.quat_wxyz for o in outs])[3:].reshape(-1, 4, 4)
    assert np.all(q == q[:, :1])
    np.testing.assert_allclose(q[:, 0], full.quat_wxyz[3::4][:q.shape[0]], rtol=0, atol=1e-12)


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


@pytest.mark.parametrize("parts", ["acc", "gyro", "both", "none"])
def test_calibration_equals_profile_apply(rec, parts: str) -> None:  # type: ignore[no-untyped-def]
    cal = CalibrationProfile.neutral()
    if parts in ("acc", "both"):
        cal.acc_offset_g = np.array([0.01, -0.02, 0.005])
        cal.acc_matrix = np.array([[1.01, 0.0, 0.0], [0.002, 0.99, 0.0], [0.0, 0.001, 1.0]])
    if parts in ("gyro", "both"):
        cal.gyro_bias_dps = np.array([0.4, -0.25, 0.15])
    b = rec.batch.slice(0, 300)
    out = Pipeline(PipelineConfig(sample_rate_hz=100.0, calibration=cal)).process(b)
    acc, gyr = cal.apply(b.acc_g, b.gyr_dps)
    np.testing.assert_allclose(out.acc_g, acc, rtol=0, atol=1e-12)
    np.testing.assert_allclose(out.gyr_dps, gyr, rtol=0, atol=1e-12)


@pytest.mark.parametrize("fs", [100.0, 400.0])
def test_lost_samples_keep_their_rotation_and_streaming_still_equals_batch(fs: float) -> None:
    rec = simulate(SimConfig(seed=3, duration_s=40.0, sample_rate_hz=fs, packet_loss=0.1,
                             jitter_s=0.0005, balance_loss_times_s=(20.0,)))
    truth = rec.truth
    cal = CalibrationProfile.neutral()
    cal.mount_quat_wxyz = np.asarray(truth.mount_quat_wxyz)
    cal.gyro_bias_dps = np.asarray(truth.gyro_bias_dps[0])
    config = PipelineConfig(sample_rate_hz=fs, calibration=cal)
    whole = analyze(rec.batch, config)
    err = np.hypot(whole.tilt_ap_deg - truth.tilt_ap_deg, whole.tilt_ml_deg - truth.tilt_ml_deg)
    assert np.sqrt(np.mean(err[int(2 * fs):] ** 2)) < 0.4  # 10 % of the samples lost, in runs
    _pipe, outs = _stream(rec.batch, config, seed=5)
    np.testing.assert_allclose(np.concatenate([o.tilt_ap_deg for o in outs]), whole.tilt_ap_deg,
                               rtol=0, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(np.concatenate([o.quat_wxyz for o in outs]), whole.quat_wxyz,
                               rtol=0, atol=1e-9, equal_nan=True)
