"""Segment kinematics of the drills and the IMU readings they produce (independent model).

World frame: x forward (the way the person faces), y to the person's left, z up. Segment frames:
x anterior / toward the toes, y left, z up along the segment (for the foot: out of the dorsum).

Motions are analytic functions of time (minimum-jerk strokes, sums of sinusoids for sway), so
the gyroscope is the body-frame rate of the rotation and the accelerometer the specific force of
the sensor's own point (its path's second derivative minus gravity), both by central differences
of the exact kinematics. Then the sensor's own errors: any strapping (a rotation), white noise,
a constant gyro bias, accelerometer offset and scale error.

Every rep has its truth: the peak time, the amplitude and whether it is a *full* rep (one that
reaches the drill's minimum range of motion) or a *partial* one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

Arr = NDArray[np.float64]
G = 9.80665
H_DIFF = 2e-3  # central-difference step of the kinematics (s)


# ------------------------------------------------------------------ time profiles


def _minjerk(s: Arr) -> Arr:
    s = np.clip(s, 0.0, 1.0)
    return s * s * s * (10.0 - 15.0 * s + 6.0 * s * s)


@dataclass
class Stroke:
    """A smooth move of a scalar from ``v0`` to ``v1`` over [t0, t1] (minimum jerk)."""

    t0: float
    t1: float
    v0: float
    v1: float


class Profile:
    """A scalar function of time made of strokes, constant between them."""

    def __init__(self, start: float = 0.0) -> None:
        self.start = start
        self.strokes: list[Stroke] = []

    def move(self, t0: float, t1: float, v1: float) -> None:
        v0 = self.strokes[-1].v1 if self.strokes else self.start
        self.strokes.append(Stroke(t0, t1, v0, v1))

    @property
    def last(self) -> float:
        return self.strokes[-1].v1 if self.strokes else self.start

    def __call__(self, t: Arr) -> Arr:
        t = np.asarray(t, dtype=np.float64)
        out = np.full(t.shape, self.start)
        for s in self.strokes:
            m = t >= s.t0
            out[m] = s.v0 + (s.v1 - s.v0) * _minjerk((t[m] - s.t0) / max(s.t1 - s.t0, 1e-9))
        return out


class Sway:
    """Smooth random wobble: a sum of sinusoids (rad or m), zero mean."""

    def __init__(self, rng: np.random.Generator, amp: float, f_lo: float = 0.1,
                 f_hi: float = 1.2, n: int = 6) -> None:
        self.f = rng.uniform(f_lo, f_hi, n)
        self.ph = rng.uniform(0, 2 * np.pi, n)
        self.a = amp * rng.uniform(0.3, 1.0, n) / math.sqrt(n / 2)

    def __call__(self, t: Arr) -> Arr:
        t = np.asarray(t, dtype=np.float64)
        return np.sum(self.a[:, None] * np.sin(2 * np.pi * self.f[:, None] * t[None, :]
                                               + self.ph[:, None]), axis=0)


# ------------------------------------------------------------------- truth + record


@dataclass
class TrueRep:
    t_start_s: float
    t_peak_s: float
    t_end_s: float
    amplitude: float  # degrees of the movement's rotation (calf raise: foot angle)
    full: bool
    rise_cm: float = 0.0  # calf raise: heel rise


@dataclass
class TrueHold:
    t_start_s: float
    t_end_s: float

    @property
    def duration_s(self) -> float:
        return self.t_end_s - self.t_start_s


@dataclass
class Recording:
    drill: str
    placement: str
    side: str
    fs_hz: float
    t_s: Arr
    acc_g: Arr
    gyr_dps: Arr
    reps: list[TrueRep] = field(default_factory=list)
    holds: list[TrueHold] = field(default_factory=list)
    note: str = ""
    height_m: Arr | None = None  # the sensor's true height (for checking rise estimates)

    @property
    def full_reps(self) -> list[TrueRep]:
        return [r for r in self.reps if r.full]

    def write_csv(self, path: Path) -> Path:
        """The generic CSV of the command line contract."""
        data = np.column_stack([self.t_s, self.acc_g, self.gyr_dps])
        np.savetxt(path, data, delimiter=",", fmt="%.6f", comments="",
                   header="t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps")
        return path


# ------------------------------------------------------------------ sensor readout

PoseFn = Callable[[Arr], tuple[Rotation, Arr]]  # t -> (segment->world rotation, sensor point)


@dataclass
class SensorErrors:
    gyro_noise_dps: float = 0.15
    gyro_bias_dps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    acc_noise_g: float = 0.004
    acc_bias_g: tuple[float, float, float] = (0.0, 0.0, 0.0)
    acc_scale: tuple[float, float, float] = (1.0, 1.0, 1.0)

    @classmethod
    def random(cls, rng: np.random.Generator, level: float = 1.0) -> SensorErrors:
        return cls(
            gyro_noise_dps=float(rng.uniform(0.05, 0.4) * level),
            gyro_bias_dps=tuple(rng.uniform(-2.0, 2.0, 3) * level),  # type: ignore[arg-type]
            acc_noise_g=float(rng.uniform(0.002, 0.01) * level),
            acc_bias_g=tuple(rng.uniform(-0.015, 0.015, 3) * level),  # type: ignore[arg-type]
            acc_scale=tuple(1.0 + rng.uniform(-0.015, 0.015, 3) * level),  # type: ignore[arg-type]
        )


def random_strapping(rng: np.random.Generator) -> Rotation:
    """Any strapping: a uniformly random sensor->segment rotation."""
    return Rotation.random(random_state=int(rng.integers(2**31)))


def read_imu(pose: PoseFn, strap: Rotation, t: Arr, errors: SensorErrors,
             rng: np.random.Generator) -> tuple[Arr, Arr]:
    """(acc_g, gyr_dps) of a sensor fixed to the segment with ``strap`` (sensor->segment)."""
    h = H_DIFF
    r_m, p_m = pose(t - h)
    r_0, p_0 = pose(t)
    r_p, p_p = pose(t + h)
    # sensor->world orientations
    s_m, s_0, s_p = r_m * strap, r_0 * strap, r_p * strap
    omega = (s_m.inv() * s_p).as_rotvec() / (2 * h)  # body (sensor) frame, rad/s
    acc_w = (p_p - 2 * p_0 + p_m) / (h * h) + np.array([0.0, 0.0, G])
    acc_s = s_0.inv().apply(acc_w) / G
    gyr = np.degrees(omega)
    n = t.size
    gyr = gyr + np.asarray(errors.gyro_bias_dps) + rng.normal(0, errors.gyro_noise_dps, (n, 3))
    acc = (acc_s * np.asarray(errors.acc_scale) + np.asarray(errors.acc_bias_g)
           + rng.normal(0, errors.acc_noise_g, (n, 3)))
    return acc, gyr


def _rot(axis: str, ang: Arr) -> Rotation:
    return Rotation.from_euler(axis, np.asarray(ang, dtype=np.float64).reshape(-1, 1))


def _axis_rot(axis: Arr, ang: Arr) -> Rotation:
    return Rotation.from_rotvec(np.outer(np.asarray(ang, np.float64), axis))


# ------------------------------------------------------------------- rep schedules


@dataclass
class RepPlan:
    t_start: float
    t_up: float  # rise duration
    t_top: float  # pause at the top
    t_down: float
    amplitude: float
    full: bool

    @property
    def t_peak(self) -> float:
        return self.t_start + self.t_up + 0.5 * self.t_top

    @property
    def t_end(self) -> float:
        return self.t_start + self.t_up + self.t_top + self.t_down


def rep_schedule(rng: np.random.Generator, n_full: int, amp_range: tuple[float, float],
                 partial_frac: tuple[float, float] = (0.15, 0.35), t0: float = 3.0,
                 tempo: tuple[float, float] = (0.8, 5.0), p_partial: float = 0.15,
                 pause: tuple[float, float] = (0.0, 2.0)) -> list[RepPlan]:
    """Reps of one set: each rep's tempo (up + top + down) drawn in ``tempo`` (some sets fast,
    some slow, varied within the set), amplitude varied per rep with a fatigue trend, pauses
    at the bottom varied, partial reps sprinkled in: ``partial_frac`` of the set's own range,
    below half of it (the product's definition of a partial rep), not counted."""
    set_tempo = rng.uniform(*tempo)
    amp_set = rng.uniform(*amp_range)
    fatigue = rng.uniform(0.0, 0.2)
    out: list[RepPlan] = []
    t = t0
    k = 0
    while k < n_full:
        partial = rng.random() < p_partial
        T = float(np.clip(set_tempo * rng.uniform(0.8, 1.25), tempo[0], tempo[1]))
        up = rng.uniform(0.3, 0.5)
        top = rng.uniform(0.0, 0.3) if T > 1.5 else 0.0
        t_up, t_top = T * up, T * top
        t_down = T - t_up - t_top
        if partial:
            amp = amp_set * rng.uniform(*partial_frac)
        else:
            amp = amp_set * (1.0 - fatigue * k / max(n_full - 1, 1)) * rng.uniform(0.9, 1.1)
            amp = max(amp, amp_range[0])
            k += 1
        out.append(RepPlan(t, t_up, t_top, t_down, float(amp), not partial))
        fast = set_tempo < 1.5
        t += T + (rng.uniform(0.0, 0.3) if fast else rng.uniform(*pause))
    return out


def profile_from(plans: list[RepPlan], sign: float = 1.0) -> Profile:
    p = Profile(0.0)
    for r in plans:
        p.move(r.t_start, r.t_start + r.t_up, sign * r.amplitude)
        p.move(r.t_start + r.t_up + r.t_top, r.t_end, 0.0)
    return p


def _sample_times(duration: float, fs: float, rng: np.random.Generator) -> Arr:
    n = int(duration * fs)
    return (np.arange(n) / fs + rng.uniform(0, 1000.0)).astype(np.float64)
