"""Helpers for the simulator tests."""

from __future__ import annotations

import numpy as np

from firmware_bridge.simulator import SimConfig

#: A sensor with no errors, no noise and no quantisation: what remains is physics.
IDEAL = {
    "gyro_bias_dps": (0.0, 0.0, 0.0),
    "gyro_bias_rw_dps_per_sqrt_s": 0.0,
    "gyro_noise_dps": 0.0,
    "acc_noise_g": 0.0,
    "quantize": False,
}


def ideal(**kw: object) -> SimConfig:
    return SimConfig(**{**IDEAL, **kw})  # type: ignore[arg-type]


def assert_batches_equal(a: object, b: object) -> None:
    for name in ("t_s", "acc_g", "gyr_dps", "seq"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
