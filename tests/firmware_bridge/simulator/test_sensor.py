"""The sensor model: mounting, errors, quantisation, timing, packet loss."""

from __future__ import annotations

import numpy as np

from firmware_bridge.simulator import SimConfig, quat, simulate
from tests.firmware_bridge.simulator.conftest import ideal

MOUNT = tuple(quat.from_euler_zyx(0.4, -1.1, 2.0).tolist())


def test_mounting_rotation_is_applied_and_recoverable_with_truth() -> None:
    rec = simulate(ideal(seed=2, duration_s=20.0, mount_quat_wxyz=MOUNT))
    tr = rec.truth
    np.testing.assert_allclose(tr.mount_quat_wxyz, MOUNT)
    acc_seg = quat.rotate(tr.mount_quat_wxyz, rec.batch.acc_g)
    acc_earth = quat.rotate(tr.quat_seg_wxyz, acc_seg)
    np.testing.assert_allclose(acc_earth, np.tile([0.0, 0.0, 1.0], (len(tr), 1)), atol=0.02)
    # the raw reading really is in a rotated frame: gravity is far from the sensor's z axis
    assert float(np.mean(rec.batch.acc_g[:, 2])) < 0.6
    # and the segment-frame gravity gives back the true tilt
    g = acc_seg.mean(axis=0)
    tilt_from_acc = np.degrees(np.arctan2(-g[0], g[2]))
    assert abs(tilt_from_acc - float(np.mean(tr.tilt_ap_deg))) < 0.2


def test_gyro_integrates_to_the_true_orientation() -> None:
    rec = simulate(ideal(seed=3, duration_s=10.0, mount_quat_wxyz=MOUNT, sample_rate_hz=200.0))
    tr = rec.truth
    q_mount = tr.mount_quat_wxyz
    q = quat.multiply(tr.quat_seg_wxyz[0], q_mount)
    dt = 1.0 / 200.0
    for w in np.radians(rec.batch.gyr_dps[1:]):
        q = quat.multiply(q, quat.from_axis_angle(w, np.linalg.norm(w) * dt) if np.any(w) else
                          np.array([1.0, 0, 0, 0]))
    q_true = quat.multiply(tr.quat_seg_wxyz[-1], q_mount)
    err = quat.rotation_vector_between(q_true, q)
    assert np.degrees(np.linalg.norm(err)) < 1e-6


def test_quantisation_is_int16_over_the_range() -> None:
    rec = simulate(SimConfig(seed=1, duration_s=5.0))
    acc_counts = rec.batch.acc_g / (16.0 / 32768.0)
    gyr_counts = rec.batch.gyr_dps / (2000.0 / 32768.0)
    np.testing.assert_allclose(acc_counts, np.rint(acc_counts), atol=1e-6)
    np.testing.assert_allclose(gyr_counts, np.rint(gyr_counts), atol=1e-6)
    small = simulate(SimConfig(seed=1, duration_s=5.0, acc_range_g=0.5))
    assert float(np.max(small.batch.acc_g)) <= 0.5  # saturates at +full scale − 1 LSB


def test_gyro_bias_and_drift_are_in_truth() -> None:
    cfg = SimConfig(seed=1, duration_s=60.0, gyro_bias_rw_dps_per_sqrt_s=0.01)
    rec = simulate(cfg)
    bias = rec.truth.gyro_bias_dps
    np.testing.assert_allclose(bias[0], cfg.gyro_bias_dps, atol=0.01)
    assert float(np.max(np.abs(bias[-1] - bias[0]))) > 1e-3  # it drifts
    # the mean gyro reading of a nearly still person is the bias
    np.testing.assert_allclose(rec.batch.gyr_dps.mean(axis=0), bias.mean(axis=0), atol=0.1)


def test_accelerometer_errors_match_the_true_calibration() -> None:
    cfg = ideal(seed=1, duration_s=5.0, acc_offset_g=(0.03, -0.02, 0.05),
                acc_scale=(1.02, 0.97, 1.01), acc_misalignment_rad=(0.01, -0.02, 0.015))
    rec = simulate(cfg)
    clean = simulate(ideal(seed=1, duration_s=5.0)).batch.acc_g
    fixed = (rec.batch.acc_g - rec.truth.acc_offset_g) @ rec.truth.acc_matrix.T
    np.testing.assert_allclose(fixed, clean, atol=1e-12)


def test_packet_loss_shows_as_seq_gaps_and_keeps_the_rest() -> None:
    cfg = SimConfig(seed=9, duration_s=60.0, packet_loss=0.05, loss_run_mean_samples=5.0)
    rec = simulate(cfg)
    lossless = simulate(SimConfig(seed=9, duration_s=60.0))
    seq = rec.batch.seq.astype(np.int64)
    steps = np.diff(seq)
    assert np.all(steps >= 1)
    assert np.count_nonzero(steps > 1) > 10
    lost = 6000 - len(rec.batch)
    assert 0.02 * 6000 < lost < 0.09 * 6000
    # surviving samples are exactly the lossless stream's samples with those seq numbers
    np.testing.assert_array_equal(rec.batch.acc_g, lossless.batch.acc_g[seq])
    np.testing.assert_array_equal(rec.batch.t_s, lossless.batch.t_s[seq])


def test_clock_drift_and_jitter() -> None:
    cfg = SimConfig(seed=2, duration_s=100.0, clock_drift_ppm=200.0, jitter_s=0.001)
    rec = simulate(cfg)
    t_dev, t_true = rec.batch.t_s, rec.truth.t_true_s
    dt = np.diff(t_dev)
    assert np.all(dt > 0)  # jitter never reorders samples
    assert 0.0005 < float(np.std(dt)) < 0.003
    # the device clock runs 200 ppm ahead of true time: 20 ms after 100 s
    slope = np.polyfit(t_true, t_dev, 1)[0]
    assert abs(slope - 1.0002) < 2e-5
