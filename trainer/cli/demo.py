"""`balance-trainer demo`: the dashboard with a simulated sensor."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="the dashboard with a simulated sensor")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`demo` is not implemented yet")
