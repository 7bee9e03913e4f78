"""Calibration accuracy on the simulator (known errors): prints per-seed errors and the worst case.

    .venv/bin/python benchmarks/calibration_accuracy.py [N_SEEDS]

Guided end to end (``calibrate --simulate --seed S``: gyro → six faces ×2 → mount with the fitted
sensor calibration), plus the accelerometer fit on a single round of six faces (faces up to 3° off)
and the mounting alone with the true sensor calibration. Targets: bias 0.05 °/s, scale 0.2 %,
offset 5 mg, mounting 1°.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import tempfile

import numpy as np

from calibration.accel import calibrate_accel
from calibration.mounting import estimate_mounting
from calibration.rotation import angle_between_quats_deg
from calibration.simulated import sensor_errors
from firmware_bridge.simulator import SimConfig, simulate
from trainer.cli.main import main


def guided(seed: int) -> dict[str, float]:
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        main(["calibrate", "--simulate", "--seed", str(seed), "--json"])
    c = json.loads(buf.getvalue())["simulator_check"]
    return {"bias_dps": c["gyro"]["bias_error_dps"],
            "scale_pct": c["accel"]["scale_error_pct"],
            "offset_mg": c["accel"]["offset_error_mg"],
            "mount_deg": c["mount"]["mounting_error_deg"]}


def one_round(seed: int) -> tuple[float, float]:
    err = {k: v for k, v in sensor_errors(seed).items() if k != "mount_quat_wxyz"}
    cfg = SimConfig(seed=seed, scenario="six-face", duration_s=47.0, **err)
    rec = simulate(cfg)
    b = rec.batch
    fit = calibrate_accel(b.t_s, b.acc_g, b.gyr_dps)
    scale = np.linalg.norm(fit.matrix @ cfg.acc_error_matrix(), axis=0) - 1.0
    off = np.abs(fit.offset_g - np.asarray(cfg.acc_offset_g)) * 1000.0
    return float(np.max(np.abs(scale)) * 100.0), float(off.max())


def mount_alone(seed: int) -> float:
    err = sensor_errors(seed)
    cfg = SimConfig(seed=seed, scenario="mount-swing", duration_s=14.0, **err)
    b = simulate(cfg).batch
    acc = (b.acc_g - np.asarray(cfg.acc_offset_g)) @ cfg.true_acc_matrix().T
    gyr = b.gyr_dps - np.asarray(cfg.gyro_bias_dps)
    res = estimate_mounting(b.t_s, acc, gyr, side="left", placement="shank")
    return angle_between_quats_deg(res.quat_wxyz, cfg.mount_quat())


def run(n: int) -> None:
    rows = []
    print("seed  bias°/s  scale%  offset_mg  mount°  | 1-round: scale%  offset_mg | mount alone°")
    for seed in range(1, n + 1):
        g = guided(seed)
        s1, o1 = one_round(seed)
        m = mount_alone(seed)
        rows.append([g["bias_dps"], g["scale_pct"], g["offset_mg"], g["mount_deg"], s1, o1, m])
        print(f"{seed:4d}  {g['bias_dps']:7.4f}  {g['scale_pct']:6.3f}  {g['offset_mg']:9.3f}  "
              f"{g['mount_deg']:6.3f}  |          {s1:6.3f}  {o1:9.3f} |       {m:6.3f}")
    worst = np.max(np.array(rows), axis=0)
    print("max   " + "  ".join(f"{v:.4g}" for v in worst))


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as home:
        os.environ["BALANCE_TRAINER_HOME"] = home
        run(int(sys.argv[1]) if len(sys.argv) > 1 else 20)
