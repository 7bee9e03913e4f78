"""Per-trial steady-state balance measures (DESIGN.md "sway": per trial, mean over trials at top).

A single-leg balance recording is a series of *trials*: each starts at "Go" (a guided session's
``set_start``) and ends at its ``set_end``, at the first balance loss inside it, or at the
person's own ``user_touchdown`` mark, whichever comes first. Lifting the foot and finding the
stance is a transient, not sway: the steady state starts ``settle_s`` after "Go". A recording
without sets is one trial from its first sample to the first loss (no settling: there is no
"Go" to settle from).

Per trial this module computes, on the anatomical tilt:

* the Prieto et al. 1996 sway set (``trainer.core.sway.sway_metrics``);
* IMU-native measures the sensor gives directly: the RMS angular rate of the segment
  (``rms_angular_rate_dps``, from successive orientation quaternions, i.e. the gyro rate with
  VQF's bias estimate removed; per-axis mean removed so a residual bias does not count), the
  RMS jerk of the tilt (``tilt_jerk_rms_deg_s3``: third derivative of the tilt low-passed at
  ``JERK_LOWPASS_HZ``; smooth control has little jerk, corrective bursts a lot — cf. Mancini
  et al. 2012 "ISway", which uses the jerk of trunk acceleration) and the share of the
  steady state spent inside the target zone (``time_in_target_pct``).

``summarize`` gives the mean over trials with metrics (the contract keys of ``analyze --json``)
and the best trial (smallest 95 % ellipse area). Pure numpy/scipy: no I/O, no Qt.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trainer.core.quat import conjugate, multiply
from trainer.core.sway import METRIC_KEYS, MIN_SAMPLES, sway_metrics

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Settling time after "Go": lifting the foot and finding the stance takes 1-3 s (time to
#: stabilisation after a step-down or landing is ~1-3 s in the literature); sway is measured
#: after it. A trial whose steady state is shorter than ``MIN_STEADY_S`` has no sway metrics.
SETTLE_S = 3.0
MIN_STEADY_S = 2.0
#: A user's touchdown mark and an automatic loss onset up to this long before it are the same
#: event (the person reacts, then presses the key).
TOUCHDOWN_MATCH_S = 3.0
JERK_LOWPASS_HZ = 5.0
IMU_KEYS = ("rms_angular_rate_dps", "tilt_jerk_rms_deg_s3", "time_in_target_pct")
#: Metrics averaged over trials (contract sway keys and IMU-native keys).
MEAN_KEYS = (*METRIC_KEYS, *IMU_KEYS)


@dataclass(frozen=True)
class TrialWindow:
    """One trial: "Go" at ``t_go_s``, planned end ``t_end_s``; steady state ``t_from_s`` →
    ``t_to_s``, ended by ``ended_by`` (``trial_end`` / ``balance_loss`` / ``user_touchdown`` /
    ``recording_end``). ``t_user_touchdown_s`` and ``t_auto_loss_s``: the person's mark and the
    first automatic loss in the trial (None when absent), kept for the comparison."""

    index: int
    t_go_s: float
    t_end_s: float
    t_from_s: float
    t_to_s: float
    ended_by: str
    t_user_touchdown_s: float | None = None
    t_auto_loss_s: float | None = None

    @property
    def stance_s(self) -> float:
        """Time on one leg: from "Go" to the loss, the touchdown mark or the trial end."""
        return max(0.0, self._stance_end - self.t_go_s)

    @property
    def _stance_end(self) -> float:
        if self.t_user_touchdown_s is not None:
            return self.t_user_touchdown_s
        if self.ended_by == "balance_loss" and self.t_auto_loss_s is not None:
            return self.t_auto_loss_s
        return self.t_end_s


def set_windows(events: Iterable[Mapping[str, Any]]) -> list[tuple[int, float, float]]:
    """(set index, "Go", end) of a guided session's sets, from ``set_start``/``set_end`` events."""
    starts: dict[int, float] = {}
    out: list[tuple[int, float, float]] = []
    for e in events:
        try:
            k = int(e.get("set", 0))
            ts = float(e["t_s"])
        except (KeyError, TypeError, ValueError):
            continue
        if not math.isfinite(ts):
            continue
        if e.get("type") == "set_start":
            starts[k] = ts
        elif e.get("type") == "set_end" and k in starts:
            out.append((k, starts.pop(k), ts))
    return sorted(out, key=lambda w: w[1])


