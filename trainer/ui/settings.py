"""Plain data the panels hand to the window (no Qt): what drill to run and how to give feedback;
and where the dashboard keeps its settings (:func:`open_settings`, Qt imported only there)."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from PySide6.QtCore import QSettings


@dataclass(frozen=True)
class DrillSettings:
    drill_id: str = "single-leg-balance"
    side: str = "left"
    eyes: str = "open"
    surface: str = "firm"
    duration_s: float = 30.0  # per set, for hold and balance drills
    record: bool = True
    sets: int | None = None  # None: the drill's default

    def parameters(self) -> dict[str, Any]:
        """The panel's choices as stored in session.json."""
        d = asdict(self)
        for key in ("record", "drill_id", "side"):
            d.pop(key)
        return d


@dataclass(frozen=True)
class FeedbackSettings:
    visual: bool = True
    audio: bool = False
    mode: str = "concurrent"  # trainer.feedback.FADING_MODES
    target_radius_deg: float = 3.0
    range_deg: float = 8.0


#: The dashboard's own settings file (recent sessions, injured side…), in the app's config
#: folder: ``$BALANCE_TRAINER_HOME/config`` when that is set, else the platform's.
SETTINGS_FILE = "dashboard.ini"


def settings_file() -> Path:
    from trainer.paths import config_dir

    return config_dir() / SETTINGS_FILE


def open_settings() -> QSettings:
    """The dashboard's settings store: an INI file in the app's config folder (never the
    toolkit's global location), the folder 0700 and the file 0600 (it lists session paths).
    A folder that cannot be made leaves the settings in memory for this run."""
    from PySide6.QtCore import QSettings

    from trainer.fsutil import FILE_MODE, open_private
    from trainer.paths import ensure_private_dir

    path = settings_file()
    try:
        ensure_private_dir(path.parent)
        if path.exists():
            path.chmod(FILE_MODE)
        else:  # created owner-only: Qt keeps an existing file's permissions when it rewrites it
            os.close(open_private(path, append=False))
    except OSError:
        pass
    return QSettings(str(path), QSettings.Format.IniFormat)
