"""Balance-loss detection on simulated sessions with known losses. Prints the hit rate.

    .venv/bin/python benchmarks/bench_events.py [--seeds 4]

Per seed: 4 rates (50, 100, 200, 400 Hz) × eyes open/closed × firm/foam × 2 sessions of 120 s
with ~6 losses a minute, and 5 min of quiet stance per rate and eyes condition. A loss counts as
found when a detection lies within 0.25 s of its true onset (losses whose foot touches down after
the recording ends are not scored). Goals (issue 3): ≥ 95 % found, ≤ 1 false alarm per 5 min of
quiet stance. Uncalibrated (strapping convention), like a first session.
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
                rec = simulate(SimConfig(seed=off + 99 + int(fs), duration_s=300.0,
                                         sample_rate_hz=fs, eyes=eyes,
                                         surface="foam" if eyes == "closed" else "firm"))
                res = analyze(rec.batch, PipelineConfig(sample_rate_hz=fs))
                quiet_alarms += len(res.events)
                quiet_min += 5.0
    e = np.array(errors)
    print(f"found {e.size}/{n_truth} = {100 * e.size / max(n_truth, 1):.1f} % within 0.25 s "
          f"(onset error mean {e.mean():+.3f} s, sd {e.std():.3f} s, "
          f"worst {np.abs(e).max():.3f} s); {n_extra} unmatched detections in the loss sessions")
    print(f"quiet stance: {quiet_alarms} false alarms in {quiet_min:.0f} min "
          f"({quiet_alarms / quiet_min * 5:.2f} per 5 min)  [{time.perf_counter() - t0:.0f} s]")


if __name__ == "__main__":
    main()
