"""Checks before a training session uses any sample: the one place front ends ask them.

``pre_start_checks(plan, real_sensor=…)`` returns what must be settled before the first sample of
a real sensor is used. Each :class:`PreStartCheck` has a ``kind`` the front end knows how to ask:

- ``screening``: the red-flag questions (``trainer.drills.safety``) are missing, expired or
  answered with a red flag. `record` asks them on a terminal (else refuses); the dashboard shows
  its safety dialog (else refuses). Only for real sensors: nobody trains on a simulation.
- ``confirm``: a yes/no ``question`` after the ``message``; "no" means the session does not
  start; where nobody can be asked (no terminal, ``--continue-unmeasured``) ``default_yes``
  decides. ``placement``: the drill cannot be measured where the sensor is strapped
  (``trainer.drills.placement``) — continue without measurement?

Both front ends call this function and only present its answers, so the rules live once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trainer.drills.store import DrillStore
from trainer.training.session import TrainingPlan

SCREENING = "screening"
CONFIRM = "confirm"


@dataclass(frozen=True)
class PreStartCheck:
    id: str  # red_flags, placement, …
    kind: str  # SCREENING | CONFIRM
    message: str  # why it is asked, one or two sentences
    blocked: bool = False  # screening: a red flag was reported (see a doctor first)
    question: str | None = None  # confirm: what to answer yes or no to
    default_yes: bool = False  # confirm: the answer when nobody can be asked


def red_flags(plan: TrainingPlan | None, real_sensor: bool,
              store: DrillStore) -> PreStartCheck | None:
    """A real sensor: a clear, current red-flag screening is needed."""
    if not real_sensor:
        return None
    from trainer.drills.safety import BLOCKED

    gate = store.gate()
    if gate.may_train:
        return None
    return PreStartCheck("red_flags", SCREENING, gate.message, blocked=gate.status == BLOCKED)


def placement(plan: TrainingPlan | None, real_sensor: bool,
              store: DrillStore) -> PreStartCheck | None:
    """A guided drill the sensor cannot measure where it is strapped: say so, ask to go on."""
    if plan is None or not plan.guided:
        return None
    from trainer.drills.catalog import CatalogError, get_drill
    from trainer.drills.placement import placement_check

    try:
        spec = get_drill(plan.drill_id)
        check = placement_check(spec, plan.placement or spec.placement)
    except CatalogError:
        return None
    if check.measurable:
        return None
    return PreStartCheck("placement", CONFIRM, check.message,
                         question="Continue without measurement?", default_yes=True)


Check = Callable[[TrainingPlan | None, bool, DrillStore], PreStartCheck | None]
#: Every check, in the order they are asked (``plan`` None: before a drill is chosen, e.g. at
#: connect time).
CHECKS: list[Check] = [red_flags, placement]


def pre_start_checks(plan: TrainingPlan | None, *, real_sensor: bool,
                     store: DrillStore | None = None) -> list[PreStartCheck]:
    """What must be settled before this plan may use samples (empty: go)."""
    st = store or DrillStore()
    out = []
    for check in CHECKS:
        found = check(plan, real_sensor, st)
        if found is not None:
            out.append(found)
    return out
