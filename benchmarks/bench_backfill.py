"""Cost of drawing the tilt before it is known (``trainer.ui.backfill.TiltBackfill``) on the
dashboard's GUI thread: what one sensor's ``feed`` costs per 60 Hz frame while its uncalibrated
pipeline knows no tilt (the sync jump's wait: a provisional offline analysis of everything kept,
every 0.1 s of data, and a final one), against the sensor's own ``Pipeline.process`` per frame.
A shank shaking for ``--moving`` s (no quiet second: the tilt unknown), then still until the
pipeline locks; 100 and 200 Hz. CPU time of this process, one thread.

    .venv/bin/python benchmarks/bench_backfill.py [--moving 8]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.ui.backfill import TiltBackfill, keep_s_for
from trainer.vocab.batch import SampleBatch

FRAME_S = 1.0 / 60.0


def person(fs: float, moving_s: float, total_s: float) -> SampleBatch:
    n = int(total_s * fs)
    t = np.arange(n) / fs
    rng = np.random.default_rng(1)
    acc = np.tile([0.05, 0.0, 1.0], (n, 1)) + 0.002 * rng.standard_normal((n, 3))
    gyr = 0.2 * rng.standard_normal((n, 3))
    shaking = t < moving_s
    gyr[shaking, 1] += 40.0 * np.sin(2 * np.pi * 3 * t[shaking])
    acc[shaking, 2] += 0.3 * np.sin(2 * np.pi * 5 * t[shaking])
    return SampleBatch(t, acc, gyr, np.arange(n, dtype=np.uint32))


def run(fs: float, moving_s: float) -> None:
    raw = person(fs, moving_s, moving_s + 3.0)
    config = PipelineConfig(sample_rate_hz=fs, placement="shank", side="left")
    pipe = Pipeline(config)
    fill = TiltBackfill(config, keep_s_for(10.0))
    per = max(1, round(fs * FRAME_S))
    pipe_s, fill_s = [], []
    for i in range(0, len(raw), per):
        part = raw.slice(i, min(len(raw), i + per))
        c0 = time.process_time()
        out = pipe.process(part)
        c1 = time.process_time()
        fill.feed(part, out.tilt_ap_deg)
        c2 = time.process_time()
        pipe_s.append(c1 - c0)
        if not fill.done or c2 - c1 > 1e-4:
            fill_s.append(c2 - c1)
        if fill.done and i / fs > moving_s + 2.5:
            break
    f = np.asarray(fill_s) * 1e3
    p = np.asarray(pipe_s) * 1e3
    print(f"{fs:5.0f} Hz, {moving_s:g} s unknown: backfill per frame mean {f.mean():.3f} ms, "
          f"max {f.max():.2f} ms, total {f.sum():.0f} ms over {f.size} frames; pipeline per "
          f"frame mean {p.mean():.3f} ms (ratio {f.mean() / p.mean():.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--moving", type=float, default=2.0, help="seconds with the tilt unknown")
    args = ap.parse_args()
    for fs in (100.0, 200.0):
        run(fs, args.moving)


if __name__ == "__main__":
    main()
