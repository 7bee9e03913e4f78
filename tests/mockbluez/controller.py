"""Start a private system bus with the mock BlueZ and drive its peripherals from a test.

``MockBluez`` owns a ``dbus-daemon`` (dbusmock's ``PrivateDBus``) and the mock process running
``template.py``. While it runs, ``DBUS_SYSTEM_BUS_ADDRESS`` points at the private bus, so bleak in
this process (or a subprocess given ``env``) talks to the mock as if it were bluetoothd. Calls
into the mock go through dbus-python and block; bleak runs in its own thread (BleSource) or
process, so they do not contend.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dbus
import dbus.bus
from dbusmock.testcase import BusType, PrivateDBus, SpawnedMock

from tests.mockbluez.devices import DeviceSpec

TEMPLATE = Path(__file__).with_name("template.py")
ENV = "DBUS_SYSTEM_BUS_ADDRESS"


@dataclass(frozen=True)
class StreamState:
    total: int
    delivered: int
    dropped: int
    done: bool


def wait_until(pred: Callable[[], bool], timeout_s: float, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while not pred():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")
        time.sleep(0.02)


class MockDevice:
    """One mock peripheral; characteristic arguments are UUIDs."""

    def __init__(self, mock: MockBluez, path: str, address: str, spec: DeviceSpec) -> None:
        self.mock = mock
        self.path = path
        self.address = address
        self.spec = spec
        self.chars: dict[str, str] = {
            str(k): str(v) for k, v in mock.iface.GetCharacteristics(path).items()
        }
        for char, request, notify_char, reply in spec.auto_replies:
            mock.iface.SetAutoReply(self.chars[char], dbus.ByteArray(request),
                                    dbus.ObjectPath(self.chars[notify_char]), dbus.ByteArray(reply))

    def advertise(self, rssi: int | None = None) -> None:
        self.mock.iface.Advertise(self.path, dbus.Int16(self.spec.rssi if rssi is None else rssi))

    def set_advertising(self, on: bool) -> None:
        self.mock.iface.SetAdvertising(self.path, on)

    def set_connectable(self, on: bool) -> None:
        self.mock.iface.SetConnectable(self.path, on)

    def drop_link(self) -> None:
        self.mock.iface.DropLink(self.path)

    def state(self) -> dict[str, Any]:
        st = self.mock.iface.GetDeviceState(self.path)
        return {"connected": bool(st["connected"]), "connects": int(st["connects"])}

    def writes(self, char: str) -> list[bytes]:
        return [bytes(w) for w in self.mock.iface.GetWrites(self.chars[char])]

    def emit(self, char: str, packets: list[bytes], interval_s: float) -> int:
        arr = dbus.Array([dbus.ByteArray(p) for p in packets], signature="ay")
        return int(self.mock.iface.EmitNotifications(dbus.ObjectPath(self.chars[char]), arr,
                                                      float(interval_s)))

    def emit_at(self, char: str, packets: list[bytes], times_s: list[float]) -> int:
        """Notify packet ``i`` at ``time.monotonic()`` ``times_s[i]`` (tests/mockbluez/timed)."""
        arr = dbus.Array([dbus.ByteArray(p) for p in packets], signature="ay")
        return int(self.mock.iface.EmitNotificationsAt(
            dbus.ObjectPath(self.chars[char]), arr, dbus.Array(times_s, signature="d")))

    def stream(self, sid: int) -> StreamState:
        total, delivered, dropped, done = self.mock.iface.GetStream(dbus.UInt32(sid))
        return StreamState(int(total), int(delivered), int(dropped), bool(done))

    def delivered(self, sid: int) -> list[int]:
        return [int(i) for i in self.mock.iface.GetDelivered(dbus.UInt32(sid))]

    def wait_stream(self, sid: int, timeout_s: float = 30.0) -> StreamState:
        wait_until(lambda: self.stream(sid).done, timeout_s, f"stream {sid}")
        return self.stream(sid)


class MockBluez:
    """A private system bus with a mock bluetoothd holding one adapter (``hci0``)."""

    def __init__(self, log_path: Path | None = None, adapter: bool = True) -> None:
        self.log_path = log_path
        self.with_adapter = adapter
        self._bus: PrivateDBus | None = None
        self._server: SpawnedMock | None = None
        self._saved_env: str | None = None
        self.devices: list[MockDevice] = []

    def start(self) -> MockBluez:
        self._saved_env = os.environ.get(ENV)
        self._bus = PrivateDBus(BusType.SYSTEM)
        self._bus.start()  # sets DBUS_SYSTEM_BUS_ADDRESS
        out: Any = subprocess.DEVNULL
        if self.log_path is not None:
            out = self.log_path.open("ab")
        self._server = SpawnedMock.spawn_with_template(
            str(TEMPLATE), None, BusType.SYSTEM, stdout=out, stderr=out
        )
        self.conn = dbus.bus.BusConnection(self.address)
        self.iface = dbus.Interface(self.conn.get_object("org.bluez", "/"), "org.bluez.Mock")
        if self.with_adapter:
            self.iface.AddAdapter("hci0", "mock-host")
        return self

    @property
    def address(self) -> str:
        assert self._bus is not None
        return self._bus.address

    def env(self) -> dict[str, str]:
        """Environment for a subprocess that should see this mock as its system bus."""
        return {**os.environ, ENV: self.address}

    def add_device(self, address: str, spec: DeviceSpec) -> MockDevice:
        path = str(self.iface.AddGattDevice("hci0", address, spec.name, json.dumps(spec.to_json())))
        dev = MockDevice(self, path, address, spec)
        self.devices.append(dev)
        return dev

    def stop(self) -> None:
        if self._server is not None:
            self._server.terminate()
            self._server = None
        if getattr(self, "conn", None) is not None:
            self.conn.close()
            self.conn = None
        if self._bus is not None:
            self._bus.stop()
            self._bus = None
        if self._saved_env is None:
            os.environ.pop(ENV, None)
        else:
            os.environ[ENV] = self._saved_env

    def __enter__(self) -> MockBluez:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
