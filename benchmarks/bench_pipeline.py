"""Speed of the sway-analysis core, with baselines measured in the same run. Prints a table.

    .venv/bin/python benchmarks/bench_pipeline.py [--minutes 60] [--rate 400]

1. ``analyze`` end to end on a one-hour 400 Hz session (1.44 M samples): the CLI path
   (``balance-trainer analyze --json``, in process, after one warm-up) — open the session, read it,
   calibrate, orientation, tilt, events, sway metrics, drill analysis, JSON; and the core's
   ``analyze()`` alone on the samples in memory.
2. On the same samples, orientation alone: imufusion's per-sample Python loop (its documented
   use), ``ahrs`` Madgwick (pure Python: a subset is timed and extrapolated — said in the table),
   and VQF over all samples at the full rate (no blocks) for reference.
3. Live step: one 10-sample batch through ``Pipeline.process`` (orientation, tilt, events) plus
   ``live_metrics()`` (a 10 Hz sliding-window refresh of every sway metric): p50/p99/max.

Goals (issue 3): the whole pipeline ≥ 3× faster than imufusion's orientation alone and above
1 M samples/s; live step p99 < 1 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware_bridge.simulator import SimConfig, simulate
from trainer.cli.main import main as cli_main
from trainer.core.orientation import OnlineOrientation
from trainer.core.pipeline import Pipeline, PipelineConfig, analyze
from trainer.recording import SessionWriter


def make_session(root: Path, minutes: float, rate: float) -> tuple[Path, np.ndarray, np.ndarray]:
    rec = simulate(SimConfig(seed=1, duration_s=minutes * 60.0, sample_rate_hz=rate,
                             balance_loss_rate_per_min=1.0))
    path = root / "session"
    w = SessionWriter(path, sample_rate_hz=rate, drill_id="single-leg-balance", side="left",
                      placement="shank", simulated=True)
    step = int(rate * 60)
    for b in rec.batch.split([step] * (len(rec.batch) // step)):
        w.append(b)
    w.close()
    return path, rec.batch.acc_g, rec.batch.gyr_dps


Timing = tuple[float, float]  # (wall s, CPU s of this process), best of the repeats


def best_of(fn: Callable[[], object], repeats: int) -> Timing:
    """Best wall and best CPU time over ``repeats`` runs (the machine may be shared: CPU time is
    what the code costs, wall time what a user waits)."""
    wall = cpu = float("inf")
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall = min(wall, time.perf_counter() - w0)
        cpu = min(cpu, time.process_time() - c0)
    return wall, cpu


def time_analyze(path: Path, repeats: int = 3) -> tuple[Timing, dict[str, object]]:
    """In-process runs of ``balance-trainer analyze --json`` (after one warm-up run)."""
    import json

    out: list[str] = []

    def run() -> None:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            code = cli_main(["analyze", "--json", str(path)])
        if code != 0:
            raise SystemExit(f"analyze failed with status {code}")
        out.append(buf.getvalue())

    run()
    return best_of(run, repeats), json.loads(out[-1])


def time_imufusion(acc_g: np.ndarray, gyr_dps: np.ndarray, rate: float, repeats: int) -> Timing:
    import imufusion

    n = acc_g.shape[0]
    quat = np.empty((n, 4))

    def run() -> None:
        ahrs = imufusion.Ahrs()
        settings = imufusion.AhrsSettings()
        settings.sample_rate = int(rate)
        ahrs.set_settings(settings)
        for i in range(n):
            ahrs.update_no_magnetometer(gyr_dps[i], acc_g[i])
            quat[i] = ahrs.get_quaternion()

    return best_of(run, repeats)


def time_ahrs_madgwick(acc_g: np.ndarray, gyr_dps: np.ndarray, rate: float,
                       subset: int) -> Timing:
    """Time for ``subset`` samples of ``ahrs.filters.Madgwick.updateIMU`` (pure Python)."""
    from ahrs.filters import Madgwick

    filt = Madgwick(frequency=rate)
    gyr = np.radians(gyr_dps[:subset])
    acc = acc_g[:subset] * 9.80665

    def run() -> None:
        q = np.array([1.0, 0.0, 0.0, 0.0])
        for i in range(subset):
            q = filt.updateIMU(q, gyr[i], acc[i])

    return best_of(run, 1)


def time_core(path: Path, repeats: int) -> Timing:
    """``trainer.core.pipeline.analyze`` alone on the session's samples (already in memory)."""
    from trainer.recording import open_session

    session = open_session(path)
    batch = session.batch()
    config = PipelineConfig(sample_rate_hz=session.sample_rate_hz, calibration=session.calibration)
    analyze(batch, config)
    return best_of(lambda: analyze(batch, config), repeats)


