"""What the stance leg's sensor sees when the other foot touches down: real recordings against
the simulator and the independent loss model (issue 12 item 1).

The balance-loss detector (``trainer.core.events``) must not rely on a jolt at the stance shank
when the lifted foot lands; the simulator puts a 0.05-0.3 g transmitted jolt there
(``firmware_bridge.simulator.stance.TOUCHDOWN_JOLT_G``) and the loss benchmark sweeps 0.1-3 g.
No real recording of a balance loss with a stance-shank sensor exists (see
tests/data/README-real-recordings.md), so the nearest real events are measured: one foot
touching down while the other leg stands.

- **Exercises** (Phan et al. 2024, see ``realreps``; ``IMU_EXERCISE_DIR``): Xsens on both feet
  and shanks, 100 Hz, one file per repetition (subject SUB22, every exercise). A touchdown is an
  impact on one foot — ``|acc|`` ≥ 1.5 g that rose by ≥ 0.5 g within the 30 ms before its peak
  (a strike, not a push) — that ends a movement of that foot (|ω| ≥ 50 °/s within 0.3 s before,
  and its median |ω| over 0.05-0.25 s after below half of that) while the other foot stood on
  the floor: no impact and no flight there (``| |acc| − 1 g |`` < 0.3 g over the 0.3 s before)
  and no swing (median |ω| < 60 °/s). The files are cut repetitions, so a touchdown needs 0.3 s
  of recording before it and 0.1 s after (0.5 s for the tilt change).
- **Gait termination and walking** (Voisard et al. 2023, see ``realgait``; ``IPOL_GAIT_DIR``):
  Xsens on both feet, 100 Hz. At the end of each walk the last foot touches down beside the
  standing foot (the foot whose last heel strike is the later one; the other foot stood ≥ 0.3 s
  by then); for comparison, every mid-walk heel strike as the other foot (then in its push-off)
  sees it. Foot sensors only.
- **Simulator** (``firmware_bridge.simulator``, single-leg balance with losses) and the
  **independent loss model** (``tests/trainer/core/loss_model.py``, the smooth model and its
  busy variant ``Busy()``) measured the same way at their touchdowns (the stance shank; the
  simulator's stance foot too).

Measures of the stance leg's sensor around the touchdown time ``t`` (the landing foot's impact
front, ``trainer.core.limbs.touchdown_time_s``; its peak if no front stands out):

- ``jolt_g``: the largest ``| |acc| − level |`` within ±50 ms, ``level`` the median ``|acc|``
  over 0.30-0.05 s before (the transient on top of what the leg was doing);
- ``dev_g``: the largest ``| |acc| − 1 g |`` within ±50 ms (what the detector's impact test
  sees, ``EventConfig.impact_g`` 0.9 g);
- ``gyr_change_dps``: the largest ``|ω − ω̄|`` within ±50 ms, ``ω̄`` the mean over 0.30-0.05 s
  before;
- ``tilt_change_deg``: how far the gravity direction in the sensor frame turned from ``t`` to
  ``t`` + 0.5 s (the gyro integrated from the accelerometer's direction before; heading left out);
- ``before_g``: ``jolt_g``'s measure over the level's own window (0.30-0.05 s before): how much
  the leg's own movement moved ``|acc|`` before the touchdown, for comparison.

``python -m tests.external.realtouch`` prints the tables quoted in the README and
tests/data/README-real-recordings.md.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tests.external.realgait import MATCH_S, ipol_dir, ipol_trials
from tests.external.realreps import data_dir, read_rep
from trainer.core.events import EventConfig
from trainer.core.limbs import detect_touchdowns, touchdown_time_s
from trainer.vocab.roles import Role

G = 9.80665
WINDOW_S = 0.05  # ± around the touchdown
PRE_S = (0.30, 0.05)  # the level before: from 0.30 s to 0.05 s before the touchdown
TILT_S = 0.5
MEASURES = ("jolt_g", "dev_g", "gyr_change_dps", "tilt_change_deg", "before_g")

# the touchdown rule on the exercise recordings (module docstring)
IMPACT_G = 0.5
RISE_G = 0.5
RISE_S = 0.03
LIFT_DPS = 50.0
STANCE_DEV_G = 0.3
STANCE_SWING_DPS = 60.0
IMPACT_TEST_G = EventConfig().impact_g


@dataclass
class Seen:
    """What one sensor of the stance leg saw at one touchdown (``MEASURES``; tilt NaN when the
    recording ends within 0.5 s)."""

    jolt_g: float
    dev_g: float
    gyr_change_dps: float
    tilt_change_deg: float
    before_g: float  # ``jolt_g``'s measure over the level's own window: the leg's own movement


@dataclass
class Touch:
    group: str  # exercise name, "IPOL final step", "simulator", …
    name: str  # file / trial
    t_s: float
    lifted_peak_g: float  # | |acc| − 1 g | peak on the landing foot (NaN: not recorded)
    shank: Seen | None
    foot: Seen | None
    stance_quiet_dps: float = math.nan  # the stance foot's median |ω| over the 0.3 s before
    lifted_found: bool | None = None  # ``detect_touchdowns`` on the landing foot found it


def _win(t: np.ndarray, a: float, b: float) -> np.ndarray:
    return np.asarray((t >= a) & (t <= b))


def _tilt_change_deg(t: np.ndarray, acc: np.ndarray, gyr_dps: np.ndarray, t0: float,
                     pre: np.ndarray) -> float:
    if t[-1] < t0 + TILT_S:
        return math.nan
    g = acc[pre].mean(axis=0)
    g = g / np.linalg.norm(g)
    g0 = g.copy()
    idx = np.flatnonzero(_win(t, t0, t0 + TILT_S))
    w = np.radians(gyr_dps)
    for k in idx[:-1]:  # the gravity direction is fixed in the world: dg/dt = −ω × g
        g = g - np.cross(w[k], g) * (t[k + 1] - t[k])
        g = g / np.linalg.norm(g)
    return float(np.degrees(np.arccos(np.clip(g @ g0, -1.0, 1.0))))


def stance_view(t_s: np.ndarray, acc_g: np.ndarray, gyr_dps: np.ndarray, t_td: float
                ) -> Seen | None:
    """What a stance-leg sensor saw at a touchdown at ``t_td`` (None: too little recording)."""
    pre = _win(t_s, t_td - PRE_S[0], t_td - PRE_S[1])
    near = _win(t_s, t_td - WINDOW_S, t_td + WINDOW_S)
    if pre.sum() < 10 or near.sum() < 5 or t_s[-1] < t_td + WINDOW_S:
        return None
    norm = np.linalg.norm(acc_g, axis=1)
    level = float(np.median(norm[pre]))
    w_mean = gyr_dps[pre].mean(axis=0)
    return Seen(float(np.max(np.abs(norm[near] - level))),
                float(np.max(np.abs(norm[near] - 1.0))),
                float(np.max(np.linalg.norm(gyr_dps[near] - w_mean, axis=1))),
                _tilt_change_deg(t_s, acc_g, gyr_dps, t_td, pre),
                float(np.max(np.abs(norm[pre] - level))))


def _quiet_dps(t: np.ndarray, gyr_dps: np.ndarray, t_td: float) -> float:
    pre = _win(t, t_td - 0.3, t_td - 0.03)
    return float(np.median(np.linalg.norm(gyr_dps[pre], axis=1))) if pre.any() else math.nan


def _front(t: np.ndarray, acc: np.ndarray, peak_t: float) -> float:
    on = touchdown_time_s(t, acc, peak_t)
    return peak_t if on is None else on


# ---------------------------------------------------------------------------------------------
# exercises (Phan et al. 2024)

@dataclass
class _Seg:
    t: np.ndarray
    acc: np.ndarray
    gyr: np.ndarray


def _read_rep(path: Path) -> dict[str, _Seg]:
    out = {}
    for seg, d in read_rep(path).items():
        d = d[np.all(np.isfinite(d), axis=1)]
        out[seg] = _Seg(d[:, 0], d[:, 1:4] / G, np.degrees(d[:, 4:7]))
    return out


def rep_touchdowns(rep: dict[str, _Seg]) -> list[tuple[str, float, float]]:
    """``(landing side, time, peak g)`` of the touchdowns in one repetition file (the rule in
    the module docstring)."""
    out = []
    for x, y in (("Left", "Right"), ("Right", "Left")):
        fx, fy = rep[x + "Foot"], rep[y + "Foot"]
        t = fx.t
        if fy.t.size != t.size:
            continue
        norm = np.linalg.norm(fx.acc, axis=1)
        dev = norm - 1.0
        dev_y = np.abs(np.linalg.norm(fy.acc, axis=1) - 1.0)
        wx = np.linalg.norm(fx.gyr, axis=1)
        wy = np.linalg.norm(fy.gyr, axis=1)
        n_rise = max(1, round(RISE_S / float(np.median(np.diff(t)))))
        peaks = np.flatnonzero((dev[1:-1] >= IMPACT_G) & (dev[1:-1] >= dev[:-2])
                               & (dev[1:-1] > dev[2:])) + 1
        taken: list[float] = []
        for i in sorted(peaks.tolist(), key=lambda k: -dev[k]):
            ti = float(t[i])
            if any(abs(ti - o) < 0.3 for o in taken):
                continue
            taken.append(ti)
            if ti - 0.3 < t[0] - 1e-9 or ti + 0.1 > t[-1] or i < n_rise:
                continue
            if norm[i] - norm[i - n_rise:i].min() < RISE_G:
                continue
            pre = _win(t, ti - 0.3, ti - 0.03)
            after = _win(t, ti + 0.05, ti + 0.25)
            lift = float(wx[pre].max())
            if lift < LIFT_DPS or float(np.median(wx[after])) >= 0.5 * lift:
                continue
            if (float(dev_y[_win(t, ti - 0.3, ti)].max()) >= STANCE_DEV_G
                    or float(np.median(wy[pre])) >= STANCE_SWING_DPS):
                continue
            out.append((x, _front(t, fx.acc, ti), float(dev[i])))
    return sorted(out, key=lambda o: o[1])


def exercise_touchdowns(root: Path, subject: str = "SUB22") -> list[Touch]:
    out = []
    for ex_dir in sorted(p for p in (root / subject).iterdir() if p.is_dir()):
        for f in sorted(ex_dir.glob("*.csv")):
            rep = _read_rep(f)
            for side, t_td, peak in rep_touchdowns(rep):
                stance = "Right" if side == "Left" else "Left"
                sh, ft, lf = rep[stance + "Shank"], rep[stance + "Foot"], rep[side + "Foot"]
                found = [d["t_s"] for d in detect_touchdowns(lf.t, lf.acc, lf.gyr)]
                out.append(Touch(ex_dir.name, f.stem, t_td, peak,
                                 stance_view(sh.t, sh.acc, sh.gyr, t_td),
                                 stance_view(ft.t, ft.acc, ft.gyr, t_td),
                                 _quiet_dps(ft.t, ft.gyr, t_td),
                                 any(abs(x - t_td) <= MATCH_S for x in found)))
    return out


#: Exercises on one leg with the other foot held off the floor (or on a bench behind) throughout
HELD_UP = ("SqSL", "SqHalfSL", "BulgSq")


def held_foot_detections(root: Path, subject: str = "SUB22") -> dict[str, tuple[int, float]]:
    """``detect_touchdowns`` on the held-up foot (the foot that moves more) of every repetition
    of the ``HELD_UP`` exercises: ``{exercise: (detections, seconds)}`` — any detection is a
    false alarm (the foot is never set down within these files)."""
    out = {}
    for ex in HELD_UP:
        n, secs = 0, 0.0
        for f in sorted((root / subject / ex).glob("*.csv")):
            rep = _read_rep(f)
            lf, rf = rep["LeftFoot"], rep["RightFoot"]
            held = max((lf, rf), key=lambda s: float(np.median(np.linalg.norm(s.gyr, axis=1))))
            n += len(detect_touchdowns(held.t, held.acc, held.gyr))
            secs += float(held.t[-1] - held.t[0])
        out[ex] = (n, secs)
    return out


# ---------------------------------------------------------------------------------------------
# gait (Voisard et al. 2023)

def _strike_time(t: np.ndarray, acc: np.ndarray, ref_s: float) -> tuple[float, float]:
    """(the landing foot's impact front near a reference heel strike, its peak g)."""
    dev = np.abs(np.linalg.norm(acc, axis=1) - 1.0)
    near = np.flatnonzero(np.abs(t - ref_s) <= 0.1)
    if near.size == 0:
        return ref_s, math.nan
    k = int(near[np.argmax(dev[near])])
    return _front(t, acc, float(t[k])), float(dev[k])


def gait_touchdowns(root: Path) -> list[Touch]:
    """The last touchdown of each walk (group "gait: final step"; the other foot stood still:
    median |ω| < 60 °/s over the 0.3 s before) and every mid-walk heel strike but each foot's
    first and last (group "gait: mid-walk"; the other foot is then pushing off), as the other
    foot's sensor saw them."""
    out = []
    for trial in ipol_trials(root):
        feet = trial.feet
        last = {side: float(f.ics_s[-1]) for side, f in feet.items() if f.ics_s.size}
        if len(last) == 2:
            x = max(last, key=lambda s: last[s])
            y = "left" if x == "right" else "right"
            fx, fy = feet[x], feet[y]
            if last[x] - last[y] >= 0.3:
                t_td, peak = _strike_time(fx.t_s, fx.acc_g, last[x])
                quiet = _quiet_dps(fy.t_s, fy.gyr_dps, t_td)
                if quiet < STANCE_SWING_DPS:
                    out.append(Touch("gait: final step", trial.name, t_td, peak, None,
                                     stance_view(fy.t_s, fy.acc_g, fy.gyr_dps, t_td), quiet))
        for x, fx in feet.items():
            fy = feet["left" if x == "right" else "right"]
            for ic in fx.ics_s[1:-1]:
                t_td, peak = _strike_time(fx.t_s, fx.acc_g, float(ic))
                quiet = _quiet_dps(fy.t_s, fy.gyr_dps, t_td)
                out.append(Touch("gait: mid-walk", trial.name, t_td, peak, None,
                                 stance_view(fy.t_s, fy.acc_g, fy.gyr_dps, t_td), quiet))
    return out


# ---------------------------------------------------------------------------------------------
# the simulator and the independent loss model, measured the same way

def simulator_touchdowns(seeds: Iterable[int] = range(4), duration_s: float = 120.0
                         ) -> list[Touch]:
    """The simulator's balance losses (6 a minute, 100 Hz): its stance shank (the primary
    sensor) and stance foot at each touchdown."""
    from firmware_bridge.simulator import SimConfig, simulate
    from firmware_bridge.simulator.body import segment_readings, touchdowns_from_events

    out = []
    for seed in seeds:
        cfg = SimConfig(seed=seed, duration_s=duration_s, balance_loss_rate_per_min=6.0)
        rec = simulate(cfg)
        b, truth = rec.batch, rec.truth
        events = [e for e in truth.events if e["type"] == "balance_loss"]
        tds = touchdowns_from_events(events)
        foot: Role = "left-foot" if cfg.side == "left" else "right-foot"
        acc_f, gyr_f = segment_readings(foot, cfg.side, b.t_s, 0, truth.tilt_ap_deg,
                                        truth.tilt_ml_deg, tds, seed=seed)
        for td in tds:
            out.append(Touch("simulator", f"seed {seed}", td.t_s, math.nan,
                             stance_view(b.t_s, b.acc_g, b.gyr_dps, td.t_s),
                             stance_view(b.t_s, acc_f, gyr_f, td.t_s)))
    return out


def model_touchdowns(jolts_g: Iterable[float] = (0.1, 0.3, 1.0, 3.0), sessions: int = 3,
                     busy: Any = None) -> list[Touch]:
    """The independent loss model's stance shank at its touchdowns, per touchdown jolt
    (``busy``: its busy variant, ``loss_model.Busy``; None: the smooth model)."""
    from tests.trainer.core.loss_model import session

    out = []
    kind = "loss model" if busy is None else "busy loss model"
    for jolt in jolts_g:
        for s in range(sessions):
            rec = session(120.0, 100.0, [15.0, 42.0, 69.0, 96.0], 8.0, jolt, 500 + s,
                          "closed" if s % 2 else "open", busy=busy)
            for loss in rec.losses:
                out.append(Touch(f"{kind} {jolt:g} g", f"session {s}", loss.t_touchdown_s,
                                 math.nan, stance_view(rec.t_s, rec.acc_g, rec.gyr_dps,
                                                       loss.t_touchdown_s), None))
    return out


# ---------------------------------------------------------------------------------------------
# summaries

def values(touches: Iterable[Touch], sensor: str, measure: str) -> np.ndarray:
    v = [getattr(getattr(t, sensor), measure) for t in touches if getattr(t, sensor) is not None]
    a = np.array(v, dtype=float)
    return np.asarray(a[np.isfinite(a)])


def standout(touches: Iterable[Touch]) -> np.ndarray:
    """Per touchdown, the stance shank's ``jolt_g`` / ``before_g``: how far the touchdown
    stands out of the leg's own movement just before."""
    r = [t.shank.jolt_g / max(t.shank.before_g, 1e-3) for t in touches if t.shank is not None]
    return np.array(r, dtype=float)


def groups(touches: list[Touch]) -> Iterator[tuple[str, list[Touch]]]:
    names: list[str] = []
    for t in touches:
        if t.group not in names:
            names.append(t.group)
    for g in names:
        yield g, [t for t in touches if t.group == g]


def _cell(v: np.ndarray, fmt: str) -> str:
    if v.size == 0:
        return "-"
    q1, med, q3 = np.percentile(v, [25, 50, 75])
    return f"{med:{fmt}} ({q1:{fmt}}-{q3:{fmt}}; {v.min():{fmt}}-{v.max():{fmt}})"


def table(touches: list[Touch], sensor: str) -> str:
    """Markdown rows: group, n, then median (IQR; min-max) of each measure."""
    fmts = {"jolt_g": ".2f", "dev_g": ".2f", "gyr_change_dps": ".0f", "tilt_change_deg": ".1f",
            "before_g": ".2f"}
    head = ("| events | n | jolt (g) | \\| \\|acc\\| − 1 g \\| (g) | ω change (°/s) | "
            "tilt change in 0.5 s (°) | same as jolt, 0.30-0.05 s before (g) |\n"
            "|---|---|---|---|---|---|---|")
    rows = [head]
    for g, ts in groups([t for t in touches if getattr(t, sensor) is not None]):
        cells = [_cell(values(ts, sensor, m), fmts[m]) for m in MEASURES]
        rows.append(f"| {g} | {len(ts)} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    ex_root, gait_root = data_dir(), ipol_dir()
    if ex_root is None and gait_root is None:
        raise SystemExit("set IMU_EXERCISE_DIR (a clone of CMU-MBL/IMU_Exercise_Prediction) "
                         "and/or IPOL_GAIT_DIR (a clone of CyrilVoisard/ipol_dataset_1)")
    real: list[Touch] = []
    if ex_root is not None:
        real += exercise_touchdowns(ex_root)
    if gait_root is not None:
        real += gait_touchdowns(gait_root)
    from tests.trainer.core.loss_model import Busy

    sim = simulator_touchdowns()
    model = model_touchdowns()
    busy = model_touchdowns(busy=Busy())
    ex = [t for t in real if not t.group.startswith("gait")]
    real += [dataclasses.replace(t, group="exercises, all") for t in ex]
    print("Stance SHANK at the other foot's touchdown: median (IQR; min-max)")
    print(table(real + sim + model + busy, "shank"))
    print("\nStance FOOT at the other foot's touchdown: median (IQR; min-max)")
    print(table(real + sim, "foot"))
    if ex:
        print("\nexercise touchdowns: file, time, landing foot's peak | |acc| − 1 g |, stance "
              "shank jolt and | |acc| − 1 g |, stance foot's median |ω| before, found by "
              "detect_touchdowns on the landing foot")
        for t in ex:
            j = "-" if t.shank is None else f"{t.shank.jolt_g:.2f} g  {t.shank.dev_g:.2f} g"
            print(f"  {t.name:24s} {t.t_s:7.2f} s  {t.lifted_peak_g:4.1f} g  {j}  "
                  f"{t.stance_quiet_dps:3.0f} °/s  {t.lifted_found}")
        print(f"detect_touchdowns on the landing foot: {sum(bool(t.lifted_found) for t in ex)}"
              f" of {len(ex)} exercise touchdowns")
    if ex_root is not None:
        for name, (n, secs) in held_foot_detections(ex_root).items():
            print(f"detect_touchdowns on the held-up foot, {name}: {n} in {secs:.1f} s")
    shank = values(ex, "shank", "dev_g")
    print(f"stance shank | |acc| − 1 g | ≥ the detector's impact_g {IMPACT_TEST_G} g at "
          f"{int((shank >= IMPACT_TEST_G).sum())} of {shank.size} real touchdowns")
    for name, ts in (("real exercises", ex), ("simulator", sim), ("loss model", model),
                     ("busy loss model", busy)):
        print(f"stance shank jolt / the same measure before, median: {name} "
              f"{float(np.median(standout(ts))):.1f}")


if __name__ == "__main__":
    main()
