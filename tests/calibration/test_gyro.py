from __future__ import annotations

import numpy as np
import pytest

from calibration.errors import CalibrationError
from calibration.gyro import estimate_gyro_bias
from tests.calibration.synth import SensorErrors, hold_and_turn, six_faces, through_sensor


@pytest.mark.parametrize("seed", range(5))
def test_bias_within_0_05_dps_from_a_still_recording(seed: int) -> None:
    rng = np.random.default_rng(seed)
    err = SensorErrors.random(rng)
    acc, gyr = hold_and_turn([np.eye(3)], hold_s=12.0)
    rec = through_sensor(acc, gyr, err, rng)
    res = estimate_gyro_bias(rec.t_s, rec.acc_g, rec.gyr_dps)
    assert np.max(np.abs(res.bias_dps - err.gyro_bias_dps)) < 0.05
    assert res.still_s > 10.0


def test_bias_uses_only_the_still_parts_of_a_moving_recording() -> None:
    rng = np.random.default_rng(7)
    err = SensorErrors.random(rng)
    rec = six_faces(err, rng, hold_s=3.0, turn_s=1.0)
    res = estimate_gyro_bias(rec.t_s, rec.acc_g, rec.gyr_dps)
    assert np.max(np.abs(res.bias_dps - err.gyro_bias_dps)) < 0.05
    assert res.still_s < res.total_s - 5.0


def test_refuses_when_the_sensor_moves() -> None:
    rng = np.random.default_rng(3)
    n, fs = 1200, 100.0
    t = np.arange(n) / fs
    gyr = np.stack([20 * np.sin(2 * np.pi * 0.7 * t), 5 * np.cos(t), 0 * t], axis=1)
    ang = np.radians(np.cumsum(gyr[:, 0]) / fs)
    acc = np.stack([0 * t, -np.sin(ang), np.cos(ang)], axis=1) + rng.normal(0, 0.003, (n, 3))
    with pytest.raises(CalibrationError, match="moved"):
        estimate_gyro_bias(t, acc, gyr)


def test_refuses_too_short_a_recording() -> None:
    with pytest.raises(CalibrationError, match="too few"):
        estimate_gyro_bias(np.arange(5) / 100, np.zeros((5, 3)), np.zeros((5, 3)))
