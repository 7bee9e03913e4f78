"""What a drill can measure with the sensor where it is: one ankle strap for the whole programme.

The sensor strapped on the shank for single-leg balance also counts calf raises (the shank leans
and rises with the heel) and times calf stretches (the shank leans into the stretch). The band
drills (inversion, eversion) turn the *foot* under a still shank, and the isometric pushes do not
move anything: the shank sees neither, so on the shank those drills cannot be measured.
``placement_check(spec, placement)`` says so, before the drill starts (the front ends show the
message and offer to continue) and in the analysis (instead of 0 reps).

What no placement can see is said too: the force of an isometric push (the sensor measures
movement, not force), so a hold is timed and checked for stillness, never credited with effort.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trainer.drills.catalog import DrillSpec

#: Drills whose movement the shank does not share (their angle is the foot's).
FOOT_ONLY = frozenset({"ankle-inversion", "ankle-eversion", "isometric-inversion",
                       "isometric-eversion", "warm-up"})

ISOMETRIC_LIMIT = ("The sensor measures movement, not force: it times each push and checks that "
                   "the ankle stays still, but it cannot tell how hard you push.")


@dataclass(frozen=True)
class PlacementCheck:
    """Whether the drill can be measured with the sensor at ``placement``, and what to say."""

    drill_id: str
    placement: str
    measurable: bool
    message: str  # shown before the drill starts; empty when there is nothing to say
    cannot_measure: tuple[str, ...] = ()  # result keys left empty ("reps", "holds_s", …)
    limits: str = ""  # what the sensor never sees for this drill, wherever it is

    @property
    def needs_confirmation(self) -> bool:
        """The front ends ask "continue anyway?" before the drill starts."""
        return not self.measurable

    def result_fields(self) -> dict[str, Any]:
        """Fields added to the drill result (analysis and live)."""
        out: dict[str, Any] = {"measurable": self.measurable}
        if not self.measurable:
            out["not_measured"] = self.message
            for key in self.cannot_measure:
                out[key] = None
        if self.limits:
            out["sensor_limits"] = self.limits
        return out


def placement_check(spec: DrillSpec, placement: str | None) -> PlacementCheck:
    """Can ``spec`` be measured with the sensor on ``placement`` (None: the drill's own)?"""
    place = placement or spec.placement
    limits = ISOMETRIC_LIMIT if spec.id.startswith("isometric-") else ""
    if place == "shank" and spec.id in FOOT_ONLY:
        what = ("turns the foot under a still shank" if spec.kind in ("reps", "warmup")
                else "does not move the shank")
        if spec.kind in ("reps", "warmup"):
            keys: tuple[str, ...] = ("reps", "rom_deg", "rom_max_deg", "tempo_s")
        elif spec.kind == "hold":
            keys = ("holds_s", "movement_during_hold")
        else:
            keys = ()
        msg = (f"{spec.name} {what}: with the sensor on the shank it cannot be counted or "
               f"checked. Strap the sensor on top of the foot for this drill (face up, X toward "
               f"the toes), or continue and train without measurement.")
        return PlacementCheck(spec.id, place, False, msg, keys, limits)
    return PlacementCheck(spec.id, place, True, "", (), limits)
