"""`balance-trainer dashboard`: the dashboard (live sensor, simulation or replay)."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("dashboard", help="the dashboard (live sensor, simulation or replay)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`dashboard` is not implemented yet")
