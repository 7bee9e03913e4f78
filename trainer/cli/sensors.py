"""Several sensors for `record` (issue 14): ``--device ADDR:ROLE`` given two or three times, or
``--simulate --roles ROLE,ROLE,…``. One sensor (no role, or one ``--device``) keeps the simple
single-sensor path of :mod:`trainer.cli.sources` unchanged.

The sensors are a :class:`firmware_bridge.sensorset.SensorSet` (BLE: each sensor its own thread,
profile, link statistics and reconnect; one session clock) or a
:class:`firmware_bridge.simulator.multi.MultiSimulatedSource` (one simulated person). The
training session sees the primary sensor through a ``PrimaryView``; the extra sensors go to their
own files through :class:`trainer.recording.sensors.MultiSessionWriter`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from typing import Any

from trainer.cli.common import CliError, ble_address
from trainer.vocab.roles import Role, RoleError, check_roles, parse_role, primary_role, role_for


def device_spec(text: str) -> tuple[str, Role | None]:
    """argparse type of ``--device``: ``ADDRESS`` or ``ADDRESS:ROLE``."""
    try:
        return ble_address(text), None
    except argparse.ArgumentTypeError:
        addr, _, word = text.rpartition(":")
        try:
            address = ble_address(addr)
        except argparse.ArgumentTypeError:
            raise argparse.ArgumentTypeError(
                f"not a Bluetooth address: {text!r} (expected AA:BB:CC:DD:EE:FF, or "
                "AA:BB:CC:DD:EE:FF:ROLE for one of several sensors; `balance-trainer scan` "
                "lists nearby sensors)") from None
    try:
        return address, parse_role(word)
    except RoleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class DeviceAction(argparse.Action):
    """``--device`` may be given several times: ``devices`` collects (address, role) pairs and
    ``device`` keeps the first address (what single-sensor code reads)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        specs = list(getattr(namespace, "devices", None) or [])
        specs.append(values)
        namespace.devices = specs
        if getattr(namespace, self.dest, None) is None:
            setattr(namespace, self.dest, values[0])


def role_list(text: str) -> tuple[Role, ...]:
    """argparse type of ``--roles``: comma-separated roles, each at most once."""
    try:
        return check_roles([parse_role(w) for w in text.split(",") if w.strip()])
    except RoleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def wanted_roles(args: argparse.Namespace, side: str, placement: str
                 ) -> list[tuple[str | None, Role]] | None:
    """(address or None when simulated, role) of each sensor, or None for one plain sensor."""
    devices = getattr(args, "devices", None) or []
    roles = getattr(args, "roles", None)
    if getattr(args, "simulate", False) and roles:
        if len(roles) == 1:
            return None if roles[0] == role_for(side, placement) else [(None, roles[0])]
        return [(None, r) for r in roles]
    if roles:
        raise CliError("--roles is for --simulate; give each sensor as --device ADDRESS:ROLE")
    if len(devices) <= 1:
        if devices and devices[0][1] is not None and devices[0][1] != role_for(side, placement):
            return [(devices[0][0], devices[0][1])]
        return None
    if any(role is None for _, role in devices):
        raise CliError("with several sensors give each one a role: --device ADDRESS:ROLE "
                       "(left-shank, right-shank, left-foot, right-foot, trunk)")
    try:
        check_roles([r for _, r in devices if r is not None])
    except RoleError as exc:
        raise CliError(str(exc)) from None
    addrs = [a.upper() for a, _ in devices]
    if len(set(addrs)) != len(addrs):
        raise CliError("the same sensor address is given twice")
    return [(a, r) for a, r in devices if r is not None]


@dataclass
class Sensors:
    """The sensors of one recording: ``view`` is the Source the training session reads."""

    multi: Any  # SensorSet | MultiSimulatedSource
    view: Any  # PrimaryView
    roles: tuple[Role, ...]
    primary: Role
    calibrations: dict[Role, Any] = field(default_factory=dict)

    def follow(self, guide: Any) -> None:
        """The simulated person follows the drill guide (real sensors: nothing to do)."""
        from firmware_bridge.sensorset import PrimaryView
        from firmware_bridge.simulator import SimulatedSource
        from firmware_bridge.simulator.multi import MultiSimulatedSource
        from trainer.cli.sources import follow_guide

        if guide is None or not isinstance(self.multi, MultiSimulatedSource):
            return
        person = follow_guide(self.multi.source, guide)
        assert isinstance(person, SimulatedSource)
        self.multi = MultiSimulatedSource(person, self.roles)
        self.view = PrimaryView(self.multi, self.view.listeners)

    def writer_factory(self) -> Any:
        from trainer.recording.sensors import MultiSessionWriter

        infos = self.multi.sensor_info()
        sensors = {r: (infos[r], self.calibrations.get(r)) for r in self.roles}
        report = getattr(self.multi, "clock_report", None)

        def make(path: Any, **kwargs: Any) -> Any:
            writer = MultiSessionWriter(path, sensors=sensors, primary=self.primary,
                                        clock_report=report, **kwargs)
            self.view.listeners.append(writer.on_read)
            return writer

        return make


