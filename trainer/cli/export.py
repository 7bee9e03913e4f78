"""`balance-trainer export`: session directory to CSV."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("export", help="session directory to CSV")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`export` is not implemented yet")
