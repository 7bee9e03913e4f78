"""`balance-trainer scan`: list nearby supported sensors."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("scan", help="list nearby supported sensors")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`scan` is not implemented yet")
