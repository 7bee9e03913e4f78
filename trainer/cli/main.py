"""Entry point: builds the sub-command parsers and turns errors into one line + exit status 2.

Each sub-command lives in its own module with ``register(subparsers)`` that adds a parser whose
``func`` default is ``run(args) -> int``. Heavy imports (Qt, bleak, scipy) happen inside ``run``
so ``--help`` and the light commands start fast.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from trainer.cli.common import EXIT_USAGE, CliError, OneLineParser

COMMANDS = (
    "demo",
    "dashboard",
    "scan",
    "record",
    "import_cmd",
    "export",
    "analyze",
    "calibrate",
    "history",
    "report",
    "safety",
    "doctor",
    "install_desktop",
    "samples",
)


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="balance-trainer",
        description="Ankle balance and proprioception trainer.",
    )
    parser.add_argument("--version", action="version", version="%(prog)s 0.1.0")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    sub.required = True
    for name in COMMANDS:
        module = importlib.import_module(f"trainer.cli.{name}")
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"balance-trainer {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"balance-trainer {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: never a traceback for the user
        if os.environ.get("BALANCE_TRAINER_DEBUG"):
            raise
        print(
            f"balance-trainer {args.command}: internal error: {type(exc).__name__}: {exc} "
            "(set BALANCE_TRAINER_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
