"""The dashboard's log: stdlib ``logging`` to ``dashboard.log`` in the app's data folder.

Errors the dashboard catches (so that it keeps running) are logged here with their traceback, and
shown in one line on the status bar. The file rotates at 1 MB (three old files kept); if the data
folder cannot be written, warnings and errors go to stderr instead.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

LOG_NAME = "dashboard.log"
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_path: Path | None = None


def log_path() -> Path:
    from trainer.paths import data_dir

    return data_dir() / LOG_NAME


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log ``trainer``'s messages to the log file (and warnings to stderr). Idempotent;
    returns the file (None: not writable)."""
    global _path
    root = logging.getLogger("trainer")
    if getattr(root, "_dashboard_configured", False):
        return _path
    root.setLevel(level)
    try:
        from trainer.paths import ensure_private_dir

        path = log_path()
        ensure_private_dir(path.parent)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
        _path = path
    except OSError as exc:
        print(f"balance-trainer: warning: no log file ({exc}); errors go to stderr",
              file=sys.stderr)
        _path = None
    if _path is None:
        err = logging.StreamHandler(sys.stderr)
        err.setLevel(logging.WARNING)
        err.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(err)
    root._dashboard_configured = True  # type: ignore[attr-defined]
    return _path


def log_hint() -> str:
    """Where to look for the details (for status-bar lines)."""
    return str(_path) if _path is not None else "the terminal"
