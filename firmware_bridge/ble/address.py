"""Bluetooth device addresses as the command line and BleSource accept them."""

from __future__ import annotations

import re

ADDRESS_RE = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")


def is_ble_address(text: str) -> bool:
    """True for ``AA:BB:CC:DD:EE:FF`` (any case)."""
    return bool(ADDRESS_RE.match(text))


def address_problem(text: str) -> str | None:
    """Why ``text`` is not a Bluetooth address, in one line (None: it is one)."""
    if is_ble_address(text):
        return None
    return f"not a Bluetooth address: {text!r} (expected AA:BB:CC:DD:EE:FF)"
