"""Score the drill analysis on the independent motion model, through the command line.

    python -m tests.bodymodel.evaluate            # the README grid
    python -m tests.bodymodel.evaluate --quick    # a few sets per case

Each set is written as generic CSV, imported with ``import --format generic --drill D --side S
--placement P`` and analysed with ``analyze --json``, in process (the same code path as the
console script). Detected reps are matched one-to-one to the true *full* reps by peak time
(within half the rep's duration, at least 0.3 s: the simulator evaluation's rule); a detection
matching nothing is an extra (double count or a partial rep counted).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tests.bodymodel import drills as bm
from tests.bodymodel.model import Recording, TrueRep


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    from trainer.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def analyze_recording(rec: Recording, workdir: Path, name: str = "set") -> dict[str, Any]:
    """import + analyze --json of one recording; the parsed JSON object."""
    csv = rec.write_csv(workdir / f"{name}.csv")
    session = workdir / name
    code, _, err = run_cli(["import", str(csv), "--format", "generic", "--drill", rec.drill,
                            "--side", rec.side, "--placement", rec.placement,
                            "--out", str(session)])
    if code != 0:
        raise RuntimeError(f"import failed: {err.strip()}")
    code, out, err = run_cli(["analyze", str(session), "--json"])
    if code != 0:
        raise RuntimeError(f"analyze failed: {err.strip()}")
    return dict(json.loads(out.splitlines()[-1]))


def match(detected_t: Iterable[float], truth: list[TrueRep]) -> tuple[int, int]:
    """(matched, extra): greedy one-to-one by peak time (the simulator evaluation's rule)."""
    from trainer.drills.evaluate import match as match_peaks

    return match_peaks(detected_t, [{"t_peak_s": r.t_peak_s, "t_s": r.t_start_s,
                                     "t_end_s": r.t_end_s} for r in truth])


def double_counts(detected_t: Iterable[float], truth: list[TrueRep]) -> int:
    """Reps counted more than once: detections beyond the first inside one true rep."""
    times = list(detected_t)
    return sum(max(0, sum(r.t_start_s <= t <= r.t_end_s for t in times) - 1) for r in truth)


@dataclass
class SetScore:
    case: str
    seed: int
    true_reps: int
    reported: int
    matched: int
    extra: int
    partials_true: int
    partials_reported: int | None
    doubles: int
    rom_true: float
    rom_reported: float | None
    note: str = ""
    drill: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return abs(self.reported - self.true_reps) <= 1


def score(case: str, seed: int, rec: Recording, workdir: Path) -> SetScore:
    rep = analyze_recording(rec, workdir, f"{case}-{seed}")
    d = rep.get("drill") or {}
    full = rec.full_reps
    times = [float(x) for x in d.get("rep_times_s") or []]
    m, extra = match(times, full)
    partial = d.get("partial_reps")
    return SetScore(case, seed, len(full), int(d.get("reps") or 0), m, extra,
                    len(rec.reps) - len(full), None if partial is None else int(partial),
                    double_counts(times, rec.reps),
                    float(np.mean([r.amplitude for r in full])) if full else 0.0,
                    d.get("rom_deg"), rec.note, d)


# -------------------------------------------------------------------------- the grid

CASES = ("inversion-foot-any", "eversion-foot-any", "inversion-foot-documented",
         "calf-raise-shank-any", "calf-raise-shank-documented", "calf-raise-foot-any")


def make(case: str, seed: int) -> Recording:
    rng = np.random.default_rng(1000 + seed)
    side = "left" if seed % 2 == 0 else "right"
    fs = (50.0, 100.0, 100.0, 200.0)[seed % 4]
    n = int(rng.integers(6, 16))
    if case.startswith(("inversion", "eversion")):
        drill = "ankle-inversion" if case.startswith("inversion") else "ankle-eversion"
        strap = bm.documented_strapping("foot") if case.endswith("documented") else None
        return bm.band_reps(rng, drill, side, "foot", n, fs, strap=strap)
    placement = "foot" if "-foot-" in case else "shank"
    strap = bm.documented_strapping(placement) if case.endswith("documented") else None
    return bm.calf_raise(rng, side, placement, n, fs, strap=strap)


def run_grid(cases: Iterable[str], seeds: Iterable[int]) -> Iterator[SetScore]:
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            for seed in seeds:
                yield score(case, seed, make(case, seed), Path(tmp))


def summary(scores: list[SetScore]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for case in sorted({s.case for s in scores}):
        ss = [s for s in scores if s.case == case]
        true = sum(s.true_reps for s in ss)
        out[case] = {"sets": len(ss), "true": true, "matched": sum(s.matched for s in ss),
                     "extra": sum(s.extra for s in ss), "doubles": sum(s.doubles for s in ss),
                     "sets_within_1": sum(s.ok for s in ss)}
    true = sum(s.true_reps for s in scores)
    out["all"] = {"sets": len(scores), "true": true, "matched": sum(s.matched for s in scores),
                  "extra": sum(s.extra for s in scores),
                  "doubles": sum(s.doubles for s in scores),
                  "sets_within_1": sum(s.ok for s in scores)}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.bodymodel.evaluate")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--case", action="append", choices=CASES)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    seeds = range(4) if args.quick else range(12)
    scores = []
    for s in run_grid(args.case or CASES, seeds):
        scores.append(s)
        if args.verbose or not s.ok or s.extra:
            print(f"{s.case:30s} seed {s.seed:2d}: {s.reported:2d} reported / {s.true_reps:2d} "
                  f"true, matched {s.matched}, extra {s.extra}, partial {s.partials_reported}"
                  f"/{s.partials_true}, rom {s.rom_reported} vs {s.rom_true:.1f}  {s.note}"
                  + (f"  [{s.drill.get('error') or s.drill.get('not_measured') or ''}]"
                     if not s.reported else ""), flush=True)
    for case, d in summary(scores).items():
        pct = 100.0 * d["matched"] / d["true"] if d["true"] else 0.0
        print(f"{case:30s} {d['matched']:4d}/{d['true']:4d} ({pct:5.1f} %), extra {d['extra']} "
              f"(double counts {d['doubles']}), sets within ±1: {d['sets_within_1']}/{d['sets']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
