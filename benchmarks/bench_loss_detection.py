"""Balance-loss detection against an independent loss model: rate and timing by touchdown jolt
and excursion, and false alarms per hour of quiet single-leg stance.

    .venv/bin/python benchmarks/bench_loss_detection.py [--sessions 3] [--quiet-min 60]

The losses come from ``tests/trainer/core/loss_model.py`` (written apart from the detector and
from the simulator: inverted-pendulum fall, arrest, double-stance posture and sway, touchdown
transient of the given size at the stance shank). Every recording runs through the whole core
(``trainer.core.pipeline.analyze``: VQF, tilt, detector) at 100 Hz. A loss counts as found when
an event's onset lies within 1 s before its onset to its touchdown + 0.5 s; timing = event onset
− true onset and detection time − touchdown. Any other event is a false alarm. CPU seconds
(process time) because the machine is shared.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "trainer" / "core"))

from loss_model import ModelRecording, quiet_sway, session  # noqa: E402

from trainer.core.pipeline import PipelineConfig, analyze  # noqa: E402
from trainer.vocab.batch import SampleBatch  # noqa: E402
from trainer.vocab.calibration import CalibrationProfile  # noqa: E402

JOLTS_G = (0.1, 0.3, 0.6, 1.0, 3.0)
EXCURSIONS_DEG = (3.0, 5.0, 8.0, 11.0, 15.0)
FS = 100.0


def events_of(rec: ModelRecording) -> list[dict[str, float]]:
    cal = CalibrationProfile.neutral()
    cal.mount_quat_wxyz = np.array([1.0, 0.0, 0.0, 0.0])
    batch = SampleBatch.from_arrays(rec.t_s, rec.acc_g, rec.gyr_dps)
    res = analyze(batch, PipelineConfig(sample_rate_hz=rec.fs, calibration=cal))
    return [e for e in res.events if e["type"] == "balance_loss"]


def score(rec: ModelRecording, events: list[dict[str, float]]
          ) -> tuple[int, int, list[float], list[float]]:
    """(found, false alarms, onset errors, detection delays after touchdown)."""
    used: set[int] = set()
    onset_err, delay = [], []
    for loss in rec.losses:
        for i, e in enumerate(events):
            if i not in used and loss.t_onset_s - 1.0 <= e["t_s"] <= loss.t_touchdown_s + 0.5:
                used.add(i)
                onset_err.append(e["t_s"] - loss.t_onset_s)
                delay.append(e["t_detected_s"] - loss.t_touchdown_s)
                break
    return len(used), len(events) - len(used), onset_err, delay


def quiet_recording(minutes: float, seed: int, eyes: str) -> ModelRecording:
    rng = np.random.default_rng(seed)
    from loss_model import _imu

    n = int(minutes * 60 * FS)
    ap, ml = quiet_sway(n, FS, rng, eyes)
    acc, gyr = _imu(ap, ml, FS, rng)
    return ModelRecording(np.arange(n) / FS, acc, gyr, ap, ml, FS, [])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=3, help="sessions per cell (4 losses each)")
    p.add_argument("--quiet-min", type=float, default=60.0,
                   help="minutes of quiet stance per eyes condition")
    args = p.parse_args()
    c0 = time.process_time()
    print(f"found / losses (median onset error s, median detection after touchdown s); "
          f"{args.sessions} sessions × 4 losses per cell, 100 Hz, eyes open and closed")
    print(f"{'excursion':>10}" + "".join(f"{j:>20.1f} g" for j in JOLTS_G))
    total_found = total = fa = 0
    all_delay: list[float] = []
    for ex in EXCURSIONS_DEG:
        cells = []
        for jolt in JOLTS_G:
            found = n = 0
            errs: list[float] = []
            dels: list[float] = []
            for s in range(args.sessions):
                eyes = "closed" if s % 2 else "open"
                seed = int(1000 * ex + 10 * jolt * 10 + s)
                rec = session(120.0, FS, [15.0, 42.0, 69.0, 96.0], ex, jolt, seed, eyes)
                f, a, e, d = score(rec, events_of(rec))
                found, n, fa = found + f, n + len(rec.losses), fa + a
                errs += e
                dels += d
            total_found, total = total_found + found, total + n
            all_delay += dels
            med = (f"{np.median(errs):+.2f}, {np.median(dels):.1f}" if errs else "-")
            cells.append(f"{found:>2}/{n:<2} ({med})")
        print(f"{ex:>9.0f}°" + "".join(f"{c:>22}" for c in cells))
    print(f"all: {total_found}/{total} found ({100 * total_found / total:.0f} %), "
          f"{fa} false alarms in the loss sessions; detection after touchdown: median "
          f"{np.median(all_delay):.2f} s, 90th percentile {np.percentile(all_delay, 90):.2f} s")
    for eyes in ("open", "closed"):
        rec = quiet_recording(args.quiet_min, 7 if eyes == "open" else 8, eyes)
        ev = events_of(rec)
        print(f"quiet single-leg stance, eyes {eyes}: {len(ev)} false alarms in "
              f"{args.quiet_min:.0f} min = {len(ev) / (args.quiet_min / 60):.2f} per hour "
              f"(goal ≤ 1)")
    print(f"[{time.process_time() - c0:.0f} CPU s]")


if __name__ == "__main__":
    main()
