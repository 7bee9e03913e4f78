"""Balance-loss detection on simulated sessions with known losses. Prints the hit rate.

    .venv/bin/python benchmarks/bench_events.py [--seeds 4]

Per seed: 4 rates (50, 100, 200, 400 Hz) × eyes open/closed × firm/foam × 2 sessions of 120 s
with ~6 losses a minute, and 5 min of quiet stance per rate and condition (eyes open on a firm
floor and closed on foam; ``--quiet-seeds`` more seeds and the other two conditions as well). A
loss counts as found when a detection lies within 0.25 s of its true onset (losses whose foot
touches down after the recording ends are not scored). Goals (issues 3, 12): ≥ 95 % found, ≤ 1
false alarm per hour of quiet stance. Uncalibrated (strapping convention), like a first session.
The simulator and the detector share assumptions (README "Which tests are circular"): the
independent check is benchmarks/bench_loss_detection.py.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware_bridge.simulator import SimConfig, simulate
from trainer.core.pipeline import PipelineConfig, analyze

RATES = (50.0, 100.0, 200.0, 400.0)


def match(truth: list[float], found: list[float], tol: float = 0.25) -> tuple[list[float], int]:
    """(onset errors of the truth events found, detections matching nothing)."""
    free = list(found)
    errors = []
    for t in truth:
        near = [f for f in free if abs(f - t) <= tol]
        if near:
            best = min(near, key=lambda f: abs(f - t))
            free.remove(best)
            errors.append(best - t)
    return errors, len(free)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--quiet-seeds", type=int, default=0,
                    help="also this many seeds of quiet stance in all four conditions")
    args = ap.parse_args()
    t0 = time.perf_counter()
    n_truth = n_extra = 0
    errors: list[float] = []
    quiet_alarms = 0
    quiet_min = 0.0
    for s in range(args.seeds):
        off = 1000 * s
        for fs in RATES:
            for eyes in ("open", "closed"):
                for surface in ("firm", "foam"):
                    for k in range(2):
                        rec = simulate(SimConfig(seed=off + 17 * int(fs) + k, duration_s=120.0,
                                                 sample_rate_hz=fs, eyes=eyes, surface=surface,
                                                 balance_loss_rate_per_min=6.0))
                        res = analyze(rec.batch, PipelineConfig(sample_rate_hz=fs))
                        end = float(rec.batch.t_s[-1])
                        truth = [e["t_s"] for e in rec.truth.balance_losses
                                 if e["t_touchdown_s"] < end - 0.3]
                        errs, extra = match(truth, [e["t_s"] for e in res.events])
                        n_truth += len(truth)
                        errors += errs
                        n_extra += extra
                n = quiet_false_alarms(off + 99 + int(fs), fs, eyes,
                                       "foam" if eyes == "closed" else "firm")
                quiet_alarms += n
                quiet_min += 5.0
    e = np.array(errors)
    print(f"found {e.size}/{n_truth} = {100 * e.size / max(n_truth, 1):.1f} % within 0.25 s "
          f"(onset error mean {e.mean():+.3f} s, sd {e.std():.3f} s, "
          f"worst {np.abs(e).max():.3f} s); {n_extra} unmatched detections in the loss sessions")
    print(f"quiet stance: {quiet_alarms} false alarms in {quiet_min:.0f} min "
          f"({quiet_alarms / quiet_min * 60:.2f} per hour)  [{time.perf_counter() - t0:.0f} s]")
    if args.quiet_seeds:
        total = minutes = 0
        for eyes, surface in (("open", "firm"), ("closed", "foam"), ("closed", "firm"),
                              ("open", "foam")):
            n = sum(quiet_false_alarms(1000 * s + 99 + int(fs), fs, eyes, surface)
                    for s in range(args.quiet_seeds) for fs in RATES)
            m = 5.0 * args.quiet_seeds * len(RATES)
            total, minutes = total + n, minutes + m
            print(f"  quiet, eyes {eyes}, {surface}: {n} false alarms in {m:.0f} min")
        print(f"  all four: {total} in {minutes:.0f} min ({total / minutes * 60:.2f} per hour)  "
              f"[{time.perf_counter() - t0:.0f} s]")


def quiet_false_alarms(seed: int, fs: float, eyes: str, surface: str) -> int:
    """Detections in 5 min of simulated quiet single-leg stance (no losses)."""
    rec = simulate(SimConfig(seed=seed, duration_s=300.0, sample_rate_hz=fs, eyes=eyes,
                             surface=surface))
    return len(analyze(rec.batch, PipelineConfig(sample_rate_hz=fs)).events)


if __name__ == "__main__":
    main()
