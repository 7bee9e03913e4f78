"""Ankle balance and proprioception trainer.

Run as the ``balance-trainer`` command, Ctrl-C before :func:`trainer.cli.main.main` is ready to
report it (while the program is imported, its first ~0.2 s) ends it quietly instead of with a
traceback: SIGINT keeps its default action (terminate) until ``main`` installs Python's handler.
Imported as a library, nothing changes.
"""

import _signal  # the C module, already loaded: `signal` itself takes ms to import
import os as _os
import sys as _sys

__version__ = "0.1.0"


def _quiet_early_interrupt() -> None:
    """Default SIGINT action while the command starts (no KeyboardInterrupt traceback)."""
    as_command = (_os.path.basename(_sys.argv[0] if _sys.argv else "") == "balance-trainer"
                  or "trainer.cli.main" in getattr(_sys, "orig_argv", ()))
    if as_command and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)


_quiet_early_interrupt()
