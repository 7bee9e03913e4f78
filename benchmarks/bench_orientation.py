"""Orientation accuracy on BROAD (optical ground truth), per trial. Prints a table.

    .venv/bin/python benchmarks/bench_orientation.py [--data ../shared/data/broad] [--no-madgwick]

Inclination RMSE (degrees) over the ``movement`` samples, error = 2·acos(√(w² + z²)) of
q_est ⊗ q_opt⁻¹ (the inclination part does not depend on the heading offset between the frames;
samples where the markers were lost are NaN and left out). Columns:

* VQF online / offline — ``trainer.core.orientation`` at the full rate (what the goal is about);
* pipeline online / offline — ``trainer.core.pipeline.analyze`` as ``balance-trainer analyze``
  runs it (processing blocks: 2 samples → 143 Hz here), per-sample quaternions;
* Madgwick — ``ahrs.filters.Madgwick`` (IMU update, default gain 0.033), computed here;
* imufusion — x-io Fusion AHRS (default settings), computed here.

Published anchors (BROAD paper, all 39 trials): Madgwick ≈ 2.7°, VQF online ≈ 0.7°, offline ≈ 0.5°.
Goals (issue 3, these 5 trials): online ≤ 1.0°, offline ≤ 0.7° on average.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.core.orientation import DEG2RAD, G_MS2, OnlineOrientation, offline_orientation
from trainer.core.pipeline import PipelineConfig, analyze
from trainer.core.quat import conjugate, inclination_deg, multiply
from trainer.vocab.batch import SampleBatch

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "broad"


def rmse(q_est: np.ndarray, q_opt: np.ndarray, movement: np.ndarray) -> float:
    err = inclination_deg(multiply(q_est, conjugate(q_opt)))
    ok = movement & np.isfinite(err)
    return float(np.sqrt(np.mean(err[ok] ** 2)))


def madgwick(acc_g: np.ndarray, gyr_dps: np.ndarray, fs: float) -> np.ndarray:
    from ahrs.filters import Madgwick

    filt = Madgwick(frequency=fs)
    gyr = np.radians(gyr_dps)
    acc = acc_g * G_MS2
    q = np.empty((acc.shape[0], 4))
    q[0] = [1.0, 0.0, 0.0, 0.0]
    for i in range(1, acc.shape[0]):
        q[i] = filt.updateIMU(q[i - 1], gyr[i], acc[i])
    return q


def imufusion_quat(acc_g: np.ndarray, gyr_dps: np.ndarray, fs: float) -> np.ndarray:
    import imufusion

    ahrs = imufusion.Ahrs()
    settings = imufusion.AhrsSettings()
    settings.sample_rate = round(fs)
    ahrs.set_settings(settings)
    q = np.empty((acc_g.shape[0], 4))
    for i in range(acc_g.shape[0]):
        ahrs.update_no_magnetometer(gyr_dps[i], acc_g[i])
        q[i] = ahrs.get_quaternion()
    return q


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--no-madgwick", action="store_true", help="skip the slow pure-Python filter")
    args = ap.parse_args()
    from scipy.io import loadmat

    files = sorted(args.data.glob("*.mat"))
    if not files:
        raise SystemExit(f"no BROAD trials in {args.data}")
    cols = ["VQF online", "VQF offline", "pipeline on", "pipeline off", "Madgwick", "imufusion"]
    print(f"{'trial':<38}" + "".join(f"{c:>13}" for c in cols))
    rows = []
    t0 = time.perf_counter()
    for f in files:
        d = loadmat(f)
        fs = float(np.squeeze(d["sampling_rate"]))
        acc = d["imu_acc"] / G_MS2
        gyr = d["imu_gyr"] / DEG2RAD
        q_opt = d["opt_quat"]
        mv = d["movement"].ravel().astype(bool)
        batch = SampleBatch.from_arrays(np.arange(acc.shape[0]) / fs, acc, gyr)
        config = PipelineConfig(sample_rate_hz=fs)
        row = [
            rmse(OnlineOrientation(fs).update(acc, gyr), q_opt, mv),
            rmse(offline_orientation(acc, gyr, fs), q_opt, mv),
            rmse(analyze(batch, config).quat_wxyz, q_opt, mv),
            rmse(analyze(batch, config, offline=True).quat_wxyz, q_opt, mv),
            np.nan if args.no_madgwick else rmse(madgwick(acc, gyr, fs), q_opt, mv),
            rmse(imufusion_quat(acc, gyr, fs), q_opt, mv),
        ]
        rows.append(row)
        print(f"{f.stem:<38}" + "".join(f"{v:>13.3f}" for v in row))
    with warnings.catch_warnings():  # an all-NaN column (--no-madgwick) averages to NaN
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(np.array(rows), axis=0)
    print(f"{'average':<38}" + "".join(f"{v:>13.3f}" for v in mean))
    print(f"goals: online {mean[0]:.2f}° ≤ 1.0° {'OK' if mean[0] <= 1.0 else 'MISSED'}, "
          f"offline {mean[1]:.2f}° ≤ 0.7° {'OK' if mean[1] <= 0.7 else 'MISSED'}; "
          f"published Madgwick ≈ 2.7° (all 39 trials)  [{time.perf_counter() - t0:.0f} s]")


if __name__ == "__main__":
    main()
