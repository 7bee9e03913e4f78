"""`balance-trainer import`: CSV to session directory."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("import", help="CSV to session directory")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`import` is not implemented yet")
