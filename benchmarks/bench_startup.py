"""Start-up time of every command, as a user runs it: whole processes, median of repeats.

    .venv/bin/python benchmarks/bench_startup.py [--repeats 7]

Times ``balance-trainer --help``, ``balance-trainer COMMAND --help`` for every command,
``analyze --json`` / ``export`` of the shortest sample recording (start-up dominates there) and
``analyze --json`` of the sample rep and hold drills (their filters: ``trainer.core.iir``, not
``scipy.signal``, whose import alone costs ~0.8 s). Children run with compiled bytecode, as an
installed program does.
Each process is timed for wall time (what a user waits) and CPU time (user + system of the
child, from ``resource.getrusage(RUSAGE_CHILDREN)``: what it costs, robust to a busy machine).
Goal (issue 16): every command starts in < 0.25 s. For reference the same run times a bare
``python -c pass`` and ``python -c "import numpy"``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trainer.cli.main import COMMANDS  # noqa: E402

ENTRY = "import sys; from trainer.cli.main import main; sys.exit(main(sys.argv[1:]))"
SAMPLE = ROOT / "recordings" / "single-leg-balance-eyes-open"
DRILLS = [ROOT / "recordings" / "calf-raise-set", ROOT / "recordings" / "isometric-eversion-holds"]
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str]) -> tuple[float, float]:
    """(wall s, CPU s) of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   cwd=ROOT, env=CHILD_ENV)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median_of(argv: list[str], repeats: int) -> tuple[float, float]:
    runs = [run_once(argv) for _ in range(repeats)]
    return statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    py = sys.executable
    bt = [py, "-c", ENTRY]
    with tempfile.TemporaryDirectory() as tmp:
        cases: list[tuple[str, list[str]]] = [
            ("python -c pass (interpreter alone)", [py, "-c", "pass"]),
            ("python -c 'import numpy' (reference)", [py, "-c", "import numpy"]),
            ("balance-trainer --help", [*bt, "--help"]),
        ]
        for name in COMMANDS:
            cli = "import" if name == "import_cmd" else name.replace("_", "-")
            cases.append((f"balance-trainer {cli} --help", [*bt, cli, "--help"]))
        cases += [
            (f"analyze --json {SAMPLE.name}", [*bt, "analyze", "--json", str(SAMPLE)]),
            (f"export {SAMPLE.name} (csv, with tilt)",
             [*bt, "export", str(SAMPLE), "--format", "csv", "--out", str(Path(tmp) / "x.csv")]),
            *((f"analyze --json {d.name} (drill filters)", [*bt, "analyze", "--json", str(d)])
              for d in DRILLS),
        ]
        for _, argv in cases:  # warm the file cache and bytecode
            run_once(argv)
        print(f"median of {args.repeats} processes; load average {os.getloadavg()[0]:.1f} on "
              f"{os.cpu_count()} CPUs")
        print(f"{'command':<52}{'wall s':>8}{'CPU s':>8}")
        worst = 0.0
        for label, argv in cases:
            wall, cpu = median_of(argv, args.repeats)
            if label.startswith("balance-trainer"):
                worst = max(worst, wall)
            print(f"{label:<52}{wall:>8.3f}{cpu:>8.3f}")
        print(f"slowest --help: {worst:.3f} s wall (goal < 0.25 s)")


if __name__ == "__main__":
    main()
