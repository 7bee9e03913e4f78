"""An independent model of single-leg stance and its balance losses, as a stance-shank IMU sees it.

Written for benchmarking the balance-loss detector against losses it was not built around: it
shares no code and no assumptions with ``firmware_bridge.simulator`` (different sway process,
different fall, no fixed touchdown jolt) and none with ``trainer.core.events``.

* **Quiet single-leg stance**: per axis a stochastic damped oscillator (natural frequency
  0.6-1.1 Hz, damping 0.35-0.6, driven by white noise — a linearised inverted pendulum under
  delayed feedback) plus a slow drift below 0.1 Hz and intermittent corrective bursts (Poisson,
  ~6 a minute, 0.8-3° half-sine moves lasting 0.3-0.7 s): shank tilt RMS ~1° (eyes open) to ~1.7°
  (eyes closed), ML larger than AP as in single-leg stance.
* **A loss**: from its onset the body falls like an inverted pendulum (θ ∝ cosh(ω t) − 1,
  ω = √(g/h), h = 0.9 m) in a random direction until the excursion ``excursion_deg`` (3-15°),
  when the lifted foot touches down; the fall is arrested within ~0.15 s, the shank settles to a
  new double-stance posture (30-100 % of the excursion) and sways at a quarter of the amplitude
  for 3-8 s, then the person lifts the foot and returns to the old posture over 1 s.
* **The touchdown as the stance shank feels it**: a damped 15-40 Hz transient of peak
  ``jolt_g`` (0.1-3 g; the other leg absorbs the impact, so small values are the realistic
  ones) in a random direction near vertical.
* **Sensor**: gravity and the linear acceleration of a point 10 cm up the shank in the segment
  frame (x anterior, y left, z up; mounting = identity), gyro = body rate + a constant bias
  (0.2 °/s) + noise (0.08 °/s), accelerometer noise 4 mg.

**Busy variant** (``session(..., busy=Busy(...))``, ``busy_quiet``; the default ``busy=None`` is
the smooth model above, sample for sample): real people fight a loss — hip and arm strategies,
and the stance leg corrects busily before the other foot lands (at real touchdowns the stance
shank's ``|acc|`` moved over the 0.3 s before by ~1/1.6 of the touchdown's own transient; the
smooth model gives 1/82: README, *What the stance leg feels at real touchdowns*). Added on top
of the smooth model, from its own random stream (``seed`` → a second generator):

* **Corrective bursts of the stance leg**: band-limited (1-6 Hz) rocking of the shank about the
  ankle, AP and ML (ML/AP 1/0.75 as the sway), zero-mean moves that go and come back (the
  tilt's burst part is band-limited noise times an envelope, the angular rate its derivative).
  Amplitude = the RMS angular rate at full envelope. In quiet stance intermittent (Poisson,
  ``quiet_per_s``, Hann envelopes of 0.3-1 s, each 0.5-1.5 × ``quiet_dps``); from ``lead_s``
  before a loss's onset to its touchdown continuous at ``fall_dps`` (the person struggles),
  then fading (``fade_s``) to ``double_factor`` (a quarter, as the sway) of the quiet bursts
  while both feet are down.
* **Their acceleration consequences**: the rotation itself (through the same kinematics as the
  sway: tangential and centripetal acceleration of the sensor point) and the foot rocking on
  its soft sole with the shank: the ankle rises and sinks by ``rock_lever_m`` × the burst
  angle (AP + ML), a vertical acceleration — the one that moves ``|acc|`` at first order.
* **A finite arrest**: the landing foot takes the weight over ``arrest_s`` (the fall's angular
  rate falls to zero along a smoothstep; the peak tilt is the excursion) and the double-stance
  ringing starts at rest, instead of the smooth model's instant reversal of the fall's rate
  (whose ~0.4 g spike at the stance shank is larger than any real touchdown's there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy import signal

G = 9.80665


#: Band of the corrective bursts (Hz).
BUSY_BAND_HZ = (1.0, 6.0)


@dataclass(frozen=True)
class Busy:
    """Corrective movements of the stance leg (module docstring, *Busy variant*)."""

    quiet_dps: float = 15.0  # RMS angular rate of a quiet-stance burst at full envelope
    quiet_per_s: float = 0.7  # quiet-stance bursts per second (Poisson)
    fall_dps: float = 15.0  # RMS angular rate from lead_s before a loss's onset to touchdown
    lead_s: float = 1.0
    fade_s: float = 0.3  # after the touchdown the fall's level fades with this time constant
    double_factor: float = 0.25  # quiet bursts × this while both feet are down (as the sway)
    rock_lever_m: float = 0.04  # ankle height change per radian of burst angle
    arrest_s: float = 0.08  # the landing foot takes the weight over this long


@dataclass(frozen=True)
class Loss:
    t_onset_s: float
    t_touchdown_s: float
    excursion_deg: float
    jolt_g: float


@dataclass
class ModelRecording:
    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    tilt_ap_deg: np.ndarray
    tilt_ml_deg: np.ndarray
    fs: float
    losses: list[Loss] = field(default_factory=list)


def _oscillator(n: int, fs: float, f0: float, zeta: float, rms: float,
                rng: np.random.Generator) -> np.ndarray:
    w0 = 2 * math.pi * f0
    b, a = signal.bilinear([w0 * w0], [1.0, 2 * zeta * w0, w0 * w0], fs)
    x = signal.lfilter(b, a, rng.normal(size=n + int(20 * fs)))[int(20 * fs):]
    return np.asarray(x * (rms / max(float(np.std(x)), 1e-12)))


def quiet_sway(n: int, fs: float, rng: np.random.Generator, eyes: str = "open"
               ) -> tuple[np.ndarray, np.ndarray]:
    """(ap, ml) tilt in degrees of quiet single-leg stance, n samples."""
    k = 1.7 if eyes == "closed" else 1.0
    out = []
    for axis_gain in (0.75, 1.0):  # AP, ML
        x = _oscillator(n, fs, rng.uniform(0.6, 1.1), rng.uniform(0.35, 0.6), 0.7 * k * axis_gain,
                        rng)
        sos = signal.butter(1, 0.08, fs=fs, output="sos")
        drift = signal.sosfilt(sos, rng.normal(size=n + int(60 * fs)))[int(60 * fs):]
        x += drift * (0.4 * k / max(float(np.std(drift)), 1e-12))
        out.append(x)
    ap, ml = out
    # intermittent corrections: half-sine moves of the posture
    n_burst = rng.poisson(6.0 * n / fs / 60.0)
    for _ in range(n_burst):
        i0 = int(rng.integers(0, max(1, n - 1)))
        dur = int(rng.uniform(0.3, 0.7) * fs)
        amp = rng.uniform(0.8, 3.0) * k ** 0.5
        ang = rng.uniform(0, 2 * math.pi)
        i1 = min(n, i0 + 2 * dur)
        s = np.sin(np.pi * np.arange(i1 - i0) / (2 * dur))
        ap[i0:i1] += amp * math.cos(ang) * s
        ml[i0:i1] += amp * math.sin(ang) * s
    return ap, ml


def session(duration_s: float, fs: float, losses_at_s: list[float], excursion_deg: float,
            jolt_g: float, seed: int, eyes: str = "open", busy: Busy | None = None
            ) -> ModelRecording:
    """A recording with losses whose onsets are ``losses_at_s`` (``busy``: the busy variant;
    None: the smooth model)."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    ap, ml = quiet_sway(n, fs, rng, eyes)
    ap2, ml2 = quiet_sway(n, fs, rng, "open")
    jolt = np.zeros((n, 3))
    omega = math.sqrt(G / 0.9)
    losses = []
    # busy variant: the bursts' envelope (rate RMS, °/s) and the double-stance spans
    level = _quiet_envelope(n, fs, busy, np.random.default_rng((seed, 1))) if busy else None
    for t0 in losses_at_s:
        i0 = int(t0 * fs)
        fall_s = rng.uniform(0.45, 1.0)
        direction = rng.uniform(0, 2 * math.pi)
        # ML falls are the common ones on one leg
        direction = math.atan2(2.0 * math.sin(direction), math.cos(direction))
        e = excursion_deg * rng.uniform(0.9, 1.1)
        td = i0 + int(fall_s * fs)
        hold = int(rng.uniform(3.0, 8.0) * fs)
        settle = rng.uniform(0.3, 1.0) * e
        back = int(1.0 * fs)
        seg = np.zeros(n)
        tt = np.arange(td - i0) / fs
        seg[i0:td] = e * (np.cosh(omega * tt) - 1) / (np.cosh(omega * fall_s) - 1)
        tau = 0.15
        k = np.arange(min(n, td + hold) - td) / fs
        seg[td:td + k.size] = settle + (e - settle) * np.exp(-k / tau) * np.cos(
            2 * math.pi * 2.0 * k)
        j = min(n, td + hold)
        if busy is not None:
            _busy_arrest(seg, i0, td, j, fs, e, settle, omega, fall_s, tau, busy.arrest_s)
            assert level is not None
            _busy_fall(level, i0, td, j, fs, busy)
        r = np.arange(min(n, j + back) - j) / fs
        seg[j:j + r.size] = settle * 0.5 * (1 + np.cos(np.pi * r / 1.0))
        # double stance: sway at a quarter of the amplitude while the foot is down
        quiet = np.ones(n)
        quiet[td:j] = 0.25
        ap = ap * quiet + seg * math.cos(direction)
        ml = ml * quiet + seg * math.sin(direction)
        # the touchdown transient felt by the stance shank
        f = rng.uniform(15, 40)
        m = np.arange(min(n, td + int(0.2 * fs)) - td) / fs
        pulse = jolt_g * np.exp(-m / 0.03) * np.sin(2 * math.pi * f * m + math.pi / 2)
        v = np.array([rng.normal(0, 0.3), rng.normal(0, 0.3), 1.0])
        jolt[td:td + m.size] += pulse[:, None] * (v / np.linalg.norm(v))[None, :]
        losses.append(Loss(t0, td / fs, e, jolt_g))
    del ap2, ml2
    ankle = None
    if busy is not None:
        assert level is not None
        ap, ml, ankle = _add_bursts(ap, ml, level, fs, busy, np.random.default_rng((seed, 2)))
    acc, gyr = _imu(ap, ml, fs, rng, ankle)
    acc += jolt
    return ModelRecording(t, acc, gyr, ap, ml, fs, losses)


