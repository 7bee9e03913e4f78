"""The rep angle takes the gyro bias off from the still stretch a set starts with."""

from __future__ import annotations

import numpy as np

from trainer.drills.axis import AxisAngle, leading_still_bias


def _set(bias: np.ndarray, still_s: float = 1.5, fs: float = 100.0, seed: int = 0
         ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Still, then 6 reps of 8° about the sensor's y (2 s each), with a constant bias."""
    rng = np.random.default_rng(seed)
    t = np.arange(int((still_s + 12.0) * fs)) / fs
    move = np.clip(t - still_s, 0.0, None)
    angle = 4.0 * (1.0 - np.cos(2 * np.pi * move / 2.0)) * (move < 12.0)
    gyr = np.zeros((t.size, 3))
    gyr[:, 1] = np.gradient(angle, t)
    gyr += bias + rng.normal(0.0, 0.1, gyr.shape)
    up = np.tile([0.0, 0.0, 1.0], (t.size, 1))  # the axis is horizontal: first-excursion sign
    return t, gyr, up


def test_bias_from_the_leading_still_stretch() -> None:
    bias = np.array([0.4, -0.6, 0.3])
    t, gyr, _ = _set(bias)
    est = leading_still_bias(t[:150], gyr[:150], 100.0)
    assert est is not None and np.allclose(est, bias, atol=0.05)
    assert leading_still_bias(t[150:], gyr[150:], 100.0) is None  # starts moving: no estimate


def test_rep_angle_without_drift_and_the_same_in_any_batches() -> None:
    bias = np.array([0.4, -0.6, 0.3])
    t, gyr, up = _set(bias)
    whole = AxisAngle(100.0, "first", 1.0, 20.0)
    _, ang = whole.update(t, gyr, up)
    assert whole.bias_dps is not None and np.allclose(whole.bias_dps, bias, atol=0.05)
    # as if the bias were known; without it the leaky integral settles 0.6 °/s × 8 s off
    _, exact = AxisAngle(100.0, "first", 1.0, 20.0, bias_dps=bias).update(t, gyr, up)
    assert np.max(np.abs(ang - exact)) < 0.3
    blind = AxisAngle(100.0, "first", 1.0, 20.0, bias_dps=np.zeros(3))
    assert np.max(np.abs(blind.update(t, gyr, up)[1] - exact)) > 2.0
    rng = np.random.default_rng(3)
    cuts = np.sort(rng.choice(np.arange(1, t.size), 25, replace=False))
    pieces = AxisAngle(100.0, "first", 1.0, 20.0)
    out = [pieces.update(t[a:b], gyr[a:b], up[a:b])
           for a, b in zip(np.r_[0, cuts], np.r_[cuts, t.size], strict=True)]
    ang2 = np.concatenate([o[1] for o in out])
    assert np.allclose(ang2, ang, atol=1e-9)
    assert blind.bias_dps is None  # a given bias is kept
