"""python-dbusmock template: BlueZ 5 with GATT peripherals, for running bleak's real BlueZ backend.

Extends dbusmock's ``bluez5`` template (adapters, devices) with what a BLE central needs:

* ``AddGattDevice(adapter, address, name, spec_json)`` — a peripheral with GattService1 /
  GattCharacteristic1 objects at ``/org/bluez/hci0/dev_XX_…/serviceXXXX/charXXXX``; characteristics
  implement ReadValue / WriteValue / StartNotify / StopNotify; writes are recorded.
* ``Connect`` sets ``Connected`` then ``ServicesResolved``; ``Disconnect`` and ``DropLink`` (a link
  loss) clear them; ``SetConnectable(false)`` makes ``Connect`` fail.
* "Advertising": an ``RSSI`` PropertiesChanged on Device1, sent on ``StartDiscovery`` and every
  200 ms while discovering, for devices that are not connected (bleak reports a device when its
  advertising properties change).
* ``EmitNotifications(char, packets, interval_s)`` pushes many notifications (Value
  PropertiesChanged) paced by a GLib timer inside this process — one D-Bus call per stream, not per
  packet; a packet is delivered only while connected and notifying, otherwise counted as dropped.
* ``SetAutoReply(char, request, notify_char, reply)`` — answer a written command with a
  notification (MetaWear module info, WitMotion register reads, battery requests).

This file is loaded by path in the mock process (``python -m dbusmock --template``); it uses
dbus-python and drives GLib timers through ctypes (no PyGObject needed).
"""

from __future__ import annotations

import bisect
import ctypes
import json
import time
from typing import Any

import dbus
import dbus.lowlevel
from dbusmock import OBJECT_MANAGER_IFACE, mockobject
from dbusmock.templates import bluez5

BUS_NAME = "org.bluez"
MAIN_OBJ = "/"
SYSTEM_BUS = True
IS_OBJECT_MANAGER = True

MOCK_IFACE = "org.bluez.Mock"
ADAPTER_IFACE = "org.bluez.Adapter1"
DEVICE_IFACE = "org.bluez.Device1"
SERVICE_IFACE = "org.bluez.GattService1"
CHAR_IFACE = "org.bluez.GattCharacteristic1"
PROPS_IFACE = "org.freedesktop.DBus.Properties"

# -- GLib timers through ctypes -------------------------------------------------------------------
_glib = ctypes.cdll.LoadLibrary("libglib-2.0.so.0")
_SOURCEFUNC = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p)
_glib.g_timeout_add.argtypes = [ctypes.c_uint, _SOURCEFUNC, ctypes.c_void_p]
_glib.g_timeout_add.restype = ctypes.c_uint
_keep: list[Any] = []  # ctypes thunks must outlive their GLib sources


def _timeout_add(ms: int, fn: Any) -> None:
    def thunk(_data: Any) -> int:
        try:
            return 1 if fn() else 0
        except Exception as exc:  # never let an exception cross into C
            print(f"mockbluez timer error: {exc!r}", flush=True)
            return 0

    cb = _SOURCEFUNC(thunk)
    _keep.append(cb)
    _glib.g_timeout_add(ms, cb, None)


# -- state ----------------------------------------------------------------------------------------
_devices: dict[str, dict[str, Any]] = {}  # device path -> state
_chars: dict[str, dict[str, Any]] = {}  # char path -> state
_streams: dict[int, dict[str, Any]] = {}
_next_stream = [1]
_ticker_running = [False]


def _conn() -> Any:
    return next(iter(mockobject.objects[MAIN_OBJ].locations))[0]


def _emit_props(path: str, iface: str, changed: dict[str, Any]) -> None:
    sig = dbus.lowlevel.SignalMessage(path, PROPS_IFACE, "PropertiesChanged")
    sig.append(
        iface, dbus.Dictionary(changed, signature="sv"), dbus.Array([], signature="s"),
        signature="sa{sv}as",
    )
    _conn().send_message(sig)


def _set_device(path: str, **changed: Any) -> None:
    obj = mockobject.objects[path]
    obj.props[DEVICE_IFACE].update(changed)
    _emit_props(path, DEVICE_IFACE, changed)


def _notify(char_path: str, value: bytes) -> bool:
    ch = _chars[char_path]
    dev = _devices[ch["device"]]
    if not (dev["connected"] and ch["notifying"]):
        return False
    arr = dbus.Array(value, signature="y")
    mockobject.objects[char_path].props[CHAR_IFACE]["Value"] = arr
    _emit_props(char_path, CHAR_IFACE, {"Value": arr})
    return True


