"""Is there a display to open a window on? (No Qt import: the CLI asks before loading Qt.)"""

from __future__ import annotations

import os
import sys


def no_display_reason(command: str = "demo", options: str = "") -> str | None:
    """One line saying there is no display and how to use Xvfb, or None when a window can open.

    ``options`` is the user's source option (e.g. ``--replay S``), repeated in the Xvfb hint.

    Linux/BSD only: without ``DISPLAY`` or ``WAYLAND_DISPLAY`` and with ``QT_QPA_PLATFORM`` unset,
    Qt would abort with a long xcb message. Setting ``QT_QPA_PLATFORM`` (e.g. ``offscreen``) means
    the user chose a platform, so we let Qt try.
    """
    if sys.platform.startswith(("win", "darwin")):
        return None
    env = os.environ
    if env.get("DISPLAY") or env.get("WAYLAND_DISPLAY") or env.get("QT_QPA_PLATFORM"):
        return None
    line = " ".join(filter(None, [f"balance-trainer {command}", options]))
    hint = f"`xvfb-run -a {line}`"
    if command == "demo" and not options:
        hint = f"`xvfb-run -a scripts/demo` (or {hint})"
    return (f"no display found (DISPLAY and WAYLAND_DISPLAY are unset): run it under Xvfb, "
            f"e.g. {hint}, or set QT_QPA_PLATFORM=offscreen")
