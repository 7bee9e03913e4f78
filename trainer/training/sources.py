"""The simulated sensor, built one way for every front end (`record --simulate`, the dashboard's
simulator and its drills), so the same seed, drill, side and rate give the same samples."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.training.session import TrainingError
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.source import Source


@dataclass(frozen=True)
class SimSettings:
    """The simulated person and link (not the drill: that comes from the plan)."""

    seed: int = 1
    losses_per_min: float = 0.0  # balance losses of the simulated person (balance drills)
    packet_loss: float = 0.0  # fraction of samples lost, in runs
    speed: float = 1.0  # the simulator's clock runs this many times faster than real time


def simulated_source(*, rate_hz: float | None, drill_id: str = "single-leg-balance",
                     side: str = "left", placement: str | None = None, eyes: str = "open",
                     surface: str = "firm", duration_s: float | None = None,
                     sim: SimSettings = SimSettings(), clock: Clock = wall_clock) -> Source:
    """An (unstarted) simulated sensor doing ``drill_id`` on ``side`` (TrainingError for bad
    settings). ``duration_s`` None: endless. ``clock`` paces it (tests: a manual clock)."""
    from firmware_bridge.simulator import SimConfig, SimulatedSource

    try:
        config = SimConfig(
            seed=sim.seed, sample_rate_hz=rate_hz or 100.0, duration_s=duration_s,
            scenario=drill_id, eyes=eyes, surface=surface, side=side, placement=placement,
            balance_loss_rate_per_min=sim.losses_per_min, packet_loss=sim.packet_loss)
        return SimulatedSource(config, speed=sim.speed, clock=clock)
    except ValueError as exc:
        raise TrainingError(f"simulator: {exc}") from None