# ---------------------------------------------------------------------------------------------
# busy variant

def _quiet_envelope(n: int, fs: float, busy: Busy, rng: np.random.Generator) -> np.ndarray:
    """Quiet single-leg stance: intermittent bursts, the RMS angular rate (°/s) per sample."""
    level = np.zeros(n)
    for _ in range(rng.poisson(busy.quiet_per_s * n / fs)):
        i0 = int(rng.integers(0, max(1, n - 1)))
        m = int(rng.uniform(0.3, 1.0) * fs)
        w = busy.quiet_dps * rng.uniform(0.5, 1.5) * np.hanning(m)[: n - i0]
        level[i0:i0 + w.size] = np.maximum(level[i0:i0 + w.size], w)
    return level


def _busy_fall(level: np.ndarray, i0: int, td: int, j: int, fs: float, busy: Busy) -> None:
    """A loss: the fall's level from ``lead_s`` before the onset (0.3 s rise) to the touchdown,
    fading after it to ``double_factor`` × the quiet bursts while both feet are down (to
    ``j``)."""
    n = level.size
    a = max(0, i0 - int(busy.lead_s * fs))
    ramp = np.clip((np.arange(a, td) - a) / (0.3 * fs), 0.0, 1.0)
    level[a:td] = np.maximum(level[a:td], busy.fall_dps * np.sin(0.5 * np.pi * ramp) ** 2)
    k = np.arange(min(n, j) - td) / fs
    level[td:td + k.size] = (busy.double_factor * level[td:td + k.size]
                             + busy.fall_dps * np.exp(-k / busy.fade_s))


