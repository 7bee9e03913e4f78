"""Single-leg stance: the body as an inverted pendulum over the stance ankle, stabilised by
delayed PD feedback and driven by filtered noise, in the sagittal (AP) and frontal (ML) planes.

Model (Peterka 2002, J Neurophysiol 88:1097; Maurer & Peterka 2005, J Neurophysiol 93:189)::

    J·θ'' = m·g·h·θ − Kp·θ(t−τ) − Kd·θ'(t−τ) + T_noise(t)

* ``m = 70 kg`` (body above the stance ankle), ``h = 0.9 m`` (centre of mass height),
  ``J = m·h²`` (point mass).
* AP: ``Kp = 1.3·m·g·h`` per rad, ``Kd = 0.35·m·g·h`` s per rad, ``τ = 0.17 s``: Peterka's
  fitted sensory-weighted feedback gains are ~1.2–1.5 ·mgh (stiffness) and ~0.3–0.4 ·mgh·s
  (damping) with a ~170 ms loop delay. ML (single-leg) has its own constants: the gains
  (``ML_FIRM``, ``ML_FOAM``, equal to AP's: no single-leg data separate ML stiffness from AP's)
  and a larger amplitude, ``ML_AP_RATIO`` = 1.17 × AP: on one leg the body sways more from side
  to side than fore-aft, because the base of support is narrowest medio-laterally (the foot's
  width) — see ``ML_AP_RATIO``.
* Condition-dependent spectra: on foam both loops are stiffer (``AP_FOAM``, ``ML_FOAM``), which
  raises the mean sway frequency ≈1.5× as on BDS force-plate trials; eyes closed leaves the
  spectrum and raises the amplitude only (BDS: frequency unchanged with eyes closed).
* ``T_noise`` = first-order low-pass white noise (τ 1 s) plus a faster one (τ 0.1 s) ×3, the
  filtered-noise disturbance of Maurer & Peterka. Its scale is set so that firm surface, eyes open
  gives ≈1.0° AP / ≈1.2° ML shank-tilt RMS (single-leg stance) whatever the gains (normalised by
  the chain's impulse response, ``stationary_rms``). Eyes closed multiplies the amplitude by 1.6
  and foam by 1.35, so eyes-closed-on-foam is ≈2.2°: all within 0.5–3°. These amplitude factors
  are single-leg choices, not BDS's (BDS is stance on two feet, where foam doubles the sway and
  eyes closed hardly changes it).

The ODE is discretised semi-implicitly (ω += dt/J·(…); θ += dt·ω) on the sample grid, which makes
θ the output of a linear recursion of order ``round(τ/dt)+2``: ``scipy.signal.lfilter`` with its
state carried between blocks integrates it exactly and fast. The shank follows the body (ankle
strategy), so the shank tilt is θ.

Sets (``SimConfig.hold_s``): standing on both legs (sway ×0.35, the shank leaning 3° medially),
lifting the other foot for ``hold_s``, putting it down (a small jolt), resting ``rest_s``. With
``SimConfig.guide`` the foot is lifted ``reaction_s`` after each of the guide's "Go" and put down
``reaction_s`` after its "stop".

Balance losses: a large excursion (7–14°, mostly ML) accelerating over 0.35–0.7 s, an abrupt arrest
when the lifted foot touches down (a ringing rotation and a small transmitted jolt, 0.05–0.3 g:
``TOUCHDOWN_JOLT_G``), the excursion taken back over 0.6–1.2 s, then 3–6 s on both feet (the
double-stance posture and sway) before the foot is lifted again.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

FloatArray = NDArray[np.float64]

MASS_KG = 70.0
COM_HEIGHT_M = 0.9
GRAVITY = 9.81
DELAY_S = 0.17
NOISE_TAU_SLOW_S = 1.0
NOISE_TAU_FAST_S = 0.1
NOISE_FAST_GAIN = 3.0
TORQUE_NOISE_NM = 1.0  # torque per unit of normalised noise (×√fs keeps sway rate-independent)
#: Noise scale (units of the normalised filtered noise) giving ≈1° AP RMS on a firm floor.
NOISE_AP = 0.85
#: Single-leg stance sways more medio-laterally than antero-posteriorly. The one number we could
#: read for healthy single-leg stance: Oliveira et al. 2018 (PLoS One 13:e0203887; 170 adults
#: aged ~67, 3 × 30 s one-legged stance, eyes open, force plate) put the faller/non-faller
#: cut-offs of centre-of-pressure velocity at 3.4 cm/s ML vs 2.9 cm/s AP, i.e. ML 1.17× AP.
#: Qualitatively the same direction: narrowing the base of support in one direction raises the
#: sway in that direction (Sarabon et al. 2010, J Sports Sci Med 9:431, single-leg among five
#: stances); feet together vs apart raised the ML CoP range +185 % but AP only +15 % (96 young
#: adults). With the AP gains kept for ML, the velocity ratio is the amplitude ratio, so ML tilt
#: RMS is 1.17× AP. Caveat: this is a CoP ratio (which includes the foot's own
#: inversion/eversion), taken for the shank tilt; it was 0.88× before (no source).
ML_AP_RATIO = 3.4 / 2.9
#: ML noise scale: ``ML_AP_RATIO`` of AP's (the ML and AP loops have the same gains).
NOISE_ML = NOISE_AP * ML_AP_RATIO
EYES_CLOSED_FACTOR = 1.6
FOAM_FACTOR = 1.35


@dataclass(frozen=True)
class PlaneGains:
    """Feedback of one plane: stiffness ``kp_rel`` (× m·g·h per rad) and damping ``kd_rel_s``
    (× m·g·h·s per rad)."""

    kp_rel: float
    kd_rel_s: float


#: Sagittal plane, firm floor: Peterka's sensory-weighted gains (~1.2–1.5 ·mgh, ~0.3–0.4 ·mgh·s).
AP_FIRM = PlaneGains(1.3, 0.35)
#: Frontal plane on one leg: its own constant so that single-leg ML data can set it. The one
#: single-leg figure we have (Oliveira et al. 2018: CoP velocity ML 1.17× AP) gives a ratio of
#: velocities, which a larger amplitude at the same gains reproduces (``ML_AP_RATIO``); nothing
#: read separates ML stiffness (frequency) from AP's, so ML keeps the AP gains.
ML_FIRM = AP_FIRM
#: On foam both loops are stiffer so that the mean sway frequency rises ≈1.5× (BDS force-plate
#: trials, Santos & Duarte 2016: foam/firm mean frequency 0.42/0.22 and 0.27/0.22 Hz for the two
#: subjects, eyes open; geometric mean 1.5×). Eyes closed leaves the gains (and the frequency)
#: as they are (BDS: closed/open on a firm floor 1.2× and 0.84×, geometric mean 1.0×) and only
#: raises the noise. ``tests/external/test_sim_conditions.py`` checks both against BDS.
AP_FOAM = PlaneGains(1.55, 0.35)
ML_FOAM = AP_FOAM


def pendulum_filter(fs: float, gains: PlaneGains = AP_FIRM) -> tuple[FloatArray, FloatArray]:
    """``(b, a)`` of θ(z)/T(z) for the delayed-PD inverted pendulum sampled at ``fs``."""
    j = MASS_KG * COM_HEIGHT_M**2
    mgh = MASS_KG * GRAVITY * COM_HEIGHT_M
    kp, kd = gains.kp_rel * mgh, gains.kd_rel_s * mgh
    dt = 1.0 / fs
    d = max(1, round(DELAY_S * fs))
    a = np.zeros(d + 3)
    a[0], a[1], a[2] = 1.0, -2.0 - dt * dt / j * mgh, 1.0
    a[d + 1] += dt * dt / j * kp + dt * kd / j
    a[d + 2] -= dt * kd / j
    b = np.array([0.0, dt * dt / j])
    return b, a


def condition_factor(eyes: str, surface: str) -> float:
    """How much larger the sway is with eyes closed and/or on foam (RMS ratio to firm, open)."""
    f = EYES_CLOSED_FACTOR if eyes == "closed" else 1.0
    return f * (FOAM_FACTOR if surface == "foam" else 1.0)


def plane_gains(surface: str) -> tuple[PlaneGains, PlaneGains]:
    """(AP, ML) feedback gains for the surface."""
    return (AP_FOAM, ML_FOAM) if surface == "foam" else (AP_FIRM, ML_FIRM)


def _noise_filters(fs: float) -> tuple[float, float]:
    return math.exp(-1.0 / (fs * NOISE_TAU_SLOW_S)), math.exp(-1.0 / (fs * NOISE_TAU_FAST_S))


def stationary_rms(fs: float, gains: PlaneGains, seconds: float = 40.0) -> float:
    """RMS tilt (rad) per unit noise scale of the noise → pendulum chain, from its impulse
    responses (independent slow and fast white inputs): no simulation, no tuning."""
    b, a = pendulum_filter(fs, gains)
    al_slow, al_fast = _noise_filters(fs)
    imp = np.zeros(int(seconds * fs))
    imp[0] = 1.0
    var = 0.0
    for al, k in ((al_slow, 1.0), (al_fast, NOISE_FAST_GAIN)):
        h = lfilter(b, a, lfilter([1 - al], [1, -al], imp))
        var += k * k * float(np.dot(h, h))
    return math.sqrt(var) * math.sqrt(fs) * TORQUE_NOISE_NM


class StancePendulum:
    """Two independent planes (AP, ML) of the delayed-feedback pendulum, each with its own gains,
    integrated block by block (state carried, so the result does not depend on block
    boundaries). ``scale`` multiplies the firm-floor amplitude; the noise of each plane is set so
    that its RMS does not depend on the gains (the surface changes the spectrum, ``scale`` the
    amplitude)."""

    def __init__(self, fs: float, scale: float, surface: str = "firm") -> None:
        self.fs = fs
        ap, ml = plane_gains(surface)
        self.filters = [pendulum_filter(fs, g) for g in (ap, ml)]
        self.al_slow, self.al_fast = _noise_filters(fs)
        # torque scale: normalise so the noise unit gives the same sway at any sample rate
        self.gain = scale * math.sqrt(fs) * TORQUE_NOISE_NM
        ref = stationary_rms(fs, AP_FIRM)  # AP on a firm floor keeps its long-standing amplitude
        self.scales = np.array([NOISE_AP * ref / stationary_rms(fs, ap),
                                NOISE_ML * ref / stationary_rms(fs, ml)])
        self.zi_slow = np.zeros((2, 1))
        self.zi_fast = np.zeros((2, 1))
        self.zi_pend = [np.zeros(len(a) - 1) for _, a in self.filters]

    def block(self, rng: np.random.Generator, n: int) -> FloatArray:
        """The next ``n`` samples of (AP, ML) tilt in radians, shape 2×n."""
        white = rng.standard_normal((4, n))
        slow, self.zi_slow = lfilter(
            [1 - self.al_slow], [1, -self.al_slow], white[:2], axis=1, zi=self.zi_slow
        )
        fast, self.zi_fast = lfilter(
            [1 - self.al_fast], [1, -self.al_fast], white[2:], axis=1, zi=self.zi_fast
        )
        torque = (slow + NOISE_FAST_GAIN * fast) * (self.gain * self.scales[:, None])
        out: FloatArray = np.empty((2, n))
        for k, (b, a) in enumerate(self.filters):
            out[k], self.zi_pend[k] = lfilter(b, a, torque[k], zi=self.zi_pend[k])
        return out


@dataclass
class BalanceLoss:
    """One loss of balance (times on the true clock, seconds)."""

    t_onset: float
    t_touchdown: float
    t_recovered: float  # the foot is lifted again: double stance from touchdown to here
    peak_deg: float
    direction_rad: float  # 0 = forward (AP+), +π/2 = toward +y (left)
    impact_g: float
    ring_deg: float
    caught_s: float = 1.0  # the excursion is taken back over this long after the touchdown

    def as_event(self, to_session: float) -> dict[str, Any]:
        return {
            "type": "balance_loss",
            "t_s": float(self.t_onset * to_session),
            "t_touchdown_s": float(self.t_touchdown * to_session),
            "t_recovered_s": float(self.t_recovered * to_session),
            "peak_tilt_deg": float(self.peak_deg),
            "direction_deg": float(math.degrees(self.direction_rad)),
        }


ARREST_TAU_S = 0.04
#: Transmitted jolt on the stance shank when the other foot touches down (g, drawn uniformly).
#: No measurement of this transient was found: the g-level tibial shock in the literature
#: (e.g. Lafortune 1995) is the landing leg's own; the stance shank's arrest of its own rotation
#: is in the kinematics already. So only a small share is added (the low end of the loss
#: benchmark's 0.1–3 g grid), and the simulator never hands the detector an impact it may not
#: get (the 1.5–3 g used before made simulated losses easy by construction).
TOUCHDOWN_JOLT_G = (0.05, 0.3)
#: After a loss the person stands on both feet (less sway, the double-stance posture) this long
#: (s, drawn uniformly) before lifting the foot again.
LOSS_DOUBLE_STANCE_S = (3.0, 6.0)
#: The stance shank's ringing rotation at the arrest (deg at ``RING_HZ``): small, like the jolt
#: (1° before, which alone put ~1 g on the sensor).
LOSS_RING_DEG = 0.25
IMPACT_TAU_S = 0.015
RING_HZ = 12.0
RING_TAU_S = 0.05


@dataclass
class BalanceLossSchedule:
    """Loss events generated lazily and in order from their own RNG stream (deterministic however
    the stream is cut). ``times_true`` are requested onsets; ``rate_per_min`` adds Poisson ones."""

    seed: int
    times_true: tuple[float, ...]
    rate_per_min: float
    lateral_sign: float
    events: list[BalanceLoss] = field(default_factory=list)
    allowed: Callable[[float], bool] | None = None  # onsets elsewhere are skipped
    _next_time: int = 0
    _poisson_t: float = 0.0
    _rng: np.random.Generator | None = None

    def __post_init__(self) -> None:
        self._rng = np.random.default_rng(np.random.SeedSequence([self.seed, 0xBA1A]))
        self._times = sorted(t for t in self.times_true if t >= 0)
        if self.rate_per_min > 0:
            self._poisson_t = 3.0 + float(self._rng.exponential(60.0 / self.rate_per_min))
        else:
            self._poisson_t = math.inf

    def extend_to(self, t_true: float) -> None:
        """Make sure every event with onset ≤ ``t_true`` exists."""
        assert self._rng is not None
        while True:
            i = self._next_time
            nxt_req = self._times[i] if i < len(self._times) else math.inf
            onset = min(nxt_req, self._poisson_t)
            if onset > t_true or math.isinf(onset):
                return
            from_poisson = onset != nxt_req
            if not from_poisson:
                self._next_time += 1
            if self.events and onset < self.events[-1].t_recovered + 0.5:
                onset = self.events[-1].t_recovered + 0.5
            if self.allowed is not None and not self.allowed(onset):
                if from_poisson:
                    self._poisson_t = onset + float(self._rng.exponential(60.0 / self.rate_per_min))
                continue
            r = self._rng.random(7)
            fall = 0.35 + 0.35 * r[0]
            side = 1.0 if r[1] < 0.6 else -1.0  # more often toward the lateral side
            direction = self.lateral_sign * side * math.pi / 2 + math.radians(40.0 * (r[2] - 0.5))
            lo_g, hi_g = TOUCHDOWN_JOLT_G
            ev = BalanceLoss(
                t_onset=onset,
                t_touchdown=onset + fall,
                t_recovered=onset + fall + LOSS_DOUBLE_STANCE_S[0]
                + (LOSS_DOUBLE_STANCE_S[1] - LOSS_DOUBLE_STANCE_S[0]) * r[3],
                peak_deg=7.0 + 7.0 * r[4],
                direction_rad=direction,
                impact_g=lo_g + (hi_g - lo_g) * r[5],
                ring_deg=LOSS_RING_DEG,
                caught_s=0.6 + 0.6 * r[6],
            )
            self.events.append(ev)
            if from_poisson:
                gap = float(self._rng.exponential(60.0 / self.rate_per_min))
                self._poisson_t = ev.t_recovered + 3.0 + gap

    def double_stance(self, t: FloatArray) -> FloatArray:
        """0..1: the person stands on both feet after a loss (from its touchdown until the foot
        is lifted again, with ``LIFT_S`` weight shifts); call after ``block`` for the same
        ``t``."""
        d = np.zeros(t.shape[0])
        for ev in self.events:
            if ev.t_touchdown > t[-1] or ev.t_recovered + LIFT_S < t[0]:
                continue
            on = np.clip((t - ev.t_touchdown) / 0.1, 0.0, 1.0)  # the foot lands: weight at once
            off = 0.5 - 0.5 * np.cos(np.pi * np.clip((t - ev.t_recovered) / LIFT_S, 0.0, 1.0))
            d = np.maximum(d, on - off)
        return d

    def block(self, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Added tilt (2×n, rad: AP, ML) and impact jolt (n, g along the segment's z axis)."""
        n = t.shape[0]
        tilt = np.zeros((2, n))
        jolt = np.zeros(n)
        if n == 0:
            return tilt, jolt
        self.extend_to(float(t[-1]))
        for ev in self.events:
            if ev.t_onset > t[-1] or ev.t_recovered + 0.5 < t[0]:
                continue
            e_deg = np.zeros(n)
            fall = ev.t_touchdown - ev.t_onset
            pre = (t >= ev.t_onset) & (t < ev.t_touchdown)
            u = (t[pre] - ev.t_onset) / fall
            e_deg[pre] = ev.peak_deg * u * u
            post = t >= ev.t_touchdown
            s = t[post] - ev.t_touchdown
            v1 = 2.0 * ev.peak_deg / fall  # deg/s at touchdown
            arrest = ev.peak_deg + v1 * ARREST_TAU_S * (1.0 - np.exp(-s / ARREST_TAU_S))
            rec = ev.caught_s
            c = np.where(s < rec, 0.5 * (1.0 + np.cos(np.pi * np.minimum(s / rec, 1.0))), 0.0)
            ring = -ev.ring_deg * np.exp(-s / RING_TAU_S) * np.sin(2 * np.pi * RING_HZ * s)
            e_deg[post] = arrest * c + ring
            e = np.radians(e_deg)
            tilt[0] += e * math.cos(ev.direction_rad)
            tilt[1] += e * math.sin(ev.direction_rad)
            x = s / IMPACT_TAU_S
            jolt[post] += ev.impact_g * x * np.exp(1.0 - x)
        return tilt, jolt


