"""`balance-trainer history`: past sessions and progress."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("history", help="past sessions and progress")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`history` is not implemented yet")
