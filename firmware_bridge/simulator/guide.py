"""A simulated person who follows a drill guide: the guide's plan as the simulator's schedule.

The drill guide (``trainer.drills.session.DrillSession``) runs, from its start: a countdown
(``countdown_s``), set 1, the rest after it (``rest_after_s``), a countdown, set 2, … . A timed
set (hold, single-leg stance) lasts its ``hold_s``; a set of reps ends when the last rep is
counted. ``GuideSchedule`` holds that plan; with ``SimConfig.guide`` set, the simulated person
starts each set ``reaction_s`` after the guide's "Go", does the set's reps (at the configured
tempo) or holds until ``reaction_s`` after the guide's "stop", and rests until the next "Go".
So the live counts, the offline analysis and the simulator's truth describe the same sets.

``follow_guide(config, guide)`` is the one mapping from a guide (anything with ``plan`` — a list
of ``SetPlan``-like objects — and ``params``, such as a ``DrillSession``) to a ``SimConfig``;
the command line (``record --simulate``) and the dashboard use it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

#: How long after the guide's "Go" (and "stop") the simulated person starts (and stops).
REACTION_S = 0.5
DEFAULT_COUNTDOWN_S = 3.0
WORKS = ("reps", "hold")


@dataclass(frozen=True)
class GuidedSet:
    """One set of the guide's plan: ``reps`` reps (``work`` "reps"; ``motion`` for warm-up
    blocks: pump or circle) or a ``hold_s`` hold, then the guide's rest (without its countdown)."""

    work: str
    reps: int | None = None
    hold_s: float | None = None
    rest_after_s: float = 0.0
    motion: str | None = None
    #: proprioception drills: present | reproduce (position sense, with the target's motion
    #: and ``target_deg``) or lunge
    stage: str | None = None
    target_deg: float | None = None

    def errors(self) -> list[str]:
        out = []
        if self.work not in WORKS:
            out.append(f"guide set work must be 'reps' or 'hold', got {self.work!r}")
        elif self.work == "reps" and not (isinstance(self.reps, int) and self.reps >= 1):
            out.append("a guide reps set needs reps >= 1")
        elif self.work == "hold" and not (positive_number(self.hold_s)):
            out.append("a guide hold set needs hold_s > 0")
        if not (_finite(self.rest_after_s) and self.rest_after_s >= 0):
            out.append("guide rest_after_s must be >= 0")
        return out


@dataclass(frozen=True)
class GuideSchedule:
    """The guide's plan on the session clock: it starts at ``start_s`` (its first countdown
    begins), counts ``countdown_s`` down before every set and runs ``sets`` in order."""

    sets: tuple[GuidedSet, ...]
    start_s: float = 0.0
    countdown_s: float = DEFAULT_COUNTDOWN_S
    reaction_s: float = REACTION_S

    def errors(self) -> list[str]:
        out = [] if self.sets else ["the guide has no sets"]
        for s in self.sets:
            out += s.errors()
        if not (_finite(self.start_s) and self.start_s >= 0):
            out.append("guide start_s must be >= 0")
        if not (_finite(self.countdown_s) and self.countdown_s >= 0):
            out.append("guide countdown_s must be >= 0")
        if not (_finite(self.reaction_s) and self.reaction_s >= 0):
            out.append("guide reaction_s must be >= 0")
        return out

    @property
    def first_go_s(self) -> float:
        """Session time of the guide's first "Go"."""
        return self.start_s + self.countdown_s

    def after_rest_s(self, k: int) -> float:
        """From the end of set ``k`` to the next "Go": its rest plus the next countdown."""
        return self.sets[k].rest_after_s + self.countdown_s

    def timed_windows(self) -> list[tuple[float, float]]:
        """("Go", "stop") session times of every set when all sets are timed (holds), else []."""
        if any(s.work != "hold" or s.hold_s is None for s in self.sets):
            return []
        out = []
        t = self.first_go_s
        for k, s in enumerate(self.sets):
            assert s.hold_s is not None
            out.append((t, t + s.hold_s))
            t += s.hold_s + self.after_rest_s(k)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"sets": [s.__dict__.copy() for s in self.sets], "start_s": self.start_s,
                "countdown_s": self.countdown_s, "reaction_s": self.reaction_s}

    @staticmethod
    def from_dict(d: Mapping[str, Any]) -> GuideSchedule:
        """From ``to_dict`` (or ``dataclasses.asdict``) output, e.g. read back from JSON."""
        try:
            sets = tuple(GuidedSet(**dict(s)) for s in d["sets"])
            rest = {k: float(d[k]) for k in ("start_s", "countdown_s", "reaction_s") if k in d}
            return GuideSchedule(sets, **rest)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad guide schedule: {exc}") from None


class _SetPlan(Protocol):
    @property
    def work(self) -> str: ...
    @property
    def target_reps(self) -> int | None: ...
    @property
    def hold_s(self) -> float | None: ...
    @property
    def rest_after_s(self) -> float: ...
    @property
    def motion(self) -> str | None: ...


class Guide(Protocol):
    """What ``follow_guide`` reads: a ``DrillSession`` (``plan``: its ``SetPlan``s; ``params``:
    ``countdown_s``, ``tempo_s``, …)."""

    @property
    def plan(self) -> Sequence[_SetPlan]: ...
    @property
    def params(self) -> Mapping[str, Any]: ...


def schedule_from_plan(plan: Sequence[_SetPlan], params: Mapping[str, Any], *,
                       start_s: float = 0.0, reaction_s: float = REACTION_S) -> GuideSchedule:
    """The guide's ``SetPlan``s and parameters as a ``GuideSchedule``."""
    sets = tuple(
        GuidedSet(work=p.work,
                  reps=int(p.target_reps) if p.work == "reps" and p.target_reps else None,
                  hold_s=float(p.hold_s) if p.work == "hold" and p.hold_s else None,
                  rest_after_s=float(p.rest_after_s),
                  motion=(p.motion if p.motion in ("pump", "circle")
                          or getattr(p, "stage", None) else None),
                  stage=getattr(p, "stage", None), target_deg=getattr(p, "target_deg", None))
        for p in plan)
    return GuideSchedule(sets, start_s=float(start_s),
                         countdown_s=float(params.get("countdown_s", DEFAULT_COUNTDOWN_S)),
                         reaction_s=float(reaction_s))


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def positive_number(x: object) -> bool:
    """A finite number > 0 (not a bool)."""
    return _finite(x) and float(x) > 0  # type: ignore[arg-type]
