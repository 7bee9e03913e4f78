"""`balance-trainer report`: HTML report of a session or of progress."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("report", help="HTML report of a session or of progress")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`report` is not implemented yet")
