"""Cost of `record`'s live analysis (core pipeline + drill guide + event writing) per poll.

    .venv/bin/python benchmarks/bench_record_live.py [--minutes 10]

The recorder polls its source every 50 ms; each poll's batch goes to the session writer and then
through ``trainer.cli.record.LiveAnalysis``. Prints, per drill and rate, the time per batch
(median, p99, max) and the throughput — the loop stays fast when the median is a small fraction
of the 50 ms poll.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware_bridge.simulator import SimConfig, simulate
from trainer.cli.record import LiveAnalysis, Progress
from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.drills.catalog import get_drill
from trainer.drills.session import DrillSession
from trainer.recording import SessionWriter

POLL_S = 0.05
CASES = (("single-leg-balance", "shank", 100.0), ("single-leg-balance", "shank", 400.0),
         ("calf-raise", "foot", 100.0))


def run_case(drill_id: str, placement: str, rate_hz: float, minutes: float) -> str:
    balance = drill_id == "single-leg-balance"
    sim = simulate(SimConfig(seed=1, sample_rate_hz=rate_hz, duration_s=60.0 * minutes,
                             scenario=drill_id, placement=placement,
                             balance_loss_rate_per_min=2.0 if balance else 0.0))
    batch = sim.batch
    per = int(rate_hz * POLL_S)
    spent: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        writer = SessionWriter(Path(tmp) / "s", sample_rate_hz=rate_hz, drill_id=drill_id,
                               placement=placement)
        spec = get_drill(drill_id)
        drill = DrillSession(spec, "left", fs_hz=rate_hz, placement=placement,
                             params={"sets": 50})  # guided for the whole run
        pipeline = Pipeline(PipelineConfig(rate_hz, placement=placement,
                                           detect_balance_losses=balance))
        live = LiveAnalysis(writer, pipeline, drill, Progress(io.StringIO(), None, quiet=True))
        for i in range(0, len(batch), per):
            part = batch.slice(i, min(i + per, len(batch)))
            writer.append(part)
            t0 = time.perf_counter()
            live.feed(part)
            spent.append(time.perf_counter() - t0)
        writer.close()
    ms = np.array(spent) * 1e3
    assert live.failed is None, live.failed
    return (f"| {drill_id} | {rate_hz:g} Hz, {per}-sample polls | {np.median(ms):.3f} / "
            f"{np.percentile(ms, 99):.3f} / {ms.max():.1f} ms | "
            f"{len(batch) / ms.sum():.0f} k samples/s |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--minutes", type=float, default=10.0)
    args = ap.parse_args()
    print("| drill | stream | live analysis per poll (median / p99 / max) | throughput |")
    print("|---|---|---|---|")
    for case in CASES:
        print(run_case(*case, args.minutes))


if __name__ == "__main__":
    main()
