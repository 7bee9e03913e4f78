"""Offline drill analysis of a recording: the ``"drill"`` object of ``analyze --json``.

``analyze_drill(drill_id, result, params)`` takes the core's analysis result (per-sample
``t_s``, ``gyr_dps``, ``tilt_ap_deg``, ``tilt_ml_deg`` and balance-loss times, read by attribute
or key) and returns the drill result dict of ``trainer.drills.results`` (``source`` "offline"):
``reps`` and ``rom_deg`` for repetition drills, ``holds_s`` for hold drills, and for single-leg
balance also ``time_to_first_loss_s`` and ``best_stance_s``.

When the recording holds the guided session's events (``set_start``/``set_end`` from
``DrillSession``), detection runs inside those sets, like live. Otherwise the whole recording is
one trial (balance), one set of reps, or holds found from the signals: isometric holds from the
rise of physiological tremor (8-12 Hz angular rate) while pushing, stretch holds from a held
forward lean of the shank.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from trainer.core import iir
from trainer.core.trials import (
    MEAN_KEYS,
    set_windows,
    trial_measures,
    trial_windows,
    user_touchdowns,
)
from trainer.drills.axis import up_from_quat
from trainer.drills.catalog import PARAM_KEYS, DrillSpec, SetPlan, get_drill
from trainer.drills.detectors import (
    DrillAngles,
    FloatArray,
    LowPass,
    RepCounter,
    StillnessMonitor,
    estimate_gyro_bias,
    fill_nan,
    true_runs,
)
from trainer.drills.norms import best_trial_ended_without_loss, compare_stance
from trainer.drills.placement import placement_check
from trainer.drills.reps import (
    PREROLL_S,
    REP_GRACE_CONFIRM_S,
    REP_GRACE_S,
    Motion,
    axis_reps,
    vertical_acc_g,
)
from trainer.drills.results import build_result, hold_entry_deg, signal_for

TREMOR_BAND_HZ = (7.0, 13.0)
MERGE_GAP_S = 1.5


#: (t_s, tilt AP, tilt ML, rate, quaternions or None) at the core's processing rate.
Block = tuple[FloatArray, FloatArray, FloatArray, float, FloatArray | None]


class DrillAnalysisError(ValueError):
    """The analysis result lacks what drill analysis needs (one line)."""


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        if isinstance(obj, Mapping):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return None


def _series(result: Any) -> Any:
    """The per-sample part of an analysis result (``series``/``processed``) or the result."""
    for name in ("series", "processed", "batch"):
        inner = _get(result, name)
        if inner is not None and _get(inner, "t_s") is not None:
            return inner
    return result


def analyze_drill(drill_id: str, result: Any, params: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
    """The drill result of one analysed recording (see the module docstring).

    ``params``: the session's drill parameters (``session.json`` ``drill``), optionally with
    ``side``, ``placement``, ``events`` (events.jsonl objects), ``level`` and ``age`` (adds
    Springer et al. 2007 norms to single-leg balance).
    """
    spec = get_drill(drill_id)
    p = dict(params or {})
    ser = _series(result)
    t = _get(ser, "t_s")
    if t is None:
        raise DrillAnalysisError("analysis result has no per-sample t_s")
    t_s = np.asarray(t, dtype=np.float64).reshape(-1)
    n = t_s.size

    def arr(*names: str, shape: tuple[int, ...] = ()) -> FloatArray:
        v = _get(ser, *names)
        if v is None:
            return np.zeros((n, *shape))
        return np.asarray(v, dtype=np.float64).reshape((n, *shape))

    losses = _get(result, "balance_losses_t_s")
    if losses is None:
        ev = _get(result, "events")
        if isinstance(ev, Mapping):
            losses = ev.get("balance_losses_t_s")
        elif isinstance(ev, Sequence):
            losses = [e.get("t_s") for e in ev if isinstance(e, Mapping)
                      and e.get("type") == "balance_loss"]
    fs = _get(result, "sample_rate_hz")
    block = None
    bt, bap, bml, brate, bq = (_get(result, k) for k in (
        "block_t_s", "block_tilt_ap_deg", "block_tilt_ml_deg", "tilt_rate_hz",
        "block_quat_wxyz"))
    if bt is not None and bap is not None and bml is not None and brate:
        block = (np.asarray(bt, np.float64), np.asarray(bap, np.float64),
                 np.asarray(bml, np.float64), float(brate),
                 None if bq is None else np.asarray(bq, np.float64))
    # balance trials with their losses known and the processing-rate tilt at hand need no
    # per-sample series: a long recording's are then never expanded (AnalysisResult makes them
    # on demand), which saves time and memory in `analyze` and `report`
    lean = spec.kind == "balance" and losses is not None
    gyr = np.empty((0, 3)) if lean else arr("gyr_dps", shape=(3,))
    ap = np.empty(0) if lean and block is not None else arr("tilt_ap_deg")
    ml = np.empty(0) if lean and block is not None else arr("tilt_ml_deg")
    # rep drills also use the orientation and the accelerometer (vertical rise, gravity sign)
    quat = _get(ser, "quat_wxyz") if spec.kind == "reps" else None
    acc = _get(ser, "acc_g") if spec.kind in ("reps", "lunge") else None
    calibrated = bool(_get(result, "calibrated_mounting"))
    return analyze_drill_arrays(
        spec, t_s=t_s, gyr_dps=gyr, tilt_ap_deg=ap, tilt_ml_deg=ml,
        side=str(p.pop("side", None) or _get(result, "side") or "left"),
        placement=p.pop("placement", None) or _get(result, "placement"),
        params=p, events=p.pop("events", None),
        balance_losses_t_s=None if losses is None else [float(x) for x in losses],
        fs_hz=float(fs) if fs else None,
        acc_g=None if acc is None else np.asarray(acc, np.float64).reshape(n, 3),
        quat_wxyz=None if quat is None else np.asarray(quat, np.float64).reshape(n, 4),
        calibrated=calibrated, block=block)


def analyze_drill_arrays(spec: DrillSpec, *, t_s: FloatArray, gyr_dps: FloatArray,
                         tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray, side: str = "left",
                         placement: str | None = None, params: Mapping[str, Any] | None = None,
                         events: Sequence[Mapping[str, Any]] | None = None,
                         balance_losses_t_s: Sequence[float] | None = None,
                         fs_hz: float | None = None, acc_g: FloatArray | None = None,
                         quat_wxyz: FloatArray | None = None,
                         calibrated: bool = False, block: Block | None = None,
                         ) -> dict[str, Any]:
    """Drill result from per-sample arrays: gyro and accelerometer in the segment frame when
    ``calibrated`` (a mounting calibration), else in the sensor frame; ``quat_wxyz`` sensor →
    Earth; anatomical tilts. ``block``: (t_s, tilt AP, tilt ML, rate, quaternions) at the core's
    processing rate, for the per-trial sway metrics."""
    if side not in ("left", "right"):
        side = "left"
    raw = dict(params or {})
    age = raw.pop("age", None)
    sex = raw.pop("sex", None)
    level = raw.pop("level", None)
    ref = raw.pop("rom_ref_deg", None)
    rom_ref = float(ref) if isinstance(ref, int | float) and ref > 0 else None
    drill_params = {k: v for k, v in raw.items() if k in PARAM_KEYS}
    try:
        run_params = spec.params(level if isinstance(level, int) else None, drill_params)
    except ValueError:
        run_params = spec.params(level if isinstance(level, int) else None)
    t = np.asarray(t_s, dtype=np.float64)
    if fs_hz is None:
        fs_hz = 1.0 / float(np.median(np.diff(t))) if t.size > 2 else 100.0
    gyr = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
    ap = fill_nan(np.asarray(tilt_ap_deg, dtype=np.float64))
    ml = fill_nan(np.asarray(tilt_ml_deg, dtype=np.float64))
    evs = [e for e in (events or []) if isinstance(e, Mapping)]
    windows = set_windows(evs)
    pain = _last_pain(evs)
    if spec.kind in ("position-sense", "lunge"):
        from trainer.drills.proprio import analyze_proprio

        return analyze_proprio(spec, t, gyr, ap, ml, fs_hz, side, placement, run_params,
                               level if isinstance(level, int) else None, evs,
                               windows, pain, acc_g=acc_g, calibrated=calibrated)
    if t.size < 2:
        sets: list[dict[str, Any]] = []
    elif spec.kind == "balance":
        sets = _balance_sets(t, ap, ml, gyr, fs_hz, spec, windows, balance_losses_t_s, evs,
                             block)
    elif spec.kind == "reps":
        up = None if quat_wxyz is None or calibrated else up_from_quat(quat_wxyz)
        motion = Motion(t, gyr, fs_hz, side, calibrated,
                        vertical_acc_g(acc_g, quat_wxyz, ap, ml, side, calibrated, up), up=up)
        check = placement_check(spec, placement)
        if not check.measurable:
            sets = [_set(k, "reps", t0, t1, target_reps=None)
                    for k, t0, t1 in (windows or [(1, float(t[0]), float(t[-1]))])]
        else:
            sets = _axis_rep_sets(motion, spec, placement or spec.placement, run_params,
                                  windows, rom_ref)
    elif spec.is_repetition:
        sets = _rep_sets(t, ap, ml, gyr, fs_hz, spec, side, placement, run_params, windows)
    elif spec.id == "calf-stretch":
        sets = _stretch_sets(t, ap, gyr, fs_hz, spec, windows)
    else:
        sets = _isometric_sets(t, ap, ml, gyr, fs_hz, spec, side, placement, windows)
    out = build_result(spec, side, run_params, level if isinstance(level, int) else None, sets,
                       pain=pain, source="events" if windows else "offline",
                       placement=placement)
    if t.size >= 2:
        out.update(placement_check(spec, placement).result_fields())
    if spec.kind == "balance":
        eyes = str(run_params.get("eyes", "open"))
        surface = str(run_params.get("surface", "firm"))
        out["norms"] = compare_stance(out.get("best_stance_s"),
                                      float(age) if isinstance(age, int | float) else None,
                                      eyes, surface, sex if sex in ("female", "male") else None,
                                      ended_without_loss=best_trial_ended_without_loss(out),
                                      protocol=run_params.get("protocol"))
    return out


def _last_pain(events: Sequence[Mapping[str, Any]]) -> int | None:
    for e in reversed(events):
        if e.get("type") == "pain_rating":
            try:
                return int(e["rating"])
            except (KeyError, TypeError, ValueError):
                return None
    return None


def _set(index: int, work: str, t0: float, t1: float, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"index": index, "work": work, "t_start_s": t0, "t_end_s": t1,
                            "target_reps": None, "hold_target_s": None, "reps": [],
                            "losses_t_s": [], "movements": 0, "angle_deg": None, "held_s": None}
    base.update(kw)
    return base


# ------------------------------------------------------------------------- balance


def _balance_sets(t: FloatArray, ap: FloatArray, ml: FloatArray, gyr: FloatArray, fs: float,
                  spec: DrillSpec, windows: list[tuple[int, float, float]],
                  losses: Sequence[float] | None, events: Sequence[Mapping[str, Any]] = (),
                  block: Block | None = None
                  ) -> list[dict[str, Any]]:
    """One row per trial: losses inside it, the stance time (to the first loss, the person's
    ``user_touchdown`` mark or the trial end) and the trial's steady-state sway
    (``trainer.core.trials``; on the processing-rate tilt ``block`` when given)."""
    if losses is None:  # the core's events are the one definition of a loss: none given, none
        losses = []
    tw = trial_windows(windows, losses, user_touchdowns(events), float(t[0]), float(t[-1]))
    bt, bap, bml, bfs, bq = (block if block is not None
                             else (t, ap, ml, fs, None))
    out = []
    for w in tw:
        inside = sorted(x for x in losses if w.t_go_s <= x <= w.t_end_s)
        mark = w.t_user_touchdown_s
        if mark is not None:  # the person's mark is the loss; automatic ones before it yield
            inside = [mark, *(x for x in inside if x > mark)]
        sway = trial_measures(w, bt, bap, bml, bfs, bq)
        sway = {k: v for k, v in sway.items() if k in MEAN_KEYS or k in ("trial", "steady_s")}
        out.append(_set(w.index, "hold", w.t_go_s, w.t_end_s, losses_t_s=inside,
                        held_s=w.stance_s, hold_target_s=w.t_end_s - w.t_go_s, sway=sway,
                        ended_by=w.ended_by, t_user_touchdown_s=mark,
                        t_auto_loss_s=w.t_auto_loss_s))
    return out


# ---------------------------------------------------------------------------- reps


def _angles(t: FloatArray, ap: FloatArray, ml: FloatArray, gyr: FloatArray, fs: float,
            spec: DrillSpec, side: str, placement: str | None,
            bias_dps: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
    """(ap, ml) joint angles as the live session computes them (bias removed offline; estimated
    here unless given)."""
    if bias_dps is None:
        bias_dps = estimate_gyro_bias(t, gyr, fs)
    return DrillAngles(fs, placement or spec.placement, side,
                       bias_dps=bias_dps).update(t, ap, ml, gyr)


def _rep_sets(t: FloatArray, ap: FloatArray, ml: FloatArray, gyr: FloatArray, fs: float,
              spec: DrillSpec, side: str, placement: str | None, params: Mapping[str, Any],
              windows: list[tuple[int, float, float]]) -> list[dict[str, Any]]:
    g_ap, g_ml = _angles(t, ap, ml, gyr, fs, spec, side, placement)
    det = spec.detection
    plan = spec.plan(params)

    def count(motion: str | None, a: int = 0, b: int | None = None) -> list[Any]:
        axis, sign = signal_for(spec, side, motion, placement)
        if spec.kind == "warmup" and windows == []:
            axis, sign = "ap", 1.0  # pumps and circles both move the foot up and down
        sig = (g_ml if axis == "ml" else g_ap) * sign
        rc = RepCounter(fs, direction=0 if motion in ("pump", "circle") else 1,
                        min_rom_deg=float(det.get("min_rom_deg", 6.0)),
                        min_interval_s=float(det.get("min_interval_s", 0.7)),
                        lowpass_hz=float(det.get("lowpass_hz", 3.0)))
        rc.update(t[a:b], sig[a:b])
        return rc.reps

    return _reps_per_window(t, plan, windows, lambda p, a, b: count(
        p.motion if p else det.get("motion"), a, b))


def _axis_rep_sets(motion: Motion, spec: DrillSpec, placement: str,
                   params: Mapping[str, Any], windows: list[tuple[int, float, float]],
                   rom_ref_deg: float | None = None) -> list[dict[str, Any]]:
    """Reps about the movement's own axis (``trainer.drills.reps``), per guided set or over
    the whole recording. In a guided set the counter sees what the live one saw: from "Go"
    to the set's end and a grace period (until the next "Go", 2 s at most), reps peaking in
    the set or up to 1 s after it, on the countdown's last second too — so ``analyze`` finds
    the reps the session counted."""
    t = motion.t_s
    plan = spec.plan(params)
    if not windows:
        return _reps_per_window(t, plan, windows, lambda p, a, b: axis_reps(
            motion, spec, placement, a, b, rom_ref_deg, to_the_end=True))
    out = []
    for n, (k, t0, t1) in enumerate(windows):
        p = plan[k - 1] if 0 < k <= len(plan) else (plan[-1] if plan else None)
        nxt = windows[n + 1][1] if n + 1 < len(windows) else np.inf
        grace_until = t1 + min(REP_GRACE_CONFIRM_S, nxt - t1)
        a = int(np.searchsorted(t, t0 - PREROLL_S))
        b = int(np.searchsorted(t, grace_until))
        reps = [r for r in axis_reps(motion, spec, placement, a, b, rom_ref_deg)
                if t0 <= r.t_peak_s <= t1 + REP_GRACE_S]
        out.append(_set(k, "reps", t0, t1, reps=reps,
                        target_reps=p.target_reps if p else None))
    return out


def _reps_per_window(t: FloatArray, plan: list[SetPlan], windows: list[tuple[int, float, float]],
                     count: Callable[[SetPlan | None, int, int | None], list[Any]]
                     ) -> list[dict[str, Any]]:
    """Reps counted by ``count(set plan, a, b)`` over samples a..b-1: in each guided set (with
    1 s either side; reps peaking in the set or just after it), or over the whole recording."""
    if not windows:
        return [_set(1, "reps", float(t[0]), float(t[-1]), reps=count(
            plan[0] if plan else None, 0, None),
            target_reps=plan[0].target_reps if plan else None)]
    out = []
    for k, t0, t1 in windows:
        p = plan[k - 1] if 0 < k <= len(plan) else (plan[-1] if plan else None)
        a = int(np.searchsorted(t, t0 - 1.0))
        b = int(np.searchsorted(t, t1 + 1.0))
        reps = [r for r in count(p, a, b) if t0 <= r.t_peak_s <= t1 + 1.0]
        out.append(_set(k, "reps", t0, t1, reps=reps,
                        target_reps=p.target_reps if p else None))
    return out


# --------------------------------------------------------------------------- holds


def _hold_from_window(k: int, t: FloatArray, angle: FloatArray, gyr: FloatArray, fs: float,
                      spec: DrillSpec, t0: float, t1: float, held_from: tuple[float, float]
                      | None = None, entry_deg: float = 0.0) -> dict[str, Any]:
    """A hold over [t0, t1]: movements (stillness monitor) and the mean angle held.
    ``entry_deg``: the window starts at "Go", before the person moved into the position."""
    det = spec.detection
    mon = StillnessMonitor(fs, float(det.get("still_dps", 12.0)), float(det.get("move_deg", 4.0)),
                           entry_deg=entry_deg)
    a = int(np.searchsorted(t, t0))
    b = int(np.searchsorted(t, t1, side="right"))
    mon.begin(t0)
    mon.update(t[a:b], angle[a:b], gyr[a:b])
    iv = mon.end(t1)
    h0, h1 = held_from or (t0, t1)
    return _set(k, "hold", t0, t1, held_s=h1 - h0, movements=iv.movements if iv else 0,
                angle_deg=iv.angle_deg if iv else None, hold_target_s=t1 - t0)


def _isometric_sets(t: FloatArray, ap: FloatArray, ml: FloatArray, gyr: FloatArray, fs: float,
                    spec: DrillSpec, side: str, placement: str | None,
                    windows: list[tuple[int, float, float]]) -> list[dict[str, Any]]:
    bias = estimate_gyro_bias(t, gyr, fs)
    g_ap, g_ml = _angles(t, ap, ml, gyr, fs, spec, side, placement, bias)
    axis, sign = signal_for(spec, side)
    angle = (g_ml if axis == "ml" else g_ap) * sign
    still = gyr - bias  # once, not per hold (an hour has hundreds of holds)
    if windows:
        return [_hold_from_window(k, t, angle, still, fs, spec, t0, t1)
                for k, t0, t1 in windows]
    spans = isometric_holds(t, still, fs, float(spec.detection.get("min_hold_s", 2.0)))
    return [_hold_from_window(i + 1, t, angle, still, fs, spec, t0, t1)
            for i, (t0, t1) in enumerate(spans)]


def isometric_holds(t: FloatArray, gyr: FloatArray, fs: float, min_hold_s: float = 2.0
                    ) -> list[tuple[float, float]]:
    """Pushing periods: the 7-13 Hz angular-rate (physiological tremor) power rises while the
    muscles work. Log power averaged over 1 s; a hold is a run above 30 % of the way from the
    quiet (10th percentile) to the working level (90th) that reaches halfway, timed where it
    crosses halfway (so ramps count half: "contraction at half effort or more"). Nothing when
    the two levels are not clearly apart (power ratio < 4, amplitude ratio < 2)."""
    if t.size < int(2 * fs) or fs < 2.2 * TREMOR_BAND_HZ[1]:
        return []
    sos = iir.butter_sos(2, TREMOR_BAND_HZ, fs, "bandpass")
    band = iir.sosfiltfilt(sos, np.asarray(gyr, np.float64), axis=0)
    power = iir.uniform_filter1d(np.sum(band * band, axis=1), max(int(fs), 1))
    level = np.log(np.maximum(power, 1e-12))
    lo, hi = np.percentile(level, [10, 90])
    if hi - lo < np.log(4.0):
        return []
    mid, low = (lo + hi) / 2.0, lo + 0.3 * (hi - lo)
    spans: list[tuple[float, float]] = []
    for a, b in true_runs(level > low):
        above = np.flatnonzero(level[a:b] > mid)
        if above.size:
            spans.append((float(t[a + above[0]]), float(t[a + above[-1]])))
    merged: list[tuple[float, float]] = []
    for s in spans:
        if merged and s[0] - merged[-1][1] < MERGE_GAP_S:
            merged[-1] = (merged[-1][0], s[1])
        else:
            merged.append(s)
    return [(a, b) for a, b in merged if b - a >= min_hold_s]


def _stretch_sets(t: FloatArray, ap: FloatArray, gyr: FloatArray, fs: float, spec: DrillSpec,
                  windows: list[tuple[int, float, float]]) -> list[dict[str, Any]]:
    if windows:  # the guide's sets, from "Go": the lean into the stretch comes first
        return [_hold_from_window(k, t, ap, gyr, fs, spec, t0, t1,
                                  entry_deg=hold_entry_deg(spec)) for k, t0, t1 in windows]
    spans = stretch_holds(t, ap, fs, float(spec.detection.get("min_angle_deg", 5.0)),
                          float(spec.detection.get("min_hold_s", 3.0)))
    return [_hold_from_window(i + 1, t, ap, gyr, fs, spec, t0, t1)
            for i, (t0, t1) in enumerate(spans)]


def stretch_holds(t: FloatArray, ap: FloatArray, fs: float, min_angle_deg: float = 5.0,
                  min_hold_s: float = 3.0) -> list[tuple[float, float]]:
    """Held forward leans of the shank: where the (low-passed) lean stays above halfway between
    standing and the deepest lean, trimmed to the plateau (within 8 % of the depth of the
    segment's median angle)."""
    y = LowPass(fs, 2.0)(np.asarray(ap, np.float64)) if t.size else np.empty(0)
    if y.size < 2:
        return []
    base, top = np.percentile(y, [5, 95])
    depth = float(top - base)
    if depth < min_angle_deg:
        return []
    out = []
    for a, b in true_runs(y > base + 0.5 * depth):
        seg = y[a:b]
        med = float(np.median(seg))
        near = np.flatnonzero(np.abs(seg - med) <= 0.08 * (med - base))
        if near.size == 0:
            continue
        t0, t1 = float(t[a + near[0]]), float(t[a + near[-1]])
        if t1 - t0 >= min_hold_s and med - base >= min_angle_deg:
            out.append((t0, t1))
    return out
