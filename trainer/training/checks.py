"""Checks before a training session uses any sample: the one place front ends ask them.

``pre_start_checks(plan, real_sensor=…)`` returns what must be settled before the first sample of
a real sensor is used. Each :class:`PreStartCheck` has a ``kind`` the front end knows how to ask:

- ``screening``: the red-flag questions (``trainer.drills.safety``) are missing, expired or
  answered with a red flag. `record` asks them on a terminal (else refuses); the dashboard shows
  its safety dialog (else refuses). Only for real sensors: nobody trains on a simulation.
- ``confirm``: a yes/no question; "no" (or no way to ask) means the session does not start.
  Issue 11's "this drill needs the foot sensor — continue?" belongs here: add a function to
  ``CHECKS`` that returns a ``confirm`` check for the plan.

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
    id: str  # red_flags, (issue 11) foot_sensor, …
    kind: str  # SCREENING | CONFIRM
    message: str  # why it is asked, one or two sentences
    blocked: bool = False  # screening: a red flag was reported (see a doctor first)


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


Check = Callable[[TrainingPlan | None, bool, DrillStore], PreStartCheck | None]
#: Every check, in the order they are asked (``plan`` None: before a drill is chosen, e.g. at
#: connect time).
CHECKS: list[Check] = [red_flags]


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
