"""Entry point: builds the sub-command parsers and turns errors into one line + exit status 2.

Each sub-command lives in its own module with ``register(subparsers)`` that adds a parser whose
``func`` default is ``run(args) -> int``. Heavy imports (Qt, bleak, scipy) happen inside ``run``
so ``--help`` and the light commands start fast.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any, NoReturn

# One BLAS thread unless the user says otherwise: the app's matrices are 3×3 and 4×4, so a
# thread pool only costs start-up CPU (~30 ms when numpy loads) and spins on a busy machine.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

from trainer.cli.common import EXIT_USAGE, CliError, OneLineParser  # noqa: E402

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


#: Commands that stop cleanly on SIGTERM (temporary files removed, exit status 143); record and
#: the dashboard handle signals themselves.
TERMINABLE = ("import", "export", "analyze", "report", "history", "calibrate", "safety", "scan")


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like Ctrl-C so every ``finally`` removes its temporary files."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


#: Ctrl-C arrived during this ``main``: C code may swallow the KeyboardInterrupt and raise
#: something else (numpy's import turns it into an ImportError about "datetime"), leaving no
#: trace in the chain. A plain flag: a lock (threading.Event) in a signal handler can deadlock
#: when a second Ctrl-C interrupts the first handler.
_interrupt_seen = False


def _on_sigint(signum: int, frame: object) -> None:
    """Python's Ctrl-C behaviour (KeyboardInterrupt), remembering that it happened."""
    global _interrupt_seen
    _interrupt_seen = True
    raise KeyboardInterrupt


def _install_handlers(command: str | None) -> dict[int, Any]:
    """Python's Ctrl-C handler (the command line starts with the default action, see
    ``trainer.cli``), and SIGTERM → :class:`Terminated` for :data:`TERMINABLE` commands.
    Returns the handlers replaced (restored when ``main`` returns: tests call it in-process)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    old: dict[int, Any] = {}
    if signal.getsignal(signal.SIGINT) is signal.SIG_DFL:
        old[signal.SIGINT] = signal.signal(signal.SIGINT, _on_sigint)
    if command in TERMINABLE and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        old[signal.SIGTERM] = signal.signal(signal.SIGTERM, _on_sigterm)
    return old


def _caused_by_interrupt(exc: BaseException) -> bool:
    """True when Ctrl-C is somewhere in ``exc``'s chain (Python wraps a KeyboardInterrupt
    raised in ``__set_name__`` into a RuntimeError, for one)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        if isinstance(cur, KeyboardInterrupt):
            return True
        seen.add(id(cur))
        cur = cur.__cause__ or cur.__context__
    return False


#: Commands that run the Qt window: as a process of their own they leave at once when the
#: window has closed (see :func:`_leave_now`).
WINDOW_COMMANDS = ("dashboard", "demo")


def main(argv: Sequence[str] | None = None) -> int:
    status = _main(argv)
    given = sys.argv[1:] if argv is None else []
    if argv is None and next((a for a in given if not a.startswith("-")), "") in WINDOW_COMMANDS:
        _leave_now(status)
    return status


def _leave_now(status: int) -> NoReturn:
    """End the process without Python's and Qt's teardown. The window has closed: the drill's
    recording is finalised (``complete``, fsync'd), the settings synced; what is left is freeing
    ~100 widgets and every module, which takes seconds on a loaded machine (measured 3-5 s after
    a signal, see the README) and saves nothing. Only for a process of its own (``argv`` None):
    tests call :func:`main` in-process."""
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _main(argv: Sequence[str] | None) -> int:
    given = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in given if not a.startswith("-")), "?")
    replaced: dict[int, Any] = {}
    global _interrupt_seen
    _interrupt_seen = False
    try:
        replaced = _install_handlers(None)  # Ctrl-C while parsing: a clean "interrupted"
        parser = build_parser()
        args = parser.parse_args(argv)
        command = args.command
        replaced.update(_install_handlers(command))
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"balance-trainer {command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"balance-trainer {command}: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print(f"balance-trainer {command}: terminated", file=sys.stderr)
        return 143
    except BrokenPipeError:
        return 0
    except Exception as exc:  # last resort: never a traceback for the user
        # e.g. Ctrl-C inside a class body, or inside numpy's C import, during an import
        if _caused_by_interrupt(exc) or _interrupt_seen:
            print(f"balance-trainer {command}: interrupted", file=sys.stderr)
            return 130
        if os.environ.get("BALANCE_TRAINER_DEBUG"):
            raise
        print(
            f"balance-trainer {command}: internal error: {type(exc).__name__}: {exc} "
            "(set BALANCE_TRAINER_DEBUG=1 for details)",
            file=sys.stderr,
        )
        return 1
    finally:
        for signum, handler in replaced.items():
            signal.signal(signum, handler)


if __name__ == "__main__":
    sys.exit(main())
