"""Measure rep-detection accuracy on simulated recordings (varied tempo, amplitude, noise).

    python -m trainer.drills.evaluate            # the full grid (≈ 1-2 min on one core)
    python -m trainer.drills.evaluate --quick    # a small grid

Each recording goes through the real path: simulator (raw device readings) → the core pipeline
(calibration, VQF orientation, tilt; online, in batches as live) → ``analyze_drill``. Detected reps
are matched one-to-one to the simulator's true reps by peak time (within half a rep); unmatched
detections are double counts / false reps. Accuracy = matched / true reps.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

REP_DRILLS = ("ankle-inversion", "ankle-eversion", "calf-raise", "warm-up")


@dataclass(frozen=True)
class Case:
    drill: str
    side: str
    seed: int
    tempo_s: float | None
    amplitude_deg: float | None
    noise: float  # multiplies the simulator's sensor noise


@dataclass(frozen=True)
class Score:
    case: Case
    true_reps: int
    detected: int
    matched: int
    extra: int
    rom_deg: float
    true_amp_deg: float


def match(detected_t: Iterable[float], truth: list[dict[str, Any]]) -> tuple[int, int]:
    """(matched, extra): greedy one-to-one by peak time, tolerance half the true rep."""
    free = [(float(e["t_peak_s"]), 0.5 * float(e["t_end_s"] - e["t_s"])) for e in truth]
    extra = 0
    for t in detected_t:
        best = None
        for i, (tp, tol) in enumerate(free):
            if abs(t - tp) <= max(tol, 0.3) and (best is None or
                                                 abs(t - tp) < abs(t - free[best][0])):
                best = i
        if best is None:
            extra += 1
        else:
            free.pop(best)
    return len(truth) - len(free), extra


def run_case(case: Case, duration_s: float = 60.0, batch: int = 20) -> Score:
    from firmware_bridge.simulator import SimConfig, simulate
    from trainer.core.pipeline import Pipeline, PipelineConfig
    from trainer.drills.analysis import analyze_drill

    cfg = SimConfig(seed=case.seed, duration_s=duration_s, scenario=case.drill, side=case.side,
                    tempo_s=case.tempo_s, amplitude_deg=case.amplitude_deg,
                    gyro_noise_dps=0.05 * case.noise, acc_noise_g=0.002 * case.noise)
    rec = simulate(cfg)
    pipe = Pipeline(PipelineConfig(sample_rate_hz=cfg.sample_rate_hz,
                                   placement=cfg.effective_placement, side=case.side))
    parts = [pipe.process(b) for b in rec.batch.split([batch] * (len(rec.batch) // batch))]
    series = {
        "t_s": np.concatenate([p.t_s for p in parts]),
        "gyr_dps": np.concatenate([p.gyr_dps for p in parts]),
        "tilt_ap_deg": np.concatenate([p.tilt_ap_deg for p in parts]),
        "tilt_ml_deg": np.concatenate([p.tilt_ml_deg for p in parts]),
        "sample_rate_hz": cfg.sample_rate_hz,
    }
    d = analyze_drill(case.drill, series, {"side": case.side,
                                           "placement": cfg.effective_placement})
    # a rep peaking in the last second may not be confirmed yet: compare up to there
    t_cut = float(rec.batch.t_s[-1]) - 1.0
    truth = [e for e in rec.truth.reps if e["t_peak_s"] <= t_cut]
    detected = [t for t in d["rep_times_s"] if t <= t_cut]
    m, extra = match(detected, truth)
    amp = float(np.mean([e["amplitude_deg"] for e in truth])) if truth else 0.0
    return Score(case, len(truth), len(detected), m, extra, float(d["rom_deg"] or 0.0), amp)


def grid(quick: bool) -> list[Case]:
    drills = REP_DRILLS
    sides = ("left", "right")
    seeds = range(2) if quick else range(4)
    tempos: tuple[float | None, ...] = (1.6, 3.0, 5.0) if not quick else (1.6, 4.0)
    amps: tuple[float | None, ...] = (8.0, 20.0, 35.0) if not quick else (10.0, 30.0)
    noises = (1.0, 10.0) if not quick else (5.0,)
    out = []
    for drill, side, seed, tempo, amp, noise in itertools.product(drills, sides, seeds, tempos,
                                                                  amps, noises):
        if drill == "warm-up":
            tempo = None if tempo and tempo > 3 else 1.5
        out.append(Case(drill, side, seed, tempo, amp, noise))
    return out


def summarize(scores: list[Score]) -> dict[str, Any]:
    true = sum(s.true_reps for s in scores)
    matched = sum(s.matched for s in scores)
    extra = sum(s.extra for s in scores)
    per_drill = {}
    for drill in sorted({s.case.drill for s in scores}):
        ss = [s for s in scores if s.case.drill == drill]
        t = sum(s.true_reps for s in ss)
        rom_err = [abs(s.rom_deg - s.true_amp_deg) for s in ss
                   if s.true_reps and drill != "warm-up"]
        per_drill[drill] = {
            "true_reps": t, "matched": sum(s.matched for s in ss),
            "extra": sum(s.extra for s in ss),
            "accuracy": sum(s.matched for s in ss) / t if t else None,
            "rom_abs_err_deg_median": float(np.median(rom_err)) if rom_err else None,
        }
    return {"recordings": len(scores), "true_reps": true, "matched": matched,
            "extra_detections": extra, "accuracy": matched / true if true else None,
            "per_drill": per_drill}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m trainer.drills.evaluate",
                                 description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a small grid")
    args = ap.parse_args(argv)
    scores = [run_case(c) for c in grid(args.quick)]
    s = summarize(scores)
    print(f"recordings: {s['recordings']}  true reps: {s['true_reps']}  "
          f"matched: {s['matched']}  extra (double/false): {s['extra_detections']}  "
          f"accuracy: {100 * s['accuracy']:.1f} %")
    for drill, d in s["per_drill"].items():
        rom = d["rom_abs_err_deg_median"]
        print(f"  {drill:16s} {d['matched']:4d}/{d['true_reps']:4d} "
              f"({100 * d['accuracy']:.1f} %), extra {d['extra']}"
              + (f", ROM median |error| {rom:.1f}°" if rom is not None else ""))
    worst = sorted(scores, key=lambda x: (x.matched - x.true_reps) - x.extra)[:3]
    for w in worst:
        if w.matched < w.true_reps or w.extra:
            print(f"  worst: {w.case} -> {w.matched}/{w.true_reps}, extra {w.extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
