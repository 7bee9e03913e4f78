"""Is there a display to open a window on? (No Qt import: the CLI asks before loading Qt.)"""

from __future__ import annotations

import os
import sys


def no_display_reason(command: str = "demo") -> str | None:
    """One line saying there is no display and how to use Xvfb, or None when a window can open.

    Linux/BSD only: without ``DISPLAY`` or ``WAYLAND_DISPLAY`` and with ``QT_QPA_PLATFORM`` unset,
    Qt would abort with a long xcb message. Setting ``QT_QPA_PLATFORM`` (e.g. ``offscreen``) means
    the user chose a platform, so we let Qt try.
    """
    if sys.platform.startswith(("win", "darwin")):
        return None
    env = os.environ
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return None
    hint = "xvfb-run -a " + ("scripts/demo" if command == "demo" else f"balance-trainer {command}")
    return (f"no display found (DISPLAY and WAYLAND_DISPLAY are unset): run it under Xvfb, "
            f"e.g. `{hint}` (or `xvfb-run -a balance-trainer {command}`), "
            "or set QT_QPA_PLATFORM=offscreen")
