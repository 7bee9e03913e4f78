"""Real walking with foot-worn IMUs, for the lifted-foot touchdown detector (issue 14 item 4).

- ``impact_front_errors_ms``: the detector's touchdown time (``touchdown_time_s``: the front of
  the impact whose peak is the strongest within 0.1 s of a reference heel strike) minus the
  reference, for every reference heel strike. Used on the gaitmap excerpt kept in
  ``tests/data/gaitmap-foot-imu`` (motion-capture reference, always runs) and on the data set
  below.
- The IPOL gait data set of Voisard et al. (GitHub ``CyrilVoisard/ipol_dataset_1``): 19 healthy
  adults, 110 trials (stand, walk 10 m, U-turn, walk back, stop), Xsens MTw Awinda on both feet
  and on the lower back (L5), 100 Hz, accelerometer m/s², gyroscope rad/s; each foot's steps as
  [start, end] samples (end = the heel strike), found by two published algorithms and checked
  by hand. C. Voisard, N. de l'Escalopier, D. Ricard, L. Oudre, "A reference data set for the
  study of healthy subject gait with inertial measurements units", Image Processing On Line 13
  (2023), https://www.ipol.im/pub/art/2023/497/. The repository's licence is AGPL-3.0, so
  nothing of it is copied here: ``IPOL_GAIT_DIR`` points at a local clone (its root or its
  ``GaitData`` folder) and the tests skip without it.

``python -m tests.external.realgait`` prints the figures quoted in docs/multi-sensor.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from trainer.core.limbs import detect_touchdowns, touchdown_time_s, trunk_sway

G = 9.80665
IPOL_FS_HZ = 100.0
MATCH_S = 0.15  # a detection this close to a reference heel strike is that heel strike


def impact_front_errors_ms(t_s: np.ndarray, acc_g: np.ndarray, ics_s: np.ndarray
                           ) -> np.ndarray:
    dev = np.abs(np.linalg.norm(acc_g, axis=1) - 1.0)
    errs = []
    for ic in ics_s:
        near = np.flatnonzero(np.abs(t_s - ic) <= 0.1)
        if near.size == 0:
            errs.append(np.nan)
            continue
        on = touchdown_time_s(t_s, acc_g, float(t_s[near[np.argmax(dev[near])]]))
        errs.append(np.nan if on is None else 1000.0 * (on - ic))
    return np.array(errs)


def ipol_dir() -> Path | None:
    root = os.environ.get("IPOL_GAIT_DIR")
    if not root:
        return None
    p = Path(root)
    p = p / "GaitData" if (p / "GaitData").is_dir() else p
    return p if any(p.glob("*_lf.txt")) else None


@dataclass
class Foot:
    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    ics_s: np.ndarray  # the end of every step: its heel strike


@dataclass
class Trial:
    name: str
    feet: dict[str, Foot]
    trunk_t_s: np.ndarray
    trunk_acc_g: np.ndarray
    walk_start_s: float


def _xsens(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.loadtxt(path, skiprows=2)
    t = (a[:, 0] - a[0, 0]) / IPOL_FS_HZ  # the packet counter: a few packets are missing
    return t, a[:, 1:4] / G, np.degrees(a[:, 4:7])


def ipol_trials(root: Path) -> Iterator[Trial]:
    for meta_path in sorted(root.glob("*.json")):
        meta = json.loads(meta_path.read_text())
        stem = meta_path.with_suffix("")
        feet = {}
        for side, key in (("left", "LeftFootEvents"), ("right", "RightFootEvents")):
            t, acc, gyr = _xsens(Path(f"{stem}_{side[0]}f.txt"))
            feet[side] = Foot(t, acc, gyr, np.array([e[1] for e in meta[key]]) / IPOL_FS_HZ)
        tl, accl, _ = _xsens(Path(f"{stem}_lb.txt"))
        yield Trial(stem.name, feet, tl, accl, meta["TrialBoundaries"][0] / IPOL_FS_HZ)


def evaluate_ipol(root: Path) -> dict[str, float]:
    errs: list[np.ndarray] = []
    n_final = n_mid = final_hit = mid_hit = other = 0
    final_errs: list[float] = []
    hours = 0.0
    trunk: list[dict[str, float]] = []
    for trial in ipol_trials(root):
        for foot in trial.feet.values():
            errs.append(impact_front_errors_ms(foot.t_s, foot.acc_g, foot.ics_s))
            found = np.array([d["t_s"] for d in detect_touchdowns(foot.t_s, foot.acc_g,
                                                                   foot.gyr_dps)])
            hours += float(foot.t_s[-1]) / 3600.0
            final = foot.ics_s[-1]
            n_final += 1
            near_final = found[np.abs(found - final) <= MATCH_S]
            if near_final.size:
                final_hit += 1
                final_errs.append(1000.0 * float(near_final[0] - final))
            for ic in foot.ics_s[:-1]:
                n_mid += 1
                mid_hit += int(bool(np.any(np.abs(found - ic) <= MATCH_S)))
            other += sum(1 for x in found if not np.any(np.abs(foot.ics_s - x) <= MATCH_S))
        stand = (trial.trunk_t_s >= 0.5) & (trial.trunk_t_s <= trial.walk_start_s - 0.5)
        if stand.sum() >= 3 * IPOL_FS_HZ:
            m = trunk_sway(trial.trunk_t_s[stand], trial.trunk_acc_g[stand], IPOL_FS_HZ)
            if m:
                trunk.append(m)
    e = np.concatenate(errs)
    fe = np.array(final_errs)
    out = {
        "heel_strikes": int(e.size),
        "heel_strikes_with_front": int(np.isfinite(e).sum()),
        "front_error_median_ms": float(np.nanmedian(e)),
        "front_error_p95_abs_ms": float(np.nanpercentile(np.abs(e), 95)),
        "foot_recording_h": hours,
        "final_steps": n_final,
        "final_steps_detected": final_hit,
        "final_error_median_ms": float(np.median(fe)) if fe.size else float("nan"),
        "final_error_p95_abs_ms": (float(np.percentile(np.abs(fe), 95)) if fe.size
                                   else float("nan")),
        "mid_walk_heel_strikes": n_mid,
        "mid_walk_detected": mid_hit,
        "detections_elsewhere": other,
        "trunk_standing_windows": len(trunk),
    }
    for k in ("rms_m_s2", "jerk_m2_s5", "ellipse_area_m2_s4", "sway_area_rate_m2_s5",
              "mean_velocity_m_s", "duration_s"):
        v = np.array([m[k] for m in trunk])
        out[f"trunk_{k}_p10"], out[f"trunk_{k}_median"], out[f"trunk_{k}_p90"] = (
            float(x) for x in np.percentile(v, [10, 50, 90]))
    return out


if __name__ == "__main__":
    d = ipol_dir()
    if d is None:
        raise SystemExit("set IPOL_GAIT_DIR to a clone of CyrilVoisard/ipol_dataset_1")
    print(json.dumps(evaluate_ipol(d), indent=1))
