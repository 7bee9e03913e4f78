"""Accuracy of the proprioception tests on the independent model (tests/trainer/drills/
proprio_model.py): many seeds, both legs, with and without a mounting calibration, through the
command line's own path (generic CSV → ``import`` → ``analyze``'s drill analysis).

    .venv/bin/python benchmarks/proprio_accuracy.py [--seeds N]

Prints, per test and calibration, the number of trials/lunges found of those done and the
median / 95th percentile / largest absolute error against the model's truth (degrees).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.trainer.drills import proprio_model  # noqa: E402
from trainer.cli.analyze import _analyze, build_report  # noqa: E402
from trainer.recording.convert import import_csv  # noqa: E402
from trainer.recording.reader import open_session  # noqa: E402
from trainer.vocab.calibration import CalibrationProfile  # noqa: E402


def drill_of(rec: proprio_model.Recording, drill: str, side: str, placement: str,
             mounted: bool, tmp: Path) -> dict:
    csv = rec.write_csv(tmp / "rec.csv")
    out = tmp / f"s{np.random.default_rng().integers(1 << 30)}"
    import_csv([csv], "generic", out, drill_id=drill, side=side, placement=placement)
    if mounted:
        meta = json.loads((out / "session.json").read_text())
        prof = CalibrationProfile.neutral()
        prof.mount_quat_wxyz = np.asarray(rec.mount_quat_wxyz)
        prof.placement, prof.side = placement, side
        prof.steps_done.append("mount")
        meta["calibration"] = prof.to_dict()
        (out / "session.json").write_text(json.dumps(meta))
    session = open_session(out)
    result = _analyze(str(out), session, offline=False, target_radius=3.0)
    return dict(build_report(str(out), session, result)["drill"])


def stats(err: list[float]) -> str:
    e = np.abs(np.asarray(err))
    return (f"median {np.median(e):.2f}°, p95 {np.percentile(e, 95):.2f}°, "
            f"max {e.max():.2f}°") if e.size else "no data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for mounted in (False, True):
            lunge_err: list[float] = []
            found = total = 0
            rep_err: list[float] = []
            pres_err: list[float] = []
            tfound = ttotal = 0
            for seed in range(args.seeds):
                side = "left" if seed % 2 else "right"
                rng = np.random.default_rng(seed)
                depths = tuple(float(x) for x in rng.uniform(25.0, 50.0, 3))
                rec = proprio_model.lunges(100 + seed, depths_deg=depths)
                out = drill_of(rec, "lunge-test", side, "shank", mounted, tmp)
                truth = [float(x["depth_deg"]) for x in rec.truth]
                total += len(truth)
                if len(out["lunges_deg"]) == len(truth):
                    found += len(truth)
                    lunge_err += [a - b for a, b in zip(out["lunges_deg"], truth, strict=True)]
                rec = proprio_model.position_sense(200 + seed, side=side)
                out = drill_of(rec, "joint-position-sense", side, "foot", mounted, tmp)
                ttotal += len(rec.truth)
                if len(out["trials"]) == len(rec.truth):
                    for got, want in zip(out["trials"], rec.truth, strict=True):
                        if got["reproduced_deg"] is None:
                            continue
                        tfound += 1
                        rep_err.append(got["reproduced_deg"] - float(want["reproduced_deg"]))
                        pres_err.append(got["presented_deg"] - float(want["presented_deg"]))
            cal = "with mounting calibration" if mounted else "strapping only (no calibration)"
            print(f"{cal}:")
            print(f"  lunge-test: {found}/{total} lunges found; depth error {stats(lunge_err)}")
            print(f"  joint-position-sense: {tfound}/{ttotal} trials; reproduced angle error "
                  f"{stats(rep_err)}; presented {stats(pres_err)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
