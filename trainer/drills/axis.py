"""Rep angles whatever the strapping: the movement's own rotation axis, found from the data.

Without a mounting calibration the sensor's axes say nothing about the anatomy, so a rep drill
cannot assume that inversion is a rotation about the sensor's x. But a set of reps is a rotation
back and forth about one axis, so that axis is the dominant direction of the angular rate: the
first principal axis (eigenvector of the scatter ``Σ ω ωᵀ`` over the moving samples). The rep
angle is the leaky integral of the rate (3 components, bias-tolerant) projected on that axis; for
a rotation about a fixed axis the body-frame rate stays on it, so the projection is exact however
far the segment turns.

The axis is *locked* once the set has moved far enough (``lock_path_deg`` of rotation path at
moving rates), from the samples up to that point, and the rep signal is produced from the start
of the set on: live (batch by batch) and offline (one batch) give the same signal. Its sign:

- ``"gravity"`` (band drills on the foot): the axis is signed to point up (the foot's long axis
  points up in long sitting) and the drill's direction follows from the side; when the axis is
  not clearly vertical, by the first excursion (people start with the movement asked for);
- ``"rise"`` (calf raise): the direction in which the sensor goes *up* (vertical velocity from the
  accelerometer in the Earth frame) is the rep's direction;
- ``"first"``: the first excursion's direction.

Pure numpy/scipy, no I/O.
"""

from __future__ import annotations

import math

import numpy as np

from trainer.core import iir
from trainer.core.stillness import StillnessThresholds, still_mask
from trainer.drills.detectors import FloatArray, GyroAngles

MOVING_DPS = 5.0
VERTICAL_COS = 0.5
#: Holding the start position: windows of 0.25 s whose rate varies little (tremor and noise;
#: norm of the per-axis spreads) around a rate that may be the bias (up to a few °/s).
LEAD_STILL = StillnessThresholds(window_s=0.25, gyr_std_dps=2.0, acc_std_g=np.inf,
                                 gyr_mean_dps=6.0)
LEAD_STILL_MIN_S = 0.5


