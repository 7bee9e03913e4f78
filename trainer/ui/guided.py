"""The dashboard's side of a guided drill, without Qt: the panel's choices as a training plan,
and how far through the drill the user is (for feedback fading and the progress bar).

The drill itself runs in ``trainer.training.session.TrainingSession`` (the same one `record`
drives): ``trainer.drills.session.DrillSession`` is its guide.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from trainer.training.session import TrainingPlan
from trainer.ui.settings import DrillSettings

ACTIVE = "active"
PAIN = "pain"
DONE = "done"


def plan_for(settings: DrillSettings, *, out: Path | None, placement: str | None = None,
             target_radius_deg: float = 3.0, countdown_s: float | None = None) -> TrainingPlan:
    """The drill panel's choices as a training plan (a choice equal to the user's level is no
    override, so a dashboard drill runs what `record` runs)."""
    choices: dict[str, Any] = {"eyes": settings.eyes, "surface": settings.surface,
                               "sets": settings.sets, "hold_s": settings.duration_s}
    if countdown_s is not None:
        choices["countdown_s"] = float(countdown_s)
    return TrainingPlan(drill_id=settings.drill_id, side=settings.side, placement=placement,
                        choices=choices, guided=True, out=out,
                        recorded_with="balance-trainer dashboard",
                        target_radius_deg=target_radius_deg)


def progress(drill: Any) -> float:
    """0…1 through a ``DrillSession``'s sets (for feedback fading and the progress bar)."""
    v = drill.view()
    n = max(1, int(v.get("n_sets") or 1))
    k = int(v.get("set") or 0)
    frac = 0.0
    if drill.phase == ACTIVE and k:
        plan = drill.current
        elapsed = float(v.get("elapsed_s") or 0.0)
        if plan is not None and plan.hold_s:
            frac = min(1.0, elapsed / plan.hold_s)
        elif plan is not None and plan.target_reps:
            frac = min(1.0, float(v.get("reps") or 0) / plan.target_reps)
    return min(1.0, max(0.0, (max(k, 1) - 1 + frac) / n)) if k else 0.0
