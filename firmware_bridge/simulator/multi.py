"""MultiSimulatedSource: two or three simulated sensors on one simulated person (a MultiSource).

The primary role is an ordinary :class:`SimulatedSource` (the stance leg: its sway, losses,
touchdowns, link errors); every other role's samples are derived from that person's truth by
:mod:`firmware_bridge.simulator.body`, at the same sample times — one simulated clock, so the
session clock needs no mapping and the alignment between the sensors is exact. Asked for the
sync jump (:meth:`MultiSimulatedSource.ask_sync_jump`), the person jumps once on both feet and
every sensor, the primary's too, sees the landing at the same instant.
"""

from __future__ import annotations

import dataclasses

from firmware_bridge.simulator.body import (
    JUMP_FLIGHT_S,
    JUMP_LAND_AFTER_S,
    JUMP_PUSH_S,
    SyncJump,
    holds_from_events,
    jump_readings,
    segment_readings,
    touchdowns_from_events,
)
from firmware_bridge.simulator.source import SimulatedSource
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role, RoleError, check_roles, role_segment, role_side
from trainer.vocab.source import SourceInfo, SourceStatus


class MultiSimulatedSource:
    """``roles`` (primary first) on the person simulated by ``primary`` (not started yet)."""

    def __init__(self, primary: SimulatedSource, roles: tuple[Role, ...] | list[Role]) -> None:
        roles = check_roles(list(roles))
        if not roles:
            raise RoleError("no sensor roles")
        self.source = primary
        self.primary: Role = roles[0]
        self.roles: tuple[Role, ...] = tuple(roles)
        self.stance_side = role_side(self.primary) or primary.config.side
        base = primary.info
        self._infos: dict[Role, SourceInfo] = {self.primary: base}
        head, _, last = base.address.rpartition(":")
        for i, role in enumerate(self.roles[1:], start=1):
            try:
                addr = f"{head}:{(int(last, 16) + i) % 256:02X}"
            except ValueError:
                addr = f"{base.address}-{i}"
            sim = dict(base.extra.get("simulator") or {})
            sim.update(role=role, side=role_side(role), placement=role_segment(role))
            self._infos[role] = dataclasses.replace(
                base, name=f"{base.name} ({role})", address=addr,
                extra={**base.extra, "simulator": sim})
        self._statuses: dict[Role, list[SourceStatus]] = {r: [] for r in self.roles}
        self._state: dict[Role, dict[str, object]] = {r: {} for r in self.roles}
        self.sync_jump: SyncJump | None = None
        self._jump_asked = False
        #: a guided single-leg stance: the other foot is down outside the guide's holds (also
        #: before the first one is known: the countdown, the sync jump's wait)
        config = primary.config
        self._guided_stance = (config.guide is not None
                               and config.scenario == "single-leg-balance")
        self._t_delivered: float | None = None

    @property
    def info(self) -> SourceInfo:
        return self.source.info

    def sensor_info(self) -> dict[Role, SourceInfo]:
        return dict(self._infos)

    def start(self) -> None:
        self.source.start()
        for role in self.roles[1:]:
            self._statuses[role] += [SourceStatus("connected", self._infos[role].address),
                                     SourceStatus("streaming", role)]

    def stop(self) -> None:
        self.source.stop()

    def ask_sync_jump(self, t_s: float) -> None:
        """The person is asked, at ``t_s``, to jump once on both feet: the landing
        ``JUMP_LAND_AFTER_S`` later (never within samples already delivered). Once."""
        if self._jump_asked:
            return
        self._jump_asked = True
        land = t_s + JUMP_LAND_AFTER_S
        if self._t_delivered is not None:
            land = max(land, self._t_delivered + JUMP_PUSH_S + JUMP_FLIGHT_S + 0.1)
        self.sync_jump = SyncJump(float(t_s), float(land))

    def guide_starts(self, t_s: float) -> None:
        """The drill guide started at ``t_s`` (after the sync jump's step: landed, skipped or
        timed out): the person's sets follow that start, not the one fixed when it was built,
        and a jump not begun yet (in the samples delivered) is called off — a person who
        skipped it does not jump."""
        jump = self.sync_jump
        if jump is not None and (self._t_delivered is None or self._t_delivered
                                 < jump.t_land_s - JUMP_FLIGHT_S - JUMP_PUSH_S):
            self.sync_jump = None
        self.source.reschedule(t_s)

    def read_all(self) -> dict[Role, SampleBatch]:
        batch = self.source.read()
        if len(batch):
            self._t_delivered = float(batch.t_s[-1])
        jump = self.sync_jump
        if jump is not None and len(batch):
            batch = SampleBatch(batch.t_s, jump_readings(batch.t_s, batch.acc_g,
                                                         role_segment(self.primary), jump),
                                batch.gyr_dps, batch.seq, batch.mag_ut)
        out: dict[Role, SampleBatch] = {self.primary: batch}
        truth = self.source.last_truth
        if not len(batch) or truth is None or len(truth) != len(batch):
            for role in self.roles[1:]:
                out[role] = SampleBatch.empty()
            return out
        events = self.source.events
        touchdowns = touchdowns_from_events(events)
        holds: list[tuple[float, float]] | None = holds_from_events(events)
        if not holds and not self._guided_stance:
            holds = None  # the other foot lifted all the time (unguided single-leg stance)
        seed = self.source.config.seed
        for role in self.roles[1:]:
            acc, gyr = segment_readings(role, self.stance_side, batch.t_s, int(batch.seq[0]),
                                        truth.tilt_ap_deg, truth.tilt_ml_deg, touchdowns,
                                        seed=seed, fs_hz=self.source.config.sample_rate_hz,
                                        state=self._state[role], holds=holds, jump=jump)
            out[role] = SampleBatch(batch.t_s, acc, gyr, batch.seq.copy())
        return out

    def drain_status_all(self) -> dict[Role, list[SourceStatus]]:
        out = {r: list(v) for r, v in self._statuses.items()}
        for v in self._statuses.values():
            v.clear()
        out[self.primary] = self.source.drain_status() + out[self.primary]
        return out

    @property
    def finished(self) -> bool:
        return self.source.finished

    @property
    def events(self) -> list[dict[str, object]]:
        return self.source.events

    def clock_report(self) -> dict[str, object]:
        return {}


def touchdown_times(source: MultiSimulatedSource) -> list[float]:
    """The simulated person's touchdown times so far (truth, session clock)."""
    return [td.t_s for td in touchdowns_from_events(source.events)]


__all__ = ["MultiSimulatedSource", "touchdown_times"]