LIFT_S = 0.6  # weight shift onto the stance leg / back
#: On both feet the sway is smaller than on one: AP × 0.35 of the single-leg AP sway (a choice,
#: no single- vs double-leg shank data), and ML much smaller still, because feet apart make the
#: frontal plane the stiff one: ML/AP RMS of the centre of pressure on two feet, firm floor, eyes
#: open, is 0.42 on the BDS force-plate trials (Santos & Duarte 2016, ../shared/data/bds,
#: geometric mean of 6 trials, 0.31-0.57), against 1.17 on one leg (``ML_AP_RATIO``). So ML on
#: both feet is 0.35 × 0.42 / 1.17 = 0.13 of the single-leg ML sway (it was 0.35 like AP, which
#: left double stance with as much side-to-side sway relative to fore-aft as single-leg stance).
DOUBLE_STANCE_SWAY_AP = 0.35
BIPEDAL_ML_AP_RATIO = 0.42
DOUBLE_STANCE_SWAY_ML = DOUBLE_STANCE_SWAY_AP * BIPEDAL_ML_AP_RATIO / ML_AP_RATIO
DOUBLE_STANCE_SWAY = np.array([DOUBLE_STANCE_SWAY_AP, DOUBLE_STANCE_SWAY_ML])
DOUBLE_STANCE_MEDIAL_DEG = 3.0
SET_LEAD_IN_S = 3.0
PLANNED_TOUCHDOWN_G = 0.15  # the planned foot-down at a hold's end: small, as a loss's