# -- adapter: discovery that "sees" advertising devices --------------------------------------------
def _advertise_all(adapter_path: str) -> bool:
    adapter = mockobject.objects.get(adapter_path)
    if adapter is None or not adapter.props[ADAPTER_IFACE]["Discovering"]:
        return False
    for path, dev in _devices.items():
        if path.startswith(adapter_path + "/") and dev["advertising"] and not dev["connected"]:
            _set_device(path, RSSI=dbus.Int16(dev["rssi"]))
    return True


def _set_discovering(adapter: Any, on: bool) -> None:
    adapter.props[ADAPTER_IFACE]["Discovering"] = dbus.Boolean(on)
    _emit_props(adapter.path, ADAPTER_IFACE, {"Discovering": dbus.Boolean(on)})


def _stop_discovery(adapter: Any) -> None:
    if not adapter.props[ADAPTER_IFACE]["Discovering"]:
        raise dbus.exceptions.DBusException("No discovery started", name="org.bluez.Error.Failed")
    _set_discovering(adapter, False)


def _start_discovery(adapter: Any) -> None:
    _set_discovering(adapter, True)
    path = adapter.path
    _timeout_add(10, lambda: _advertise_all(path) and False)
    _timeout_add(200, lambda: _advertise_all(path))


@dbus.service.method(MOCK_IFACE, in_signature="ss", out_signature="s")
def AddAdapter(self: Any, device_name: str, system_name: str) -> str:
    path = bluez5.AddAdapter(self, device_name, system_name)
    adapter = mockobject.objects[path]
    adapter.AddMethods(ADAPTER_IFACE, [("StartDiscovery", "", "", _start_discovery),
                                       ("StopDiscovery", "", "", _stop_discovery)])
    return path


# -- device -------------------------------------------------------------------------------------
def _connect(device: Any) -> None:
    dev = _devices[device.path]
    if not dev["connectable"]:
        raise dbus.exceptions.DBusException("Software caused connection abort",
                                            name="org.bluez.Error.Failed")
    if dev["connected"]:
        raise dbus.exceptions.DBusException("Already Connected",
                                            name="org.bluez.Error.AlreadyConnected")
    dev["connected"] = True
    dev["connects"] += 1
    _set_device(device.path, Connected=dbus.Boolean(True))
    _set_device(device.path, ServicesResolved=dbus.Boolean(True))


def _drop(path: str) -> None:
    dev = _devices[path]
    dev["connected"] = False
    for ch in _chars.values():
        if ch["device"] == path:
            ch["notifying"] = False
    _set_device(path, ServicesResolved=dbus.Boolean(False), Connected=dbus.Boolean(False))


def _disconnect(device: Any) -> None:
    if not _devices[device.path]["connected"]:
        raise dbus.exceptions.DBusException("Not Connected", name="org.bluez.Error.NotConnected")
    _drop(device.path)


# -- characteristics ----------------------------------------------------------------------------
def _read_value(char: Any, options: Any) -> Any:
    return dbus.Array(bytes(char.props[CHAR_IFACE]["Value"]), signature="y")


def _write_value(char: Any, value: Any, options: Any) -> None:
    data = bytes(value)
    ch = _chars[char.path]
    ch["writes"].append(data)
    char.props[CHAR_IFACE]["Value"] = dbus.Array(data, signature="y")
    reply = ch["auto_replies"].get(data)
    if reply is not None:
        target, payload = reply
        _timeout_add(1, lambda: _notify(target, payload) and False)


def _start_notify(char: Any) -> None:
    ch = _chars[char.path]
    ch["notifying"] = True
    char.props[CHAR_IFACE]["Notifying"] = dbus.Boolean(True)


def _stop_notify(char: Any) -> None:
    ch = _chars[char.path]
    ch["notifying"] = False
    char.props[CHAR_IFACE]["Notifying"] = dbus.Boolean(False)


