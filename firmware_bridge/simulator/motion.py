"""The interface between scenario motions (stance, drills, calibration) and the sensor model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from firmware_bridge.simulator import quat

FloatArray = NDArray[np.float64]

#: Sensor position on the segment (segment frame, m, from the ankle joint): front of the lower
#: shank, or the dorsum of the mid-foot.
SHANK_SENSOR_M = np.array([0.04, 0.0, 0.12])
FOOT_SENSOR_M = np.array([0.07, 0.0, 0.05])


@dataclass
class MotionBlock:
    """What a scenario produces for one block of samples (true time grid).

    ``quat_seg`` rotates segment-frame vectors into Earth (z up, x the person's forward at the
    start), ``pos_m`` is the sensor's position in Earth (its second difference is the linear
    acceleration), ``jolt_seg_g`` an optional extra specific force in the segment frame (impacts,
    which are too brief to integrate from positions), ``extra`` per-sample truth of the scenario.
    """

    quat_seg: FloatArray
    pos_m: FloatArray
    jolt_seg_g: FloatArray | None = None
    extra: dict[str, FloatArray] = field(default_factory=dict)


class Motion(Protocol):
    """A scenario: call ``block`` with consecutive time ranges; events go to ``events``."""

    #: True when the mounting rotation applies (the sensor is strapped to a segment); False for
    #: bench scenarios where the "segment" is the sensor housing itself (still, six-face).
    uses_mount: bool
    #: Truth events so far, with times on the session clock.
    events: list[dict[str, Any]]

    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        """Motion for the (strictly consecutive) true sample times ``t_true``."""
        ...


def segment_motion(
    tilt_ap_rad: FloatArray,
    tilt_ml_rad: FloatArray,
    sensor_m: FloatArray,
    pivot_m: FloatArray | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Orientation and sensor position of a segment tilting about ``pivot_m`` (default origin)."""
    q = quat.from_tilt(tilt_ap_rad, tilt_ml_rad)
    pos = quat.rotate(q, sensor_m)
    if pivot_m is not None:
        pos = pos + pivot_m
    return q, pos


SessionClock = Callable[[float], float]
