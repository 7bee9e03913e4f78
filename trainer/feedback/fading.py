"""Feedback fading: how much live feedback the user gets as a session goes on.

Motor-learning studies (e.g. Winstein & Schmidt 1990) favour reducing concurrent feedback so the
user relies on their own proprioception. Modes:

- ``concurrent``: feedback all the time;
- ``bandwidth``: feedback only while outside the target (the "bandwidth");
- ``summary``: no live feedback, a summary at the end;
- ``fading``: concurrent for the first third of the drill, bandwidth for the second, then none
  (summary at the end).
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.feedback.zones import Zone

FADING_MODES = ("concurrent", "bandwidth", "summary", "fading")


@dataclass(frozen=True)
class FadingSchedule:
    mode: str = "concurrent"
    duration_s: float = 30.0

    def __post_init__(self) -> None:
        if self.mode not in FADING_MODES:
            choices = ", ".join(FADING_MODES)
            raise ValueError(f"unknown feedback mode {self.mode!r}; one of {choices}")
        if not self.duration_s > 0:
            raise ValueError("duration_s must be positive")

    def phase_at(self, elapsed_s: float) -> str:
        """The effective mode (concurrent, bandwidth or summary) ``elapsed_s`` into the drill."""
        if self.mode != "fading":
            return self.mode
        frac = elapsed_s / self.duration_s
        if frac < 1 / 3:
            return "concurrent"
        if frac < 2 / 3:
            return "bandwidth"
        return "summary"

    def show(self, elapsed_s: float, zone: Zone) -> bool:
        """Whether live feedback (dot colour, sound) is given now."""
        phase = self.phase_at(elapsed_s)
        if phase == "concurrent":
            return True
        if phase == "bandwidth":
            return zone == Zone.OUTSIDE
        return False

    def shows_summary(self) -> bool:
        """A summary is shown at the end of the drill for every mode (always useful)."""
        return True