def user_touchdowns(events: Iterable[Mapping[str, Any]]) -> list[float]:
    """Times of the ``user_touchdown`` events (finite, sorted)."""
    out = []
    for e in events:
        if e.get("type") != "user_touchdown":
            continue
        try:
            ts = float(e["t_s"])
        except (KeyError, TypeError, ValueError):
            continue
        if math.isfinite(ts):
            out.append(ts)
    return sorted(out)


def trial_windows(sets: Sequence[tuple[int, float, float]], losses_t_s: Sequence[float],
                  touchdowns_t_s: Sequence[float], t_first_s: float, t_last_s: float,
                  settle_s: float = SETTLE_S) -> list[TrialWindow]:
    """The trials of a recording (see the module docstring).

    With a ``user_touchdown`` inside a trial, the trial ends at the mark; the steady state then
    ends at the automatic loss onset that belongs to it (within ``TOUCHDOWN_MATCH_S`` before the
    mark: the fall started before the foot came down) or at the mark. Automatic losses earlier
    than that are overruled by the person's mark (the person says the foot was still up).
    """
    losses = sorted(float(x) for x in losses_t_s if math.isfinite(float(x)))
    marks = sorted(float(x) for x in touchdowns_t_s)
    trials = list(sets) or [(1, float(t_first_s), float(t_last_s))]
    settle = settle_s if sets else 0.0
    out = []
    for k, t0, t1 in trials:
        t1 = min(float(t1), float(t_last_s))
        mark = next((m for m in marks if t0 <= m <= t1), None)
        auto = next((x for x in losses if t0 <= x <= t1), None)
        t_from = min(t0 + settle, t1)
        if mark is not None:
            matched = [x for x in losses if mark - TOUCHDOWN_MATCH_S <= x <= mark and x >= t0]
            t_to, ended = (matched[0] if matched else mark), "user_touchdown"
        elif auto is not None:
            t_to, ended = auto, "balance_loss"
        else:
            t_to, ended = t1, ("trial_end" if sets else "recording_end")
        out.append(TrialWindow(int(k), float(t0), float(t1), t_from, max(t_from, t_to), ended,
                               mark, auto))
    return out


def trial_measures(window: TrialWindow, t_s: FloatArray, tilt_ap_deg: FloatArray,
                   tilt_ml_deg: FloatArray, fs_hz: float, quat_wxyz: FloatArray | None = None,
                   target_radius_deg: float = 3.0,
                   target_center_deg: tuple[float, float] = (0.0, 0.0)) -> dict[str, Any]:
    """Sway and IMU-native measures of one trial's steady state.

    ``t_s``/``tilt_*``/``quat_wxyz`` (n×4, sensor → Earth; optional) at rate ``fs_hz`` (NaN
    where the tilt is unknown: dropped). Every metric key is present; None when the steady
    state is shorter than ``MIN_STEADY_S`` or too sparse.
    """
    a = int(np.searchsorted(t_s, window.t_from_s, side="left"))
    b = int(np.searchsorted(t_s, window.t_to_s, side="right"))
    ap = np.asarray(tilt_ap_deg[a:b], dtype=np.float64)
    ml = np.asarray(tilt_ml_deg[a:b], dtype=np.float64)
    ok = np.isfinite(ap) & np.isfinite(ml)
    steady_s = window.t_to_s - window.t_from_s
    out: dict[str, Any] = {
        "trial": window.index, "t_go_s": window.t_go_s, "t_from_s": window.t_from_s,
        "t_to_s": window.t_to_s, "steady_s": steady_s, "ended_by": window.ended_by,
        "stance_s": window.stance_s,
    }
    metrics: dict[str, Any] = dict.fromkeys(METRIC_KEYS)
    imu: dict[str, Any] = dict.fromkeys(IMU_KEYS)
    n_ok = int(ok.sum())
    if steady_s >= MIN_STEADY_S and n_ok >= max(MIN_SAMPLES, round(MIN_STEADY_S * fs_hz * 0.5)):
        apv, mlv = ap[ok], ml[ok]
        metrics.update(sway_metrics(apv, mlv, fs_hz))
        cx, cy = target_center_deg
        inside = (apv - cx) ** 2 + (mlv - cy) ** 2 <= target_radius_deg**2
        imu["time_in_target_pct"] = 100.0 * float(inside.mean())
        imu["tilt_jerk_rms_deg_s3"] = _jerk_rms(apv, mlv, fs_hz)
        if quat_wxyz is not None:
            rate = angular_rate_dps(np.asarray(quat_wxyz[a:b], dtype=np.float64), fs_hz)
            rate = rate[np.isfinite(rate).all(axis=1)]
            if rate.shape[0] >= MIN_SAMPLES:
                rate = rate - rate.mean(axis=0)
                imu["rms_angular_rate_dps"] = float(np.sqrt(np.mean(np.sum(rate * rate,
                                                                            axis=1))))
    out.update(metrics)
    out.update(imu)
    for k in MEAN_KEYS:  # JSON-safe: a measure that cannot be computed is None, not NaN
        v = out.get(k)
        if v is not None and not math.isfinite(float(v)):
            out[k] = None
    return out


