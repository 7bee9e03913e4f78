"""The sensor model: true motion → what the device reports (g, °/s, its own clock, seq numbers).

Per sample ``k`` (true time ``k / true_rate``):
* orientation of the sensor ``q_s = q_seg ⊗ q_mount`` (mounting: sensor → segment);
* accelerometer = specific force in the sensor frame, in g: ``R_sᵀ·(a_lin/g0 + e_z)`` plus any
  impact jolt, then ``E·f + offset`` (scale × misalignment, offset) + white noise;
* gyroscope = the rotation from sample k−1 to k divided by the interval (so integrating the gyro
  reproduces the true orientation), plus bias (constant + random walk) and white noise;
* int16 quantisation over ±range (WitMotion: ±16 g, ±2000 °/s), saturating;
* timestamps from the device clock: ``t_s = k / nominal_rate`` (+ jitter), so a drifting oscillator
  makes ``t_s`` and true time part by ``clock_drift_ppm``;
* packet loss: runs of samples (geometric lengths) are dropped; ``seq = k`` shows the gap.
State (last orientation, last positions, bias walk, a loss run in progress) carries across blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from firmware_bridge.simulator import quat
from firmware_bridge.simulator.config import SimConfig
from firmware_bridge.simulator.motion import FloatArray, MotionBlock

G0 = 9.80665
INT16_FULL = 32768.0


@dataclass
class SensorOutput:
    """One block through the sensor model, before packet loss is applied."""

    t_s: FloatArray
    acc_g: FloatArray
    gyr_dps: FloatArray
    keep: NDArray[np.bool_]
    bias_dps: FloatArray


def quantize(x: FloatArray, full_scale: float) -> FloatArray:
    """Round to the int16 grid of ±full_scale (saturating), back in physical units."""
    lsb = full_scale / INT16_FULL
    out: FloatArray = np.clip(np.rint(x / lsb), -INT16_FULL, INT16_FULL - 1.0) * lsb
    return out


class SensorModel:
    """Stateful: call ``process`` with consecutive blocks."""

    def __init__(self, config: SimConfig, uses_mount: bool) -> None:
        self.c = config
        self.q_mount = config.mount_quat() if uses_mount else np.array([1.0, 0.0, 0.0, 0.0])
        self.dt = 1.0 / config.true_rate_hz
        self.err = config.acc_error_matrix()
        self.offset = np.asarray(config.acc_offset_g, dtype=np.float64)
        self.bias0 = np.asarray(config.gyro_bias_dps, dtype=np.float64)
        self.walk = np.zeros(3)
        self.prev_q: FloatArray | None = None
        self.prev_pos: FloatArray | None = None  # last two positions, 2×3
        self.loss_left = 0
        p = config.packet_loss
        self.p_start = p / (config.loss_run_mean_samples * (1.0 - p)) if p > 0 else 0.0

    def process(self, k0: int, motion: MotionBlock, rng: np.random.Generator) -> SensorOutput:
        c = self.c
        n = motion.quat_seg.shape[0]
        k = np.arange(k0, k0 + n, dtype=np.float64)
        noise = rng.standard_normal((n, 6))
        steps = rng.standard_normal((n, 3))
        jitter = rng.standard_normal(n)
        u_loss: FloatArray = np.asarray(rng.random(n), dtype=np.float64)
        # orientation and angular rate
        q_s = quat.multiply(motion.quat_seg, self.q_mount)
        prev_q = q_s[:1] if self.prev_q is None else self.prev_q[None, :]
        q_prev = np.concatenate([prev_q, q_s[:-1]])
        gyr = np.degrees(quat.rotation_vector_between(q_prev, q_s)) / self.dt
        self.prev_q = q_s[-1].copy()
        # linear acceleration from positions (backward second difference)
        prev_pos = (
            np.repeat(motion.pos_m[:1], 2, axis=0) if self.prev_pos is None else self.prev_pos
        )
        pos = np.concatenate([prev_pos, motion.pos_m])
        a_lin = (pos[2:] - 2.0 * pos[1:-1] + pos[:-2]) / (self.dt * self.dt)
        self.prev_pos = pos[-2:].copy()
        f_earth = a_lin / G0
        f_earth[:, 2] += 1.0
        acc = quat.rotate_inverse(q_s, f_earth)
        if motion.jolt_seg_g is not None:
            acc += quat.rotate_inverse(self.q_mount, motion.jolt_seg_g)
        # sensor errors
        acc = acc @ self.err.T + self.offset + c.acc_noise_g * noise[:, :3]
        walk = self.walk + np.cumsum(
            steps * (c.gyro_bias_rw_dps_per_sqrt_s * math.sqrt(self.dt)), axis=0
        )
        self.walk = walk[-1].copy()
        bias = self.bias0 + walk
        gyr = gyr + bias + c.gyro_noise_dps * noise[:, 3:]
        if c.quantize:
            acc = quantize(acc, c.acc_range_g)
            gyr = quantize(gyr, c.gyr_range_dps)
        # device clock
        t_s = k / c.sample_rate_hz
        if c.jitter_s > 0:
            lim = 0.45 / c.sample_rate_hz
            t_s = t_s + np.clip(jitter * c.jitter_s, -lim, lim)
        return SensorOutput(t_s, acc, gyr, self._loss_mask(u_loss, rng), bias)

    def _loss_mask(self, u: FloatArray, rng: np.random.Generator) -> NDArray[np.bool_]:
        n = u.shape[0]
        keep = np.ones(n, dtype=bool)
        if self.p_start <= 0 and self.loss_left <= 0:
            return keep
        i = 0
        if self.loss_left > 0:
            m = min(self.loss_left, n)
            keep[:m] = False
            self.loss_left -= m
            i = m
        starts = np.flatnonzero(u < self.p_start)
        lengths = rng.geometric(1.0 / self.c.loss_run_mean_samples, size=starts.shape[0])
        for s, length in zip(starts.tolist(), lengths.tolist(), strict=True):
            if s < i:
                continue
            end = s + int(length)
            keep[s : min(end, n)] = False
            i = end
        self.loss_left = max(0, i - n)
        return keep
