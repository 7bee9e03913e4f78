"""One-line explanations of why Bluetooth is unusable, for the CLI and status messages."""

from __future__ import annotations

import asyncio

NO_ADAPTER = (
    "no Bluetooth adapter found: plug in a Bluetooth LE adapter (or enable the built-in one) "
    "and try again"
)
POWERED_OFF = "Bluetooth is turned off: turn it on (e.g. `bluetoothctl power on`) and try again"
PERMISSION = (
    "permission denied talking to BlueZ: add your user to the `bluetooth` group "
    "(`sudo usermod -aG bluetooth $USER`, then log in again)"
)
NO_BLUEZ = (
    "the Bluetooth service (bluetoothd) is not running: start it with "
    "`sudo systemctl start bluetooth`"
)
NO_DBUS = (
    "cannot reach the system D-Bus (needed for BlueZ): is dbus running? In a container, mount "
    "/run/dbus/system_bus_socket"
)
NO_CENTRAL = "the Bluetooth adapter cannot act as a BLE central: use a Bluetooth 4.0+ (LE) adapter"


class BleUnavailableError(RuntimeError):
    """Bluetooth cannot be used at all (no adapter, off, no permission, no BlueZ)."""


def is_fatal(exc: BaseException) -> bool:
    """True when retrying cannot help (the adapter/stack, not the sensor, is the problem)."""
    return explain(exc) in (NO_ADAPTER, POWERED_OFF, PERMISSION, NO_BLUEZ, NO_DBUS, NO_CENTRAL)


def explain(exc: BaseException) -> str:
    """A one-line description of ``exc`` with what to do about it."""
    try:
        from bleak.exc import (
            BleakBluetoothNotAvailableError,
            BleakBluetoothNotAvailableReason,
            BleakDBusError,
            BleakDeviceNotFoundError,
            BleakError,
        )
        from dbus_fast import AuthError
    except ImportError:  # pragma: no cover - bleak is a runtime dependency
        return f"Bluetooth error: {exc}"
    if isinstance(exc, BleakBluetoothNotAvailableError):
        reason = exc.reason
        if reason == BleakBluetoothNotAvailableReason.NO_BLUETOOTH:
            return NO_ADAPTER
        if reason == BleakBluetoothNotAvailableReason.POWERED_OFF:
            return POWERED_OFF
        if reason == BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE:
            return NO_CENTRAL
        if reason in (
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM,
            BleakBluetoothNotAvailableReason.DENIED_BY_USER,
            BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN,
        ):
            return PERMISSION
    if isinstance(exc, BleakDBusError):
        name = exc.dbus_error
        if name in (
            "org.freedesktop.DBus.Error.ServiceUnknown",
            "org.freedesktop.DBus.Error.NameHasNoOwner",
        ):
            return NO_BLUEZ
        if name in ("org.freedesktop.DBus.Error.AccessDenied", "org.bluez.Error.NotAuthorized"):
            return PERMISSION
        if name == "org.bluez.Error.NotReady":
            return POWERED_OFF
    if isinstance(exc, AuthError | PermissionError):
        return PERMISSION
    if isinstance(exc, FileNotFoundError | ConnectionRefusedError):
        return NO_DBUS
    if isinstance(exc, BleakDeviceNotFoundError):
        return "sensor not found: is it switched on, charged and in range?"
    if isinstance(exc, asyncio.TimeoutError):
        return "Bluetooth operation timed out"
    if isinstance(exc, BleakError):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"Bluetooth error: {text}"
    return f"Bluetooth error: {type(exc).__name__}: {exc}"
