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


def test_shipped_online_parameters_within_5_percent_of_vqf_defaults(shared_data: Path) -> None:
    """Issue 12: online parameters chosen on real data (benchmarks/bench_vqf_params.py)."""
    sio = pytest.importorskip("scipy.io")
    import vqf

    from trainer.core.orientation import ONLINE_PARAMS

    defaults = vqf.VQF(0.01).params
    explicit = {k: defaults[k] for k in ONLINE_PARAMS}  # undo the shipped overrides
    shipped, default = [], []
    for f in sorted((shared_data / "broad").glob("*.mat")):
        d = sio.loadmat(f)
        fs = float(np.squeeze(d["sampling_rate"]))
        acc, gyr = d["imu_acc"] / G_MS2, d["imu_gyr"] / DEG2RAD
        mv, q_opt = d["movement"].ravel().astype(bool), d["opt_quat"]
        shipped.append(_rmse(OnlineOrientation(fs).update(acc, gyr), q_opt, mv))
        default.append(_rmse(OnlineOrientation(fs, **explicit).update(acc, gyr), q_opt, mv))
    assert np.mean(shipped) <= 1.05 * np.mean(default), (shipped, default)
