"""Make (and evaluate) the excerpt of the UCI Physical Therapy Exercises data set kept here.

    python tests/data/uci-physical-therapy/make_excerpt.py DATA_DIR            # rewrite excerpt
    python tests/data/uci-physical-therapy/make_excerpt.py DATA_DIR --evaluate # all subjects

``DATA_DIR`` holds the data set's folders ``s1..s5/e1..e8/u1..u5/test.txt`` (semicolon
separated: time index, acc m/s², gyr rad/s, mag; 25 Hz). Each test session is three blocks of
10 repetitions (correct, fast, low amplitude) separated by rests of 20-55 s; a block is cut
at the middle of the rests around it (the two longest still runs of the session: angular rate
under 15 °/s for the longest times) and written as the project's generic CSV (t_s from 0,
acc in g, gyro in °/s, magnetometer dropped, rounded to 1e-4 g and 0.01 °/s, gzip).
``--evaluate`` runs every block of exercises 1, 3, 4 and 5 (unit 2: the right lower leg, the
moving one) through ``import --format generic`` and ``analyze --json`` and prints the counts.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
G = 9.80665
RATE_HZ = 25.0
UNIT = 2  # the right lower leg: the leg that moves in the leg exercises
EXCERPT = [(1, 1), (4, 1)]  # (subject, exercise) kept in the project
HEADER = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps"


def read_test(root: Path, subject: int, exercise: int, unit: int = UNIT) -> np.ndarray:
    """One test session as generic columns: t_s, acc (g), gyr (°/s)."""
    d = np.genfromtxt(root / f"s{subject}" / f"e{exercise}" / f"u{unit}" / "test.txt",
                      delimiter=";", skip_header=1)
    t = (d[:, 0] - d[0, 0]) / RATE_HZ
    return np.column_stack([t, d[:, 1:4] / G, np.degrees(d[:, 4:7])])


def blocks(d: np.ndarray) -> list[tuple[int, int]]:
    """The three execution blocks: cut at the middle of the two longest inner still runs."""
    rate = np.sqrt(np.sum(d[:, 4:7] ** 2, axis=1))
    moving = np.convolve(rate > 15.0, np.ones(13) / 13.0, "same") > 0
    runs, i, n = [], 0, len(d)
    while i < n:
        if moving[i]:
            i += 1
            continue
        j = i
        while j < n and not moving[j]:
            j += 1
        if i > 0 and j < n:
            runs.append((j - i, i, j))
        i = j
    cuts = sorted((a + b) // 2 for _, a, b in sorted(runs, reverse=True)[:2])
    return [(0, cuts[0]), (cuts[0], cuts[1]), (cuts[1], n)]


def block_csv(d: np.ndarray) -> str:
    t0 = d[0, 0]
    rows = [HEADER] + [f"{r[0] - t0:.2f},{r[1]:.4f},{r[2]:.4f},{r[3]:.4f},"
                       f"{r[4]:.2f},{r[5]:.2f},{r[6]:.2f}" for r in d]
    return "\n".join(rows) + "\n"


def write_excerpt(root: Path) -> None:
    for s, e in EXCERPT:
        d = read_test(root, s, e)
        for k, (a, b) in enumerate(blocks(d), start=1):
            out = HERE / f"s{s}_e{e}_block{k}.csv.gz"
            with gzip.GzipFile(out, "wb", compresslevel=9, mtime=0) as f:
                f.write(block_csv(d[a:b]).encode())
            print(out.name, f"{(b - a) / RATE_HZ:.0f} s", out.stat().st_size, "bytes")


def analyze_csv(csv: Path, work: Path) -> dict[str, object]:
    """import + analyze --json as a user would: the band drill's rep counter (any axis)."""
    sys.path.insert(0, str(HERE.parents[2]))
    from trainer.cli.main import main

    out = work / (csv.name.split(".")[0] + "_session")
    argv = ["import", str(csv), "--format", "generic", "--drill", "ankle-inversion",
            "--side", "right", "--placement", "foot", "--out", str(out)]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        if main(argv) != 0:
            raise RuntimeError(f"import failed: {csv}")
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        if main(["analyze", str(out), "--json"]) != 0:
            raise RuntimeError(f"analyze failed: {out}")
    return dict(json.loads(buf.getvalue().splitlines()[-1])["drill"])


def evaluate(root: Path) -> None:
    total = exact = within = 0
    found = 0
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for e in (1, 3, 4, 5):
            line = []
            for s in range(1, 6):
                d = read_test(root, s, e)
                for k, (a, b) in enumerate(blocks(d), start=1):
                    csv = work / f"s{s}_e{e}_block{k}.csv"
                    csv.write_text(block_csv(d[a:b]))
                    r = analyze_csv(csv, work)
                    reps, part = int(str(r["reps"])), int(str(r.get("partial_reps") or 0))
                    total += 1
                    exact += reps == 10
                    within += abs(reps - 10) <= 1
                    found += reps
                    line.append(f"{reps}+{part}p")
            print(f"exercise {e}: " + " ".join(line))
    print(f"{within}/{total} blocks within ±1 ({exact} exact), {found} reps of {10 * total}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", type=Path)
    ap.add_argument("--evaluate", action="store_true")
    args = ap.parse_args()
    (evaluate if args.evaluate else write_excerpt)(args.data_dir)
