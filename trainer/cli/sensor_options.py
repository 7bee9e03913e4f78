"""The command-line words for several sensors (issue 14), once for `record`, `dashboard` and
`calibrate`: ``--device ADDRESS[:ROLE]`` (repeatable; :func:`add_device_option`), ``--simulate
--roles ROLE,ROLE,…`` (:func:`add_roles_option`), ``--sensor ROLE`` (:func:`role_word`), each an
argparse type with a one-line error. What the parsed options open: :mod:`trainer.cli.sensors`.
"""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import ble_address
from trainer.vocab.roles import Role, RoleError, check_roles, parse_role


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


DEVICE_HELP = ("BLE address of the sensor; for several sensors give it once per sensor with its "
               "role (left-shank, right-shank, left-foot, right-foot, trunk), e.g. --device "
               "AA:BB:CC:DD:EE:01:left-shank --device AA:BB:CC:DD:EE:02:trunk")
ROLES_HELP = ("simulate several sensors on one person, e.g. left-shank,right-foot,trunk (the "
              "first leg sensor on --side is the one the drill is analysed on)")


def add_device_option(group: Any) -> None:
    """``--device ADDRESS[:ROLE]`` (repeatable) into ``group`` (a parser or an exclusive group)."""
    group.add_argument("--device", metavar="ADDRESS[:ROLE]", type=device_spec,
                       action=DeviceAction, help=DEVICE_HELP)


def add_roles_option(group: Any) -> None:
    """``--roles ROLE,ROLE,…`` (with ``--simulate``)."""
    group.add_argument("--roles", type=role_list, default=None, metavar="ROLE,ROLE,...",
                       help=ROLES_HELP)


def role_word(text: str) -> Role:
    """argparse type of one role (``--sensor ROLE``)."""
    try:
        return parse_role(text)
    except RoleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def role_list(text: str) -> tuple[Role, ...]:
    """argparse type of ``--roles``: comma-separated roles, each at most once."""
    try:
        return check_roles([parse_role(w) for w in text.split(",") if w.strip()])
    except RoleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
