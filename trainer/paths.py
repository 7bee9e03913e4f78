"""Where the app keeps user data: sessions, calibration profiles, settings.

``BALANCE_TRAINER_HOME`` overrides the platform directories (tests, portable installs).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import platformdirs

APP_NAME = "balance-trainer"


def _home() -> Path | None:
    value = os.environ.get("BALANCE_TRAINER_HOME")
    return Path(value) if value else None


def data_dir() -> Path:
    home = _home()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    home = _home()
    if home:
        return home / "config"
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def sessions_dir() -> Path:
    """Default folder of recorded sessions (one sub-directory per session)."""
    return data_dir() / "sessions"


def profiles_dir() -> Path:
    """Per-sensor calibration profiles."""
    return config_dir() / "profiles"


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only: sessions are health data."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        path.chmod(0o700)
    return path
