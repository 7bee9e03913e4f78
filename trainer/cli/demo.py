"""`balance-trainer demo`: the dashboard with a simulated sensor."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.dashboard import add_window_options, launch


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="the dashboard with a simulated sensor",
                       description="The dashboard streaming a simulated sensor (single-leg "
                       "stance with occasional balance losses). Needs a display; without one, "
                       "run it under Xvfb: xvfb-run -a balance-trainer demo")
    add_window_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    return launch(args, "demo")
