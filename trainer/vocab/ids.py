"""The ids everyone shares: the drill ids of the contract (DESIGN.md, in catalog order), the
sides and the sensor placements. The one definition that the catalog, the command line, the
simulator, calibration, the core, recording and the dashboard use. Pure data, no imports."""

from typing import Final, Literal

DRILL_IDS: tuple[str, ...] = (
    "single-leg-balance",
    "ankle-inversion",
    "ankle-eversion",
    "isometric-inversion",
    "isometric-eversion",
    "calf-raise",
    "calf-stretch",
    "warm-up",
    "joint-position-sense",
    "lunge-test",
)

Side = Literal["left", "right"]
Placement = Literal["shank", "foot"]

SIDES: Final[tuple[Side, ...]] = ("left", "right")
PLACEMENTS: Final[tuple[Placement, ...]] = ("shank", "foot")
