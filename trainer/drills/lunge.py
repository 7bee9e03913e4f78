"""Weight-bearing lunge test (knee to wall): the shank's inclination from vertical at the deepest
point of each lunge, with the shank sensor.

The measure is the angle between the shank's long axis and the vertical
(``trainer.core.tilt.inclination_from_tilt`` of the core's anatomical tilts): it needs no heading
and no AP/ML split, so any strapping works. With a mounting calibration the shank axis is the
calibrated one; without, the vertical of the first quiet second (standing upright) is taken as the
shank axis, so start the recording standing still.

Lunges are found from the data (no set events needed): runs where the low-passed inclination
rises more than ``min_lunge_deg`` (and at least half of the deepest lunge's depth) above the
standing baseline, each lunge's depth being the run's maximum. With the guided session's set
windows, one lunge per window (its deepest run).

Thresholds (``LUNGE_NORMS``): a lunge angle below about 34° is commonly treated as restricted
(Pope, Herbert & Kirwan 1998, Aust J Physiother 44:165, where low dorsiflexion range predicted
injury in 1093 army recruits); a side-to-side difference above the minimal detectable change of
about 4.6-4.7° (Konor et al. 2012, Int J Sports Phys Ther 7:279, inclinometer WBLT) is a real
asymmetry; healthy people can differ a little between legs (Rabin et al. 2015, J Athl Train
50:30).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trainer.core import iir
from trainer.core.tilt import inclination_from_tilt, quiet_mask
from trainer.drills.detectors import FloatArray, LowPass, fill_nan, true_runs

LUNGE_NORMS: dict[str, Any] = {
    "restricted_below_deg": 34.0,
    "restricted_source": "Pope, Herbert & Kirwan 1998, Aust J Physiother 44(3):165-172",
    "side_difference_deg": 5.0,
    "side_difference_source": "Konor et al. 2012, Int J Sports Phys Ther 7(3):279-287 "
                              "(minimal detectable change 4.6-4.7°)",
    "asymmetry_note_source": "Rabin et al. 2015, J Athl Train 50(1):30-35",
}
TRIALS_PER_SIDE = 3


@dataclass(frozen=True)
class Lunge:
    """One lunge: its deepest shank inclination and when."""

    index: int  # 1-based
    depth_deg: float
    t_deepest_s: float
    t_start_s: float
    t_end_s: float

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "depth_deg": round(self.depth_deg, 2),
                "t_deepest_s": round(self.t_deepest_s, 3), "t_start_s": round(self.t_start_s, 3),
                "t_end_s": round(self.t_end_s, 3)}


def shank_inclination(ap_deg: FloatArray, ml_deg: FloatArray) -> FloatArray:
    """Shank inclination from vertical (degrees) from the core's tilts (NaN filled forward)."""
    ap = fill_nan(np.asarray(ap_deg, dtype=np.float64))
    ml = fill_nan(np.asarray(ml_deg, dtype=np.float64))
    return inclination_from_tilt(ap, ml)


def _smooth(y: FloatArray, fs: float, cutoff_hz: float) -> FloatArray:
    """Zero-phase low-pass (offline): depth is read at a held plateau, so no lag and no loss."""
    if y.size < 16 or cutoff_hz >= 0.45 * fs:
        return y
    sos = iir.butter_sos(2, cutoff_hz, fs)
    padlen = min(y.size - 1, int(3 * fs / cutoff_hz))
    return iir.sosfiltfilt(sos, y, padlen=padlen)


def find_lunges(t_s: FloatArray, inclination_deg: FloatArray, fs_hz: float, *,
                min_lunge_deg: float = 12.0, lowpass_hz: float = 2.0,
                windows: Sequence[tuple[float, float]] | None = None) -> list[Lunge]:
    """The lunges of a recording (see the module docstring); ``windows``: (start, end) session
    times of the guided lunges (one lunge each, the deepest run in it, 1 s grace after)."""
    t = np.asarray(t_s, dtype=np.float64)
    y = _smooth(np.asarray(inclination_deg, dtype=np.float64), fs_hz, lowpass_hz)
    if y.size < 2:
        return []
    base = float(np.percentile(y, 5))
    top = float(np.max(y))
    enter = base + max(min_lunge_deg, 0.5 * (top - base))
    leave = base + 0.4 * (enter - base)
    runs = [(a, b) for a, b in true_runs(y > leave) if float(np.max(y[a:b])) >= enter]
    found = []
    for a, b in runs:
        k = a + int(np.argmax(y[a:b]))
        found.append((float(y[k]), float(t[k]), float(t[a]), float(t[b - 1])))
    if windows is not None:
        chosen = []
        for w0, w1 in windows:
            inside = [f for f in found if w0 <= f[1] <= w1 + 1.0]
            if inside:
                chosen.append(max(inside))
        found = chosen
    return [Lunge(i + 1, d, tk, ta, tb) for i, (d, tk, ta, tb) in enumerate(found)]


