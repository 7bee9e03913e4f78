"""`balance-trainer install-desktop`: a menu launcher with an icon for the dashboard (Linux)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from trainer.cli.common import CliError

ELSEWHERE = ("install-desktop adds a freedesktop (Linux) launcher; on macOS and Windows see the "
             "README section 'Start it without a terminal'")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "install-desktop", help="add a launcher with an icon to the desktop's app menu (Linux)",
        description="Add 'Ankle Balance Trainer' to the app menu (a freedesktop .desktop entry "
        "and an icon in $XDG_DATA_HOME, default ~/.local/share). It starts the dashboard with "
        "this Python; right-click actions start the demo or replay a sample. --uninstall removes "
        "them again.",
    )
    p.add_argument("--uninstall", action="store_true", help="remove the launcher and icon")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trainer import desktop

    if sys.platform == "darwin" or sys.platform == "win32":
        raise CliError(ELSEWHERE)
    if args.uninstall:
        removed = desktop.uninstall()
        if not removed:
            print("no launcher was installed")
        for path in removed:
            print(f"removed {path}")
        return 0
    try:
        entry, icon = desktop.install()
    except OSError as exc:
        raise CliError(f"cannot write the launcher: {exc.strerror or exc}: "
                       f"{exc.filename or ''}") from None
    print(f"launcher: {entry}\nicon:     {icon}\n'Ankle Balance Trainer' is now in the app menu "
          "(log out and in if it does not show yet); remove it with "
          "'balance-trainer install-desktop --uninstall'")
    return 0
