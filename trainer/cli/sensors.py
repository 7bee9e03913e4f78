"""Several sensors for `record` and `dashboard` (issue 14): ``--device ADDR:ROLE`` given two or
three times, or ``--simulate --roles ROLE,ROLE,…`` (the options and their one-line errors:
:mod:`trainer.cli.sensor_options`), checked and opened once for both commands. One
sensor (no role, or one ``--device``) keeps the simple single-sensor path of
:mod:`trainer.cli.sources` unchanged. The sensors themselves: :mod:`trainer.training.sensors`.

The sensors are a :class:`firmware_bridge.sensorset.SensorSet` (BLE: each sensor its own thread,
profile, link statistics and reconnect; one session clock) or a
:class:`firmware_bridge.simulator.multi.MultiSimulatedSource` (one simulated person). The
training session sees the primary sensor through a ``PrimaryView``; the extra sensors go to their
own files through :class:`trainer.recording.sensors.MultiSessionWriter`.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from trainer.cli.common import CliError
from trainer.vocab.roles import Role

if TYPE_CHECKING:
    from trainer.training.sensors import Sensors


def wanted_roles(args: argparse.Namespace, side: str, placement: str
                 ) -> list[tuple[str | None, Role]] | None:
    """(address or None when simulated, role) of each sensor, or None for one plain sensor
    (``trainer.training.sensors.sensor_plan`` on the parsed options; CliError)."""
    from trainer.training.sensors import sensor_plan
    from trainer.training.session import TrainingError

    try:
        return sensor_plan(getattr(args, "devices", None) or [], getattr(args, "roles", None),
                           simulate=bool(getattr(args, "simulate", False)), side=side,
                           placement=placement)
    except TrainingError as exc:
        raise CliError(str(exc)) from None


def analysed_leg(args: argparse.Namespace, side: str, placement: str) -> tuple[str, str]:
    """(side, placement) the drill is analysed at: with several sensors the primary's leg and
    segment (``--roles left-shank,right-foot,trunk`` for a calf raise, whose own placement is
    the foot, is measured on the left shank; said on stderr), else the asked ones."""
    from trainer.training.sensors import primary_first, primary_leg

    wanted = wanted_roles(args, side, placement)
    if not wanted:
        return side, placement
    primary = primary_first([r for _, r in wanted], side, placement)[0]
    leg = primary_leg(primary, side, placement)
    if leg != (side, placement) and not getattr(args, "quiet", False):
        print(f"no {side}-{placement} sensor: the drill is measured on the {primary} sensor",
              file=sys.stderr)
    return leg


def open_sensors(args: argparse.Namespace, *, drill: str, side: str, placement: str,
                 duration_s: float | None) -> Sensors | None:
    """The sensors the arguments ask for, or None for the plain one-sensor path."""
    from trainer.training.sensors import (
        connect_sensors,
        primary_first,
        primary_leg,
        simulated_sensors,
    )
    from trainer.training.session import TrainingError

    wanted = wanted_roles(args, side, placement)
    if wanted is None:
        return None
    ordered = primary_first([r for _, r in wanted], side, placement)
    if wanted[0][0] is None:  # simulated
        from trainer.cli.sources import open_source

        p_side, p_place = primary_leg(ordered[0], side, placement)
        src = open_source(simulate=True, rate_hz=getattr(args, "rate", None),
                          seed=getattr(args, "seed", 1), drill=drill, side=p_side,
                          placement=p_place, eyes=getattr(args, "eyes", "open"),
                          surface=getattr(args, "surface", "firm"), duration_s=duration_s,
                          balance_loss_rate_per_min=getattr(args, "sim_losses", 0.0),
                          packet_loss=getattr(args, "sim_packet_loss", 0.0),
                          speed=getattr(args, "sim_speed", 1.0))
        try:
            return simulated_sensors(src, ordered)
        except TrainingError as exc:
            raise CliError(str(exc)) from None
    try:
        sensors = connect_sensors({r: a for a, r in wanted if a is not None}, ordered,
                                  rate_hz=getattr(args, "rate", None))
    except TrainingError as exc:
        raise CliError(str(exc)) from None
    infos = sensors.infos()
    print("sensors: " + ", ".join(f"{r} {infos[r].address} ({infos[r].profile})"
                                  for r in sensors.roles), file=sys.stderr)
    return sensors


def calibrations(sensors: Sensors, given: dict[Any, Any], *, accept: bool) -> None:
    """Each sensor's calibration profile: ``given`` by role (``--calibration [ROLE=]FILE``),
    else its stored one (the primary's stored one was looked up, and noted, already)."""
    from trainer.training.session import TrainingError

    try:
        notes = sensors.load_calibrations(accept=accept, given_profiles=given)
    except TrainingError as exc:
        raise CliError(str(exc)) from None
    for note in notes:
        print(note, file=sys.stderr)
