"""`balance-trainer doctor`: checks this computer and says, one line each, what to fix."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import duration_s


def register(sub: Any) -> None:
    p = sub.add_parser(
        "doctor", help="check Bluetooth, audio, display, folders and stored data",
        description="Check that this computer is ready: the Bluetooth stack (BlueZ and its "
        "version on Linux), adapter and permission, a supported sensor advertising nearby, the "
        "audio output, the display / Qt, the data and profile folders (writable, owner-only, "
        "free space), the stored safety answers and calibration profiles. One line per check "
        "with the fix for this platform. Exit status 1 when a check fails, else 0.",
    )
    p.add_argument("--json", action="store_true",
                   help="print everything as JSON (attach it to a support request)")
    p.add_argument("--scan-time", type=duration_s, default=4.0, metavar="S",
                   help="how long to look for an advertising sensor (default 4 s)")
    p.add_argument("--no-scan", action="store_true", help="skip the nearby-sensor scan")
    p.add_argument("--no-display", action="store_true", help="skip the Qt display probe")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trainer.doctor import FAIL, render_json, render_text, run_checks, worst
    from trainer.doctor.system import app_info

    info = app_info()
    if not args.json:
        print(f"balance-trainer {info['version']} doctor — {info['platform']} "
              f"{info['machine']}, Python {info['python']}", flush=True)
    checks = run_checks(scan_s=None if args.no_scan else args.scan_time,
                        display=not args.no_display)
    if args.json:
        print(render_json(info, checks))
    else:
        print(render_text("", checks).lstrip("\n"))
    return 1 if worst(checks) == FAIL else 0