def open_sensors(args: argparse.Namespace, *, drill: str, side: str, placement: str,
                 duration_s: float | None) -> Sensors | None:
    """The sensors the arguments ask for, or None for the plain one-sensor path."""
    wanted = wanted_roles(args, side, placement)
    if wanted is None:
        return None
    roles = [r for _, r in wanted]
    primary = primary_role(roles, side, placement)
    ordered: tuple[Role, ...] = (primary, *[r for r in roles if r != primary])
    from firmware_bridge.sensorset import PrimaryView

    if wanted[0][0] is None:  # simulated
        from firmware_bridge.simulator.multi import MultiSimulatedSource
        from trainer.cli.sources import open_source
        from trainer.vocab.roles import role_segment, role_side

        p_side = role_side(primary) or side
        p_place = role_segment(primary) if role_side(primary) else placement
        src = open_source(simulate=True, rate_hz=getattr(args, "rate", None),
                          seed=getattr(args, "seed", 1), drill=drill, side=p_side,
                          placement=p_place, eyes=getattr(args, "eyes", "open"),
                          surface=getattr(args, "surface", "firm"), duration_s=duration_s,
                          balance_loss_rate_per_min=getattr(args, "sim_losses", 0.0),
                          packet_loss=getattr(args, "sim_packet_loss", 0.0),
                          speed=getattr(args, "sim_speed", 1.0))
        multi: Any = MultiSimulatedSource(src, ordered)  # type: ignore[arg-type]
    else:
        multi = _connect_all({r: a for a, r in wanted if a is not None}, ordered,
                             getattr(args, "rate", None))
    return Sensors(multi, PrimaryView(multi), ordered, primary)


def _connect_all(addresses: dict[Role, str], ordered: tuple[Role, ...],
                 rate_hz: float | None) -> Any:
    """Connect every sensor (in parallel: each BleSource connects in its own thread)."""
    from firmware_bridge.ble.source import BleSource
    from firmware_bridge.profiles import ProfileError
    from firmware_bridge.sensorset import SensorSet

    sources: dict[Role, Any] = {}
    try:
        for role in ordered:
            sources[role] = BleSource(addresses[role], None, rate_hz=rate_hz,
                                      name=None)
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    sset = SensorSet(sources, ordered[0])
    sset.start()
    for role, src in sources.items():
        if not src.wait_connected(30.0):
            sset.stop()
            raise CliError(f"{role} sensor {src.address}: "
                           f"{src.error or 'could not connect within 30 s'}")
    for src in sources.values():
        src.wait_streaming(5.0)
    print("sensors: " + ", ".join(f"{r} {s.address} ({s.info.profile})"
                                  for r, s in sources.items()), file=sys.stderr)
    return sset


def calibrations(sensors: Sensors, primary_profile: Any, *, accept: bool) -> None:
    """Each extra sensor's stored calibration profile (the primary's is given)."""
    from trainer.training.session import stored_calibration
    from trainer.vocab.calibration import ProfileError
    from trainer.vocab.roles import role_segment, role_side

    sensors.calibrations[sensors.primary] = primary_profile
    infos = sensors.multi.sensor_info()
    for role in sensors.roles[1:]:
        side = role_side(role) or "left"
        seg = role_segment(role)
        try:
            profile, note = stored_calibration(infos[role], side=side,
                                               placement=seg if seg != "trunk" else "shank",
                                               accept_flagged=accept)
        except ProfileError as exc:
            raise CliError(f"stored calibration for {infos[role].address}: {exc}") from None
        if note and not infos[role].simulated:
            print(f"{role}: {note}", file=sys.stderr)
        sensors.calibrations[role] = profile
