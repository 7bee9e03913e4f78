"""The calibration profile (contract, DESIGN.md) and how it is applied to raw samples.

Pure numpy: ``trainer.core`` applies profiles, so no file I/O here (see ``calibration.store``).
Calibrated acceleration = ``acc_matrix`` · (raw − ``acc_offset_g``); calibrated rate = raw −
``gyro_bias_dps``. The mounting quaternion rotates sensor-frame vectors into the segment frame
(x anterior, y to the person's left, z up along the segment).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray

FORMAT_VERSION = 1
STEPS = ("gyro", "accel", "mount")


class ProfileError(ValueError):
    """A profile that cannot be used (wrong version, wrong shapes, non-finite values)."""


def _utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class CalibrationProfile:
    """A per-sensor calibration; steps not done keep neutral values and are in ``missing``."""

    sensor: dict[str, Any] = field(default_factory=lambda: {"address": None, "name": None})
    created: str = field(default_factory=_utc_now)
    gyro_bias_dps: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    acc_offset_g: NDArray[np.float64] = field(default_factory=lambda: np.zeros(3))
    acc_matrix: NDArray[np.float64] = field(default_factory=lambda: np.eye(3))
    mount_quat_wxyz: NDArray[np.float64] | None = None
    placement: str | None = None
    side: str | None = None
    quality: dict[str, Any] = field(default_factory=dict)
    steps_done: list[str] = field(default_factory=list)
    firmware: str | None = None

    @classmethod
    def neutral(cls, address: str | None = None, name: str | None = None) -> CalibrationProfile:
        return cls(sensor={"address": address, "name": name})

    @property
    def missing(self) -> list[str]:
        return [s for s in STEPS if s not in self.steps_done]

    @property
    def has_mounting(self) -> bool:
        return self.mount_quat_wxyz is not None

    def mark_step(self, step: str, quality: dict[str, Any], when: str | None = None) -> None:
        """Record that ``step`` was done (its quality figures and UTC time go in ``quality``)."""
        if step not in STEPS:
            raise ProfileError(f"unknown calibration step {step!r}")
        stamp = when or _utc_now()
        self.quality[step] = {**quality, "time": stamp}
        if step not in self.steps_done:
            self.steps_done.append(step)
            self.steps_done.sort(key=STEPS.index)
        self.created = stamp

    def step_time(self, step: str) -> str | None:
        """UTC time the step was done (its quality stamp, else the profile's ``created``)."""
        if step not in self.steps_done:
            return None
        entry = self.quality.get(step)
        if isinstance(entry, dict) and isinstance(entry.get("time"), str):
            return str(entry["time"])
        return self.created

    def apply(
        self, acc_g: NDArray[np.float64], gyr_dps: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Calibrated copies of n×3 accelerometer (g) and gyroscope (°/s) arrays."""
        acc = (np.asarray(acc_g, dtype=np.float64) - self.acc_offset_g) @ self.acc_matrix.T
        gyr = np.asarray(gyr_dps, dtype=np.float64) - self.gyro_bias_dps
        return acc, gyr

    def to_dict(self) -> dict[str, Any]:
        mounting: dict[str, Any] = {
            "quat_wxyz": None if self.mount_quat_wxyz is None else self.mount_quat_wxyz.tolist(),
            "placement": self.placement,
            "side": self.side,
        }
        return {
            "format_version": FORMAT_VERSION,
            "sensor": dict(self.sensor),
            "created": self.created,
            "firmware": self.firmware,
            "gyro_bias_dps": self.gyro_bias_dps.tolist(),
            "acc_offset_g": self.acc_offset_g.tolist(),
            "acc_matrix": self.acc_matrix.tolist(),
            "mounting": mounting,
            "quality": copy.deepcopy(self.quality),
            "steps_done": list(self.steps_done),
            "missing_steps": self.missing,
        }

    @classmethod
    def from_dict(cls, data: Any) -> CalibrationProfile:
        """Validate and load; raises :class:`ProfileError` with a one-line reason."""
        if not isinstance(data, dict):
            raise ProfileError("calibration profile must be a JSON object")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise ProfileError(f"unsupported calibration profile format_version {version!r}")
        try:
            bias = _vector(data.get("gyro_bias_dps", [0, 0, 0]), (3,), "gyro_bias_dps")
            offset = _vector(data.get("acc_offset_g", [0, 0, 0]), (3,), "acc_offset_g")
            matrix = _vector(data.get("acc_matrix", np.eye(3).tolist()), (3, 3), "acc_matrix")
            mounting = data.get("mounting") or {}
            if not isinstance(mounting, dict):
                raise ProfileError("mounting must be an object")
            q_raw = mounting.get("quat_wxyz")
            quat = None if q_raw is None else _unit_quat(_vector(q_raw, (4,), "mounting.quat_wxyz"))
        except (TypeError, ValueError) as exc:
            if isinstance(exc, ProfileError):
                raise
            raise ProfileError(f"malformed calibration profile: {exc}") from None
        sensor = data.get("sensor") or {}
        steps = data.get("steps_done")
        if steps is None:  # infer from non-neutral values
            steps = []
            if np.any(bias != 0):
                steps.append("gyro")
            if np.any(offset != 0) or not np.allclose(matrix, np.eye(3)):
                steps.append("accel")
            if quat is not None:
                steps.append("mount")
        return cls(
            sensor=dict(sensor) if isinstance(sensor, dict) else {"address": None, "name": None},
            created=str(data.get("created") or _utc_now()),
            gyro_bias_dps=bias,
            acc_offset_g=offset,
            acc_matrix=matrix,
            mount_quat_wxyz=quat,
            placement=mounting.get("placement"),
            side=mounting.get("side"),
            quality=dict(data.get("quality") or {}),
            steps_done=[s for s in steps if s in STEPS],
            firmware=data.get("firmware"),
        )


def _vector(value: Any, shape: tuple[int, ...], name: str) -> NDArray[np.float64]:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise ProfileError(f"{name} must have shape {shape}, got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ProfileError(f"{name} has non-finite values")
    return arr


def _unit_quat(q: NDArray[np.float64]) -> NDArray[np.float64]:
    norm = math.sqrt(float(q @ q))
    if not 0.5 < norm < 2.0:
        raise ProfileError("mounting.quat_wxyz is not a unit quaternion")
    return q / norm
