"""`balance-trainer record`: record a session headless."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("record", help="record a session headless")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`record` is not implemented yet")
