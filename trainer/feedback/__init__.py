"""Biofeedback logic, pure numpy (no Qt, no audio I/O): target zones and their colours, the
sonification mapping and synthesiser, and the feedback-fading schedule. ``trainer.ui`` draws and
plays what these compute, so all of it is testable without a display or a sound card."""

from trainer.feedback.fading import FADING_MODES, FadingSchedule
from trainer.feedback.sonify import SonificationParams, Synth, map_tilt
from trainer.feedback.zones import ZONE_COLOURS, Zone, classify, zone_of

__all__ = [
    "FADING_MODES",
    "ZONE_COLOURS",
    "FadingSchedule",
    "SonificationParams",
    "Synth",
    "Zone",
    "classify",
    "map_tilt",
    "zone_of",
]
