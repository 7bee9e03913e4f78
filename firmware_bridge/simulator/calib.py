"""Calibration scenarios: a still sensor (gyro bias), six still faces with moves between them
(6-face accelerometer calibration), and standing still then forward leg swings (mounting).

``still`` and ``six-face`` are bench scenarios: the "segment" is the sensor housing itself, so the
mounting rotation is not applied (truth mounting is the identity). ``mount-swing`` has the sensor
strapped to the shank with ``SimConfig.mount_quat_wxyz``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from firmware_bridge.simulator import quat
from firmware_bridge.simulator.config import SimConfig
from firmware_bridge.simulator.motion import SHANK_SENSOR_M, FloatArray, MotionBlock
from firmware_bridge.simulator.schedule import Plan, PlanItem, Pulse, Wobble, smooth_step

FACES = ("+z", "-z", "+x", "-x", "+y", "-y")
FACE_HOLD_S = 5.0
FACE_MOVE_S = 2.5
FACE_TILT_DEG = 3.0  # the surface and the hand are not perfect
STILL_STAND_S = 5.0
SWING_DEG = 30.0
SWING_S = 1.2
SWINGS = 2
HIP_HEIGHT_M = 0.85  # above the ankle: the straight leg swings about the hip


def _to_session(config: SimConfig) -> float:
    return 1.0 + config.clock_drift_ppm * 1e-6


class StillMotion:
    """The sensor lies still on a table (z up). Only the sensor's own errors remain."""

    uses_mount = False

    def __init__(self, config: SimConfig) -> None:
        end = None if config.duration_s is None else float(config.duration_s)
        self.events: list[dict[str, Any]] = [{"type": "still", "t_s": 0.0, "t_end_s": end}]

    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        n = t_true.shape[0]
        return MotionBlock(np.tile([1.0, 0.0, 0.0, 0.0], (n, 1)), np.zeros((n, 3)))


def face_quat(face: str) -> FloatArray:
    """A sensor → Earth rotation that turns the named sensor axis up."""
    axis = np.zeros(3)
    axis["xyz".index(face[1])] = 1.0 if face[0] == "+" else -1.0
    up = np.array([0.0, 0.0, 1.0])
    c = np.cross(axis, up)
    s = float(np.linalg.norm(c))
    if s < 1e-12:
        return np.array([1.0, 0.0, 0.0, 0.0]) if axis[2] > 0 else np.array([0.0, 1.0, 0.0, 0.0])
    return quat.from_axis_angle(c / s, math.atan2(s, float(axis @ up)))


