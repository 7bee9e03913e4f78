"""``analyze --json`` end to end against imufusion, and peak memory of analyze/export/report.

    .venv/bin/python benchmarks/bench_analyze.py [--minutes 60] [--rate 400] [--repeats 5]
                                                 [--memory-minutes 120]

1. Speed (issue 16): the real command, ``balance-trainer analyze --json SESSION`` as a user runs
   it (a new process each time: start-up, imports, reading ``imu.bin``, calibration,
   orientation, tilt, balance losses, sway metrics, drill analysis, JSON on stdout), on a
   simulated one-hour 400 Hz single-leg-balance session (1.44 M samples). In the same run, on
   the same samples: imufusion's per-sample Python loop (``Ahrs.update_no_magnetometer`` +
   ``get_quaternion``, its documented use) doing orientation alone, in this process (its
   start-up is not counted). Runs alternate; each figure is the median of ``--repeats``.
   Wall time is what a user waits; CPU time (user + system, ``/usr/bin/time`` / ``process_time``)
   is what the work costs and is what to trust on a shared machine. Goals: ≥ 3× faster than
   imufusion, > 2 M samples/s.
2. Memory: peak resident memory (``/usr/bin/time``'s maximum resident set size of each
   command) of ``analyze --json``, ``export --format csv`` and ``report`` on a two-hour
   400 Hz session, against the raw sample size (36-byte ``imu.bin`` records). Goal: < 2.5×.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "benchmarks"))
from bench_pipeline import make_session, time_imufusion  # noqa: E402

ENTRY = "import sys; from trainer.cli.main import main; sys.exit(main(sys.argv[1:]))"
#: The commands run as an installed program runs: with compiled bytecode (pip compiles it at
#: install; a development shell with PYTHONDONTWRITEBYTECODE=1 would recompile every module
#: changed since the last write at every start — ~0.1 s that no user pays).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def command() -> list[str]:
    """The installed console script next to this interpreter (else the same entry point)."""
    script = Path(sys.executable).with_name("balance-trainer")
    return [str(script)] if script.exists() else [sys.executable, "-c", ENTRY]


def run_child(argv: list[str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MB) of one child process, as ``/usr/bin/time`` reports them
    (its child is forked from a small process: a child forked from this benchmark would
    inherit its resident size in ``ru_maxrss``)."""
    timer = ["/usr/bin/time", "-f", "TIMED %U %S %M"] if Path("/usr/bin/time").exists() else []
    t0 = time.perf_counter()
    proc = subprocess.Popen([*timer, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=ROOT, env=CHILD_ENV)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    err = proc.stderr.read().decode() if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({code}): {err.strip()}")
    line = [x for x in err.splitlines() if x.startswith("TIMED ")]
    if line:
        user, system, kb = line[-1].split()[1:]
        return wall, float(user) + float(system), float(kb) / 1024.0
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=400.0)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--memory-minutes", type=float, default=120.0,
                    help="length of the session for the memory figures (0: skip them)")
    args = ap.parse_args()
    bt = command()
    with tempfile.TemporaryDirectory() as tmp_s:
        tmp = Path(tmp_s)
        (tmp / "one-hour").mkdir()
        path, acc, gyr = make_session(tmp / "one-hour", args.minutes, args.rate)
        n = acc.shape[0]
        argv = [*bt, "analyze", "--json", str(path)]
        run_child(argv)  # warm the file cache and bytecode
        ours: list[tuple[float, float, float]] = []
        theirs: list[tuple[float, float]] = []
        for _ in range(args.repeats):
            ours.append(run_child(argv))
            theirs.append(time_imufusion(acc, gyr, args.rate, 1))
        a_wall = statistics.median(r[0] for r in ours)
        a_cpu = statistics.median(r[1] for r in ours)
        i_wall = statistics.median(r[0] for r in theirs)
        i_cpu = statistics.median(r[1] for r in theirs)
        print(f"{n} samples ({args.minutes:g} min at {args.rate:g} Hz); median of "
              f"{args.repeats}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(f"{'what':<62}{'wall s':>8}{'CPU s':>8}{'M samples/s':>13}")
        print(f"{'balance-trainer analyze --json (whole process)':<62}{a_wall:>8.3f}"
              f"{a_cpu:>8.3f}{n / a_wall / 1e6:>8.2f} wall, {n / a_cpu / 1e6:.2f} CPU")
        print(f"{'imufusion per-sample loop, orientation only (in process)':<62}{i_wall:>8.3f}"
              f"{i_cpu:>8.3f}{n / i_wall / 1e6:>8.2f} wall, {n / i_cpu / 1e6:.2f} CPU")
        ratios_cpu = sorted(t[1] / o[1] for o, t in zip(ours, theirs, strict=True))
        print(f"analyze end to end vs imufusion: {i_cpu / a_cpu:.2f}x faster (CPU), "
              f"{i_wall / a_wall:.2f}x (wall); per-pair CPU ratios "
              f"{', '.join(f'{r:.2f}' for r in ratios_cpu)} (goal >= 3x, > 2 M samples/s)")
        del acc, gyr
        if args.memory_minutes > 0:
            (tmp / "two-hours").mkdir()
            long, acc2, _ = make_session(tmp / "two-hours", args.memory_minutes, args.rate)
            m = acc2.shape[0]
            del acc2, _
            raw_mb = m * 36 / 2**20
            print(f"\npeak memory, {m} samples ({args.memory_minutes:g} min at {args.rate:g} Hz;"
                  f" raw samples {raw_mb:.0f} MB; goal < 2.5x = {2.5 * raw_mb:.0f} MB)")
            cases = [
                ("analyze --json", [*bt, "analyze", "--json", str(long)]),
                ("export --format csv (with tilt)",
                 [*bt, "export", str(long), "--format", "csv", "--out", str(tmp / "x.csv")]),
                ("report (HTML)", [*bt, "report", str(long), "--out", str(tmp / "r.html")]),
            ]
            print(f"{'command':<36}{'peak MB':>9}{'x raw':>7}{'wall s':>8}{'CPU s':>8}")
            for name, cmd in cases:
                wall, cpu, rss = run_child(cmd)
                (tmp / "x.csv").unlink(missing_ok=True)
                (tmp / "r.html").unlink(missing_ok=True)
                print(f"{name:<36}{rss:>9.0f}{rss / raw_mb:>7.2f}{wall:>8.2f}{cpu:>8.2f}")


if __name__ == "__main__":
    main()
