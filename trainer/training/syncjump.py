"""The sync jump as a step of its own before the drill (several live sensors, recording).

:class:`SyncJumpStep` is asked at the first recorded sample (the cue, ``trainer.vocab.sync``),
collects every sensor's accelerometer from then on and ends in one of four ways:

- ``landed``: every sensor saw the landing — the front ``analyze`` will measure the alignment at
  (``trainer.core.sessionclock.find_alignment`` near the cue: the same function, the same
  thresholds) with :data:`~trainer.vocab.sync.SYNC_CONFIRM_S` of data after it; the guide may
  start :data:`~trainer.vocab.sync.SYNC_SETTLE_S` after the landing;
- ``skipped``: the person skipped it (jumping hurts): the guide starts at once;
- ``no landing seen``: :data:`~trainer.vocab.sync.SYNC_WAIT_S` after the cue;
- ``stopped``: the session ended first.

Which one it was, and when, depends on the samples only (and the skip), not on how often the
front end polls. :meth:`SyncJumpStep.event_fields` is what the ``sync_jump`` event carries.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from trainer.core.sessionclock import find_alignment
from trainer.vocab.batch import SampleBatch
from trainer.vocab.sync import (
    SYNC_AFTER_S,
    SYNC_BEFORE_S,
    SYNC_CONFIRM_S,
    SYNC_JUMP_CUE,
    SYNC_LANDED,
    SYNC_SETTLE_S,
    SYNC_SKIPPED,
    SYNC_STOPPED,
    SYNC_TIMEOUT,
    SYNC_WAIT_S,
)

#: The landing is looked for at most this often (seconds of data): a few times per second.
CHECK_EVERY_S = 0.1


class SyncJumpStep:
    """The sync jump cued at ``t_cue_s``; ``roles``: the sensors that must all see the landing."""

    def __init__(self, t_cue_s: float, roles: tuple[str, ...] | list[str]) -> None:
        self.t_cue_s = float(t_cue_s)
        self.roles = tuple(roles)
        self._t: dict[str, list[np.ndarray]] = {r: [] for r in self.roles}
        self._acc: dict[str, list[np.ndarray]] = {r: [] for r in self.roles}
        self._checked_to_s = -np.inf
        self.outcome: str | None = None
        self.landing_t_s: float | None = None  # the first sensor's landing (analyze's reference)
        self.t_end_s: float | None = None  # the guide may start at the first sample from here

    @property
    def waiting(self) -> bool:
        return self.outcome is None

    def add(self, batches: Mapping[str, SampleBatch]) -> None:
        """Samples read from the sensors (by role); kept from ``SYNC_BEFORE_S`` before the cue."""
        if not self.waiting:
            return
        for role, batch in batches.items():
            if role not in self._t or not len(batch):
                continue
            keep = batch.t_s >= self.t_cue_s - SYNC_BEFORE_S
            if keep.any():
                self._t[role].append(np.asarray(batch.t_s[keep], dtype=np.float64))
                self._acc[role].append(np.asarray(batch.acc_g[keep], dtype=np.float64))

    def seen_to_s(self) -> float | None:
        """The latest time every sensor has data up to (None: a sensor has none yet)."""
        ends = [parts[-1][-1] for parts in self._t.values() if parts]
        return float(min(ends)) if len(ends) == len(self.roles) else None

    def latest_s(self) -> float | None:
        """The latest sample of any sensor (the timeout runs on it: a sensor whose link is
        down must not hold the drill)."""
        ends = [parts[-1][-1] for parts in self._t.values() if parts]
        return float(max(ends)) if ends else None

    def update(self) -> bool:
        """Look for the landing in the data so far; True when the step has just ended."""
        if not self.waiting:
            return False
        latest = self.latest_s()
        if latest is None or latest - self._checked_to_s < CHECK_EVERY_S:
            return False
        self._checked_to_s = latest
        now = self.seen_to_s()
        landing = self._landing(now) if now is not None else None
        if now is not None and landing is not None and now - landing >= SYNC_CONFIRM_S:
            self.outcome, self.landing_t_s = SYNC_LANDED, landing
            self.t_end_s = landing + SYNC_SETTLE_S
        elif latest >= self.t_cue_s + SYNC_WAIT_S:
            self.outcome, self.t_end_s = SYNC_TIMEOUT, self.t_cue_s + SYNC_WAIT_S
        else:
            return False
        self._drop()
        return True

    def _landing(self, now_s: float) -> float | None:
        signals = {}
        for r in self.roles:  # one array per sensor from here on (not one per read)
            self._t[r] = [np.concatenate(self._t[r])]
            self._acc[r] = [np.concatenate(self._acc[r])]
            signals[r] = (self._t[r][0], self._acc[r][0])
        al, _ = find_alignment(signals, near_s=self.t_cue_s, before_s=SYNC_BEFORE_S,
                               after_s=max(SYNC_AFTER_S, now_s - self.t_cue_s))
        return None if al is None else float(al.event_t_s[self.roles[0]])

    def skip(self, t_s: float) -> bool:
        """The person skips the jump at ``t_s`` (the guide starts at once); False: not waiting."""
        return self._end(SYNC_SKIPPED, t_s)

    def stop(self, t_s: float | None) -> bool:
        """The session ends before the step did."""
        return self._end(SYNC_STOPPED, self.t_cue_s if t_s is None else t_s)

    def _end(self, outcome: str, t_s: float) -> bool:
        if not self.waiting:
            return False
        self.outcome, self.t_end_s = outcome, max(self.t_cue_s, float(t_s))
        self._drop()
        return True

    def _drop(self) -> None:
        self._t = {r: [] for r in self.roles}
        self._acc = {r: [] for r in self.roles}

    def holds(self, t_s: float) -> bool:
        """The drill guide waits at session time ``t_s`` (the step is on, or its end is later)."""
        return self.t_end_s is None or t_s < self.t_end_s

    def wait_left_s(self) -> float | None:
        """Seconds of data until the step gives up waiting (None: over)."""
        now = self.latest_s()
        if not self.waiting:
            return None
        return SYNC_WAIT_S if now is None else max(0.0, self.t_cue_s + SYNC_WAIT_S - now)

    def event_fields(self) -> dict[str, Any]:
        """The ``sync_jump`` event (at the cue's time): the cue, whether every sensor saw the
        landing and when (the first sensor's time), how the step ended, how long it waited."""
        out: dict[str, Any] = {"cue": SYNC_JUMP_CUE, "landing_seen": self.outcome == SYNC_LANDED,
                               "outcome": self.outcome}
        if self.landing_t_s is not None:
            out["landing_t_s"] = round(self.landing_t_s, 5)
        if self.t_end_s is not None:
            out["waited_s"] = round(self.t_end_s - self.t_cue_s, 3)
        return out

    def end_cue(self) -> str:
        """What the front end says when the step is over."""
        return {SYNC_LANDED: "Landing seen — sensors lined up. Get ready…",
                SYNC_SKIPPED: "Sync jump skipped. Get ready…",
                SYNC_TIMEOUT: f"No jump seen within {SYNC_WAIT_S:g} s — going on without it. "
                              "Get ready…"}.get(self.outcome or "", "")


def simulated_start_s(asks_jump: bool) -> float:
    """When a guided simulated person's drill starts (``follow_guide(start_s=…)``): after its
    sync jump's landing and the settling time when the jump is asked, else at once. Only the
    plan: the guide itself starts at the first analysis step from the *seen* landing + settling
    (≤ 0.1 s later), at once after a skip, or at the timeout, and the training session then
    moves the person's schedule to that start (``guide_starts`` of the simulated sensors: a
    person who skipped the jump does not jump either)."""
    if not asks_jump:
        return 0.0
    from firmware_bridge.simulator.body import JUMP_LAND_AFTER_S

    return JUMP_LAND_AFTER_S + SYNC_SETTLE_S