def angular_rate_dps(quat_wxyz: FloatArray, fs_hz: float) -> FloatArray:
    """Body-frame angular rate (°/s, (n−1)×3) between successive orientations:
    2·vec(q̄ₖ ⊗ qₖ₊₁)·fs, sign-fixed so the shorter rotation is taken."""
    if quat_wxyz.shape[0] < 2:
        return np.empty((0, 3))
    d = multiply(conjugate(quat_wxyz[:-1]), quat_wxyz[1:])
    d = d * np.where(d[:, :1] < 0, -1.0, 1.0)
    half = np.arctan2(np.linalg.norm(d[:, 1:], axis=1), d[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(half > 1e-12, 2.0 * half / np.sin(half), 2.0)
    out: FloatArray = np.degrees(d[:, 1:] * scale[:, None] * fs_hz)
    return out


def _jerk_rms(ap: FloatArray, ml: FloatArray, fs: float) -> float | None:
    """RMS of the third time derivative of the planar tilt (°/s³), smoothed first: the tilt is
    convolved with the third derivative of a Gaussian whose −3 dB point is ``JERK_LOWPASS_HZ``
    (numpy only; edges where the kernel does not fit are left out)."""
    sigma = math.sqrt(math.log(2.0)) / (2.0 * math.pi * min(JERK_LOWPASS_HZ, 0.45 * fs))
    half = math.ceil(4.0 * sigma * fs)
    if ap.shape[0] < 2 * half + 16:
        return None
    tk = np.arange(-half, half + 1) / fs
    g = np.exp(-0.5 * (tk / sigma) ** 2)
    g /= g.sum()
    k3 = g * (3.0 * tk / sigma**4 - tk**3 / sigma**6)
    k3 -= tk * float(np.sum(tk * k3)) / float(np.sum(tk * tk))  # no response to a ramp
    k3 *= -6.0 / float(np.sum(tk**3 * k3))  # exact third derivative of a cubic after sampling
    j_ap = np.convolve(ap, k3, mode="valid")
    j_ml = np.convolve(ml, k3, mode="valid")
    return float(np.sqrt(np.mean(j_ap * j_ap + j_ml * j_ml)))


def summarize(trials: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Mean over the trials that have metrics (every key of ``MEAN_KEYS``, None without any),
    ``n_trials`` (with metrics) and ``best``: the trial with the smallest ellipse area."""
    scored = [t for t in trials if t.get("ellipse_area") is not None]
    mean: dict[str, Any] = {}
    for k in MEAN_KEYS:
        vals = [float(t[k]) for t in scored if t.get(k) is not None and math.isfinite(float(t[k]))]
        mean[k] = float(np.mean(vals)) if vals else None
    best = min(scored, key=lambda t: float(t["ellipse_area"])) if scored else None
    return {"mean": mean, "n_trials": len(scored), "best": dict(best) if best else None}


def recording_trials(events: Iterable[Mapping[str, Any]], losses_t_s: Sequence[float], *,
                     t_s: FloatArray, tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray,
                     fs_hz: float, quat_wxyz: FloatArray | None = None,
                     target_radius_deg: float = 3.0,
                     target_center_deg: tuple[float, float] = (0.0, 0.0),
                     settle_s: float = SETTLE_S) -> dict[str, Any]:
    """Trials of one recording and their summary: ``{"trials": [...], "mean": {...},
    "n_trials": k, "best": {...} | None, "settle_s": …}``. ``events``: the recording's
    events.jsonl objects (sets and ``user_touchdown`` marks); ``losses_t_s``: automatic balance
    loss onsets."""
    evs = [e for e in events if isinstance(e, Mapping)]
    t = np.asarray(t_s, dtype=np.float64)
    if t.size == 0:
        return {"trials": [], **summarize([]), "settle_s": settle_s}
    windows = trial_windows(set_windows(evs), losses_t_s, user_touchdowns(evs), float(t[0]),
                            float(t[-1]), settle_s)
    trials = [trial_measures(w, t, tilt_ap_deg, tilt_ml_deg, fs_hz, quat_wxyz,
                             target_radius_deg, target_center_deg) for w in windows]
    for w, tr in zip(windows, trials, strict=True):
        tr["t_user_touchdown_s"] = w.t_user_touchdown_s
        tr["t_auto_loss_s"] = w.t_auto_loss_s
    return {"trials": trials, **summarize(trials), "settle_s": settle_s}


class LiveTrials:
    """The same per-trial measures live: keeps each trial's samples from "Go" to its end and,
    when it ends, runs ``trial_windows`` + ``trial_measures`` on them — the numbers
    ``analyze`` gives offline for the same tilt.

    ``begin(index, t_go)`` at "Go", ``feed(t, ap, ml, quat)`` with every batch while a trial is
    open, ``end(t_end, losses_t_s, touchdowns_t_s)`` at its end (returns the trial's measures,
    also kept in ``trials``). Memory: one trial (≤ a few minutes) at a time.
    """

    def __init__(self, fs_hz: float, target_radius_deg: float = 3.0,
                 settle_s: float = SETTLE_S) -> None:
        self.fs_hz = float(fs_hz)
        self.target_radius_deg = float(target_radius_deg)
        self.settle_s = float(settle_s)
        self.trials: list[dict[str, Any]] = []
        self._open: tuple[int, float] | None = None
        self._chunks: list[tuple[FloatArray, FloatArray, FloatArray, FloatArray]] = []

    @property
    def active(self) -> bool:
        return self._open is not None

    def begin(self, index: int, t_go_s: float) -> None:
        self._open = (int(index), float(t_go_s))
        self._chunks = []

    def feed(self, t_s: FloatArray, tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray,
             quat_wxyz: FloatArray | None = None) -> None:
        if self._open is None or len(t_s) == 0:
            return
        t = np.asarray(t_s, dtype=np.float64)
        g = (np.full((t.size, 4), np.nan) if quat_wxyz is None
             else np.asarray(quat_wxyz, dtype=np.float64).reshape(-1, 4))
        self._chunks.append((t, np.asarray(tilt_ap_deg, dtype=np.float64),
                             np.asarray(tilt_ml_deg, dtype=np.float64), g))

    def end(self, t_end_s: float, losses_t_s: Sequence[float] = (),
            touchdowns_t_s: Sequence[float] = ()) -> dict[str, Any] | None:
        if self._open is None:
            return None
        k, t_go = self._open
        self._open = None
        if self._chunks:
            t, ap, ml, g = (np.concatenate(c) for c in zip(*self._chunks, strict=True))
        else:
            t, ap, ml, g = np.empty(0), np.empty(0), np.empty(0), np.empty((0, 4))
        self._chunks = []
        w = trial_windows([(k, t_go, float(t_end_s))], losses_t_s, touchdowns_t_s,
                          t_go, float(t_end_s), self.settle_s)[0]
        tr = trial_measures(w, t, ap, ml, self.fs_hz, g, self.target_radius_deg)
        self.trials.append(tr)
        return tr

    def summary(self) -> dict[str, Any]:
        return summarize(self.trials)
