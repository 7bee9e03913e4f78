"""How fast the dashboard ends after Ctrl-C / SIGTERM during a drill (issue 10: within 2 s, the
recording finalised): whole processes, as a user runs them.

    .venv/bin/python benchmarks/bench_dashboard_exit.py [--repeats 3]

Each run starts ``python -m trainer.cli.main dashboard --simulate --no-audio --drill
single-leg-balance --start-drill`` offscreen in a temporary home, waits until the drill's
``imu.bin`` holds 6 s of samples, sends the signal and times signal → process gone (wall time:
what a user waits; noisy on a busy machine) and the child's CPU time (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)`` over the whole run, start-up included). It checks the
exit status (0) and that ``session.json`` is ``complete``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORD_BYTES_6S = 600 * 36  # 6 s at 100 Hz of 36-byte records


def one_run(sig: int) -> tuple[float, float, bool]:
    """(signal → gone in s, child CPU s, finished cleanly)."""
    home = Path(tempfile.mkdtemp(prefix="bench-exit-")) / "home"
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT),
               QT_QPA_PLATFORM="offscreen")
    cmd = [sys.executable, "-m", "trainer.cli.main", "dashboard", "--simulate", "--no-audio",
           "--drill", "single-leg-balance", "--side", "right", "--start-drill"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    session: Path | None = None
    while time.monotonic() < deadline and session is None:
        for imu in (home / "data" / "sessions").glob("*/imu.bin"):
            if imu.stat().st_size > RECORD_BYTES_6S:
                session = imu.parent
        time.sleep(0.05)
    if session is None:
        proc.kill()
        raise SystemExit("the drill's recording did not appear")
    t0 = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    gone = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    meta = json.loads((session / "session.json").read_text())
    ok = proc.returncode == 0 and "Traceback" not in err and meta.get("status") == "complete"
    return gone, cpu, ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"load average {load:.1f}; {args.repeats} runs per signal")
    for name in ("SIGINT", "SIGTERM"):
        runs = [one_run(getattr(signal, name)) for _ in range(args.repeats)]
        gone = [r[0] for r in runs]
        print(f"{name:8s} signal -> gone: median {statistics.median(gone):.3f} s "
              f"(min {min(gone):.3f}, max {max(gone):.3f}); child CPU per run (whole run) "
              f"{statistics.median(r[1] for r in runs):.2f} s; clean: "
              f"{sum(r[2] for r in runs)}/{len(runs)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