def _busy_arrest(seg: np.ndarray, i0: int, td: int, j: int, fs: float, e: float, settle: float,
                 omega: float, fall_s: float, tau: float, arrest_s: float) -> None:
    """Re-draw a loss's fall and arrest: the fall reaches ``e`` at the end of a finite arrest
    (the rate falls from the fall's to zero along a smoothstep over ``arrest_s``), then the
    double-stance ringing starts at rest (zero rate) and settles as the smooth model's."""
    n = seg.size
    c = np.cosh(omega * fall_s) - 1
    gain = omega * math.sinh(omega * fall_s) / c  # fall rate at the touchdown per degree
    e_td = e / (1.0 + gain * arrest_s / 2.0)  # the arrest travels rate × arrest_s / 2 more
    tt = np.arange(td - i0) / fs
    seg[i0:td] = e_td * (np.cosh(omega * tt) - 1) / c
    na = min(n, td + round(arrest_s * fs))
    u = np.arange(na - td) / max(arrest_s * fs, 1e-9)
    seg[td:na] = e_td + e_td * gain * arrest_s * (u - u**3 + u**4 / 2)
    w2 = 2 * math.pi * 2.0
    k = np.arange(max(0, min(n, j) - na)) / fs
    seg[na:na + k.size] = settle + (e - settle) * np.exp(-k / tau) * (
        np.cos(w2 * k) + np.sin(w2 * k) / (tau * w2))


