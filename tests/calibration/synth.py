"""Synthetic IMU recordings with known errors, for the calibration tests (no simulator needed).

Orientations are rotation matrices ``R`` that take sensor-frame vectors into a world frame with z
up. At rest an accelerometer reads the specific force, +1 g along world up seen in the sensor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from calibration.rotation import rotvec_matrix

FloatArray = NDArray[np.float64]
UP = np.array([0.0, 0.0, 1.0])


@dataclass
class SensorErrors:
    """raw_acc = A·true + offset + noise; raw_gyr = true + bias + noise."""

    acc_matrix: FloatArray = field(default_factory=lambda: np.eye(3))  # true → raw
    acc_offset_g: FloatArray = field(default_factory=lambda: np.zeros(3))
    gyro_bias_dps: FloatArray = field(default_factory=lambda: np.zeros(3))
    acc_noise_g: float = 0.004
    gyr_noise_dps: float = 0.08

    @classmethod
    def random(cls, rng: np.random.Generator) -> SensorErrors:
        scale = 1.0 + rng.uniform(-0.04, 0.04, 3)
        cross = rng.uniform(-0.015, 0.015, (3, 3))
        np.fill_diagonal(cross, 0.0)
        return cls(acc_matrix=np.diag(scale) @ (np.eye(3) + cross),
                   acc_offset_g=rng.uniform(-0.06, 0.06, 3),
                   gyro_bias_dps=rng.uniform(-2.0, 2.0, 3))


@dataclass
class Recording:
    t_s: FloatArray
    acc_g: FloatArray
    gyr_dps: FloatArray


def face_rotation(face: str) -> FloatArray:
    """A sensor→world rotation that puts the named sensor axis up (random heading left at 0)."""
    axis = {"X": 0, "Y": 1, "Z": 2}[face[1]]
    v = np.zeros(3)
    v[axis] = 1.0 if face[0] == "+" else -1.0
    # rotation taking v onto world up
    c = np.cross(v, UP)
    s = np.linalg.norm(c)
    if s < 1e-12:
        return np.eye(3) if v @ UP > 0 else rotvec_matrix([np.pi, 0.0, 0.0])
    return rotvec_matrix(c / s * np.arctan2(s, v @ UP))


def hold_and_turn(rotations: list[FloatArray], *, hold_s: float | list[float] = 4.0,
                  turn_s: float = 1.5, fs: float = 100.0) -> tuple[FloatArray, FloatArray]:
    """True specific force (g) and rate (°/s) in the sensor frame: hold each orientation (for
    ``hold_s``, or ``hold_s[i]``), turning between them at a constant body rate."""
    accs, gyrs = [], []
    n_turn = round(turn_s * fs)
    holds = hold_s if isinstance(hold_s, list) else [hold_s] * len(rotations)
    for i, r in enumerate(rotations):
        n_hold = round(holds[i] * fs)
        accs.append(np.tile(r.T @ UP, (n_hold, 1)))
        gyrs.append(np.zeros((n_hold, 3)))
        if i + 1 < len(rotations):
            d = r.T @ rotations[i + 1]
            from calibration.rotation import quat_from_matrix
            q = quat_from_matrix(d)
            s = np.linalg.norm(q[1:])
            v = q[1:] / s * 2 * np.arctan2(s, q[0]) if s > 1e-12 else np.zeros(3)
            frac = (np.arange(n_turn) + 0.5) / n_turn
            accs.append(np.array([(r @ rotvec_matrix(v * f)).T @ UP for f in frac]))
            gyrs.append(np.tile(np.degrees(v) / turn_s, (n_turn, 1)))
    return np.concatenate(accs), np.concatenate(gyrs)


def through_sensor(acc_true: FloatArray, gyr_true: FloatArray, err: SensorErrors,
                   rng: np.random.Generator, fs: float = 100.0) -> Recording:
    n = acc_true.shape[0]
    acc = acc_true @ err.acc_matrix.T + err.acc_offset_g + rng.normal(0, err.acc_noise_g, (n, 3))
    gyr = gyr_true + err.gyro_bias_dps + rng.normal(0, err.gyr_noise_dps, (n, 3))
    return Recording(np.arange(n) / fs, acc, gyr)


def six_faces(err: SensorErrors, rng: np.random.Generator, *, order: str = "+Z-Z+X-X+Y-Y",
              tilt_deg: float = 0.0, heading: bool = True, **kw: float) -> Recording:
    faces = [order[i:i + 2] for i in range(0, len(order), 2)]
    rots = []
    for f in faces:
        r = face_rotation(f)
        if heading:  # spin about world up: changes nothing for gravity, but the gyro sees turns
            r = rotvec_matrix([0.0, 0.0, rng.uniform(-np.pi, np.pi)]) @ r
        if tilt_deg:
            r = rotvec_matrix(np.radians(tilt_deg) * rng.normal(size=3) / np.sqrt(3)) @ r
        rots.append(r)
    acc, gyr = hold_and_turn(rots, **kw)
    return through_sensor(acc, gyr, err, rng)


def random_rotation(rng: np.random.Generator) -> FloatArray:
    q = rng.normal(size=4)
    q /= np.linalg.norm(q)
    w, x, y, z = q
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ])


def stand_and_swing(r_seg_sensor: FloatArray, rng: np.random.Generator, *, fs: float = 100.0,
                    stand_s: float = 4.0, amp_deg: float = 30.0, swing_s: float = 1.2,
                    sway_deg: float = 0.5, wobble: float = 0.05) -> tuple[FloatArray, FloatArray]:
    """True sensor-frame specific force and rate: quiet standing (segment z vertical, small sway),
    then a forward swing (rotation about the segment's −y and back), then standing again."""
    n_st, n_sw = round(stand_s * fs), round(swing_s * fs)
    t_st = np.arange(n_st) / fs
    # sway: slow small rotations about x and y of the segment
    sway = np.radians(sway_deg) * np.stack(
        [np.sin(2 * np.pi * 0.3 * t_st + 1.0), np.sin(2 * np.pi * 0.4 * t_st), 0 * t_st], axis=1)
    sway_rate = np.degrees(np.gradient(sway, 1 / fs, axis=0))
    ts = np.arange(n_sw) / fs
    ang = -np.radians(amp_deg) * np.sin(np.pi * ts / swing_s) ** 2   # about segment +y
    rate = np.gradient(ang, 1 / fs)
    # a little abduction wobble (rotation about x) so the swing is not perfectly planar
    ab = wobble * np.radians(amp_deg) * np.sin(2 * np.pi * ts / swing_s)
    ab_rate = np.gradient(ab, 1 / fs)
    segs_acc, segs_gyr = [], []
    for part in range(3):
        if part == 1:
            rs = [rotvec_matrix([a_x, a_y, 0.0]) for a_x, a_y in zip(ab, ang, strict=True)]
            w_seg = np.degrees(np.stack([ab_rate, rate, 0 * rate], axis=1))
        else:
            rs = [rotvec_matrix(v) for v in sway]
            w_seg = sway_rate
        f_seg = np.array([r.T @ UP for r in rs])  # no linear acceleration modelled
        segs_acc.append(f_seg @ r_seg_sensor)       # sensor = R^T · segment
        segs_gyr.append(w_seg @ r_seg_sensor)
    return np.concatenate(segs_acc), np.concatenate(segs_gyr)
