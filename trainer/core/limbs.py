"""What the extra sensors of a multi-sensor session add (issue 14): the lifted foot's touchdown
seen by its own sensor, trunk sway from the trunk accelerometer, and the two legs compared.

Pure numpy/scipy (``trainer.core``).

- :func:`detect_touchdowns`: a sensor on the lifted leg (foot or shank) sees its touchdown
  directly — an impact (``| |acc| − 1 g |`` above ``impact_g``) that ends a change of the
  segment's orientation (lifted → on the floor: the gravity direction before and after differs
  by more than ``min_turn_deg``) and is followed by stillness. The time is the impact's onset
  (half-maximum crossing, sub-sample), the moment the foot meets the floor.
- :func:`trunk_sway`: instrumented-sway (ISway) measures of the trunk acceleration as Mancini et
  al. 2012 ("ISway: a sensitive, valid and reliable measure of postural control", J NeuroEng
  Rehabil 9:59, Table 2) define them: AP and ML horizontal accelerations (tilt-corrected to the
  mean gravity direction, Moe-Nilssen 1998; low-passed at 3.5 Hz, zero-lag 4th-order Butterworth;
  mean removed) → RMS (m/s²), JERK = ½ ∫ (dAP/dt)² + (dML/dt)² dt (m²/s⁵), 95 % ellipse area of
  AP vs ML (m²/s⁴, the contract's prediction ellipse), sway area rate (m²/s⁵, Mancini's AREA)
  and mean velocity = mean of √(v_AP² + v_ML²), v the integrated acceleration (m/s).
- :func:`leg_symmetry`: each leg's measure from its own sensor, the limb symmetry index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, detrend, sosfiltfilt

from trainer.core.sessionclock import event_onset_s
from trainer.core.sway import sway_metrics

FloatArray = NDArray[np.float64]
G = 9.80665
TRUNK_LOWPASS_HZ = 3.5
TRUNK_SOURCE = ("Mancini M, Salarian A, Carlson-Kuhta P, et al. ISway: a sensitive, valid and "
                "reliable measure of postural control. J NeuroEng Rehabil 2012;9:59 (Table 2)")


def _window_mean(t: FloatArray, x: FloatArray, a: float, b: float) -> FloatArray | None:
    sel = (t >= a) & (t <= b)
    if sel.sum() < 3:
        return None
    return np.asarray(x[sel].mean(axis=0), dtype=np.float64)


def _angle_deg(u: FloatArray, v: FloatArray) -> float:
    c = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
    return float(np.degrees(np.arccos(np.clip(c, -1.0, 1.0))))


# where the touchdown's time is looked for around the impact's peak (the front of the impact)
TOUCHDOWN_FRONT_SEARCH_S = 0.08
TOUCHDOWN_FRONT_BASELINE_S = 0.3


def touchdown_time_s(t_s: FloatArray, acc_g: FloatArray, peak_t_s: float) -> float | None:
    """The touchdown's time given its impact's peak: the impact's front (half-maximum crossing
    of ``|acc|``, sub-sample) within ``TOUCHDOWN_FRONT_SEARCH_S`` of the peak; None if no
    front stands out. On real heel strikes in walking it lies a median 22 ms after the
    motion-capture heel strike (tests/data/gaitmap-foot-imu); when a harder forefoot slap
    follows the heel's impact within the search span, it is the slap's front
    (docs/multi-sensor.md, "Checked on real recordings")."""
    return event_onset_s(t_s, acc_g, near_s=peak_t_s, search_s=TOUCHDOWN_FRONT_SEARCH_S,
                         baseline_s=TOUCHDOWN_FRONT_BASELINE_S)


def detect_touchdowns(t_s: FloatArray, acc_g: FloatArray, gyr_dps: FloatArray, *,
                      impact_g: float = 0.5, min_turn_deg: float = 12.0,
                      refractory_s: float = 1.0) -> list[dict[str, float]]:
    """Touchdowns of a lifted foot on its own sensor: ``[{"t_s", "impact_g", "turn_deg"}]``."""
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_g, dtype=np.float64)
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    if t.size < 10:
        return []
    norm = np.linalg.norm(acc, axis=1)
    dev = np.abs(norm - 1.0)
    peaks = np.flatnonzero((dev[1:-1] >= impact_g) & (dev[1:-1] >= dev[:-2])
                           & (dev[1:-1] > dev[2:])) + 1
    out: list[dict[str, float]] = []
    last = -np.inf
    # strongest first within a refractory window
    for i in sorted(peaks.tolist(), key=lambda k: -dev[k]):
        ti = float(t[i])
        if any(abs(ti - o["_peak"]) < refractory_s for o in out):
            continue
        before = _window_mean(t, acc, ti - 1.0, ti - 0.35)
        after = _window_mean(t, acc, ti + 0.2, ti + 0.7)
        if before is None or after is None:
            continue
        turn = _angle_deg(before, after)
        if turn < min_turn_deg:
            continue
        sel_after = (t >= ti + 0.2) & (t <= ti + 0.7)
        still = (float(np.median(np.linalg.norm(gyr[sel_after], axis=1))) < 30.0
                 and float(np.std(norm[sel_after])) < 0.1)
        if not still:
            continue
        onset = touchdown_time_s(t, acc, ti)
        out.append({"t_s": float(onset if onset is not None else ti),
                    "impact_g": round(float(dev[i]), 3), "turn_deg": round(turn, 1),
                    "_peak": ti})
        last = ti
    del last
    out.sort(key=lambda o: o["t_s"])
    return [{k: v for k, v in o.items() if k != "_peak"} for o in out]


def horizontal_acc(acc_g: FloatArray) -> tuple[FloatArray, FloatArray]:
    """AP and ML horizontal accelerations (m/s²) of a segment-frame accelerometer (x anterior,
    y left, z up), tilt-corrected to the mean gravity direction (Moe-Nilssen 1998)."""
    acc = np.asarray(acc_g, dtype=np.float64)
    g = acc.mean(axis=0)
    z = g / np.linalg.norm(g)
    x = np.array([1.0, 0.0, 0.0]) - z[0] * z  # sensor x projected on the horizontal plane
    if np.linalg.norm(x) < 1e-6:
        x = np.array([0.0, 0.0, 1.0]) - z[2] * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return (acc @ x) * G, (acc @ y) * G


def trunk_sway(t_s: FloatArray, acc_g: FloatArray, fs_hz: float) -> dict[str, Any]:
    """ISway measures of one stretch of quiet stance (see the module doc); units in the keys."""
    acc = np.asarray(acc_g, dtype=np.float64)
    n = acc.shape[0]
    if n < max(16, int(2 * fs_hz)):
        return {}
    ap, ml = horizontal_acc(acc)
    if fs_hz > 2 * TRUNK_LOWPASS_HZ * 1.05:
        sos = butter(4, TRUNK_LOWPASS_HZ, fs=fs_hz, output="sos")
        ap, ml = sosfiltfilt(sos, ap), sosfiltfilt(sos, ml)
    ap = ap - ap.mean()
    ml = ml - ml.mean()
    dt = 1.0 / fs_hz
    jerk = 0.5 * float(np.sum(np.gradient(ap, dt) ** 2 + np.gradient(ml, dt) ** 2) * dt)
    v_ap = detrend(np.cumsum(ap) * dt)
    v_ml = detrend(np.cumsum(ml) * dt)
    m = sway_metrics(ap, ml, fs_hz)
    return {
        "rms_ap_m_s2": float(np.sqrt(np.mean(ap ** 2))),
        "rms_ml_m_s2": float(np.sqrt(np.mean(ml ** 2))),
        "rms_m_s2": float(m["rms"]),
        "jerk_m2_s5": jerk,
        "ellipse_area_m2_s4": float(m["ellipse_area"]),
        "sway_area_rate_m2_s5": float(m["sway_area_rate"]),
        "mean_velocity_m_s": float(np.mean(np.hypot(v_ap, v_ml))),
        "duration_s": n / fs_hz,
    }


def trunk_sway_windows(t_s: FloatArray, acc_g: FloatArray, fs_hz: float,
                       windows: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """:func:`trunk_sway` of each window (the ankle sway's trials) and their mean."""
    t = np.asarray(t_s, dtype=np.float64)
    per: list[dict[str, Any]] = []
    for a, b in windows:
        sel = (t >= a) & (t <= b)
        m = trunk_sway(t[sel], np.asarray(acc_g)[sel], fs_hz)
        if m:
            per.append({"t_start_s": a, "t_end_s": b, **m})
    keys = [k for k in (per[0] if per else {}) if k not in ("t_start_s", "t_end_s")]
    mean = {k: float(np.mean([p[k] for p in per])) for k in keys}
    return {**mean, "trials": per, "n_trials": len(per), "source": TRUNK_SOURCE,
            "processing": f"tilt-corrected horizontal acceleration, {TRUNK_LOWPASS_HZ} Hz "
                          "zero-lag 4th-order Butterworth low-pass, mean removed"}


def lsi_pct(involved: float | None, other: float | None, higher_is_better: bool
            ) -> float | None:
    """Limb symmetry index: involved/other × 100 (higher is better), other/involved × 100
    (lower is better), so under 100 % means the involved leg does worse."""
    if involved is None or other is None or involved <= 0 or other <= 0:
        return None
    return 100.0 * (involved / other if higher_is_better else other / involved)


def stance_masks(tilt_left_deg: FloatArray, tilt_right_deg: FloatArray, *,
                 lifted_deg: float = 15.0) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Where each leg stands alone: its shank's tilt magnitude is small while the other shank is
    lifted (tilted by more than ``lifted_deg`` from its own median standing tilt)."""
    left = np.asarray(tilt_left_deg, dtype=np.float64)
    right = np.asarray(tilt_right_deg, dtype=np.float64)
    l_up = np.abs(left - np.median(left[np.abs(left) < lifted_deg])
                  if np.any(np.abs(left) < lifted_deg) else left) > lifted_deg
    r_up = np.abs(right - np.median(right[np.abs(right) < lifted_deg])
                  if np.any(np.abs(right) < lifted_deg) else right) > lifted_deg
    return (~l_up & r_up), (~r_up & l_up)


def leg_symmetry(per_leg: Mapping[str, Mapping[str, float | None]], involved: str
                 ) -> dict[str, Any]:
    """Each leg's measures (``stance_s``: higher is better; ``ellipse_area``, ``rms``,
    ``mean_velocity``: lower is better) and the LSI of the ``involved`` leg against the other."""
    other = "right" if involved == "left" else "left"
    better = {"stance_s": True, "ellipse_area": False, "rms": False, "mean_velocity": False}
    lsi: dict[str, float | None] = {}
    for key, hib in better.items():
        lsi[key] = lsi_pct(per_leg.get(involved, {}).get(key), per_leg.get(other, {}).get(key),
                           hib)
    return {"involved": involved, "legs": {k: dict(v) for k, v in per_leg.items()},
            "lsi_pct": lsi, "note": "LSI = involved/other (stance time) or other/involved "
                                    "(sway): under 100 % the involved leg does worse"}
