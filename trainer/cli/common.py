"""Shared pieces of the command line: one-line errors, common options."""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from trainer.drills.ids import DRILL_IDS

EXIT_USAGE = 2


class CliError(Exception):
    """Bad input or an unusable file: reported as one line on stderr, exit status 2."""


class OneLineParser(argparse.ArgumentParser):
    """argparse that reports usage errors as a single line (contract: no multi-line noise)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


def add_drill_options(parser: argparse.ArgumentParser, *, required: bool = False) -> None:
    """``--drill/--side/--placement``, shared by record and import."""
    parser.add_argument("--drill", choices=DRILL_IDS, required=required, default=None,
                        help="drill id (default: single-leg-balance)")
    parser.add_argument("--side", choices=("left", "right"), required=required, default=None,
                        help="leg the sensor is on (default: left)")
    parser.add_argument("--placement", choices=("shank", "foot"), default=None,
                        help="where the sensor is strapped (default: the drill's placement)")


def fail(message: str) -> NoReturn:
    raise CliError(message)


def warn(message: str) -> None:
    print(message, file=sys.stderr)
