"""Recording speed: write throughput, open + window read, CSV import/export. Prints a table.

    .venv/bin/python benchmarks/bench_recording.py [--minutes 60]

Targets (issue 2): writing ≥ 100× real time at 400 Hz; opening a one-hour 400 Hz session and
reading a 10 s window at 30 min < 20 ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from trainer.recording import SessionWriter, open_session
from trainer.recording.convert import export_csv, import_csv
from trainer.vocab.batch import SampleBatch

FS = 400.0


def make_batches(seconds: float, batch_s: float) -> list[SampleBatch]:
    n = int(seconds * FS)
    rng = np.random.default_rng(0)
    acc = rng.normal(0, 0.1, (n, 3)) + np.array([0.0, 0.0, 1.0])
    full = SampleBatch.from_arrays(np.arange(n) / FS, acc, rng.normal(0, 5, (n, 3)))
    per = max(1, int(batch_s * FS))
    return full.split([per] * (n // per))


def bench_write(path: Path, seconds: float, batch_s: float) -> float:
    batches = make_batches(seconds, batch_s)
    t0 = time.perf_counter()
    with SessionWriter(path, sample_rate_hz=FS) as w:
        for b in batches:
            w.append(b)
    return seconds / (time.perf_counter() - t0)


def bench_open_window(path: Path, repeats: int, verify: bool | None, at_s: float) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        s = open_session(path, verify=verify)
        w = s.batch(at_s, at_s + 10.0)
        times.append(time.perf_counter() - t0)
        assert len(w) == 4000, len(w)
        del s
    return statistics.median(times) * 1e3


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    seconds = args.minutes * 60
    rows: list[tuple[str, str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for batch_s, label in ((0.033, "33 ms batches (live, ~13 samples)"),
                               (1.0, "1 s batches")):
            xrt = bench_write(root / f"w{batch_s}", seconds, batch_s)
            rows.append((f"write {args.minutes:g} min @400 Hz, {label}", f"{xrt:,.0f}× real time",
                         "≥ 100×"))
        path = root / "w1.0"
        at = seconds / 2  # 30 min into an hour
        ms = bench_open_window(path, args.repeats, None, at)
        rows.append((f"open + 10 s window at {at / 60:g} min (default checks)", f"{ms:.2f} ms",
                     "< 20 ms"))
        ms_full = bench_open_window(path, args.repeats, True, at)
        rows.append((f"open + 10 s window at {at / 60:g} min (verify=True, every t_s)",
                     f"{ms_full:.2f} ms", "—"))
        # CSV on a 10-minute slice
        small = root / "csv10"
        with SessionWriter(small, sample_rate_hz=FS) as w:
            for b in make_batches(600.0, 1.0):
                w.append(b)
        t0 = time.perf_counter()
        n = export_csv(small, root / "x.csv")
        dt = time.perf_counter() - t0
        rows.append(("export CSV (10 min @400 Hz)", f"{n / dt:,.0f} rows/s", "—"))
        t0 = time.perf_counter()
        s = import_csv([root / "x.csv"], "generic", root / "imp")
        dt = time.perf_counter() - t0
        rows.append(("import generic CSV (10 min @400 Hz)", f"{s.n_samples / dt:,.0f} rows/s",
                     "—"))
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'result':>22}  target")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>22}  {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
