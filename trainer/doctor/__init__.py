"""`balance-trainer doctor`: is this computer ready — Bluetooth, audio, display, folders, stored
answers and profiles — and if not, what to do. Qt-free: the display is probed in a subprocess."""

from __future__ import annotations

from trainer.doctor.report import FAIL, OK, SKIP, WARN, Check, render_json, render_text, worst

__all__ = ["FAIL", "OK", "SKIP", "WARN", "Check", "render_json", "render_text", "run_checks",
           "worst"]


def run_checks(*, scan_s: float | None = 4.0, display: bool = True) -> list[Check]:
    """Every check, in the order they print. ``scan_s`` None skips the nearby-sensor scan;
    ``display`` False skips the Qt probe (a few seconds)."""
    from trainer.doctor.bluetooth import bluetooth_checks
    from trainer.doctor.system import (
        audio_check,
        display_check,
        folder_checks,
        profile_checks,
        safety_check,
    )

    checks = bluetooth_checks(scan_s)
    checks.append(audio_check())
    checks.append(display_check() if display else
                  Check("display.qt", "Display / Qt", SKIP, "not probed (--no-display)"))
    checks.extend(folder_checks())
    checks.append(safety_check())
    checks.extend(profile_checks())
    return checks