HOLD_STILL_DPS = 6.0  # a held lunge: low-passed angular rate under this …
HOLD_ACC_G = 0.03  # … and the accelerometer within this of 1 g (gravity only)


def shank_axis(t_s: FloatArray, acc_g: FloatArray, gyr_dps: FloatArray, fs_hz: float,
               calibrated: bool) -> FloatArray | None:
    """The shank's long axis in the accelerometer's frame: the segment's z with a mounting
    calibration, else gravity over the first quiet second (standing upright, as the tilt
    reference); None when never quiet."""
    if calibrated:
        return np.array([0.0, 0.0, 1.0])
    need = max(2, round(fs_hz))
    for a, b in true_runs(quiet_mask(acc_g, gyr_dps)):
        if b - a >= need:
            g = np.asarray(acc_g[a:a + need], dtype=np.float64).mean(axis=0)
            return np.asarray(g / np.linalg.norm(g), dtype=np.float64)
    return None


def refine_depths(lunges: Sequence[Lunge], t_s: FloatArray, acc_g: FloatArray,
                  gyr_dps: FloatArray, fs_hz: float, calibrated: bool) -> list[Lunge]:
    """Each lunge's depth from gravity where the deepest point is held still: the angle
    between the shank axis and the (0.2 s averaged) accelerometer. Static gravity needs no gyro
    integration, so an uncompensated gyro bias during the lunge cannot bend it; a lunge that is
    never held keeps its orientation-filter depth."""
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_g, dtype=np.float64).reshape(-1, 3)
    gyr = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
    axis = shank_axis(t, acc, gyr, fs_hz, calibrated)
    if axis is None or t.size < 4:
        return list(lunges)
    k = max(1, round(0.2 * fs_hz))
    acc_s = iir.uniform_filter1d(acc, k, axis=0)
    norm = np.linalg.norm(acc_s, axis=1)
    rate = LowPass(fs_hz, 4.0)(np.linalg.norm(gyr, axis=1))
    held = (rate < HOLD_STILL_DPS) & (np.abs(norm - 1.0) < HOLD_ACC_G)
    incl = np.degrees(np.arccos(np.clip(acc_s @ axis / np.maximum(norm, 1e-9), -1.0, 1.0)))
    out = []
    for lg in lunges:
        a = int(np.searchsorted(t, lg.t_start_s))
        b = int(np.searchsorted(t, lg.t_end_s, side="right"))
        ok = np.flatnonzero(held[a:b])
        if ok.size < k:
            out.append(lg)
            continue
        i = a + int(ok[np.argmax(incl[a + ok])])
        out.append(Lunge(lg.index, float(incl[i]), float(t[i]), lg.t_start_s, lg.t_end_s))
    return out


def lunge_summary(lunges: Sequence[Lunge]) -> dict[str, Any]:
    """The contract keys (``lunges_deg``, ``max_lunge_deg``) and the comparison with the
    published threshold."""
    depths = [round(lg.depth_deg, 2) for lg in lunges]
    best = max(depths) if depths else None
    limit = float(LUNGE_NORMS["restricted_below_deg"])
    return {
        "lunges_deg": depths,
        "max_lunge_deg": best,
        "mean_lunge_deg": round(float(np.mean(depths)), 2) if depths else None,
        "lunges": [lg.to_dict() for lg in lunges],
        "lunge_norms": {
            "restricted_below_deg": limit,
            "restricted": None if best is None else bool(best < limit),
            "source": LUNGE_NORMS["restricted_source"],
            "side_difference_deg": LUNGE_NORMS["side_difference_deg"],
            "side_difference_source": LUNGE_NORMS["side_difference_source"],
        },
    }


def compare_sides(injured_deg: float | None, other_deg: float | None) -> dict[str, Any]:
    """Injured vs other leg: difference, limb symmetry index and whether the difference is
    beyond the minimal detectable change."""
    if injured_deg is None or other_deg is None or other_deg <= 0:
        return {"difference_deg": None, "lsi_pct": None, "asymmetric": None}
    diff = float(other_deg) - float(injured_deg)
    return {"difference_deg": round(diff, 2),
            "lsi_pct": round(100.0 * float(injured_deg) / float(other_deg), 1),
            "asymmetric": bool(abs(diff) > float(LUNGE_NORMS["side_difference_deg"]))}
