"""The bleak-facing helpers shared by BleSource and the scanner.

* :class:`BleakGattIO` — the :class:`~firmware_bridge.profiles.base.GattIO` a profile's start
  script uses, on top of a connected ``BleakClient``.
* :func:`find_device` — scan until one address advertises; returns bleak's device and our
  :class:`~firmware_bridge.profiles.base.Advertisement`.
* :func:`release_loop_resources` — close the D-Bus connection bleak's BlueZ backend keeps per
  event loop (bleak only drops it lazily, when another loop asks for one), so a stopped source
  leaks no connection.
* :func:`ensure_bluez_checked` — bleak checks the BlueZ version once per process through an
  ``asyncio.Event``; doing that from several loops at once would share the event across loops,
  so the first check is serialised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData

from firmware_bridge.profiles.base import Advertisement

log = logging.getLogger(__name__)
_version_lock = threading.Lock()


def to_advertisement(device: BLEDevice, adv: AdvertisementData) -> Advertisement:
    return Advertisement(
        address=device.address.upper(),
        name=adv.local_name or device.name,
        service_uuids=tuple(u.lower() for u in adv.service_uuids),
        rssi=adv.rssi,
        manufacturer_data=dict(adv.manufacturer_data),
    )


async def find_device(address: str, timeout_s: float) -> tuple[BLEDevice, Advertisement] | None:
    """Scan until ``address`` advertises (None after ``timeout_s``)."""
    wanted = address.upper()
    found: asyncio.Future[tuple[BLEDevice, Advertisement]] = (
        asyncio.get_running_loop().create_future()
    )

    def on_adv(device: BLEDevice, adv: AdvertisementData) -> None:
        if device.address.upper() == wanted and not found.done():
            found.set_result((device, to_advertisement(device, adv)))

    async with BleakScanner(detection_callback=on_adv):
        try:
            return await asyncio.wait_for(asyncio.shield(found), timeout_s)
        except TimeoutError:
            return None


async def ensure_bluez_checked() -> None:
    try:
        from bleak.backends.bluezdbus.version import BlueZFeatures
    except ImportError:  # not on Linux
        return
    if BlueZFeatures.checked_bluez_version:
        return
    while not _version_lock.acquire(blocking=False):
        await asyncio.sleep(0.01)
    try:
        if not BlueZFeatures.checked_bluez_version:
            BlueZFeatures._check_bluez_event = None
            await BlueZFeatures.check_bluez_version()
    finally:
        _version_lock.release()


async def release_loop_resources() -> None:
    """Disconnect bleak's per-loop BlueZ manager bus (call last, on the loop that used bleak)."""
    try:
        from bleak.backends.bluezdbus import manager as bluez_manager
    except ImportError:
        return
    loop = asyncio.get_running_loop()
    instances: dict[Any, Any] = getattr(bluez_manager, "_global_instances", {})
    inst = instances.pop(loop, None)
    if inst is None:
        return
    watcher = getattr(inst, "_bus_watcher_task", None)
    if watcher is not None:
        watcher.cancel()
        with contextlib.suppress(BaseException):
            await watcher
    bus = getattr(inst, "_bus", None)
    if bus is not None:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            bus.disconnect()
            await asyncio.wait_for(bus.wait_for_disconnect(), 1.0)
        inst._bus = None


class BleakGattIO:
    """GattIO over a connected BleakClient; notifications go to ``on_notify(uuid, data)``."""

    def __init__(self, client: BleakClient, on_notify: Callable[[str, bytes], None]) -> None:
        self.client = client
        self.on_notify = on_notify
        self.notifying: list[str] = []

    async def write(self, char_uuid: str, data: bytes, *, response: bool | None = None) -> None:
        await self.client.write_gatt_char(char_uuid, data, response=response)

    async def read(self, char_uuid: str) -> bytes:
        return bytes(await self.client.read_gatt_char(char_uuid))

    async def start_notify(self, char_uuid: str) -> None:
        uuid = char_uuid.lower()

        def callback(_char: Any, data: bytearray) -> None:
            self.on_notify(uuid, bytes(data))

        await self.client.start_notify(uuid, callback)
        self.notifying.append(uuid)

    async def stop_notify(self, char_uuid: str) -> None:
        await self.client.stop_notify(char_uuid.lower())
        self.notifying.remove(char_uuid.lower())

    def has_characteristic(self, char_uuid: str) -> bool:
        services = self.client.services
        return services is not None and services.get_characteristic(char_uuid.lower()) is not None

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
