"""The drill ids of the contract (DESIGN.md), in catalog order: the one definition that the
catalog, the command line and the simulator share. Pure data, no imports."""

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
