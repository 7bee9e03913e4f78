"""Simulator speed: one hour at 400 Hz (whole and streamed in GUI-sized chunks), per scenario.

Run: ``.venv/bin/python benchmarks/bench_simulator.py``. Prints seconds and the real-time factor.
"""

from __future__ import annotations

import time

import scipy.signal  # noqa: F401  (import cost is not the simulator's)

from firmware_bridge.simulator import SensorStream, SimConfig, simulate

HOUR_S = 3600.0
RATE_HZ = 400.0


def timed(label: str, fn: object, sim_s: float) -> None:
    t0 = time.perf_counter()
    fn()  # type: ignore[operator]
    dt = time.perf_counter() - t0
    print(f"{label:<48} {dt:7.2f} s   {sim_s / dt:9.0f}× real time")


def main() -> None:
    cfg = SimConfig(seed=1, duration_s=HOUR_S, sample_rate_hz=RATE_HZ,
                    balance_loss_rate_per_min=1.0, packet_loss=0.01, jitter_s=0.001,
                    clock_drift_ppm=50.0)
    timed("simulate: 1 h single-leg balance @400 Hz", lambda: simulate(cfg), HOUR_S)

    def streamed() -> None:
        stream = SensorStream(cfg)
        while not stream.exhausted:
            stream.next(8)  # ~50 reads/s at 400 Hz: the GUI timer's chunk size

    timed("SensorStream.next(8) until 1 h @400 Hz", streamed, HOUR_S)
    for scenario in ("ankle-inversion", "isometric-eversion", "calf-raise", "warm-up",
                     "six-face", "mount-swing"):
        c = SimConfig(scenario=scenario, seed=1, duration_s=600.0, sample_rate_hz=RATE_HZ)
        timed(f"simulate: 10 min {scenario} @400 Hz", lambda c=c: simulate(c), 600.0)


if __name__ == "__main__":
    main()