@dbus.service.method(MOCK_IFACE, in_signature="ssss", out_signature="s")
def AddGattDevice(self: Any, adapter_name: str, address: str, name: str, spec_json: str) -> str:
    """Add a peripheral. ``spec_json``: {"rssi": int, "adv_uuids": [...],
    "services": [{"uuid": str, "chars": [{"uuid": str, "flags": [...], "value": hex}]}]}."""
    spec = json.loads(spec_json)
    adapter_path = f"/org/bluez/{adapter_name}"
    path = f"{adapter_path}/dev_{address.replace(':', '_').upper()}"
    props = {
        "Address": dbus.String(address),
        "AddressType": dbus.String("random"),
        "Name": dbus.String(name),
        "Alias": dbus.String(name),
        "Adapter": dbus.ObjectPath(adapter_path),
        "Paired": dbus.Boolean(False),
        "Bonded": dbus.Boolean(False),
        "Trusted": dbus.Boolean(False),
        "Blocked": dbus.Boolean(False),
        "LegacyPairing": dbus.Boolean(False),
        "Connected": dbus.Boolean(False),
        "ServicesResolved": dbus.Boolean(False),
        "RSSI": dbus.Int16(spec.get("rssi", -60)),
        "UUIDs": dbus.Array(spec.get("adv_uuids", []), signature="s"),
        "ManufacturerData": dbus.Dictionary(
            {dbus.UInt16(int(k, 0)): dbus.Array(bytes.fromhex(v), signature="y")
             for k, v in spec.get("manufacturer_data", {}).items()},
            signature="qv",
        ),
        "ServiceData": dbus.Dictionary({}, signature="sv"),
    }
    self.AddObject(path, DEVICE_IFACE, props, [
        ("Connect", "", "", _connect),
        ("Disconnect", "", "", _disconnect),
        ("Pair", "", "", ""),
        ("CancelPairing", "", "", ""),
    ])
    _devices[path] = {"connected": False, "connectable": True, "advertising": True,
                      "rssi": int(spec.get("rssi", -60)), "connects": 0}
    manager = mockobject.objects[MAIN_OBJ]
    manager.EmitSignal(OBJECT_MANAGER_IFACE, "InterfacesAdded", "oa{sa{sv}}",
                       [dbus.ObjectPath(path), {DEVICE_IFACE: props}])
    handle = 0x000A
    for service in spec.get("services", []):
        spath = f"{path}/service{handle:04x}"
        sprops = {"UUID": dbus.String(service["uuid"]), "Device": dbus.ObjectPath(path),
                  "Primary": dbus.Boolean(True), "Includes": dbus.Array([], signature="o")}
        self.AddObject(spath, SERVICE_IFACE, sprops, [])
        manager.EmitSignal(OBJECT_MANAGER_IFACE, "InterfacesAdded", "oa{sa{sv}}",
                           [dbus.ObjectPath(spath), {SERVICE_IFACE: sprops}])
        handle += 1
        for char in service.get("chars", []):
            cpath = f"{spath}/char{handle:04x}"
            cprops = {
                "UUID": dbus.String(char["uuid"]),
                "Service": dbus.ObjectPath(spath),
                "Value": dbus.Array(bytes.fromhex(char.get("value", "")), signature="y"),
                "Notifying": dbus.Boolean(False),
                "Flags": dbus.Array(char.get("flags", ["read"]), signature="s"),
                "MTU": dbus.UInt16(247),
            }
            self.AddObject(cpath, CHAR_IFACE, cprops, [
                ("ReadValue", "a{sv}", "ay", _read_value),
                ("WriteValue", "aya{sv}", "", _write_value),
                ("StartNotify", "", "", _start_notify),
                ("StopNotify", "", "", _stop_notify),
            ])
            manager.EmitSignal(OBJECT_MANAGER_IFACE, "InterfacesAdded", "oa{sa{sv}}",
                               [dbus.ObjectPath(cpath), {CHAR_IFACE: cprops}])
            _chars[cpath] = {"device": path, "uuid": char["uuid"], "notifying": False,
                             "writes": [], "auto_replies": {}}
            handle += 2  # value handle + CCC descriptor, as on a real GATT server
        handle = (handle + 0x10) & ~0x0F
    return path


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="a{ss}")
def GetCharacteristics(self: Any, device_path: str) -> dict[str, str]:
    """uuid -> object path of the device's characteristics."""
    return {c["uuid"]: p for p, c in _chars.items() if c["device"] == device_path}


@dbus.service.method(MOCK_IFACE, in_signature="sn", out_signature="")
def Advertise(self: Any, device_path: str, rssi: int) -> None:
    """An advertisement with this RSSI (also while no scan runs, like a passive observer)."""
    dev = _devices[device_path]
    dev["rssi"] = int(rssi)
    dev["advertising"] = True
    _set_device(device_path, RSSI=dbus.Int16(rssi))


