"""The simulated sensor used by ``calibrate --simulate`` and the dashboard wizard: seed-dependent
errors (gyro bias, accelerometer offset/scale/misalignment) and mounting, and the simulator
scenario of each step. Imports the simulator lazily (it is not needed for real sensors)."""

from __future__ import annotations

from typing import Any

import numpy as np

SCENARIOS = {"gyro": "still", "accel": "six-face", "mount": "mount-swing"}
#: Its identity: not the dashboard demo's simulated sensor (whose mounting is the identity), so a
#: profile stored by ``calibrate --simulate`` is never applied to the demo.
NAME = "SimIMU-calibration"
FIRMWARE = "simulator-1"


def address(seed: int) -> str:
    return f"SIM:CA:1B:00:{(seed >> 8) & 0xFF:02X}:{seed & 0xFF:02X}"


def sensor_errors(seed: int) -> dict[str, Any]:
    """``SimConfig`` keyword arguments for a WitMotion-like sensor with known errors."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 0xCA11B]))
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    if q[0] < 0:
        q = -q
    return {
        "gyro_bias_dps": tuple(float(v) for v in rng.uniform(-1.5, 1.5, 3)),
        "acc_offset_g": tuple(float(v) for v in rng.uniform(-0.05, 0.05, 3)),
        "acc_scale": tuple(float(v) for v in rng.uniform(0.97, 1.03, 3)),
        "acc_misalignment_rad": tuple(float(v) for v in rng.uniform(-0.015, 0.015, 3)),
        "mount_quat_wxyz": tuple(float(v) for v in q),
    }


def step_config(step: str, *, seed: int = 1, side: str = "left", placement: str = "shank"
                ) -> Any:
    """An endless ``SimConfig`` of the scenario that serves ``step`` (raises ValueError)."""
    from firmware_bridge.simulator import SimConfig

    if step not in SCENARIOS:
        raise ValueError(f"unknown step {step!r}")
    return SimConfig(seed=seed, duration_s=None, scenario=SCENARIOS[step], side=side,
                     placement=placement, name=NAME, address=address(seed),
                     **sensor_errors(seed))
