"""BLE bridge: bleak in its own thread + event loop, reconnect, link statistics, scan.

Importing this package does not import bleak: the pure parts (``clock``, ``framing``,
``link_stats``) are used by the device profiles and by tests without a Bluetooth stack.
Use ``from firmware_bridge.ble.source import BleSource`` and
``from firmware_bridge.ble.scanner import scan``.
"""
