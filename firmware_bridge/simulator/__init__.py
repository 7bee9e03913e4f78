"""Simulated IMU: a physically plausible single-leg stance (delayed-feedback inverted pendulum,
Peterka 2002) and the drills' motions, seen through a sensor model (mounting, noise, bias drift,
int16 quantisation, clock drift, jitter, packet loss), with the truth available to tests.

Use ``simulate(SimConfig(...))`` for a whole recording and its truth, ``SensorStream`` for a
chunk-invariant endless stream, and ``SimulatedSource`` for a wall-clock paced ``Source``;
``follow_guide(config, drill_session)`` makes the simulated person follow a drill guide's plan.
"""

from firmware_bridge.simulator.config import (
    CALIBRATION_SCENARIOS,
    DEFAULT_PLACEMENT,
    SCENARIOS,
    SimConfig,
    follow_guide,
)
from firmware_bridge.simulator.guide import (
    GuidedSet,
    GuideSchedule,
    schedule_from_plan,
)
from firmware_bridge.simulator.source import SimulatedSource
from firmware_bridge.simulator.stream import (
    PROFILE,
    SensorStream,
    SimulatedRecording,
    Truth,
    simulate,
)
from trainer.vocab.ids import DRILL_IDS

__all__ = [
    "CALIBRATION_SCENARIOS",
    "DEFAULT_PLACEMENT",
    "DRILL_IDS",
    "PROFILE",
    "SCENARIOS",
    "GuideSchedule",
    "GuidedSet",
    "SensorStream",
    "SimConfig",
    "SimulatedRecording",
    "SimulatedSource",
    "Truth",
    "follow_guide",
    "schedule_from_plan",
    "simulate",
]