@dataclass
class StanceSets:
    """Holds on one leg separated by rests on both (deterministic times: hold ``k`` lifts off at
    ``lead_in + k·(hold + rest)``); ``reps`` None: endless. ``windows`` (true times of lift-off
    and touchdown, in order) replace that rhythm with given holds (a guide's sets)."""

    hold_s: float
    rest_s: float
    reps: int | None
    windows: tuple[tuple[float, float], ...] | None = None

    def start(self, k: int) -> float:
        if self.windows is not None:
            return self.windows[k][0]
        return SET_LEAD_IN_S + k * (self.hold_s + self.rest_s)

    def end(self, k: int) -> float:
        if self.windows is not None:
            return self.windows[k][1]
        return self.start(k) + self.hold_s

    def index_at(self, t: float) -> int:
        """The hold that lifted off last at ``t`` (−1 before the first)."""
        if self.windows is not None:
            return bisect.bisect_right([w[0] for w in self.windows], t) - 1
        return math.floor((t - SET_LEAD_IN_S) / (self.hold_s + self.rest_s))

    @property
    def count(self) -> int | None:
        return len(self.windows) if self.windows is not None else self.reps

    def in_hold(self, t: float, margin_start: float = 0.0, margin_end: float = 0.0) -> bool:
        k = self.index_at(t)
        if k < 0 or (self.count is not None and k >= self.count):
            return False
        return self.start(k) + margin_start <= t <= self.end(k) - margin_end

    def _first_near(self, t: float) -> int:
        """The first hold that may still matter at ``t`` (its touchdown is not long past)."""
        if self.windows is not None:
            return max(0, bisect.bisect_left([w[1] for w in self.windows], t - 1.0))
        return max(0, self.index_at(t - self.hold_s - 1.0))

    def single(self, t: FloatArray) -> tuple[FloatArray, FloatArray]:
        """(single-leg weight 0..1, planned touchdown jolt in g) for times ``t``."""
        n = t.shape[0]
        w = np.zeros(n)
        jolt = np.zeros(n)
        if n == 0:
            return w, jolt
        k_lo = self._first_near(float(t[0]))
        k_hi = self.index_at(float(t[-1]) + LIFT_S) + 1
        if self.count is not None:
            k_hi = min(k_hi, self.count)
        for k in range(k_lo, k_hi):
            t0 = self.start(k)
            t1 = self.end(k)
            rise = 0.5 - 0.5 * np.cos(np.pi * np.clip((t - t0 + LIFT_S / 2) / LIFT_S, 0.0, 1.0))
            fall = 0.5 - 0.5 * np.cos(np.pi * np.clip((t - t1 + LIFT_S / 2) / LIFT_S, 0.0, 1.0))
            w += rise - fall
            x = np.clip(t - t1, 0.0, None) / IMPACT_TAU_S
            jolt += np.where(t >= t1, PLANNED_TOUCHDOWN_G * x * np.exp(1.0 - x), 0.0)
        return w, jolt

    def events_between(self, t_a: float, t_b: float, to_session: float) -> list[dict[str, Any]]:
        """Hold events whose lift-off is in (t_a, t_b]."""
        out: list[dict[str, Any]] = []
        if self.count == 0:
            return out
        k = max(0, self.index_at(t_a) if t_a >= self.start(0) else 0)
        while self.count is None or k < self.count:
            t0 = self.start(k)
            if t0 > t_b:
                break
            if t0 > t_a:
                t1 = self.end(k)
                out.append({"type": "hold", "t_s": t0 * to_session,
                            "t_end_s": t1 * to_session,
                            "duration_s": self.hold_s if self.windows is None else t1 - t0,
                            "motion": "single-leg", "index": k})
            k += 1
        return out
