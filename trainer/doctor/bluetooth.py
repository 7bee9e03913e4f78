"""Bluetooth checks: the stack (BlueZ over D-Bus on Linux; bleak's own probe elsewhere), the
adapter, permission, and whether a supported sensor advertises nearby.

Linux asks BlueZ directly on the system bus (``dbus_fast``, bleak's D-Bus library; it honours
``DBUS_SYSTEM_BUS_ADDRESS``, so tests point it at the mock BlueZ): is ``org.bluez`` owned, which
version runs (the owner's ``bluetoothd --version``, else ``bluetoothctl --version`` as bleak
does), which adapters exist and are powered, may this user call BlueZ, and is a supported sensor
already connected (a connected sensor does not advertise). macOS and Windows have no such API
from Python: there a short bleak scan reports the stack, adapter and permission together.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from trainer.doctor.report import FAIL, OK, SKIP, WARN, Check

BLUEZ = "org.bluez"
MIN_BLUEZ = (5, 55)  # bleak's supported minimum (its BlueZ manager checks for 5.55)
_BLUETOOTHD = ("/usr/libexec/bluetooth/bluetoothd", "/usr/lib/bluetooth/bluetoothd",
               "/usr/sbin/bluetoothd")


def _start_fix() -> str:
    if not any(Path(p).exists() for p in _BLUETOOTHD) and shutil.which("bluetoothd") is None:
        return "install BlueZ (`sudo apt install bluez`), then `sudo systemctl enable --now " \
               "bluetooth`"
    return "`sudo systemctl enable --now bluetooth` (in a container: run bluetoothd on the host " \
           "and mount /run/dbus/system_bus_socket)"


def _version_of(exe: str | None) -> str | None:
    for cmd in ([exe, "--version"] if exe else None, ["bluetoothctl", "--version"]):
        if cmd is None or (cmd[0] == "bluetoothctl" and shutil.which("bluetoothctl") is None):
            continue
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=5).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        m = re.search(r"(\d+)\.(\d+)", out)
        if m:
            return f"{m.group(1)}.{m.group(2)}"
    return None


def _rfkill_blocked() -> str | None:
    """'soft' / 'hard' when the kernel blocks Bluetooth radios, else None."""
    for dev in Path("/sys/class/rfkill").glob("rfkill*"):
        try:
            if (dev / "type").read_text().strip() != "bluetooth":
                continue
            if (dev / "hard").read_text().strip() == "1":
                return "hard"
            if (dev / "soft").read_text().strip() == "1":
                return "soft"
        except OSError:
            continue
    return None


async def _call(bus: Any, dest: str, path: str, iface: str, member: str,
                signature: str = "", body: list[Any] | None = None) -> Any:
    from dbus_fast import Message, MessageType

    reply = await asyncio.wait_for(bus.call(Message(
        destination=dest, path=path, interface=iface, member=member, signature=signature,
        body=body or [])), 5.0)
    if reply.message_type == MessageType.ERROR:
        raise PermissionError(reply.error_name) if "AccessDenied" in str(reply.error_name) \
            or "NotAuthorized" in str(reply.error_name) else RuntimeError(reply.error_name)
    return reply.body


async def _linux_checks() -> tuple[list[Check], bool]:
    """The BlueZ checks, and whether a scan can work."""
    from dbus_fast import AuthError, BusType
    from dbus_fast.aio import MessageBus

    checks: list[Check] = []
    try:
        bus = await asyncio.wait_for(MessageBus(bus_type=BusType.SYSTEM).connect(), 5.0)
    except (AuthError, PermissionError):
        return [Check("bluetooth.stack", "Bluetooth service", FAIL,
                      "not allowed to connect to the system D-Bus",
                      "check the permissions of /run/dbus/system_bus_socket")], False
    except (OSError, TimeoutError, ValueError) as exc:
        return [Check("bluetooth.stack", "Bluetooth service", FAIL,
                      f"cannot reach the system D-Bus ({type(exc).__name__}), which BlueZ needs",
                      "start D-Bus (`sudo systemctl start dbus`); in a container mount "
                      "/run/dbus/system_bus_socket")], False
    try:
        dbus = ("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus")
        (owned,) = await _call(bus, *dbus, "NameHasOwner", "s", [BLUEZ])
        if not owned:
            return [Check("bluetooth.stack", "Bluetooth service", FAIL,
                          "BlueZ (bluetoothd) is not running", _start_fix())], False
        exe = None
        with contextlib.suppress(Exception):
            (pid,) = await _call(bus, *dbus, "GetConnectionUnixProcessID", "s", [BLUEZ])
            target = os.readlink(f"/proc/{pid}/exe")
            exe = target if os.path.basename(target).startswith("bluetoothd") else None
        version = await asyncio.to_thread(_version_of, exe)
        if version is None:
            checks.append(Check("bluetooth.stack", "Bluetooth service", OK,
                                "BlueZ is running (version unknown: no bluetoothctl)",
                                details={"bluez_version": None}))
        else:
            old = tuple(int(x) for x in version.split(".")) < MIN_BLUEZ
            checks.append(Check(
                "bluetooth.stack", "Bluetooth service", WARN if old else OK,
                f"BlueZ {version} is running" + (" (older than 5.55, which bleak needs)"
                                                 if old else ""),
                "update BlueZ (a newer distribution release, or a backport)" if old else None,
                {"bluez_version": version}))
        try:
            (objects,) = await _call(bus, BLUEZ, "/", "org.freedesktop.DBus.ObjectManager",
                                     "GetManagedObjects")
        except PermissionError as exc:
            checks.append(Check("bluetooth.permission", "Bluetooth permission", FAIL,
                                f"BlueZ refuses this user ({exc})",
                                "add yourself to the `bluetooth` group: `sudo usermod -aG "
                                "bluetooth $USER`, then log out and in"))
            return checks, False
        checks.append(Check("bluetooth.permission", "Bluetooth permission", OK,
                            f"this user (uid {os.getuid()}) may use BlueZ"))
        adapters = {p: ifaces["org.bluez.Adapter1"] for p, ifaces in objects.items()
                    if "org.bluez.Adapter1" in ifaces}
        ok = _adapter_check(checks, adapters)
        _connected_sensors(checks, objects)
        return checks, ok
    finally:
        bus.disconnect()


def _value(props: dict[str, Any], key: str) -> Any:
    v = props.get(key)
    return getattr(v, "value", v)


def _adapter_check(checks: list[Check], adapters: dict[str, dict[str, Any]]) -> bool:
    if not adapters:
        block = _rfkill_blocked()
        fix = ("turn Bluetooth on with the laptop's switch or key (rfkill: hard-blocked)"
               if block == "hard" else
               "plug in a Bluetooth 4.0+ (LE) USB adapter, or enable the built-in one (BIOS, "
               "`rfkill list`); in a virtual machine pass the adapter through")
        checks.append(Check("bluetooth.adapter", "Bluetooth adapter", FAIL,
                            "no Bluetooth adapter found", fix))
        return False
    powered = [p for p, props in adapters.items() if _value(props, "Powered")]
    names = ", ".join(f"{p.rsplit('/', 1)[-1]} ({_value(adapters[p], 'Address')})"
                      for p in sorted(adapters))
    details = {"adapters": {p.rsplit("/", 1)[-1]: {"address": _value(a, "Address"),
                                                    "powered": bool(_value(a, "Powered"))}
                            for p, a in adapters.items()}}
    if not powered:
        block = _rfkill_blocked()
        fix = {"hard": "turn Bluetooth on with the laptop's switch or key",
               "soft": "`rfkill unblock bluetooth`, then `bluetoothctl power on`"}.get(
            block or "", "`bluetoothctl power on` (or switch Bluetooth on in the settings)")
        checks.append(Check("bluetooth.adapter", "Bluetooth adapter", FAIL,
                            f"{names}: powered off", fix, details))
        return False
    checks.append(Check("bluetooth.adapter", "Bluetooth adapter", OK,
                        f"{names}: powered on", details=details))
    return True


def _connected_sensors(checks: list[Check], objects: dict[str, dict[str, Any]]) -> None:
    from firmware_bridge.profiles import match_profile
    from firmware_bridge.profiles.base import Advertisement

    busy = []
    for props in (ifaces.get("org.bluez.Device1") for ifaces in objects.values()):
        if not props or not _value(props, "Connected"):
            continue
        adv = Advertisement(address=str(_value(props, "Address")).upper(),
                            name=_value(props, "Name"),
                            service_uuids=tuple(str(u).lower()
                                                for u in _value(props, "UUIDs") or ()),
                            rssi=None, manufacturer_data={})
        if match_profile(adv) is not None:
            busy.append(f"{adv.name or '?'} {adv.address}")
    if busy:
        checks.append(Check(
            "bluetooth.connected", "Sensor already connected", WARN,
            f"{', '.join(busy)} is connected to this computer (a connected sensor does not "
            "advertise)", "close the program holding it, or `bluetoothctl disconnect ADDRESS`"))


def _scan_fix() -> str:
    return ("switch the sensor on (shake it to wake it), charge it, bring it within 2 m; a sensor "
            "still connected to a phone app does not advertise: close the app or turn off the "
            "phone's Bluetooth")


def _scan(timeout_s: float, checks: list[Check], stack_failed_on: str | None) -> None:
    from firmware_bridge.ble.errors import BleUnavailableError
    from firmware_bridge.ble.scanner import scan

    try:
        found = scan(timeout_s)
    except BleUnavailableError as exc:
        if stack_failed_on:
            checks.append(Check("bluetooth.sensors", "Sensor nearby", SKIP,
                                f"not scanned ({stack_failed_on} failed)"))
        else:
            checks.append(Check("bluetooth.sensors", "Sensor nearby", FAIL, str(exc),
                                _platform_permission_fix(str(exc))))
        return
    if not found:
        checks.append(Check("bluetooth.sensors", "Sensor nearby", WARN,
                            f"no supported sensor advertised within {timeout_s:g} s",
                            _scan_fix()))
        return
    listing = "; ".join(f"{r.title or r.profile} {r.name or ''} {r.address} "
                        f"(RSSI {r.rssi} dBm)".replace("  ", " ") for r in found)
    checks.append(Check("bluetooth.sensors", "Sensor nearby", OK, listing,
                        details={"sensors": [{"address": r.address, "name": r.name,
                                              "profile": r.profile, "rssi": r.rssi}
                                             for r in found]}))


def _platform_permission_fix(text: str) -> str | None:
    if sys.platform == "darwin" and "permission" in text.lower():
        return ("System Settings → Privacy & Security → Bluetooth: allow the terminal (or "
                "Python) you run balance-trainer from, then start it again")
    if sys.platform == "win32" and "turned off" in text.lower():
        return "Settings → Bluetooth & devices: switch Bluetooth on"
    return None


def bluetooth_checks(scan_s: float | None) -> list[Check]:
    """All Bluetooth lines; ``scan_s`` None skips the nearby-sensor scan."""
    if sys.platform.startswith("linux"):
        checks, usable = asyncio.run(_linux_checks())
        failed = next((c.title for c in checks if c.status == FAIL), None)
        if scan_s is None:
            checks.append(Check("bluetooth.sensors", "Sensor nearby", SKIP,
                                "not scanned (--no-scan)"))
        elif not usable:
            checks.append(Check("bluetooth.sensors", "Sensor nearby", SKIP,
                                f"not scanned ({failed or 'Bluetooth'} failed)"))
        else:
            _scan(scan_s, checks, None)
        return checks
    # macOS / Windows: bleak's scan is the probe of stack, adapter and permission at once
    checks = []
    _scan(scan_s if scan_s is not None else 1.0, checks, None)
    c = checks[0]
    if c.status == FAIL:
        c.id, c.title = "bluetooth.stack", "Bluetooth"
    elif scan_s is None:
        checks = [Check("bluetooth.stack", "Bluetooth", OK, "the Bluetooth stack answers"),
                  Check("bluetooth.sensors", "Sensor nearby", SKIP, "not scanned (--no-scan)")]
    else:
        checks.insert(0, Check("bluetooth.stack", "Bluetooth", OK, "the Bluetooth stack answers"))
    return checks