def _band_tilt(n: int, fs: float, rng: np.random.Generator) -> np.ndarray:
    """Band-limited (``BUSY_BAND_HZ``) tilt noise (°) whose rate has unit RMS (°/s)."""
    pad = int(5 * fs)
    sos = signal.butter(2, BUSY_BAND_HZ, btype="bandpass", fs=fs, output="sos")
    x = signal.sosfilt(sos, rng.normal(size=n + pad))[pad:]
    return np.asarray(x / max(float(np.std(np.gradient(x) * fs)), 1e-12))


def _add_bursts(ap: np.ndarray, ml: np.ndarray, level: np.ndarray, fs: float, busy: Busy,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tilt (°) with the corrective bursts and the ankle's displacement (m) they cause."""
    n = ap.size
    b_ap = 0.75 * level * _band_tilt(n, fs, rng)
    b_ml = 1.0 * level * _band_tilt(n, fs, rng)
    ankle = np.zeros((n, 3))
    ankle[:, 2] = busy.rock_lever_m * np.radians(b_ap + b_ml)
    return ap + b_ap, ml + b_ml, ankle


def busy_quiet(duration_s: float, fs: float, seed: int, eyes: str = "open",
               busy: Busy | None = None) -> ModelRecording:
    """Quiet single-leg stance with the busy variant's corrective bursts (no loss)."""
    busy = busy or Busy()
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    ap, ml = quiet_sway(n, fs, rng, eyes)
    level = _quiet_envelope(n, fs, busy, np.random.default_rng((seed, 1)))
    ap, ml, ankle = _add_bursts(ap, ml, level, fs, busy, np.random.default_rng((seed, 2)))
    acc, gyr = _imu(ap, ml, fs, rng, ankle)
    return ModelRecording(np.arange(n) / fs, acc, gyr, ap, ml, fs, [])


def _rot(ap_deg: np.ndarray, ml_deg: np.ndarray) -> np.ndarray:
    """Segment → Earth rotation matrices: AP tilt about +y (top forward), ML about −x (top to
    the left, +y)."""
    a, m = np.radians(ap_deg), np.radians(ml_deg)
    ca, sa, cm, sm = np.cos(a), np.sin(a), np.cos(m), np.sin(m)
    n = a.size
    ry = np.zeros((n, 3, 3))
    ry[:, 0, 0], ry[:, 0, 2], ry[:, 1, 1], ry[:, 2, 0], ry[:, 2, 2] = ca, sa, 1, -sa, ca
    rx = np.zeros((n, 3, 3))  # rotation about -x by m
    rx[:, 0, 0], rx[:, 1, 1], rx[:, 1, 2], rx[:, 2, 1], rx[:, 2, 2] = 1, cm, sm, -sm, cm
    out: np.ndarray = ry @ rx
    return out


def _imu(ap: np.ndarray, ml: np.ndarray, fs: float, rng: np.random.Generator,
         ankle_m: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Accelerometer (g) and gyro (°/s) of the shank sensor; ``ankle_m``: the ankle's own
    displacement (n, 3), metres, world frame (None: the ankle stays put)."""
    r = _rot(ap, ml)
    n = ap.size
    # body rate from successive rotations: R_k^T R_{k+1} ≈ I + [ω]× dt
    d = np.einsum("nji,njk->nik", r[:-1], r[1:])
    w = np.column_stack((d[:, 2, 1] - d[:, 1, 2], d[:, 0, 2] - d[:, 2, 0],
                         d[:, 1, 0] - d[:, 0, 1])) / 2.0 * fs
    w = np.vstack((w, w[-1:]))
    gyr = np.degrees(w) + np.array([0.2, -0.15, 0.1]) + rng.normal(0, 0.08, (n, 3))
    # specific force: gravity (up) plus the linear acceleration of a point 10 cm up the shank
    p = r @ np.array([0.0, 0.0, 0.10])
    if ankle_m is not None:
        p = p + ankle_m
    lin = np.gradient(np.gradient(p, axis=0), axis=0) * fs * fs / G
    f_world = lin + np.array([0.0, 0.0, 1.0])
    acc = np.einsum("nji,nj->ni", r, f_world) + rng.normal(0, 0.004, (n, 3))
    return acc, gyr