@dbus.service.method(MOCK_IFACE, in_signature="sb", out_signature="")
def SetAdvertising(self: Any, device_path: str, advertising: bool) -> None:
    _devices[device_path]["advertising"] = bool(advertising)


@dbus.service.method(MOCK_IFACE, in_signature="sb", out_signature="")
def SetConnectable(self: Any, device_path: str, connectable: bool) -> None:
    _devices[device_path]["connectable"] = bool(connectable)


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="")
def DropLink(self: Any, device_path: str) -> None:
    """The radio link is lost (supervision timeout): Connected goes false without a request."""
    if _devices[device_path]["connected"]:
        _drop(device_path)


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="a{sv}")
def GetDeviceState(self: Any, device_path: str) -> dict[str, Any]:
    dev = _devices[device_path]
    return {"connected": dbus.Boolean(dev["connected"]), "connects": dbus.UInt32(dev["connects"])}


@dbus.service.method(MOCK_IFACE, in_signature="s", out_signature="aay")
def GetWrites(self: Any, char_path: str) -> list[Any]:
    return [dbus.Array(w, signature="y") for w in _chars[char_path]["writes"]]


@dbus.service.method(MOCK_IFACE, in_signature="sayoay", out_signature="")
def SetAutoReply(self: Any, char_path: str, request: Any, notify_path: str, reply: Any) -> None:
    _chars[char_path]["auto_replies"][bytes(request)] = (str(notify_path), bytes(reply))


# -- paced notification streams -------------------------------------------------------------------
def _tick() -> bool:
    now = time.monotonic()
    active = False
    for s in _streams.values():
        if s["next"] >= len(s["packets"]):
            continue
        if s.get("times") is not None:  # a schedule of absolute monotonic times
            due = bisect.bisect_right(s["times"], now)
        elif s["interval"] <= 0:
            due = len(s["packets"])
        else:
            due = int((now - s["t0"]) / s["interval"]) + 1
        due = min(due, len(s["packets"]))
        while s["next"] < due:
            i = s["next"]
            (s["delivered"] if _notify(s["char"], s["packets"][i]) else s["dropped"]).append(i)
            s["next"] += 1
        active = active or s["next"] < len(s["packets"])
    _ticker_running[0] = active
    return active


@dbus.service.method(MOCK_IFACE, in_signature="oaayd", out_signature="u")
def EmitNotifications(self: Any, char_path: str, packets: Any, interval_s: float) -> int:
    """Queue ``packets`` for notification on ``char_path``, one every ``interval_s``.
    Returns a stream id for ``GetStream``."""
    sid = _next_stream[0]
    _next_stream[0] += 1
    _streams[sid] = {"char": str(char_path), "packets": [bytes(p) for p in packets],
                     "interval": float(interval_s), "t0": time.monotonic(), "next": 0,
                     "delivered": [], "dropped": []}
    if not _ticker_running[0]:
        _ticker_running[0] = True
        _timeout_add(2, _tick)
    return sid


@dbus.service.method(MOCK_IFACE, in_signature="oaayad", out_signature="u")
def EmitNotificationsAt(self: Any, char_path: str, packets: Any, times_s: Any) -> int:
    """Queue ``packets`` for notification on ``char_path``, packet ``i`` at ``time.monotonic()``
    ``times_s[i]`` (non-decreasing): BLE connection events of a drifting device."""
    sid = _next_stream[0]
    _next_stream[0] += 1
    _streams[sid] = {"char": str(char_path), "packets": [bytes(p) for p in packets],
                     "times": [float(t) for t in times_s], "interval": 0.0,
                     "t0": time.monotonic(), "next": 0, "delivered": [], "dropped": []}
    if not _ticker_running[0]:
        _ticker_running[0] = True
        _timeout_add(1, _tick)
    return sid


@dbus.service.method(MOCK_IFACE, in_signature="u", out_signature="(uuub)")
def GetStream(self: Any, sid: int) -> tuple[int, int, int, bool]:
    """(total, delivered, dropped, done)."""
    s = _streams[int(sid)]
    n = len(s["packets"])
    return (n, len(s["delivered"]), len(s["dropped"]), s["next"] >= n)


@dbus.service.method(MOCK_IFACE, in_signature="u", out_signature="au")
def GetDelivered(self: Any, sid: int) -> list[int]:
    return [dbus.UInt32(i) for i in _streams[int(sid)]["delivered"]]


def load(mock: Any, parameters: dict[str, Any]) -> None:
    bluez5.load(mock, parameters)
