"""SensorSet: two or three sensors of one session, each with a role, on one session clock.

A :class:`~trainer.vocab.source.MultiSource` over ordinary sources (``BleSource``,
``SimulatedSource``, …), one per role. Sources that report clock pairs
(:class:`~trainer.vocab.source.ClockedSource`: the BLE sensors) have their device times mapped
onto the session clock by :class:`trainer.core.sessionclock.SessionClock` (offset and drift per
device, from the lower envelope of arrival times — see there); the others (simulator, replay) are
on the session clock already. Status times are mapped the same way.

:class:`PrimaryView` makes a SensorSet look like one :class:`~trainer.vocab.source.Source` (the
primary sensor) to code written for one sensor — the training session, the pipeline — and hands
every read of all sensors to listeners (the recorder of the extra sensors, live traces, LSL).
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from trainer.core.sessionclock import SessionClock
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role, RoleError, check_roles
from trainer.vocab.source import ClockedSource, Source, SourceInfo, SourceStatus

#: A listener sees every read of a SensorSet: all roles' batches and statuses (session clock).
Listener = Callable[[dict[Role, SampleBatch], dict[Role, list[SourceStatus]]], None]


class SensorSet:
    """Sources by role (``primary`` first in ``roles``); see the module doc.

    ``clock``: the host clock the BLE sources stamp arrivals with (``time.monotonic``); the
    session clock's zero is its reading at :meth:`start`.
    """

    def __init__(self, sources: Mapping[Role, Source], primary: Role | None = None, *,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not sources:
            raise RoleError("a sensor set needs at least one sensor")
        roles = check_roles(list(sources))
        primary = primary or roles[0]
        if primary not in sources:
            raise RoleError(f"primary role {primary} has no sensor")
        self.primary: Role = primary
        self.roles: tuple[Role, ...] = (primary, *[r for r in roles if r != primary])
        self.sources: dict[Role, Source] = {r: sources[r] for r in self.roles}
        # which sources map their device clock (a Protocol check costs ~10 µs: once, not per read)
        self._clocked: dict[Role, ClockedSource] = {
            r: s for r, s in self.sources.items() if isinstance(s, ClockedSource)}
        self._clock = clock
        self.session_clock = SessionClock(0.0)
        self._started = False

    @property
    def info(self) -> SourceInfo:  # type: ignore[override]
        return self.sources[self.primary].info

    def sensor_info(self) -> dict[Role, SourceInfo]:
        return {r: s.info for r, s in self.sources.items()}

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        self.session_clock.origin_s = self._clock()
        for src in self.sources.values():
            src.start()

    def stop(self) -> None:
        """Stop every sensor at once (each BLE sensor takes up to seconds to disconnect)."""
        sources = list(self.sources.values())
        threads = [threading.Thread(target=s.stop, name=f"stop-{r}", daemon=True)
                   for r, s in zip(self.roles, sources, strict=True)][1:]
        for t in threads:
            t.start()
        sources[0].stop()
        for t in threads:
            t.join(15.0)

    def read_all(self) -> dict[Role, SampleBatch]:
        out: dict[Role, SampleBatch] = {}
        for role, src in self.sources.items():
            batch = src.read()
            clocked = self._clocked.get(role)
            if clocked is not None:
                t_dev, arrival = clocked.take_clock_pairs()
                if t_dev:
                    self.session_clock.observe(role, t_dev, arrival)
                if len(batch):
                    mapped = self.session_clock.map(role, clocked.device_time(batch),
                                                    key=batch.t_s)
                    batch = dataclasses.replace(batch, t_s=mapped)
            out[role] = batch
        return out

    def drain_status_all(self) -> dict[Role, list[SourceStatus]]:
        out: dict[Role, list[SourceStatus]] = {}
        for role, src in self.sources.items():
            statuses = src.drain_status()
            if role in self._clocked and role in self.session_clock.devices:
                statuses = [self._map_status(role, st) for st in statuses]
            out[role] = statuses
        return out

    def _map_status(self, role: Role, st: SourceStatus) -> SourceStatus:
        clock = self.session_clock
        data = st.data
        if st.t_s is not None and "t_end_s" in data:  # a gap: its end on the same clock
            data = {**data, "t_end_s": clock.map_event(role, float(data["t_end_s"]))}
        t = None if st.t_s is None else clock.map_event(role, float(st.t_s))
        return dataclasses.replace(st, t_s=t, data=data)

    def set_primary(self, role: Role) -> None:
        """The sensor the drill is analysed on from now on (a drill on the other leg): the same
        connected sensors, on the same session clock."""
        if role not in self.sources:
            raise RoleError(f"primary role {role} has no sensor")
        self.primary = role
        self.roles = (role, *[r for r in self.roles if r != role])
        self.sources = {r: self.sources[r] for r in self.roles}

    @property
    def finished(self) -> bool:
        return all(s.finished for s in self.sources.values())

    def clock_report(self) -> dict[str, Any]:
        """Each clocked sensor's estimated drift and offset (for ``session.json``)."""
        return self.session_clock.report()


class PrimaryView:
    """A SensorSet as one :class:`Source`: ``read()`` is the primary's batch; every read of all
    sensors (batches and statuses) goes to the ``listeners`` first. The extra sensors' statuses
    go only to the listeners (a gap on the trunk sensor is not a gap in ``imu.bin``)."""

    def __init__(self, sensors: SensorSet, listeners: list[Listener] | None = None) -> None:
        self.sensors = sensors
        self.listeners: list[Listener] = list(listeners or [])
        self._primary_status: list[SourceStatus] = []

    @property
    def info(self) -> SourceInfo:
        return self.sensors.info

    def start(self) -> None:
        self.sensors.start()

    def stop(self) -> None:
        self.sensors.stop()

    def read(self) -> SampleBatch:
        batches = self.sensors.read_all()
        statuses = self.sensors.drain_status_all()
        self._primary_status += statuses.get(self.sensors.primary, [])
        for listener in list(self.listeners):  # a listener may remove itself
            listener(batches, statuses)
        return batches[self.sensors.primary]

    def drain_status(self) -> list[SourceStatus]:
        out, self._primary_status = self._primary_status, []
        return out

    def ask_sync_jump(self, t_s: float) -> bool:
        """The session asks the person for the sync jump at ``t_s`` (``trainer.vocab.sync``):
        True for several live sensors (a simulated person jumps), False otherwise (a replay)."""
        ask = getattr(self.sensors, "ask_sync_jump", None)
        if ask is not None:
            ask(float(t_s))
            return True
        return isinstance(self.sensors, SensorSet) and len(self.sensors.roles) > 1

    def guide_starts(self, t_s: float) -> None:
        """The drill guide started at ``t_s`` after the sync jump's step: a simulated person
        follows that start (real sensors: nothing to do)."""
        follow = getattr(self.sensors, "guide_starts", None)
        if follow is not None:
            follow(float(t_s))

    @property
    def finished(self) -> bool:
        return self.sensors.finished
