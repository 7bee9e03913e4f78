"""Balance-loss detection against an independent loss model: rate and timing by touchdown jolt
and excursion, and false alarms per hour of quiet single-leg stance.

    .venv/bin/python benchmarks/bench_loss_detection.py [--sessions 3] [--quiet-min 60]
    .venv/bin/python benchmarks/bench_loss_detection.py --busy [--fall-dps 15] [--quiet-dps 15]

The losses come from ``tests/trainer/core/loss_model.py`` (written apart from the detector and
from the simulator: inverted-pendulum fall, arrest, double-stance posture and sway, touchdown
transient of the given size at the stance shank). Every recording runs through the whole core
(``trainer.core.pipeline.analyze``: VQF, tilt, detector) at 100 Hz. A loss counts as found when
an event's onset lies within 1 s before its onset to its touchdown + 0.5 s; timing = event onset
− true onset and detection time − touchdown. Any other event is a false alarm. CPU seconds
(process time) because the machine is shared.

``--busy``: the model's busy variant (``loss_model.Busy``: corrective bursts of the stance leg,
1-6 Hz, before and during the fall and in quiet stance, a finite arrest), the same sessions
otherwise. It also prints how far the touchdown stands out of the stance shank's own movement
just before (``tests.external.realtouch``'s measure: jolt ÷ the same measure over 0.30-0.05 s
before; real touchdowns 1.6, median) and the quiet stance's tilt SD and rate RMS.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "trainer" / "core"))

from loss_model import Busy, ModelRecording, busy_quiet, quiet_sway, session  # noqa: E402

from tests.external.realtouch import stance_view  # noqa: E402
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


def standout(rec: ModelRecording) -> list[tuple[float, float, float]]:
    """Per loss: (jolt ÷ before, jolt g, before g) at the stance shank (realtouch's measure)."""
    out = []
    for loss in rec.losses:
        v = stance_view(rec.t_s, rec.acc_g, rec.gyr_dps, loss.t_touchdown_s)
        if v is not None:
            out.append((v.jolt_g / max(v.before_g, 1e-3), v.jolt_g, v.before_g))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sessions", type=int, default=3, help="sessions per cell (4 losses each)")
    p.add_argument("--quiet-min", type=float, default=60.0,
                   help="minutes of quiet stance per eyes condition")
    p.add_argument("--busy", action="store_true",
                   help="busy falls and busy quiet stance (loss_model.Busy)")
    p.add_argument("--fall-dps", type=float, default=Busy().fall_dps,
                   help="--busy: RMS angular rate of the corrections before and during a fall")
    p.add_argument("--quiet-dps", type=float, nargs="+", default=[Busy().quiet_dps],
                   help="--busy: RMS angular rate of a quiet-stance burst (several: a sweep)")
    p.add_argument("--double-factor", type=float, default=Busy().double_factor,
                   help="--busy: the quiet bursts' factor while both feet are down")
    args = p.parse_args()
    busy = (Busy(fall_dps=args.fall_dps, quiet_dps=args.quiet_dps[0],
                 double_factor=args.double_factor) if args.busy else None)
    c0 = time.process_time()
    if busy is not None:
        print(f"BUSY model: {busy}")
    print(f"found / losses (median onset error s, median detection after touchdown s); "
          f"{args.sessions} sessions × 4 losses per cell, 100 Hz, eyes open and closed")
    print(f"{'excursion':>10}" + "".join(f"{j:>20.1f} g" for j in JOLTS_G))
    total_found = total = fa = 0
    all_delay: list[float] = []
    outs: dict[float, list[tuple[float, float, float]]] = {j: [] for j in JOLTS_G}
    for ex in EXCURSIONS_DEG:
        cells = []
        for jolt in JOLTS_G:
            found = n = 0
            errs: list[float] = []
            dels: list[float] = []
            for s in range(args.sessions):
                eyes = "closed" if s % 2 else "open"
                seed = int(1000 * ex + 10 * jolt * 10 + s)
                rec = session(120.0, FS, [15.0, 42.0, 69.0, 96.0], ex, jolt, seed, eyes,
                              busy=busy)
                f, a, e, d = score(rec, events_of(rec))
                found, n, fa = found + f, n + len(rec.losses), fa + a
                errs += e
                dels += d
                if busy is not None:
                    outs[jolt] += standout(rec)
            total_found, total = total_found + found, total + n
            all_delay += dels
            med = (f"{np.median(errs):+.2f}, {np.median(dels):.1f}" if errs else "-")
            cells.append(f"{found:>2}/{n:<2} ({med})")
        print(f"{ex:>9.0f}°" + "".join(f"{c:>22}" for c in cells))
    print(f"all: {total_found}/{total} found ({100 * total_found / total:.0f} %), "
          f"{fa} false alarms in the loss sessions; detection after touchdown: median "
          f"{np.median(all_delay):.2f} s, 90th percentile {np.percentile(all_delay, 90):.2f} s")
    if busy is not None:
        print("stance shank at the touchdowns (realtouch's measure; real: jolt 0.12 g, before "
              "0.11 g, standout 1.6, medians of 16): median standout (IQR) / jolt g / before g")
        for jolt, v in outs.items():
            a = np.array(v)
            q1, q2, q3 = np.percentile(a[:, 0], [25, 50, 75])
            print(f"  {jolt:.1f} g: standout {q2:.1f} ({q1:.1f}-{q3:.1f}), jolt "
                  f"{np.median(a[:, 1]):.2f} g, before {np.median(a[:, 2]):.2f} g")
    for quiet_dps in (args.quiet_dps if busy is not None else [0.0]):
        for eyes in ("open", "closed"):
            seed = 7 if eyes == "open" else 8
            if busy is None:
                rec = quiet_recording(args.quiet_min, seed, eyes)
                what = ""
            else:
                b = dataclasses.replace(busy, quiet_dps=quiet_dps)
                rec = busy_quiet(args.quiet_min * 60, FS, seed, eyes, b)
                sd = float(np.hypot(np.std(rec.tilt_ap_deg), np.std(rec.tilt_ml_deg)))
                rate = float(np.sqrt(np.mean(np.sum((rec.gyr_dps - rec.gyr_dps.mean(0)) ** 2,
                                                    axis=1))))
                what = (f" (bursts {quiet_dps:g} °/s: tilt SD {sd:.2f}°, "
                        f"gyro RMS {rate:.1f} °/s)")
            ev = events_of(rec)
            kinds = ", ".join(f"{e['kind']} {e['t_s']:.1f} s" for e in ev)
            print(f"quiet single-leg stance, eyes {eyes}{what}: {len(ev)} false alarms in "
                  f"{args.quiet_min:.0f} min = {len(ev) / (args.quiet_min / 60):.2f} per hour "
                  f"(goal ≤ 1)" + (f" [{kinds}]" if ev and busy is not None else ""))
    print(f"[{time.process_time() - c0:.0f} CPU s]")


if __name__ == "__main__":
    main()
