"""Shared pieces of the command line: one-line errors, common options."""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import NoReturn

from trainer.vocab.ids import DRILL_IDS

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
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number: {text!r}")
    return value


#: Sane ranges of flag values (anything outside makes analysis loop, allocate or mean nothing).
RATE_MIN_HZ, RATE_MAX_HZ = 1.0, 10_000.0
DURATION_MIN_S, DURATION_MAX_S = 0.1, 86_400.0


def _bounded_float(text: str, lo: float, hi: float, unit: str) -> float:
    value = positive_float(text)
    if not lo <= value <= hi:
        raise argparse.ArgumentTypeError(f"must be within {lo:g}..{hi:g} {unit}: {text!r}")
    return value


def rate_hz(text: str) -> float:
    """argparse type for a sample rate: 1..10 000 Hz."""
    return _bounded_float(text, RATE_MIN_HZ, RATE_MAX_HZ, "Hz")


def duration_s(text: str) -> float:
    """argparse type for a duration: 0.1 s..24 h."""
    return _bounded_float(text, DURATION_MIN_S, DURATION_MAX_S, "s")


def ble_address(text: str) -> str:
    """argparse type for ``--device``: a Bluetooth address, checked before anything connects."""
    from firmware_bridge.ble.address import is_ble_address

    if not is_ble_address(text):
        raise argparse.ArgumentTypeError(
            f"not a Bluetooth address: {text!r} (expected AA:BB:CC:DD:EE:FF; "
            "`balance-trainer scan` lists nearby sensors)")
    return text


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


def drop_unused_session_dir(args: argparse.Namespace, out: Path) -> None:
    """Remove the folder :func:`resolve_drill_options` reserved (no ``--out``) when nothing was
    written into it (the session never started, or an import put its sessions elsewhere)."""
    if args.out is None:
        from trainer.training.session import release_session_dir

        release_session_dir(out)


def resolve_drill_options(args: argparse.Namespace) -> tuple[str, str, str, Path]:
    """Drill, side, placement and session folder from ``--drill/--side/--placement/--out``.

    Defaults: single-leg balance, left leg, the placement the drill's catalog entry asks for, a
    new folder in the sessions folder (created empty to reserve its name: callers drop it with
    :func:`drop_unused_session_dir` when they wrote nothing).
    """
    from trainer.drills.catalog import get_drill

    drill = args.drill or "single-leg-balance"
    side = args.side or "left"
    placement = args.placement or get_drill(drill).placement
    if args.out is not None:
        from trainer.outputs import OutputError, check_output_dir

        inputs = [Path(f) for f in getattr(args, "files", None) or []]
        try:
            out = check_output_dir(args.out, option="--out", inputs=inputs)
        except OutputError as exc:
            fail(str(exc))
    else:
        out = new_session_dir(drill, side)
    return drill, side, placement, out


def new_session_dir(drill: str, side: str) -> Path:
    """A fresh ``<UTC time>-<drill>-<side>`` folder in the sessions folder (created empty)."""
    from trainer.paths import ensure_private_dir, sessions_dir

    try:
        root = ensure_private_dir(sessions_dir())
    except OSError as exc:
        fail(f"cannot use the sessions folder {sessions_dir()}: {exc.strerror or exc} "
             "(give --out DIR, or set BALANCE_TRAINER_HOME)")
    if not os.access(root, os.W_OK | os.X_OK):
        fail(f"cannot write to the sessions folder {root} (give --out DIR)")
    from trainer.training.session import new_session_dir as fresh

    return fresh(drill, side, root)