def time_vqf_full_rate(acc_g: np.ndarray, gyr_dps: np.ndarray, rate: float) -> Timing:
    return best_of(lambda: OnlineOrientation(rate).update(acc_g, gyr_dps), 3)


def time_live(acc_g: np.ndarray, gyr_dps: np.ndarray, rate: float, seconds: float = 120.0
              ) -> tuple[list[float], list[float]]:
    """Per-step wall and CPU (thread) times in seconds."""
    from trainer.vocab.batch import SampleBatch

    n = int(seconds * rate)
    batch = SampleBatch.from_arrays(np.arange(n) / rate, acc_g[:n], gyr_dps[:n])
    pipe = Pipeline(PipelineConfig(sample_rate_hz=rate))
    steps = batch.split([10] * (n // 10))
    wall: list[float] = []
    cpu: list[float] = []
    for i, b in enumerate(steps):
        w0, c0 = time.perf_counter(), time.thread_time()
        pipe.process(b)
        pipe.live_metrics()
        w1, c1 = time.perf_counter(), time.thread_time()
        if i >= int(5 * rate / 10):  # after the first 5 s (warm-up, vertical reference)
            wall.append(w1 - w0)
            cpu.append(c1 - c0)
    return wall, cpu


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=400.0)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--madgwick-subset", type=int, default=50_000)
    args = ap.parse_args()
    rate = args.rate
    with tempfile.TemporaryDirectory() as tmp:
        path, acc, gyr = make_session(Path(tmp), args.minutes, rate)
        n = acc.shape[0]
        t_an, report = time_analyze(path, args.repeats)
        t_core = time_core(path, args.repeats)
        t_imu = time_imufusion(acc, gyr, rate, max(1, args.repeats - 1))
        sub = min(n, args.madgwick_subset)
        w, c = time_ahrs_madgwick(acc, gyr, rate, sub)
        t_mad = (w * n / sub, c * n / sub)
        t_vqf = time_vqf_full_rate(acc, gyr, rate)
        live_wall, live_cpu = time_live(acc, gyr, rate)
    losses = report["events"]["balance_losses_t_s"]  # type: ignore[index]
    print(f"{n} samples ({args.minutes:g} min at {rate:g} Hz); {len(losses)} balance losses found;"
          f" load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'what':<58}{'wall s':>8}{'CPU s':>8}{'M samples/s (CPU)':>19}")
    rows = [
        ("analyze --json end to end (read, pipeline, metrics, JSON)", t_an),
        ("  of which trainer.core.pipeline.analyze (in memory)", t_core),
        ("imufusion per-sample loop, orientation only", t_imu),
        (f"ahrs Madgwick, orientation only (extrapolated from {sub})", t_mad),
        ("VQF online at the full rate, orientation only", t_vqf),
    ]
    for name, (wall, cpu) in rows:
        print(f"{name:<58}{wall:>8.3f}{cpu:>8.3f}{n / cpu / 1e6:>19.2f}")
    print(f"analyze vs imufusion orientation alone: {t_imu[1] / t_an[1]:.1f}x faster (CPU), "
          f"{t_imu[0] / t_an[0]:.1f}x (wall), core alone {t_imu[1] / t_core[1]:.1f}x (CPU); "
          f"vs ahrs Madgwick: {t_mad[1] / t_an[1]:.0f}x (CPU)")
    print(f"live step (10 samples + 10 Hz metrics refresh), {len(live_cpu)} steps: "
          f"CPU p50 {pct(live_cpu, 0.5):.3f} ms, p99 {pct(live_cpu, 0.99):.3f} ms, "
          f"max {pct(live_cpu, 1.0):.3f} ms; wall p99 {pct(live_wall, 0.99):.3f} ms")


if __name__ == "__main__":
    main()
