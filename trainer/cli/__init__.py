"""The ``balance-trainer`` command line (contract in DESIGN.md).

Run as the command, Ctrl-C before :func:`trainer.cli.main.main` is ready to report it (while
Python imports the program, the first ~0.2 s) ends the program quietly instead of printing a
traceback: SIGINT keeps its default action (terminate) until ``main`` installs Python's handler.
"""

import os as _os
import signal as _signal
import sys as _sys


def _quiet_early_interrupt() -> None:
    """Default SIGINT action while the command starts (no KeyboardInterrupt traceback)."""
    as_command = (_os.path.basename(_sys.argv[0] if _sys.argv else "") == "balance-trainer"
                  or "trainer.cli.main" in getattr(_sys, "orig_argv", ()))
    if as_command and _signal.getsignal(_signal.SIGINT) is _signal.default_int_handler:
        _signal.signal(_signal.SIGINT, _signal.SIG_DFL)


_quiet_early_interrupt()
