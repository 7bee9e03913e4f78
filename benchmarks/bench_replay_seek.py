"""Replay seek: keyframes of the pipeline state against re-running the pipeline from the start.

    .venv/bin/python benchmarks/bench_replay_seek.py [--minutes 60] [--rate 400] [--seeks 40]

On a simulated one-hour 400 Hz session: the time to build the keyframes (one background pass,
``trainer.recording.keyframes.PipelineKeyframes``, a keyframe every 10 s), then ``--seeks``
seeks to random positions, each what the dashboard does on a seek (``restore``: copy the
nearest keyframe before position − 10 s, the plot window, and process the samples from there to
the position), wall and thread-CPU time: median, 95th percentile and worst. For comparison, in
the same run, the old seek (the pipeline re-run from the start to the position) on a few
positions. Goal (issue 16): a seek anywhere shows the right plots in < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from firmware_bridge.simulator import SimConfig, simulate  # noqa: E402
from trainer.core.pipeline import Pipeline, PipelineConfig  # noqa: E402
from trainer.recording import SessionWriter, open_session  # noqa: E402
from trainer.recording.keyframes import PipelineKeyframes  # noqa: E402

WINDOW_S = 10.0  # what the dashboard shows before the play head


def timed(fn):  # type: ignore[no-untyped-def]
    w0, c0 = time.perf_counter(), time.thread_time()
    out = fn()
    return out, time.perf_counter() - w0, time.thread_time() - c0


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=60.0)
    ap.add_argument("--rate", type=float, default=400.0)
    ap.add_argument("--seeks", type=int, default=40)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rec = simulate(SimConfig(seed=1, duration_s=args.minutes * 60.0,
                                 sample_rate_hz=args.rate, balance_loss_rate_per_min=1.0))
        path = Path(tmp) / "s"
        w = SessionWriter(path, sample_rate_hz=args.rate, drill_id="single-leg-balance",
                          side="left", placement="shank", simulated=True)
        step = int(args.rate * 60)
        for b in rec.batch.split([step] * (len(rec.batch) // step)):
            w.append(b)
        w.close()
        del rec
        session = open_session(path)

        def factory() -> Pipeline:
            return Pipeline(PipelineConfig(sample_rate_hz=args.rate))

        kf = PipelineKeyframes(session, factory, start=False)
        _, build_wall, build_cpu = timed(kf.build)
        rng = np.random.default_rng(0)
        positions = rng.uniform(0, session.duration_s, args.seeks)
        walls, cpus = [], []
        for pos in positions:
            _, wall, cpu = timed(lambda p=pos: kf.restore(p, lead_s=WINDOW_S))
            walls.append(wall)
            cpus.append(cpu)
        old_w, old_c = [], []
        for pos in (0.25, 0.5, 0.95):
            p = pos * session.duration_s

            def rerun(p: float = p) -> object:
                return factory().process(session.batch(None, session.start_t_s + p))

            _, wall, cpu = timed(rerun)
            old_w.append(wall)
            old_c.append(cpu)
    print(f"{session.n_samples} samples ({args.minutes:g} min at {args.rate:g} Hz); load "
          f"average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"keyframes: {len(kf._index)} built in {build_wall:.2f} s wall, {build_cpu:.2f} s CPU "
          f"(a background thread; ~{session.duration_s / build_wall:.0f}x real time)")
    print(f"seek with keyframes, {len(walls)} random positions: wall median "
          f"{pct(walls, 50):.1f} ms, p95 {pct(walls, 95):.1f} ms, worst {max(walls) * 1e3:.1f} ms;"
          f" CPU median {pct(cpus, 50):.1f} ms, worst {max(cpus) * 1e3:.1f} ms (goal < 100 ms)")
    print(f"old seek (re-run from the start) at 25/50/95 %: "
          f"{', '.join(f'{w * 1e3:.0f}' for w in old_w)} ms wall, "
          f"{', '.join(f'{c * 1e3:.0f}' for c in old_c)} ms CPU")


if __name__ == "__main__":
    main()
