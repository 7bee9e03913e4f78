"""The package's public names load lazily: importing the profiles never imports bleak."""

from __future__ import annotations

import subprocess
import sys


def test_public_names_and_lazy_bleak() -> None:
    code = (
        "import sys, firmware_bridge.ble as b, firmware_bridge.profiles\n"
        "assert 'bleak' not in sys.modules\n"
        "from firmware_bridge.ble import BleSource, scan, connect_source, LinkStats\n"
        "print(BleSource('AA:BB:CC:DD:EE:FF').info.sample_rate_hz)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "100.0"
