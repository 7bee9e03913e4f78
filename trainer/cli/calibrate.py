"""`balance-trainer calibrate`: guided sensor calibration."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import fail


def register(sub: Any) -> None:
    p = sub.add_parser("calibrate", help="guided sensor calibration")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    fail("`calibrate` is not implemented yet")
