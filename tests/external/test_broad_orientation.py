"""Orientation accuracy on BROAD (optical ground truth): online ≤ 1.0°, offline ≤ 0.7° average
inclination RMSE over the five trials in ../shared/data/broad (published VQF: 0.7 / 0.5°)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trainer.core.orientation import DEG2RAD, G_MS2, OnlineOrientation, offline_orientation
from trainer.core.quat import conjugate, inclination_deg, multiply

pytestmark = pytest.mark.external


def _rmse(q_est: np.ndarray, q_opt: np.ndarray, movement: np.ndarray) -> float:
    # the inclination part of q_est ⊗ q_opt⁻¹ does not depend on the heading offset
    err = inclination_deg(multiply(q_est, conjugate(q_opt)))
    ok = movement & np.isfinite(err)
    return float(np.sqrt(np.mean(err[ok] ** 2)))


def test_broad_inclination_rmse(shared_data: Path) -> None:
    sio = pytest.importorskip("scipy.io")
    files = sorted((shared_data / "broad").glob("*.mat"))
    assert len(files) >= 5
    online, offline = [], []
    for f in files:
        d = sio.loadmat(f)
        fs = float(np.squeeze(d["sampling_rate"]))
        acc = d["imu_acc"] / G_MS2
        gyr = d["imu_gyr"] / DEG2RAD
        movement = d["movement"].ravel().astype(bool)
        q_opt = d["opt_quat"]
        online.append(_rmse(OnlineOrientation(fs).update(acc, gyr), q_opt, movement))
        offline.append(_rmse(offline_orientation(acc, gyr, fs), q_opt, movement))
    assert np.mean(online) <= 1.0, online
    assert np.mean(offline) <= 0.7, offline
