"""Scan for nearby sensors: which supported profile each one matches, and its signal strength."""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass
from typing import Any

from firmware_bridge.ble.errors import BleUnavailableError, explain
from firmware_bridge.profiles import match_profile


@dataclass(frozen=True, slots=True)
class ScanResult:
    address: str
    name: str | None
    rssi: int | None
    profile: str | None  # None: not a supported sensor
    title: str | None
    service_uuids: tuple[str, ...]


async def scan_async(timeout_s: float = 5.0, include_unknown: bool = False) -> list[ScanResult]:
    """Devices advertising during ``timeout_s``: supported sensors first, strongest first."""
    from bleak import BleakScanner
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

    from firmware_bridge.ble.bluez import to_advertisement

    seen: dict[str, ScanResult] = {}

    def on_adv(device: BLEDevice, data: AdvertisementData) -> None:
        adv = to_advertisement(device, data)
        cls = match_profile(adv)
        seen[adv.address] = ScanResult(
            adv.address, adv.name, adv.rssi, cls.name if cls else None,
            cls.title if cls else None, adv.service_uuids,
        )

    async with BleakScanner(detection_callback=on_adv):
        await asyncio.sleep(timeout_s)
    results = [r for r in seen.values() if include_unknown or r.profile is not None]
    return sorted(results, key=lambda r: (r.profile is None, -(r.rssi or -999)))


def scan(timeout_s: float = 5.0, include_unknown: bool = False) -> list[ScanResult]:
    """Blocking scan in a private thread and event loop (safe to call from any thread, also one
    running an event loop). Raises :class:`BleUnavailableError` with a one-line explanation."""
    out: dict[str, Any] = {}

    def worker() -> None:
        from firmware_bridge.ble.bluez import release_loop_resources

        loop = asyncio.new_event_loop()
        try:
            out["results"] = loop.run_until_complete(scan_async(timeout_s, include_unknown))
        except BaseException as exc:
            out["error"] = exc
        finally:
            loop.run_until_complete(release_loop_resources())
            loop.close()

    thread = threading.Thread(target=worker, name="ble-scan", daemon=True)
    thread.start()
    thread.join()
    if "error" in out:
        raise BleUnavailableError(explain(out["error"])) from out["error"]
    results: list[ScanResult] = out["results"]
    return results
