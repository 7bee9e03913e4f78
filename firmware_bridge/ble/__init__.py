"""BLE bridge: bleak in its own thread + event loop, reconnect, link statistics, scan.

Main interface: ``BleSource`` (a :class:`~trainer.vocab.source.Source`), ``connect_source``
(start + wait for the first connection, one-line ``BleConnectError``), ``scan()`` →
``ScanResult`` list, ``LinkStats``. They are loaded lazily: importing this package does not import
bleak, so the pure parts (``clock``, ``framing``, ``link_stats``) serve the device profiles and
tests without a Bluetooth stack.
"""

from __future__ import annotations

from typing import Any

_LAZY = {
    "BleSource": "firmware_bridge.ble.source",
    "BleConnectError": "firmware_bridge.ble.source",
    "connect_source": "firmware_bridge.ble.source",
    "scan": "firmware_bridge.ble.scanner",
    "ScanResult": "firmware_bridge.ble.scanner",
    "LinkStats": "firmware_bridge.ble.link_stats",
    "BleUnavailableError": "firmware_bridge.ble.errors",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
