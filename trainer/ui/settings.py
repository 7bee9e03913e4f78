"""Plain data the panels hand to the window (no Qt): what drill to run and how to give feedback."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DrillSettings:
    drill_id: str = "single-leg-balance"
    side: str = "left"
    eyes: str = "open"
    surface: str = "firm"
    duration_s: float = 30.0  # per set, for hold and balance drills
    record: bool = True
    sets: int | None = None  # None: the drill's default

    def parameters(self) -> dict[str, Any]:
        """The panel's choices as stored in session.json."""
        d = asdict(self)
        for key in ("record", "drill_id", "side"):
            d.pop(key)
        return d


@dataclass(frozen=True)
class FeedbackSettings:
    visual: bool = True
    audio: bool = False
    mode: str = "concurrent"  # trainer.feedback.FADING_MODES
    target_radius_deg: float = 3.0
    range_deg: float = 8.0
