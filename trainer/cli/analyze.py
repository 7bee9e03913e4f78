"""`balance-trainer analyze`: sway metrics, events and drill results per session."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("analyze", help="sway metrics, events and drill results per session")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`analyze` is not implemented yet")