class SixFaceMotion:
    """Hold each face still for ``hold_s`` (default 5 s), moving between faces over 2.5 s, in the
    order +z −z +x −x +y −y, then again (endless streams). Each face has a random heading and a
    small random tilt; events ``face`` carry the true gravity direction in the sensor frame."""

    uses_mount = False

    def __init__(self, config: SimConfig) -> None:
        self.hold = config.hold_s or FACE_HOLD_S
        self.to_session = _to_session(config)
        self.rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0xFACE]))
        self.events: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []  # generated ahead of time, published when due
        # key frames: (t_still_start, t_still_end, quaternion); moves join consecutive frames
        self.keys: list[tuple[float, float, FloatArray]] = []
        self.wobble = Wobble(config.true_rate_hz, 3, 1.0, 0.2, fc_hz=2.0)

    def _extend(self, t_end: float) -> None:
        while not self.keys or self.keys[-1][1] < t_end + FACE_MOVE_S:
            i = len(self.keys)
            face = FACES[i % len(FACES)]
            heading = quat.from_axis_angle([0.0, 0.0, 1.0], self.rng.uniform(-math.pi, math.pi))
            tilt_axis = np.append(self.rng.normal(size=2), 0.0)
            tilt = quat.from_axis_angle(
                tilt_axis, math.radians(FACE_TILT_DEG) * float(self.rng.uniform(0.0, 1.0))
            )
            q = quat.multiply(tilt, quat.multiply(heading, face_quat(face)))
            t0 = 1.0 if i == 0 else self.keys[-1][1] + FACE_MOVE_S
            hold = self.hold * float(self.rng.uniform(0.95, 1.1))
            self.keys.append((t0, t0 + hold, q))
            g = quat.rotate_inverse(q, [0.0, 0.0, 1.0])
            self._events.append({
                "type": "face", "face": face, "t_s": t0 * self.to_session,
                "t_end_s": (t0 + hold) * self.to_session, "index": i,
                "gravity_sensor_g": [float(x) for x in g],
            })

    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        n = t_true.shape[0]
        self._extend(float(t_true[-1]))
        due = float(t_true[-1]) * self.to_session
        while len(self.events) < len(self._events) and self._events[len(self.events)]["t_s"] <= due:
            self.events.append(self._events[len(self.events)])
        wob, trem = self.wobble.block(rng, n)
        starts = np.array([k[0] for k in self.keys])
        idx = np.clip(np.searchsorted(starts, t_true, side="right") - 1, 0, None)
        q = np.empty((n, 4))
        pos = np.zeros((n, 3))
        for i in np.unique(idx).tolist():
            m = idx == i
            _, t1, qa = self.keys[i]
            t = t_true[m]
            q[m] = qa
            moving = t > t1
            if i + 1 < len(self.keys) and np.any(moving):
                qb = self.keys[i + 1][2]
                u = (t[moving] - t1) / FACE_MOVE_S
                v = quat.rotation_vector_between(qa, qb)
                turn = quat.from_axis_angle(v + 1e-12, float(np.linalg.norm(v)) * smooth_step(u))
                q_move = quat.multiply(qa, turn)
                # the hand wobbles while it turns the sensor (not while it rests)
                env = np.sin(np.pi * u)[:, None]
                w = np.radians((wob + trem).T[m][moving]) * env
                shake = quat.from_axis_angle(w + 1e-12, np.linalg.norm(w, axis=1))
                q_move = quat.multiply(q_move, shake)
                sub = q[m]
                sub[moving] = q_move
                q[m] = sub
                p = pos[m]
                p[moving, 2] = 0.08 * np.sin(np.pi * u) ** 2  # lifted and put down
                pos[m] = p
        return MotionBlock(quat.as_quat(q), pos)


class MountSwingMotion:
    """Stand still for ``hold_s`` (default 5 s), then ``reps`` (default 2) forward swings of the
    straight leg about the hip (``amplitude_deg``, default 30°; the shank's z axis tilts backward:
    tilt_ap negative), then stand again; repeated for endless streams."""

    uses_mount = True

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.hold = config.hold_s or STILL_STAND_S
        self.amp = config.amplitude_deg or SWING_DEG
        self.swing_s = config.tempo_s or SWING_S
        self.reps = SWINGS if config.reps is None else config.reps
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x5713]))
        self.plan = Plan(self._items(rng), ("swing",), _to_session(config))
        self.events = self.plan.events
        self.wobble = Wobble(config.true_rate_hz, 2, 0.2, 0.02, fc_hz=0.7)

    def _items(self, rng: np.random.Generator) -> Iterator[PlanItem]:
        t = 0.0
        while True:
            still = self.hold * float(rng.uniform(0.95, 1.1))
            yield None, {"type": "still", "t_s": t, "t_end_s": t + still}
            t += still
            for i in range(self.reps):
                a = self.amp * float(rng.uniform(0.85, 1.1))
                dur = self.swing_s * float(rng.uniform(0.9, 1.1))
                p = Pulse(t, 0.5 * dur, 0.0, 0.5 * dur, {"swing": -a})
                yield p, {"type": "swing", "t_s": t, "t_end_s": p.t_end, "amplitude_deg": a,
                          "index": i}
                t = p.t_end + 0.6

    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        ch = self.plan.block(t_true)
        wob, trem = self.wobble.block(rng, t_true.shape[0])
        w = np.radians(wob + trem)
        q = quat.from_tilt(np.radians(ch["swing"]) + w[0], w[1])
        hip = np.array([0.0, 0.0, HIP_HEIGHT_M])
        pos = hip + quat.rotate(q, SHANK_SENSOR_M - hip)
        return MotionBlock(q, pos, extra={"swing_deg": ch["swing"]})
