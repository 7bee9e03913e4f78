"""Joint position sense (active ankle repositioning) with the foot sensor: angles, trials, errors.

**What is measured.** The foot's rotation from neutral (where it rests before each trial), from
the bias-corrected angular rate integrated into a quaternion (``integrate_rotation``): a rotation
is the same in any sensor frame, so any strapping works with and without a mounting calibration,
and gyro integration over the few seconds of a trial does not drift once the bias is removed
(estimated from the many still periods of the test). The *presented* angle is the size of the
rotation held while the target was shown; the *reproduced* angle is the reproduction's rotation
projected on the presented rotation's axis (so a reproduction in the same direction is positive,
and small off-axis wobble does not inflate it).

**Finding the positions.** Still periods (``trainer.core.stillness``: windows of 0.25 s whose
mean rate and rate spread stay under ``still_dps``) are classed as
neutral (within ``min_excursion_deg`` of the last neutral) or away from it; the still periods
between two neutral ones form one excursion. A presentation is the excursion's longest hold; a
reproduction is the moment the person said "there" (a ``there`` event, the Space key), else the
first stillness of ``still_s`` (2 s), else its longest hold. Without set events (an imported
recording) excursions pair up in order (shown, reproduced) and take their targets from the
drill's plan; with the guided session's set events each window says which trial it is.

**Errors** per target and side (Schmidt & Lee's conventions): absolute error AE = mean |e|,
constant error CE = mean e (+ overshoot), variable error VE = √(mean (e − CE)²), e = reproduced
− target.

**Reliability** (``RELIABILITY``): joint-position-sense tests of the ankle are, on moderate
evidence, valid and reliable but their responsiveness is unknown (systematic review of 79
studies: Bertrand-Charette et al. 2020, BMJ Open Sport Exerc Med 6:e000685); between-session
differences of a few degrees are within the test's noise, so compare averages over several
trials and sessions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer.core.quat import conjugate, multiply
from trainer.core.stillness import StillnessThresholds, still_segments
from trainer.drills.detectors import FloatArray, estimate_gyro_bias

RELIABILITY: dict[str, str] = {
    "summary": "Ankle joint-position-sense tests are valid and reliable on moderate evidence; "
               "how well they track change is not yet known. Errors of 2-3° between sessions "
               "are within the test's own variation: look at the mean over several trials and "
               "the trend over weeks, not at one trial.",
    "source": "Bertrand-Charette M, Dambreville C, Bouyer LJ, Roy JS. Systematic review of motor "
              "control and somatosensation assessment tests for the ankle. BMJ Open Sport Exerc "
              "Med 2020;6:e000685.",
}
MAX_DT_S = 0.1


# ---------------------------------------------------------------- rotation from the gyro


def _exp_rows(rotvec_rad: FloatArray) -> FloatArray:
    angle = np.linalg.norm(rotvec_rad, axis=1)
    half = 0.5 * angle
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(angle > 1e-12, np.sin(half) / np.where(angle > 1e-12, angle, 1.0), 0.5)
    return np.column_stack((np.cos(half), rotvec_rad * scale[:, None]))


def rotvec_deg(q: FloatArray) -> FloatArray:
    """Rotation vectors (degrees, n×3) of unit quaternions (n×4, w first; shortest rotation)."""
    q = np.atleast_2d(np.asarray(q, dtype=np.float64))
    q = np.where(q[:, :1] < 0, -q, q)
    v = q[:, 1:]
    s = np.linalg.norm(v, axis=1)
    angle = 2.0 * np.arctan2(s, q[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        k = np.where(s > 1e-12, angle / np.where(s > 1e-12, s, 1.0), 2.0)
    out: FloatArray = np.degrees(v * k[:, None])
    return out


def integrate_rotation(t_s: FloatArray, gyr_dps: FloatArray, bias_dps: FloatArray | None = None,
                       q0: FloatArray | None = None, t_prev_s: float | None = None
                       ) -> FloatArray:
    """Body-frame orientation relative to the start (n×4), from the angular rate: q_k = q_{k−1}
    ⊗ exp(ω_k·Δt_k), Δt from the time stamps (gaps up to ``MAX_DT_S``). A parallel prefix
    product (log₂ n vectorised passes). ``q0``/``t_prev_s`` continue a previous batch."""
    t = np.asarray(t_s, dtype=np.float64).reshape(-1)
    g = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
    n = t.size
    if n == 0:
        return np.empty((0, 4))
    if bias_dps is not None:
        g = g - np.asarray(bias_dps, dtype=np.float64)
    dt = np.diff(t, prepend=t[0] if t_prev_s is None else t_prev_s)
    if t_prev_s is None and n > 1:
        dt[0] = float(np.median(np.diff(t)))
    dt = np.clip(dt, 0.0, MAX_DT_S)
    q = _exp_rows(np.radians(np.nan_to_num(g)) * dt[:, None])
    step = 1
    while step < n:
        q[step:] = multiply(q[:-step], q[step:])
        step *= 2
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    if q0 is not None:
        q = multiply(np.broadcast_to(np.asarray(q0, dtype=np.float64), q.shape), q)
    return q


def relative_rotvec_deg(q_from: FloatArray, q_to: FloatArray) -> FloatArray:
    """Rotation vector (degrees) taking orientation ``q_from`` to ``q_to`` (body frame)."""
    a = np.atleast_2d(q_from)
    b = np.atleast_2d(q_to)
    return rotvec_deg(multiply(conjugate(np.broadcast_to(a, b.shape)), b))


def mean_quat(q: FloatArray) -> FloatArray:
    """Average orientation of a still period (sign-aligned mean, normalised)."""
    q = np.asarray(q, dtype=np.float64)
    q = np.where((q @ q[0])[:, None] < 0, -q, q)
    m = q.mean(axis=0)
    out: FloatArray = m / np.linalg.norm(m)
    return out


# ------------------------------------------------------------------ still periods, excursions


@dataclass(frozen=True)
class Still:
    a: int  # sample index range [a, b)
    b: int
    t0: float
    t1: float
    q: FloatArray  # mean orientation

    @property
    def duration_s(self) -> float:
        return self.t1 - self.t0


@dataclass
class Excursion:
    """Away from neutral: the neutral before it and the still periods during it."""

    neutral: Still
    stills: list[Still]
    t_start_s: float
    t_end_s: float

    def hold(self, still_s: float, first_long: bool) -> Still | None:
        """The first still of ``still_s`` (``first_long``) or else the longest."""
        if not self.stills:
            return None
        if first_long:
            for s in self.stills:
                if s.duration_s >= still_s - 1e-9:
                    return s
        return max(self.stills, key=lambda s: s.duration_s)


STILL_SPREAD_DEG = 0.5  # a still period moves less than this from its start
STILL_WINDOW_S = 0.25  # stillness windows (trainer.core.stillness): rate and its spread < still_dps


def _split_drifting(q: FloatArray, a: int, b: int) -> list[tuple[int, int]]:
    """[a, b) cut wherever the orientation has moved ``STILL_SPREAD_DEG`` from the piece's
    start: a slow movement (under the rate threshold) is not a still position."""
    out = []
    while a < b:
        moved = np.linalg.norm(relative_rotvec_deg(q[a], q[a:b]), axis=1) > STILL_SPREAD_DEG
        k = a + int(np.argmax(moved)) if moved.any() else b
        out.append((a, k))
        a = max(k, a + 1)
    return out


def still_positions(t: FloatArray, q: FloatArray, gyr: FloatArray, fs: float, still_dps: float,
                    min_still_s: float) -> list[Still]:
    """Still periods: low angular rate and no slow drift, at least ``min_still_s`` long."""
    out = []
    limits = StillnessThresholds(window_s=STILL_WINDOW_S, gyr_std_dps=still_dps,
                                 acc_std_g=np.inf, gyr_mean_dps=still_dps)
    for seg in still_segments(t, None, gyr, limits, min_duration_s=min(min_still_s, 0.3),
                              margin_s=0.0):
        for a, b in _split_drifting(q, seg.start, seg.stop):
            if b - a >= 2 and float(t[b - 1] - t[a]) >= min_still_s:
                out.append(Still(a, b, float(t[a]), float(t[b - 1]), mean_quat(q[a:b])))
    return out


def excursions(t: FloatArray, q: FloatArray, gyr: FloatArray, fs: float, *, still_dps: float,
               min_excursion_deg: float, min_still_s: float = 0.8) -> list[Excursion]:
    """Still periods classed as neutral or away (see the module docstring), grouped."""
    stills = still_positions(t, q, gyr, fs, still_dps, min_still_s)
    if not stills:
        return []
    out: list[Excursion] = []
    neutral = stills[0]
    cur: Excursion | None = None
    for s in stills[1:]:
        away = float(np.linalg.norm(relative_rotvec_deg(neutral.q, s.q)[0]))
        if away < min_excursion_deg:
            if cur is not None:
                cur.t_end_s = s.t0
                out.append(cur)
                cur = None
            neutral = s
        else:
            if cur is None:
                cur = Excursion(neutral, [], neutral.t1, s.t1)
            cur.stills.append(s)
    if cur is not None:
        cur.t_end_s = float(t[-1])
        out.append(cur)
    return out


# ----------------------------------------------------------------------------- trials


@dataclass(frozen=True)
class TrialPlan:
    """What one trial asked for: its target (degrees, ``motion`` direction) and number."""

    trial: int
    motion: str
    target_deg: float
    present_window: tuple[float, float] | None = None
    reproduce_window: tuple[float, float] | None = None


def plan_trials(plan: Sequence[Any]) -> list[TrialPlan]:
    """The trials of a position-sense ``SetPlan`` list (present + reproduce pairs)."""
    out: list[TrialPlan] = []
    for p in plan:
        if getattr(p, "stage", None) == "present":
            out.append(TrialPlan(int(p.trial or len(out) + 1), str(p.motion),
                                 float(p.target_deg or 0.0)))
    return out


def analyze_trials(t_s: FloatArray, gyr_dps: FloatArray, fs_hz: float,
                   trials: Sequence[TrialPlan], *, events: Sequence[Mapping[str, Any]] = (),
                   still_dps: float = 4.0, still_s: float = 2.0,
                   min_excursion_deg: float = 3.0) -> list[dict[str, Any]]:
    """One dict per trial found: ``trial``, ``motion``, ``target_deg``, ``presented_deg``,
    ``reproduced_deg``, ``error_deg`` (reproduced − target), ``presented_error_deg``
    (reproduced − presented), ``how`` (there | still | hold) and times."""
    t = np.asarray(t_s, dtype=np.float64)
    g = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
    if t.size < 4:
        return []
    bias = estimate_gyro_bias(t, g, fs_hz, still_dps=min(still_dps, 6.0), min_s=0.8)
    q = integrate_rotation(t, g, bias)
    exc = excursions(t, q, g - bias, fs_hz, still_dps=still_dps,
                     min_excursion_deg=min_excursion_deg)
    there = sorted(float(e["t_s"]) for e in events
                   if e.get("type") == "there" and isinstance(e.get("t_s"), int | float))
    windowed = [tp for tp in trials if tp.present_window and tp.reproduce_window]
    pairs: list[tuple[TrialPlan, Excursion | None, Excursion | None]] = []
    if windowed:
        for tp in windowed:
            assert tp.present_window and tp.reproduce_window
            pairs.append((tp, _in_window(exc, tp.present_window),
                          _in_window(exc, tp.reproduce_window)))
    else:
        for k in range(len(exc) // 2):
            tp = trials[k % len(trials)] if trials else TrialPlan(k + 1, "", math.nan)
            if trials and k >= len(trials):
                tp = TrialPlan(k + 1, tp.motion, tp.target_deg)
            pairs.append((tp, exc[2 * k], exc[2 * k + 1]))
    out = []
    for tp, pe, re in pairs:
        out.append(_trial(tp, pe, re, t, q, there, still_s))
    return out


def _in_window(exc: Sequence[Excursion], w: tuple[float, float]) -> Excursion | None:
    """The excursion with the most hold time inside the window (1 s grace after it)."""
    best, best_s = None, 0.0
    for e in exc:
        inside = sum(max(0.0, min(s.t1, w[1] + 1.0) - max(s.t0, w[0])) for s in e.stills)
        if inside > best_s:
            best, best_s = e, inside
    return best


def _trial(tp: TrialPlan, pe: Excursion | None, re: Excursion | None, t: FloatArray,
           q: FloatArray, there: Sequence[float], still_s: float) -> dict[str, Any]:
    row: dict[str, Any] = {"trial": tp.trial, "motion": tp.motion,
                           "target_deg": _r(tp.target_deg), "presented_deg": None,
                           "reproduced_deg": None, "error_deg": None,
                           "presented_error_deg": None, "how": None,
                           "t_presented_s": None, "t_reproduced_s": None}
    hold = pe.hold(still_s, first_long=False) if pe is not None else None
    if pe is None or hold is None:
        return row
    v_p = relative_rotvec_deg(pe.neutral.q, hold.q)[0]
    presented = float(np.linalg.norm(v_p))
    axis = v_p / presented if presented > 0 else np.zeros(3)
    row.update(presented_deg=_r(presented), t_presented_s=_r(0.5 * (hold.t0 + hold.t1)))
    if re is None:
        return row
    t_there = next((x for x in there if re.t_start_s <= x <= re.t_end_s + 0.5), None)
    if t_there is not None:
        i = int(np.searchsorted(t, t_there))
        a, b = max(i - 5, 0), min(i + 5, t.size)
        q_r, how, t_r = mean_quat(q[a:b]), "there", t_there
    else:
        s = re.hold(still_s, first_long=True)
        if s is None:
            return row
        if s.duration_s >= still_s - 1e-9:  # the 2 s stillness that says "there"
            i = int(np.searchsorted(t, s.t0 + still_s))  # where the stillness said "there"
            j = int(np.searchsorted(t, s.t0 + still_s - 0.3))
            q_r = mean_quat(q[max(j, s.a):max(i, s.a + 1)])
            how, t_r = "still", s.t0 + still_s
        else:
            q_r, how, t_r = s.q, "hold", 0.5 * (s.t0 + s.t1)
    reproduced = float(relative_rotvec_deg(re.neutral.q, q_r)[0] @ axis)
    target = tp.target_deg
    row.update(reproduced_deg=_r(reproduced), how=how, t_reproduced_s=_r(t_r),
               presented_error_deg=_r(reproduced - presented))
    if math.isfinite(target):
        row["error_deg"] = _r(reproduced - target)
    return row


def _r(x: float | None, nd: int = 2) -> float | None:
    if x is None or not math.isfinite(float(x)):
        return None
    return round(float(x), nd)


def error_stats(errors: Sequence[float]) -> dict[str, float | None]:
    """AE, CE and VE (degrees) of signed errors."""
    e = np.asarray([x for x in errors if x is not None and math.isfinite(x)], dtype=np.float64)
    if e.size == 0:
        return {"absolute_error_deg": None, "constant_error_deg": None,
                "variable_error_deg": None, "n": 0}
    ce = float(e.mean())
    return {"absolute_error_deg": _r(float(np.abs(e).mean())), "constant_error_deg": _r(ce),
            "variable_error_deg": _r(float(np.sqrt(np.mean((e - ce) ** 2)))), "n": int(e.size)}


def summarize_trials(trials: Sequence[Mapping[str, Any]], side: str,
                     tolerance_deg: float | None = None) -> dict[str, Any]:
    """The ``drill`` keys: ``trials`` and the errors overall and per target (this side)."""
    per: dict[str, list[float]] = {}
    for tr in trials:
        if tr.get("error_deg") is None:
            continue
        key = f"{tr.get('target_deg'):g}° {tr.get('motion')}".strip()
        per.setdefault(key, []).append(float(tr["error_deg"]))
    all_err = [e for v in per.values() for e in v]
    overall = error_stats(all_err)
    out: dict[str, Any] = {
        "trials": [dict(tr) for tr in trials],
        "trials_done": sum(1 for tr in trials if tr.get("reproduced_deg") is not None),
        **overall,
        "errors_by_target": [{"target": k, "side": side, **error_stats(v)}
                             for k, v in per.items()],
        "reliability": dict(RELIABILITY),
    }
    if tolerance_deg is not None:
        out["tolerance_deg"] = float(tolerance_deg)
        out["hits"] = sum(1 for e in all_err if abs(e) <= tolerance_deg)
        out["hit_rate_pct"] = _r(100.0 * out["hits"] / len(all_err), 1) if all_err else None
    return out


# ------------------------------------------------------------------------------- live


class RotationTracker:
    """Live rotation from neutral (stateful over batches): ``update(t, gyr)``; ``zero()`` takes
    the current orientation as neutral; ``rotvec_deg()`` the rotation since. The gyro bias is
    the median rate of the still samples seen so far (from the first 1 s of stillness on)."""

    def __init__(self, fs_hz: float, still_dps: float = 4.0) -> None:
        self.fs_hz = float(fs_hz)
        self.still_dps = float(still_dps)
        self.q = np.array([1.0, 0.0, 0.0, 0.0])
        self.q_neutral = self.q.copy()
        self.t_prev: float | None = None
        self.bias = np.zeros(3)
        self._still_rates: list[FloatArray] = []
        self._n_still = 0

    def update(self, t_s: FloatArray, gyr_dps: FloatArray) -> FloatArray:
        """Orientation after each sample (n×4)."""
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        g = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
        if t.size == 0:
            return np.empty((0, 4))
        still = np.linalg.norm(g - self.bias, axis=1) < self.still_dps
        if still.any() and self._n_still < int(60 * self.fs_hz):
            self._still_rates.append(g[still])
            self._n_still += int(still.sum())
            if self._n_still >= int(self.fs_hz):
                self.bias = np.median(np.concatenate(self._still_rates), axis=0)
        qs = integrate_rotation(t, g, self.bias, q0=self.q, t_prev_s=self.t_prev)
        self.q = qs[-1]
        self.t_prev = float(t[-1])
        return qs

    def zero(self) -> None:
        self.q_neutral = self.q.copy()

    def rotvec_deg(self, q: FloatArray | None = None) -> FloatArray:
        return relative_rotvec_deg(self.q_neutral, self.q if q is None else q)


def axis_for(motion: str | None, side: str) -> FloatArray:
    """Segment-frame axis of a movement (x anterior, y left, z up; right-hand rotation):
    inversion turns the sole medially (about −x on the left foot, +x on the right),
    plantarflexion points the toes down (about +y). Used for the live gauge only."""
    lat = 1.0 if side == "left" else -1.0
    if motion == "inversion":
        return np.array([-lat, 0.0, 0.0])
    if motion == "eversion":
        return np.array([lat, 0.0, 0.0])
    if motion == "dorsiflexion":
        return np.array([0.0, -1.0, 0.0])
    return np.array([0.0, 1.0, 0.0])
