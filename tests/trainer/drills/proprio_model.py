"""An independent model of the proprioception tests, for accuracy checks of the detectors.

Written apart from ``firmware_bridge.simulator`` and ``trainer.drills`` (it shares no code or
assumption with them beyond physics): segment orientations from scipy ``Rotation``, movements as
minimum-jerk transitions between held positions with slow postural wander and tremor, a random
sensor strapping (any orientation on the segment), gravity plus the sensor's linear acceleration
from its position about the ankle, white noise and a drifting gyro bias. Writes the generic CSV
of the command-line contract. Truth:

* joint position sense: per trial the target, the presented and the reproduced angle (rotation of
  the foot about the anatomical axis of the target movement from the neutral rest), and the
  times of the holds;
* lunge: the shank's inclination from vertical at the deepest point of each lunge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

F = NDArray[np.float64]
G = 9.80665


@dataclass
class Segment:
    """Piecewise timeline of one angle: list of (t_start, duration, value_to) moves."""

    moves: list[tuple[float, float, float]] = field(default_factory=list)

    def angle(self, t: F) -> F:
        y = np.zeros_like(t)
        prev = 0.0
        for t0, dur, to in self.moves:
            u = np.clip((t - t0) / dur, 0.0, 1.0)
            s = u**3 * (10 - 15 * u + 6 * u**2)  # minimum jerk
            y = y + (to - prev) * s
            prev = to
        return y


@dataclass
class Recording:
    t_s: F
    acc_g: F
    gyr_dps: F
    mount_sensor_to_segment: Rotation
    truth: list[dict[str, float | str]]

    def write_csv(self, path: Path) -> Path:
        data = np.column_stack((self.t_s, self.acc_g, self.gyr_dps))
        np.savetxt(path, data, delimiter=",", fmt="%.6f",
                   header="t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps",
                   comments="")
        return path

    @property
    def mount_quat_wxyz(self) -> list[float]:
        x, y, z, w = self.mount_sensor_to_segment.as_quat()
        return [float(w), float(x), float(y), float(z)]


def _sensor_signals(t: F, seg: Rotation, r_seg_m: F, mount: Rotation, rng: np.random.Generator,
                    gyro_bias_dps: F, gyro_noise_dps: float, acc_noise_g: float) -> tuple[F, F]:
    """Accelerometer (g) and gyro (deg/s) of a sensor at ``r_seg_m`` on the segment."""
    dt = float(t[1] - t[0])
    sensor = seg * mount  # sensor → Earth  (v_seg = mount · v_sensor)
    pos = seg.apply(r_seg_m)
    acc_lin = np.gradient(np.gradient(pos, dt, axis=0), dt, axis=0) / G
    f_earth = acc_lin + np.array([0.0, 0.0, 1.0])
    acc = sensor.inv().apply(f_earth)
    rel = sensor[:-1].inv() * sensor[1:]  # body-frame increments
    w = np.vstack((np.zeros((1, 3)), np.degrees(rel.as_rotvec()) / dt))
    drift = np.cumsum(rng.normal(0.0, 0.003 * np.sqrt(dt), (t.size, 3)), axis=0)
    gyr = w + gyro_bias_dps + drift + rng.normal(0.0, gyro_noise_dps, (t.size, 3))
    acc = acc + rng.normal(0.0, acc_noise_g, (t.size, 3))
    return acc, gyr


def _wander(t: F, rng: np.random.Generator, sd_deg: float, fc_hz: float) -> F:
    """Slow postural wander (low-passed noise) plus 9 Hz tremor, degrees."""
    from scipy.signal import butter, sosfiltfilt

    fs = 1.0 / float(t[1] - t[0])
    sos = butter(2, fc_hz, fs=fs, output="sos")
    w = sosfiltfilt(sos, rng.normal(0.0, 1.0, t.size))
    w = sd_deg * w / (np.std(w) + 1e-12)
    tremor = 0.03 * np.sin(2 * np.pi * 9.0 * t + rng.uniform(0, 2 * np.pi))
    return np.asarray(w + tremor, dtype=np.float64)


def position_sense(seed: int, side: str = "left", fs: float = 100.0,
                   targets: tuple[tuple[str, float], ...] = (
                       ("inversion", 10.0), ("inversion", 20.0), ("plantarflexion", 15.0)),
                   trials: int = 2, error_sd_deg: float = 4.0,
                   gyro_bias_dps: tuple[float, float, float] = (0.6, -0.9, 0.4)) -> Recording:
    """Seated, foot flat on the floor (neutral), the sensor anywhere on the foot."""
    rng = np.random.default_rng(seed)
    lat = 1.0 if side == "left" else -1.0
    axes = {"inversion": np.array([-lat, 0.0, 0.0]), "plantarflexion": np.array([0.0, 1.0, 0.0])}
    inv, pf = Segment(), Segment()
    truth: list[dict[str, float | str]] = []
    t = 4.0
    for _ in range(trials):
        for motion, target in targets:
            ch = inv if motion == "inversion" else pf
            presented = target + float(rng.normal(0, 0.7))
            reproduced = max(2.0, target + float(rng.normal(0, error_sd_deg)))
            move_p = float(rng.uniform(1.0, 2.0))
            hold_p = float(rng.uniform(3.0, 4.0))
            ch.moves += [(t, move_p, presented), (t + move_p + hold_p, 1.2, 0.0)]
            t_rep = t + move_p + hold_p + 1.2 + float(rng.uniform(3.0, 5.0))
            move_r = float(rng.uniform(1.2, 2.5))
            hold_r = float(rng.uniform(2.6, 3.5))
            ch.moves += [(t_rep, move_r, reproduced), (t_rep + move_r + hold_r, 1.2, 0.0)]
            truth.append({"motion": motion, "target_deg": target, "presented_deg": presented,
                          "reproduced_deg": reproduced, "t_presented_s": t + move_p,
                          "t_reproduced_s": t_rep + move_r})
            t = t_rep + move_r + hold_r + 1.2 + float(rng.uniform(3.0, 5.0))
    n = int((t + 2.0) * fs)
    ts = np.arange(n) / fs
    a_inv = inv.angle(ts) + _wander(ts, rng, 0.15, 0.5)
    a_pf = pf.angle(ts) + _wander(ts, rng, 0.15, 0.5)
    seg = (Rotation.from_rotvec(np.radians(a_pf)[:, None] * axes["plantarflexion"])
           * Rotation.from_rotvec(np.radians(a_inv)[:, None] * axes["inversion"]))
    mount = Rotation.random(random_state=seed)
    acc, gyr = _sensor_signals(ts, seg, np.array([0.06, 0.01, 0.05]), mount, rng,
                               np.asarray(gyro_bias_dps), 0.08, 0.004)
    return Recording(ts, acc, gyr, mount, truth)


def lunges(seed: int, depths_deg: tuple[float, ...] = (38.0, 42.0, 40.5), fs: float = 100.0,
           gyro_bias_dps: tuple[float, float, float] = (-0.7, 0.5, 0.9),
           standing_lean_deg: float = 0.0) -> Recording:
    """Standing upright, then knee-to-wall lunges: the shank pivots forward about the ankle
    (with a little frontal-plane sway), holds ~2 s at the deepest point, comes back."""
    rng = np.random.default_rng(seed)
    lean = Segment([(0.0, 0.01, standing_lean_deg)])
    truth_t = []
    t = 5.0
    for d in depths_deg:
        up = float(rng.uniform(1.5, 2.5))
        hold = float(rng.uniform(1.5, 2.5))
        lean.moves += [(t, up, d), (t + up + hold, float(rng.uniform(1.5, 2.5)),
                                    standing_lean_deg)]
        truth_t.append((t + up, t + up + hold))
        t += up + hold + 2.5 + float(rng.uniform(3.0, 6.0))
    n = int((t + 2.0) * fs)
    ts = np.arange(n) / fs
    ap = lean.angle(ts) + _wander(ts, rng, 0.3, 0.7)
    ml = _wander(ts, rng, 0.6, 0.5) + 0.05 * lean.angle(ts)  # knee drifts a little medially
    seg = Rotation.from_euler("xy", np.column_stack((np.radians(-ml), np.radians(ap))))
    inclination = np.degrees(np.arccos(np.clip(seg.apply([0.0, 0.0, 1.0])[:, 2], -1, 1)))
    truth: list[dict[str, float | str]] = []
    for a, b in truth_t:
        i = (ts >= a) & (ts <= b)
        k = int(np.argmax(np.where(i, inclination, -np.inf)))
        truth.append({"depth_deg": float(inclination[k]), "t_deepest_s": float(ts[k])})
    mount = Rotation.random(random_state=seed + 1000)
    acc, gyr = _sensor_signals(ts, seg, np.array([0.05, 0.0, 0.14]), mount, rng,
                               np.asarray(gyro_bias_dps), 0.08, 0.004)
    return Recording(ts, acc, gyr, mount, truth)