class AxisAngle:
    """The rep angle about the movement's dominant axis (see the module docstring).

    ``update(t_s, gyr_dps, up=None, acc_v=None)`` returns ``(t, angle_deg)`` for the samples
    that are ready (none until the axis locks; then everything buffered since the start, then
    each batch as it comes). ``up``: Earth-up in the sensor frame per sample (for the gravity
    sign); ``acc_v``: vertical acceleration per sample, g (for the rise sign). ``direction``:
    the rotation sign of the drill's movement about the up-pointing axis (gravity rule), e.g.
    −1 for a left inversion (the sole turns in: a negative turn about the toes-up foot axis).
    """

    def __init__(self, fs_hz: float, sign_rule: str = "first", direction: float = 1.0,
                 lock_path_deg: float = 20.0, highpass_hz: float = 0.02,
                 bias_dps: FloatArray | None = None, max_dt_s: float = 0.1,
                 axis: FloatArray | None = None) -> None:
        if sign_rule not in ("gravity", "rise", "first"):
            raise ValueError(f"unknown sign rule {sign_rule!r}")
        self.fs_hz = float(fs_hz)
        self.sign_rule = sign_rule
        self.direction = 1.0 if direction >= 0 else -1.0
        self.lock_path_deg = float(lock_path_deg)
        self._integral = GyroAngles(fs_hz, highpass_hz, bias_dps, max_dt_s)
        self._scatter = np.zeros((3, 3))
        self._up_sum = np.zeros(3)
        self._buf: list[tuple[FloatArray, ...]] = []  # t, rate, ∫rate, acc_v, up, dt
        self.axis: FloatArray | None = None  # unit, sensor frame, signed: + is the rep
        if axis is not None:  # a known anatomical axis (calibrated mounting)
            self.axis = np.asarray(axis, np.float64) / np.linalg.norm(axis)
        self.sign_source = "given" if axis is not None else None
        self.share = 1.0 if axis is not None else 0.0  # the axis's share of the moving rate
        # no bias given: the still stretch the set starts with (the countdown's last second)
        # tells it, once the axis locks (``leading_still_bias``)
        self.estimate_bias = bias_dps is None
        self.bias_dps: FloatArray | None = None  # the estimate, when there was one

    @property
    def locked(self) -> bool:
        return self.axis is not None

    def _remove_bias(self, bias: FloatArray) -> None:
        """Take ``bias`` off everything integrated so far (the buffered rates and angles, the
        integrator's state; the leaky integral is linear) and off what comes next."""
        b = np.asarray(bias, np.float64)
        dt = np.concatenate([e[5] for e in self._buf])
        corr = iir.lfilter([1.0], [1.0, -self._integral.a], b[:, None] * dt[None, :], axis=1)
        self._integral.bias = self._integral.bias + b
        self._integral.shift_state(-self._integral.a * corr[:, -1:])
        n = 0
        for i, (t, g, th, av, up, d) in enumerate(self._buf):
            m = t.shape[0]
            self._buf[i] = (t, g - b, th - corr[:, n:n + m].T, av, up, d)
            n += m
        self.bias_dps = b

    def update(self, t_s: FloatArray, gyr_dps: FloatArray, up: FloatArray | None = None,
               acc_v: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
        t = np.asarray(t_s, dtype=np.float64)
        if t.size == 0:
            return np.empty(0), np.empty(0)
        theta, g, dt = self._integral.integrate(t, gyr_dps)  # n×3 degrees, rate, steps
        if self.axis is not None:
            return t, theta @ self.axis
        up_a = np.zeros((t.size, 3)) if up is None else np.asarray(up, np.float64).reshape(-1, 3)
        av = np.zeros(t.size) if acc_v is None else np.asarray(acc_v, np.float64).reshape(-1)
        self._buf.append((t, g, theta, av, up_a, dt))
        # everything before the lock is judged on the whole buffer at once: the same sums
        # however the data was batched
        g_all = np.concatenate([b[1] for b in self._buf])
        dt_all = np.concatenate([b[5] for b in self._buf])
        rate = np.sqrt(np.einsum("ij,ij->i", g_all, g_all))
        moving = rate > MOVING_DPS
        path = np.cumsum(np.where(moving, rate * dt_all, 0.0))
        hit = np.flatnonzero(path >= self.lock_path_deg)
        if not hit.size:
            return np.empty(0), np.empty(0)
        k = int(hit[0]) + 1  # samples up to the lock
        if self.estimate_bias:
            bias = leading_still_bias(self._first(0, k), self._first(1, k), self.fs_hz)
            if bias is not None:
                self._remove_bias(bias)
                g_all = np.concatenate([b[1] for b in self._buf])
        gm = g_all[:k][moving[:k]]
        self._scatter = gm.T @ gm
        up_all = self._first(4, k)
        self._up_sum = up_all[np.all(np.isfinite(up_all), axis=1)].sum(axis=0)
        self._lock(k)
        tt = np.concatenate([b[0] for b in self._buf])
        th = np.concatenate([b[2] for b in self._buf])
        self._buf = []
        assert self.axis is not None
        return tt, th @ self.axis

    def _first(self, j: int, k: int) -> FloatArray:
        """The first k rows of buffered column j (without copying what lies beyond)."""
        parts, n = [], 0
        for b in self._buf:
            parts.append(b[j][: k - n])
            n += parts[-1].shape[0]
            if n >= k:
                break
        return np.concatenate(parts) if len(parts) > 1 else parts[0]

    def _lock(self, k: int) -> None:
        """Lock the axis and its sign from the first ``k`` buffered samples (up to the lock)."""
        w, v = np.linalg.eigh(self._scatter)
        axis = v[:, -1] / np.linalg.norm(v[:, -1])
        self.share = float(w[-1] / max(float(np.sum(w)), 1e-12))
        tt, g, th, av = (self._first(j, k) for j in range(4))
        n_up = float(np.linalg.norm(self._up_sum))
        up = self._up_sum / n_up if n_up > 0 else np.zeros(3)
        sign = 0.0
        if self.sign_rule == "gravity" and abs(float(axis @ up)) >= VERTICAL_COS:
            sign = math.copysign(1.0, float(axis @ up)) * self.direction
            self.sign_source = "gravity"
        elif self.sign_rule == "rise" and np.any(av):
            vz = vertical_velocity(tt, av, self.fs_hz)  # the rotation goes with the rise
            c = float(np.sum((g @ axis) * vz))
            if c != 0.0:
                sign = math.copysign(1.0, c)
                self.sign_source = "rise"
        if sign == 0.0:  # the first excursion is the movement asked for
            ang = th @ axis
            dev = ang - ang[0]
            big = np.flatnonzero(np.abs(dev) >= 0.5 * float(np.max(np.abs(dev))))
            sign = math.copysign(1.0, float(dev[big[0]])) if big.size else 1.0
            self.sign_source = "first"
        self.axis = sign * axis


def leading_still_bias(t_s: FloatArray, gyr_dps: FloatArray, fs_hz: float,
                       min_s: float = LEAD_STILL_MIN_S) -> FloatArray | None:
    """The gyro's reading over the still stretch a set starts with (the person holding the
    start position through the countdown's last second; the recording's start when there was
    no countdown): the median rate of the leading still run (``trainer.core.stillness``,
    ``LEAD_STILL`` limits) when it starts at the first sample and lasts ``min_s``; else None
    (the set started moving)."""
    t = np.asarray(t_s, np.float64)
    if t.size < max(3, int(min_s * fs_hz)):
        return None
    mask = still_mask(t, None, gyr_dps, LEAD_STILL)
    if not mask[0]:
        return None
    moved = np.flatnonzero(~mask)
    j = int(moved[0]) if moved.size else t.size
    if t[j - 1] - t[0] < min_s:
        return None
    g = np.asarray(gyr_dps, np.float64).reshape(-1, 3)[:j]
    return np.array([np.median(g[:, c]) for c in range(3)])


def vertical_velocity(t_s: FloatArray, acc_vertical_g: FloatArray, fs_hz: float,
                      highpass_hz: float = 0.3) -> FloatArray:
    """Band-limited vertical velocity (m/s) from the Earth-frame vertical acceleration (g,
    gravity removed): the leaky integral of the high-passed acceleration. Only its sign pattern
    and shape matter (rep direction); rise heights come from ``trainer.drills.rise``."""
    a = np.nan_to_num(np.asarray(acc_vertical_g, dtype=np.float64)) * 9.80665
    if a.size == 0:
        return a
    sos = iir.butter_sos(1, highpass_hz, fs_hz, "highpass")
    a = iir.sosfilt(sos, a - a[0])
    k = float(np.exp(-2.0 * np.pi * highpass_hz / fs_hz))
    v = iir.lfilter([1.0 / fs_hz], [1.0, -k], a)
    return np.asarray(v, dtype=np.float64)


def up_from_quat(quat_wxyz: FloatArray) -> FloatArray:
    """Earth-up in the sensor frame (n×3) from sensor→Earth quaternions (NaN stays NaN)."""
    q = np.asarray(quat_wxyz, dtype=np.float64).reshape(-1, 4)
    w, x, y, z = q[:, 0], q[:, 1], q[:, 2], q[:, 3]
    return np.stack([2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=1)


def up_from_tilt(tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray, side: str) -> FloatArray:
    """Earth-up in the segment frame (n×3) from the anatomical tilt (the inverse of
    ``trainer.core.tilt.tilt_from_up``), for data already in the segment frame."""
    ap = np.radians(np.asarray(tilt_ap_deg, dtype=np.float64))
    ml = np.radians(np.asarray(tilt_ml_deg, dtype=np.float64)) * (1.0 if side == "left" else -1.0)
    c = np.cos(ap)
    k = c / np.sqrt(np.sin(ml) ** 2 + (np.cos(ml) / np.maximum(c, 1e-9)) ** 2)
    return np.stack([-np.sin(ap), -k * np.sin(ml), k * np.cos(ml) / np.maximum(c, 1e-9)], axis=1)
