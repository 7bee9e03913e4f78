"""Drill analysis of a one-hour 400 Hz recording, in process (goal: < 1 s CPU per drill).

    .venv/bin/python benchmarks/bench_drills.py [--minutes 60] [--rate 400]

The recording is made by the independent body model (``tests.bodymodel``): an hour of calf
raises on the shank (any strapping), an hour of band inversion on the foot, an hour of calf
stretches (shank) and of isometric inversion holds (foot), repeated sets to fill the hour.
The core's analysis (``trainer.core.pipeline.analyze``, online) runs first and is timed
separately; then ``trainer.drills.analysis.analyze_drill`` on its result, the part
this benchmark is about, timed in CPU seconds (``time.process_time``: the machine is shared).
The per-sample series the drill analysis reads (gyro, accelerometer, orientation) are expanded
once before the timing, as ``analyze --json`` has them. Ratios within one run are what to
compare; absolute numbers depend on the machine's load. The sets are joined from different
model persons (lean direction, heading), so the hour-long count is not an accuracy figure (per
set accuracy: `python -m tests.bodymodel.evaluate`).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

# as the command line runs (trainer/cli/main.py): one BLAS thread — a pool only spins on a
# busy machine, and its threads' CPU counts in process_time
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.bodymodel import drills as bm  # noqa: E402
from trainer.core.pipeline import PipelineConfig, analyze  # noqa: E402
from trainer.drills.analysis import analyze_drill  # noqa: E402
from trainer.vocab.batch import SampleBatch  # noqa: E402


def hour_of(drill: str, placement: str, minutes: float, rate: float
            ) -> tuple[SampleBatch, int]:
    """Sets of the body model joined end to end until ``minutes`` are filled, and the number
    of full reps in them."""
    rng = np.random.default_rng(7)
    strap = bm.random_strapping(rng)  # one strapping for the hour, any orientation
    errors = bm.SensorErrors.random(rng)
    parts, t0, true = [], 0.0, 0
    while t0 < minutes * 60.0:
        if drill == "calf-raise":
            rec = bm.calf_raise(rng, "left", placement, 15, rate, strap=strap, errors=errors,
                                tempo=(1.5, 4.0))
        elif drill == "calf-stretch":
            rec = bm.calf_stretch(rng, "left", 3, rate, strap=strap, errors=errors)
        elif drill.startswith("isometric"):
            rec = bm.isometric(rng, drill, "left", placement, 4, rate, strap=strap,
                               errors=errors)
        else:
            rec = bm.band_reps(rng, drill, "left", placement, 15, rate, strap=strap,
                               errors=errors, tempo=(1.5, 4.0))
        t = rec.t_s - rec.t_s[0] + t0
        true += sum(r.t_peak_s - rec.t_s[0] + t0 < minutes * 60.0 for r in rec.full_reps) \
            if rec.reps else len(rec.holds)
        parts.append((t, rec.acc_g, rec.gyr_dps))
        t0 = float(t[-1]) + 1.0 / rate
    t = np.concatenate([p[0] for p in parts])
    keep = t < minutes * 60.0
    return SampleBatch(t_s=t[keep], acc_g=np.concatenate([p[1] for p in parts])[keep],
                       gyr_dps=np.concatenate([p[2] for p in parts])[keep],
                       seq=np.arange(int(keep.sum()), dtype=np.uint32)), true


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=400.0)
    ap.add_argument("--drill", action="append", help="only these drills (default: all four)")
    args = ap.parse_args(argv)
    print(f"{args.minutes:g} min at {args.rate:g} Hz "
          f"({int(args.minutes * 60 * args.rate):,} samples)")
    from scipy import signal  # noqa: F401  imported once up front: not part of the timing

    for drill, placement in (("calf-raise", "shank"), ("ankle-inversion", "foot"),
                             ("calf-stretch", "shank"), ("isometric-inversion", "foot")):
        if args.drill and drill not in args.drill:
            continue
        batch, true = hour_of(drill, placement, args.minutes, args.rate)
        c0 = time.process_time()
        res = analyze(batch, PipelineConfig(sample_rate_hz=args.rate, placement=placement,
                                            side="left", detect_balance_losses=False))
        core_s = time.process_time() - c0
        _ = (res.gyr_dps, res.acc_g, res.quat_wxyz)  # expanded once, as analyze --json has them
        c0 = time.process_time()
        d = analyze_drill(drill, res, {"side": "left", "placement": placement})
        drill_s = time.process_time() - c0
        found = (f"{d['reps']} reps of {true}, {d['partial_reps']} partial" if "reps" in d
                 else f"{len(d.get('holds_s') or [])} holds of {true}")
        print(f"  {drill:19s} on the {placement:5s}: drill analysis {drill_s:6.2f} s CPU "
              f"({found})   core analysis "
              f"{core_s:6.2f} s CPU   ratio {drill_s / core_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
