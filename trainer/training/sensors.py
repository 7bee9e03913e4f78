"""Several sensors of one session (issue 14), one way for every front end: which sensors
(:func:`sensor_plan`: addresses and roles as ``record`` and ``dashboard`` take them, with the same
one-line errors), which one the drill is analysed on (:func:`primary_first`), opening them
(:func:`simulated_sensors`: one simulated person; :func:`connect_sensors`: BLE sensors, each in
its own thread, on one session clock), their calibration profiles
(:meth:`Sensors.load_calibrations`) and the recording of every sensor
(:meth:`Sensors.writer_factory`).

One sensor (no role, or one sensor whose role is the drill's own leg and placement) is not a
sensor set: :func:`sensor_plan` returns None and the front end takes its plain one-sensor path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from trainer.training.session import TrainingError
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.roles import (
    ROLES,
    Role,
    RoleError,
    check_roles,
    primary_role,
    role_for,
    role_segment,
    role_side,
)

#: (address, or None for a simulated sensor; role)
SensorSpec = tuple[str | None, Role]

ROLE_HELP = ", ".join(ROLES)


def sensor_plan(devices: Sequence[tuple[str, Role | None]], roles: Sequence[Role] | None, *,
                simulate: bool, side: str, placement: str) -> list[SensorSpec] | None:
    """The sensors asked for: ``devices`` — (address, role or None) of each ``--device``;
    ``roles`` — ``--roles`` of a simulation. None: one plain sensor (today's path).
    TrainingError (one line) for an impossible set."""
    if simulate and roles:
        if len(roles) == 1:
            return None if roles[0] == role_for(side, placement) else [(None, roles[0])]
        return [(None, r) for r in roles]
    if roles:
        raise TrainingError("--roles is for --simulate; give each sensor as --device "
                            "ADDRESS:ROLE")
    if len(devices) <= 1:
        if devices and devices[0][1] is not None and devices[0][1] != role_for(side, placement):
            return [(devices[0][0], devices[0][1])]
        return None
    if any(role is None for _, role in devices):
        raise TrainingError("with several sensors give each one a role: --device ADDRESS:ROLE "
                            f"({ROLE_HELP})")
    try:
        check_roles([r for _, r in devices if r is not None])
    except RoleError as exc:
        raise TrainingError(str(exc)) from None
    addrs = [a.upper() for a, _ in devices]
    if len(set(addrs)) != len(addrs):
        raise TrainingError("the same sensor address is given twice")
    return [(a, r) for a, r in devices if r is not None]


def rows_problem(rows: Sequence[tuple[str, Role]], *, side: str = "left",
                 placement: str = "shank") -> str | None:
    """Why these (address, role) rows — a front end's several-sensor chooser — cannot connect
    together (one line), None when they can: every row needs an address in Bluetooth form
    (checked as it is typed), then :func:`sensor_plan`'s rules and messages (each role once,
    each address once)."""
    from firmware_bridge.ble.address import address_problem

    for address, role in rows:
        if not address.strip():
            return f"{role}: no address (Scan, or type one)"
        if address_problem(address.strip()) is not None:  # short: the panel is narrow
            return f"{role}: address as AA:BB:CC:DD:EE:FF"
    try:
        sensor_plan(rows, None, simulate=False, side=side, placement=placement)
    except TrainingError as exc:
        return str(exc)
    return None


def primary_first(roles: Sequence[Role], side: str, placement: str) -> tuple[Role, ...]:
    """``roles`` with the primary (``primary_role``: the drill's leg at its placement, else that
    leg's other segment, else the first leg sensor) first, the others in their order."""
    primary = primary_role(list(roles), side, placement)
    return (primary, *[r for r in roles if r != primary])


@dataclasses.dataclass
class Sensors:
    """The sensors of one session: ``multi`` (a SensorSet or MultiSimulatedSource) read through
    ``view`` (a PrimaryView: the Source the training session reads), ``roles`` primary first,
    ``calibrations`` by role."""

    multi: Any  # SensorSet | MultiSimulatedSource
    view: Any  # PrimaryView
    roles: tuple[Role, ...]
    primary: Role
    calibrations: dict[Role, CalibrationProfile | None] = dataclasses.field(default_factory=dict)

    @property
    def simulated(self) -> bool:
        from firmware_bridge.simulator.multi import MultiSimulatedSource

        return isinstance(self.multi, MultiSimulatedSource)

    def follow(self, guide: Any, *, recording: bool = True) -> None:
        """The simulated person follows the drill guide (real sensors: nothing to do); when
        ``recording`` it first does the sync jump, and the guide waits for it
        (``trainer.training.syncjump``)."""
        from firmware_bridge.sensorset import PrimaryView
        from firmware_bridge.simulator import SimulatedSource
        from firmware_bridge.simulator.multi import MultiSimulatedSource
        from trainer.training.session import follow_guide
        from trainer.training.syncjump import simulated_start_s

        if guide is None or not self.simulated:
            return
        person = follow_guide(self.multi.source, guide,
                              start_s=simulated_start_s(recording and len(self.roles) > 1))
        assert isinstance(person, SimulatedSource)
        self.multi = MultiSimulatedSource(person, self.roles)
        self.view = PrimaryView(self.multi, self.view.listeners)

    def with_primary(self, side: str, placement: str) -> Sensors:
        """These sensors with the primary the drill on ``side`` / ``placement`` is analysed on:
        ``self`` when it is already; else the same connected sensors (one session clock) read
        through a new view. Simulated sensors: see :func:`simulated_sensors` (the person's
        stance leg is the simulation's own)."""
        ordered = primary_first(self.roles, side, placement)
        if ordered[0] == self.primary:
            return self
        from firmware_bridge.sensorset import PrimaryView

        set_primary = getattr(self.multi, "set_primary", None)
        if set_primary is None:
            raise TrainingError("the simulated sensors' stance leg is fixed: start the "
                                "simulator again for the other leg")
        set_primary(ordered[0])
        return Sensors(self.multi, PrimaryView(self.multi), tuple(self.multi.roles),
                       ordered[0], dict(self.calibrations))

    def infos(self) -> dict[Role, Any]:
        return dict(self.multi.sensor_info())

    def role_of(self, address: str) -> Role | None:
        """The role of the connected sensor at ``address`` (None: not one of these)."""
        wanted = address.strip().upper()
        return next((r for r, info in self.infos().items()
                     if str(info.address).upper() == wanted), None)

    def load_calibrations(self, primary_profile: CalibrationProfile | None = None, *,
                          accept: bool = False, given_primary: bool = False,
                          given_profiles: Mapping[Role, CalibrationProfile] | None = None
                          ) -> list[str]:
        """Each sensor's calibration profile: ``given_profiles`` by role (``--calibration
        ROLE=FILE``), ``primary_profile`` for the primary when ``given_primary`` (``--calibration
        FILE``), else its stored one (calibrated for its role: ``calibrate --device ADDR:ROLE``;
        a mounting made for another segment is not applied). Returns notes for the user (real
        sensors without a usable profile). TrainingError: a stored profile that cannot be
        read."""
        from trainer.training.session import stored_calibration
        from trainer.vocab.calibration import ProfileError

        notes = []
        infos = self.infos()
        for role in self.roles:
            if role == self.primary and given_primary:
                self.calibrations[role] = primary_profile
                continue
            info = infos[role]
            given = (given_profiles or {}).get(role)
            if given is not None:
                self.calibrations[role] = given
                continue
            try:  # its mounting counts when made for this role (`calibrate --device ADDR:ROLE`)
                profile, note = stored_calibration(info, side=role_side(role),
                                                   placement=role_segment(role),
                                                   accept_flagged=accept)
            except ProfileError as exc:
                raise TrainingError(f"stored calibration for {info.address}: {exc}") from None
            if note and not info.simulated:
                notes.append(f"{role}: {note}")
            self.calibrations[role] = profile
        return notes

    def writer_factory(self) -> Callable[..., Any]:
        """``TrainingSession(writer_factory=…)``: a recording of every sensor (the primary in
        ``imu.bin``, the others in ``imu-<role>.bin``); the writer reads the extra sensors as
        a listener of the view until it is closed."""
        from trainer.recording.sensors import MultiSessionWriter

        infos = self.infos()
        sensors = {r: (infos[r], self.calibrations.get(r)) for r in self.roles}
        report = getattr(self.multi, "clock_report", None)
        view = self.view

        def make(path: Any, **kwargs: Any) -> Any:
            writer = MultiSessionWriter(path, sensors=sensors, primary=self.primary,
                                        clock_report=report, **kwargs)

            def listener(batches: Any, statuses: Any) -> None:
                if writer.closed:  # the drill is over: the listener goes with it
                    if listener in view.listeners:
                        view.listeners.remove(listener)
                    return
                writer.on_read(batches, statuses)

            view.listeners.append(listener)
            return writer

        return make


class SensorTap:
    """One sensor of a connected set as a Source of its own while something else needs its
    samples (the dashboard's calibration wizard): what the set reads of ``role``, taken as a
    listener of the set's view — no second BLE connection, so every sensor stays connected and
    streaming and the set is as before when the tap stops. ``view_of``: the set's current view
    (a drill on the other leg gives the set a new one; the tap follows it); None: gone."""

    def __init__(self, view_of: Callable[[], Any], role: Role, info: Any) -> None:
        self.view_of = view_of
        self.role = role
        self.info = info
        self._view: Any = None
        self._batches: list[Any] = []
        self._statuses: list[Any] = []
        self._on = False

    def _listen(self, batches: Mapping[Role, Any], statuses: Mapping[Role, Any]) -> None:
        batch = batches.get(self.role)
        if batch is not None and len(batch):
            self._batches.append(batch)
        self._statuses += list(statuses.get(self.role, ()))

    def _follow(self) -> None:
        view = self.view_of() if self._on else None
        if view is self._view:
            return
        if self._view is not None and self._listen in self._view.listeners:
            self._view.listeners.remove(self._listen)
        self._view = view
        if view is not None:
            view.listeners.append(self._listen)

    def start(self) -> None:
        self._on = True
        self._follow()

    def stop(self) -> None:
        """Stop listening (the sensor itself stays connected)."""
        self._on = False
        self._follow()
        self._batches = []

    def read(self) -> Any:
        from trainer.vocab.batch import SampleBatch

        self._follow()
        got, self._batches = self._batches, []
        if not got:
            return SampleBatch.empty()
        return got[0] if len(got) == 1 else SampleBatch.concat(got)

    def drain_status(self) -> list[Any]:
        out, self._statuses = self._statuses, []
        return out

    @property
    def finished(self) -> bool:
        return self._on and self.view_of() is None


def simulated_sensors(person: Any, roles: Sequence[Role]) -> Sensors:
    """``roles`` (primary first) on the simulated ``person`` (an unstarted SimulatedSource on
    the primary's leg)."""
    from firmware_bridge.sensorset import PrimaryView
    from firmware_bridge.simulator.multi import MultiSimulatedSource

    try:
        multi = MultiSimulatedSource(person, tuple(roles))
    except RoleError as exc:
        raise TrainingError(str(exc)) from None
    return Sensors(multi, PrimaryView(multi), tuple(roles),  # type: ignore[arg-type]
                   roles[0])


def primary_leg(primary: Role, side: str, placement: str) -> tuple[str, str]:
    """(side, placement) the drill is analysed at with ``primary`` (the simulated person's
    sensor; the tilt convention): the primary's leg and segment (the trunk: the drill's)."""
    p_side = role_side(primary)
    return (p_side, role_segment(primary)) if p_side else (side, placement)


def connect_sensors(addresses: Mapping[Role, str], ordered: Sequence[Role], *,
                    rate_hz: float | None = None, timeout_s: float = 30.0,
                    on_connected: Callable[[Role, Any], None] | None = None) -> Sensors:
    """Connect every sensor (in parallel: each BleSource connects in its own thread) and
    return them streaming, primary first. BLOCKS up to ``timeout_s`` (call it from a worker
    thread in a GUI). TrainingError (one line) naming the sensor that did not connect; the
    others are stopped then."""
    from firmware_bridge.ble.source import BleSource
    from firmware_bridge.profiles import ProfileError
    from firmware_bridge.sensorset import PrimaryView, SensorSet

    sources: dict[Role, Any] = {}
    try:
        for role in ordered:
            sources[role] = BleSource(addresses[role], None, rate_hz=rate_hz, name=None)
    except ProfileError as exc:
        raise TrainingError(str(exc)) from None
    sset = SensorSet(sources, ordered[0])
    sset.start()
    for role, src in sources.items():
        if not src.wait_connected(timeout_s):
            sset.stop()
            raise TrainingError(f"{role} sensor {src.address}: "
                                f"{src.error or f'could not connect within {timeout_s:g} s'}")
        if on_connected is not None:
            on_connected(role, src)
    for src in sources.values():
        src.wait_streaming(5.0)
    roles = tuple(ordered)
    return Sensors(sset, PrimaryView(sset), roles, roles[0])
