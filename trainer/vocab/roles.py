"""Sensor roles: where each sensor of a multi-sensor session sits (issue 14).

A session has one sensor (today's default: its role follows from ``side`` and ``placement``) or
two or three, each with one of :data:`ROLES`. The *primary* sensor is the one the drill is
analysed on (the stance leg's shank or foot); it stays in ``imu.bin``. Pure data, no imports
beyond typing.
"""

from __future__ import annotations

from typing import Final, Literal, cast, get_args

Role = Literal["left-shank", "right-shank", "left-foot", "right-foot", "trunk"]
Segment = Literal["shank", "foot", "trunk"]

#: Every role, in the order sensors are listed (legs left then right, shank before foot, trunk).
ROLES: Final[tuple[Role, ...]] = get_args(Role)
LEG_ROLES: Final[tuple[Role, ...]] = ("left-shank", "right-shank", "left-foot", "right-foot")


class RoleError(ValueError):
    """Not a role, or an impossible set of roles (one line, names the valid ones)."""


def parse_role(text: str) -> Role:
    """``"left-shank"`` → the role; RoleError naming the valid roles otherwise."""
    word = text.strip().lower()
    if word not in ROLES:
        raise RoleError(f"unknown sensor role {text!r} (choose from {', '.join(ROLES)})")
    return word


def role_side(role: Role) -> Literal["left", "right"] | None:
    """The leg a role is on (None: the trunk)."""
    if role == "trunk":
        return None
    return "left" if role.startswith("left-") else "right"


def role_segment(role: Role) -> Segment:
    """``shank``, ``foot`` or ``trunk``."""
    return cast(Segment, role.split("-")[-1])


def role_for(side: str, placement: str) -> Role:
    """The role of today's single sensor (``--side``, ``--placement``)."""
    return parse_role(f"{side}-{placement}")


def other_side(role: Role) -> Role | None:
    """The same segment on the other leg (None for the trunk)."""
    side = role_side(role)
    if side is None:
        return None
    return parse_role(("right" if side == "left" else "left") + "-" + role_segment(role))


def check_roles(roles: list[Role] | tuple[Role, ...]) -> tuple[Role, ...]:
    """Roles of one session: each at most once (RoleError otherwise)."""
    seen: set[Role] = set()
    for role in roles:
        if role in seen:
            raise RoleError(f"sensor role {role} given twice (each role takes one sensor)")
        seen.add(role)
    return tuple(roles)


def primary_role(roles: tuple[Role, ...] | list[Role], side: str | None = None,
                 placement: str | None = None) -> Role:
    """The sensor the drill is analysed on: the ``side``'s leg at ``placement`` when present,
    else that leg's other segment, else the first leg sensor, else the first one listed."""
    if not roles:
        raise RoleError("no sensors")
    if side is not None:
        wanted = [f"{side}-{placement}"] if placement else []
        wanted += [f"{side}-shank", f"{side}-foot"]
        for name in wanted:
            if name in roles:
                return cast(Role, name)
    for role in roles:
        if role in LEG_ROLES:
            return role
    return roles[0]
