"""Clocks the front ends and sources are paced by: the monotonic wall clock, or a manual one.

A *clock* is a no-argument callable returning seconds (``time.monotonic`` is one). Sources that
pace themselves (the simulator, the replay player) and the dashboard's timers take one, so a test
or a deterministic run moves time itself: :class:`ManualClock`.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Seconds on a monotonic scale (the origin is arbitrary)."""

    def __call__(self) -> float: ...


def wall_clock() -> float:
    """The default clock: ``time.monotonic``."""
    return time.monotonic()


class ManualClock:
    """A clock that moves only when told (tests; driving a front end frame by frame)."""

    def __init__(self, start_s: float = 0.0) -> None:
        self.now_s = float(start_s)

    def __call__(self) -> float:
        return self.now_s

    def advance(self, dt_s: float) -> float:
        """Move forward by ``dt_s`` (≥ 0) seconds; returns the new time."""
        if not dt_s >= 0:
            raise ValueError(f"a clock only moves forward (dt_s={dt_s!r})")
        self.now_s += float(dt_s)
        return self.now_s
