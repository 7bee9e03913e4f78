"""WitMotion app export import: CPU time and peak memory for a long two-sensor export.

    .venv/bin/python benchmarks/bench_witmotion_import.py [--minutes 60] [--rate 50]

Writes a synthetic export in the app's CSV layout (the header of tests/data/witmotion, BOM, CRLF,
leading spaces, trailing commas; two sensors interleaved), then times ``import --format
witmotion`` end to end in a child process (CPU time = user + system of the child, so machine load
does not inflate it) and reports the child's peak RSS, next to the same child doing nothing but
``import numpy`` (the floor).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
HEADER_FROM = ROOT / "tests" / "data" / "witmotion" / "two-sensors-lunge.csv"
DEVICES = ("fc:66:87:ee:fb:8c", "d7:f5:e1:06:da:71")


def write_export(path: Path, minutes: float, rate: float) -> int:
    """Streamed to disk in blocks, so this process stays small (a forked child's peak RSS
    starts from its parent's)."""
    header = HEADER_FROM.read_text(encoding="utf-8-sig").splitlines()[0]
    n = 2 * int(minutes * 60 * rate)
    rng = np.random.default_rng(0)
    t0 = 12 * 3600 + 40 * 60
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        f.write(header + "\r\n")
        for start in range(0, n, 10_000):
            values = rng.normal(0, 1, (min(10_000, n - start), 17)).round(3)
            block = []
            for k, row in enumerate(values):
                i = start + k
                t = t0 + (i // 2) / rate + (i % 2) * 0.003
                clock = f"{int(t // 3600):02d}:{int(t % 3600 // 60):02d}:{t % 60:06.3f}"
                cells = ", ".join(f"{v:g}" for v in row)
                block.append(f" {clock},{DEVICES[i % 2]}, 2015-1-1 0:9:46.585, {cells},\r\n")
            f.write("".join(block))
    return n


def child(argv: list[str]) -> tuple[float, float]:
    """CPU seconds and peak RSS (MB) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(argv, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, after.ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=50.0)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "export.csv"
        rows = write_export(src, args.minutes, args.rate)
        size_mb = src.stat().st_size / 1e6
        floor_cpu, floor_rss = child([sys.executable, "-c", "import numpy"])
        cpu, rss = child([sys.executable, "-m", "trainer.cli.main", "import", str(src),
                          "--format", "witmotion", "--out", str(Path(tmp) / "out")])
    print(f"export: {rows} rows ({args.minutes:g} min × 2 sensors at {args.rate:g} Hz), "
          f"{size_mb:.1f} MB")
    print(f"import --format witmotion: {cpu:.2f} s CPU ({rows / cpu:,.0f} rows/s), "
          f"peak RSS {rss:.0f} MB (python + numpy alone: {floor_cpu:.2f} s, {floor_rss:.0f} MB)")


if __name__ == "__main__":
    main()
