"""Single key presses from the terminal while a command runs (``record``'s touchdown key).

``KeyReader`` puts a terminal stdin into cbreak mode (keys arrive one by one, no echo, Ctrl-C
still raises SIGINT) and hands out what was typed without blocking (``poll``). The terminal's
settings are restored on every way out of the ``with`` block (normal end, exception, Ctrl-C,
SIGTERM turned into a clean stop) and, as a last resort, at interpreter exit. When stdin is not
a terminal, or the process runs in the background of its terminal (changing the settings
would stop it with SIGTTOU), the reader is inactive: ``poll`` returns nothing and nothing is
changed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any, TextIO

#: Keys in ``record``: the lifted foot touched down (as T in the dashboard), and a marker (M).
TOUCHDOWN_KEYS = frozenset("tT")
MARKER_KEYS = frozenset("mM")
#: …and, with several sensors, skip the sync jump the drill waits for (it hurts, or cannot).
SKIP_KEYS = frozenset("sS")


class KeyReader:
    """Non-blocking key presses from a terminal stdin; a no-op when stdin is not a terminal."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = sys.stdin if stream is None else stream
        self._fd: int | None = None
        self._saved: list[Any] | None = None

    @property
    def active(self) -> bool:
        """Keys are being read (stdin is this process's foreground terminal)."""
        return self._saved is not None

    def __enter__(self) -> KeyReader:
        try:
            import termios
            import tty
        except ImportError:  # no POSIX terminal (Windows): no keys
            return self
        try:
            fd = self._stream.fileno()
            if not os.isatty(fd) or _in_background(fd):
                return self  # not a terminal, or in the background: stay inactive
            saved = termios.tcgetattr(fd)
        except (OSError, ValueError, AttributeError, termios.error):
            return self
        self._fd, self._saved = fd, saved
        atexit.register(self.restore)  # should the with-block be skipped (os._exit aside)
        try:
            tty.setcbreak(fd, termios.TCSANOW)  # ISIG stays on: Ctrl-C is still SIGINT
        except (OSError, termios.error):
            self.restore()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the terminal back as it was (idempotent). Keys typed but not read are dropped
        so that they do not reach a later prompt."""
        import termios

        fd, saved = self._fd, self._saved
        if fd is None or saved is None:
            return
        self._fd = self._saved = None
        atexit.unregister(self.restore)
        with contextlib.suppress(OSError, termios.error):
            termios.tcsetattr(fd, termios.TCSAFLUSH, saved)

    def poll(self) -> str:
        """The keys typed since the last call ('' when none or inactive); never blocks."""
        fd = self._fd
        if fd is None:
            return ""
        chunks: list[bytes] = []
        try:
            while select.select([fd], [], [], 0)[0]:
                data = os.read(fd, 64)
                if not data:  # end of input (the terminal hung up)
                    self.restore()
                    break
                chunks.append(data)
        except (OSError, ValueError):
            return ""
        return b"".join(chunks).decode("utf-8", "replace")


def _in_background(fd: int) -> bool:
    """This process is in the background of its controlling terminal ``fd`` (changing the
    terminal's settings would stop it). A terminal that is not ours to control: False."""
    try:
        return os.tcgetpgrp(fd) != os.getpgrp()
    except OSError:  # not the controlling terminal: no job control, no SIGTTOU
        return False


def key_hint(*, touchdown: bool, sync_jump: bool = False) -> str:
    """The start-up line that says which keys do what."""
    skip = "s = skip the sync jump, " if sync_jump else ""
    if touchdown:
        return ("Keys: t = my lifted foot touched down (ends the trial there), m = marker, "
                f"{skip}Ctrl-C = stop")
    return f"Keys: m = marker, {skip}Ctrl-C = stop"


def apply_keys(text: str, session: Any, say: Callable[[str], None], *,
               touchdown: bool) -> None:
    """Turn typed keys into the training session's user events (the dashboard's T and M) and
    confirm each on the terminal; other keys are ignored."""
    for ch in text:
        if ch in SKIP_KEYS:
            if session.skip_sync_jump():
                say("sync jump skipped: the drill starts")
            continue
        if touchdown and ch in TOUCHDOWN_KEYS:
            kind, label = "user_touchdown", "touchdown"
        elif ch in MARKER_KEYS:
            kind, label = "marker", "marker"
        else:
            continue
        t = session.user_event(kind)
        say(f"{label} marked at {t:.1f} s" if t is not None
            else f"{label} not marked: no data yet")
