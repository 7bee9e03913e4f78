from __future__ import annotations

import numpy as np

from tests.calibration.synth import SensorErrors, six_faces
from trainer.core.stillness import (
    ON_PERSON,
    STANDING,
    TABLE,
    gyro_bias,
    is_still,
    still_mask,
    still_segments,
)


def test_still_periods_are_found_and_turns_are_not() -> None:
    rng = np.random.default_rng(0)
    rec = six_faces(SensorErrors.random(rng), rng, hold_s=4.0, turn_s=1.5)
    segs = still_segments(rec.t_s, rec.acc_g, rec.gyr_dps, TABLE, min_duration_s=1.0)
    assert len(segs) == 6
    fs = 100.0
    for k, seg in enumerate(segs):
        hold_start = k * 5.5 * fs
        assert hold_start <= seg.start < hold_start + 0.5 * fs
        assert seg.stop <= hold_start + 4.0 * fs
        assert len(seg) > 3.0 * fs
    mask = still_mask(rec.t_s, rec.acc_g, rec.gyr_dps, TABLE)
    turn = slice(int(4.2 * fs), int(5.3 * fs))
    assert not mask[turn].any()


def test_slow_rotation_is_movement_even_with_constant_rate() -> None:
    """A constant 3 °/s turn has a steady gyro (low std) but a moving gravity direction."""
    n, fs = 1000, 100.0
    t = np.arange(n) / fs
    ang = np.radians(3.0) * t
    acc = np.stack([np.sin(ang), 0 * t, np.cos(ang)], axis=1)
    gyr = np.tile([0.0, 3.0, 0.0], (n, 1))
    assert not still_mask(t, acc, gyr, TABLE).any()


def test_standing_thresholds_accept_sway_table_ones_do_not() -> None:
    rng = np.random.default_rng(1)
    n, fs = 600, 100.0
    t = np.arange(n) / fs
    sway = np.radians(0.8) * np.sin(2 * np.pi * 0.5 * t)
    acc = np.stack([np.sin(sway), 0 * t, np.cos(sway)], axis=1) + rng.normal(0, 0.01, (n, 3))
    gyr = np.stack([0 * t, np.degrees(np.gradient(sway, 1 / fs)), 0 * t], axis=1)
    gyr += rng.normal(0, 0.3, (n, 3))
    assert is_still(acc, gyr, STANDING)
    assert not is_still(acc, gyr, TABLE)


def _windows_by_hand(t: np.ndarray, gyr: np.ndarray, w: int, limit: float) -> np.ndarray:
    """Sample i is still when some window of w samples holding it has a gyro std norm and a
    mean-rate norm below ``limit`` (the definition, one window at a time)."""
    n = t.size
    ok = np.array([np.linalg.norm(gyr[k:k + w].std(axis=0)) < limit
                   and np.linalg.norm(gyr[k:k + w].mean(axis=0)) < limit
                   for k in range(n - w + 1)])
    return np.array([ok[max(0, i - w + 1): min(i, n - w) + 1].any() for i in range(n)])


def test_gyro_only_stillness_matches_the_window_definition() -> None:
    """Without an accelerometer (a sensor on a person): the cumulative-sum windows and the
    run-based coverage give what the window-by-window definition gives; the accelerometer
    absent or all zeros is the same; the bias without its spread is the same bias."""
    rng = np.random.default_rng(5)
    fs, n = 100.0, 1500
    t = np.arange(n) / fs
    gyr = rng.normal(0.0, 1.0, (n, 3)) + np.array([0.8, -0.3, 0.2])
    for a, b in ((200, 260), (400, 420), (700, 900), (1300, 1310), (1480, 1500)):
        gyr[a:b] += rng.normal(0.0, 30.0, 3)
    limits = ON_PERSON
    w = max(2, round(limits.window_s * fs))
    mask = still_mask(t, None, gyr, limits)
    assert np.array_equal(mask, _windows_by_hand(t, gyr, w, limits.gyr_std_dps))
    assert np.array_equal(mask, still_mask(t, np.zeros_like(gyr), gyr, limits))
    full = gyro_bias(t, gyr, None, limits, robust=True)
    lean = gyro_bias(t, gyr, None, limits, robust=True, spread=False)
    assert np.array_equal(full.bias_dps, lean.bias_dps) and full.still_s == lean.still_s
    assert np.all(full.noise_dps > 0) and not np.any(lean.noise_dps)
