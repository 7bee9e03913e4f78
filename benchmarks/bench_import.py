"""``balance-trainer import --format generic`` of a big CSV: speed and peak memory.

    .venv/bin/python benchmarks/bench_import.py [--rows 10000000] [--repeats 1]

Writes a generic CSV of ``--rows`` rows (``t_s`` + 3 acc + 3 gyro columns, float32-exact values
as our own export writes them; 10⁷ rows ≈ 0.7 GB, 7 h at 400 Hz), then times the real command
in a new process: wall time, CPU time (user + system of the child, its rusage) and peak resident
memory (``/usr/bin/time``'s maximum resident set size). In the same run, alternating, the same
command with pyarrow switched off (``numpy.loadtxt`` parses every chunk: what it did before
pyarrow, and what it does for files under ``csvio.ARROW_MIN_BYTES``). Goals (issue 16): peak
memory < 300 MB whatever the file size, ≥ 1 M rows/s. Each imported session is checked against
the CSV's first and last rows.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_analyze import command, run_child  # noqa: E402

from trainer.recording import open_session  # noqa: E402

HEADER = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"
#: The command with pyarrow switched off: every chunk parsed by numpy.loadtxt.
NO_ARROW = ("import sys; from trainer.recording import csvio; csvio.ARROW_MIN_BYTES = 1 << 62; "
            "from trainer.cli.main import main; sys.exit(main(sys.argv[1:]))")


def write_csv(path: Path, rows: int, rate: float = 400.0) -> None:
    """``rows`` rows at ``rate``: a block of 65 536 sample rows (random, float32-exact, shortest
    text) repeated under a running time column."""
    rng = np.random.default_rng(1)
    block = 65536
    acc = (rng.normal(0, 0.05, (block, 3)) + np.array([0.0, 0.0, 1.0])).astype(np.float32)
    gyr = rng.normal(0, 5, (block, 3)).astype(np.float32)
    # str() of a float32 is its shortest text (what our own export writes)
    body = [",".join(str(v) for v in row) for row in np.hstack((acc, gyr))]
    with path.open("w") as f:
        f.write(HEADER)
        for start in range(0, rows, block):
            m = min(block, rows - start)
            t = (np.arange(start, start + m) / rate).tolist()
            f.write("".join(f"{ti!r},{bi}\n" for ti, bi in zip(t, body[:m], strict=True)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=1)
    ap.add_argument("--dir", type=Path, default=None,
                    help="where to put the CSV and the session (default: a temporary folder)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp_s:
        tmp = Path(tmp_s)
        csv = tmp / "big.csv"
        t0 = time.perf_counter()
        write_csv(csv, args.rows)
        size_mb = csv.stat().st_size / 2**20
        print(f"{args.rows} rows, {size_mb:.0f} MB of CSV (written in "
              f"{time.perf_counter() - t0:.0f} s); load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs")
        variants = {"balance-trainer import --format generic": command(),
                    "the same, pyarrow off (numpy.loadtxt)": [sys.executable, "-c", NO_ARROW]}
        runs: dict[str, list[tuple[float, float, float]]] = {k: [] for k in variants}
        for k in range(args.repeats):
            for label, argv in variants.items():
                out = tmp / f"session-{k}"
                runs[label].append(run_child([*argv, "import", str(csv), "--format", "generic",
                                              "--out", str(out)]))
                s = open_session(out)
                assert s.n_samples == args.rows, s.n_samples
                assert s.end_t_s == (args.rows - 1) / 400.0
                del s
                shutil.rmtree(out)
        cpus = {}
        for label, rs in runs.items():
            wall = statistics.median(r[0] for r in rs)
            cpu = cpus[label] = statistics.median(r[1] for r in rs)
            rss = max(r[2] for r in rs)
            print(f"{label}: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {rss:.0f} MB; "
                  f"{args.rows / wall / 1e6:.2f} M rows/s wall, {args.rows / cpu / 1e6:.2f} M "
                  "rows/s CPU")
        mine, base = cpus.values()
        print(f"pyarrow path {base / mine:.2f}x faster by CPU (goals: < 300 MB, >= 1 M rows/s)")


if __name__ == "__main__":
    main()
