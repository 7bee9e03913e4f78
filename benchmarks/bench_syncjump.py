"""Cost of waiting for the sync jump on the dashboard's GUI thread (``SyncJumpStep``).

While the guide waits for the jump, every frame hands the step the new samples of every sensor
(``add``) and asks whether every sensor saw the landing (``update``; the landing search itself
runs every 0.1 s of data). This times ``add`` + ``update`` per 60 Hz frame over the whole wait,
for 2, 3 and 5 sensors at 100 and 200 Hz: quiet standing for the 8 s wait (no landing: the worst
case, every search finds nothing and the data keep growing) and a jump landing at 3 s (the step
ends about 0.5 s later). CPU time of this process, one thread.

    .venv/bin/python benchmarks/bench_syncjump.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from trainer.training.syncjump import SyncJumpStep
from trainer.vocab.batch import SampleBatch
from trainer.vocab.sync import SYNC_WAIT_S

ROLES = ("left-shank", "right-shank", "left-foot", "right-foot", "trunk")
FRAME_S = 1.0 / 60.0


def signals(fs: float, n_sensors: int, landing_s: float | None,
            seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    """(t_s, acc_g) per sensor: 1 g and noise; with ``landing_s`` a 0.3 s flight (|acc| ~0 g)
    ending in a 3 g impact that decays over 80 ms."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, SYNC_WAIT_S + 1.0, 1.0 / fs)
    out = []
    for _ in range(n_sensors):
        mag = 1.0 + 0.01 * rng.standard_normal(t.size)
        if landing_s is not None:
            mag[(t > landing_s - 0.3) & (t < landing_s)] = 0.05
            after = t >= landing_s
            mag[after] += 2.0 * np.exp(-(t[after] - landing_s) / 0.08)
        acc = np.zeros((t.size, 3))
        acc[:, 2] = mag
        out.append((t, acc))
    return out


def run(fs: float, n_sensors: int, landing_s: float | None) -> tuple[np.ndarray, str | None]:
    """Per-frame CPU time (ms) of add + update until the step ends; its outcome."""
    roles = ROLES[:n_sensors]
    data = signals(fs, n_sensors, landing_s)
    step = SyncJumpStep(0.0, roles)
    per = fs * FRAME_S
    costs = []
    i = 0
    while step.waiting:
        j = round((len(costs) + 1) * per)
        if j >= data[0][0].size:
            break
        batches = {r: SampleBatch(t[i:j], acc[i:j], np.zeros((j - i, 3)),
                                  np.arange(i, j, dtype=np.uint32))
                   for r, (t, acc) in zip(roles, data, strict=True)}
        t0 = time.thread_time()
        step.add(batches)
        step.update()
        costs.append(time.thread_time() - t0)
        i = j
    return np.asarray(costs) * 1e3, step.outcome


def main() -> None:
    print("sync jump wait, CPU per 60 Hz frame (add + update), ms")
    print(f"{'case':<24}{'frames':>7}{'mean':>8}{'p95':>8}{'max':>8}{'% of frame':>12}  outcome")
    for landing_s in (None, 3.0):
        for fs in (100.0, 200.0):
            for n in (2, 3, 5):
                run(fs, n, landing_s)  # warm-up (first calls import and allocate)
                ms, outcome = run(fs, n, landing_s)
                case = f"{n} x {fs:.0f} Hz, {'jump' if landing_s else 'no jump'}"
                print(f"{case:<24}{ms.size:>7}{ms.mean():>8.3f}{np.percentile(ms, 95):>8.3f}"
                      f"{ms.max():>8.2f}{100 * ms.mean() / (1e3 * FRAME_S):>11.1f}%  {outcome}")


if __name__ == "__main__":
    main()
