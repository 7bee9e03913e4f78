"""The recently replayed sessions: kept in the settings store, offered in the Session menu and
on the replay bar."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu

MAX_RECENT = 10
KEY = "recent_sessions"


class RecentSessions:
    """Up to ``MAX_RECENT`` session paths, newest first, shown in ``menu`` and passed to
    ``show`` (the replay bar's list); a menu entry calls ``open_path``."""

    def __init__(self, store: Any, menu: QMenu, show: Callable[[list[str]], None],
                 open_path: Callable[[str], object]) -> None:
        self.store = store
        self.menu = menu
        self.show = show
        self.open_path = open_path
        self._set(self.paths())

    def paths(self) -> list[str]:
        value = self.store.value(KEY, [])
        return [str(v) for v in (value if isinstance(value, list) else [value]) if v]

    def remember(self, path: str) -> None:
        paths = [path] + [p for p in self.paths() if p != path]
        self.store.setValue(KEY, paths[:MAX_RECENT])
        self._set(paths[:MAX_RECENT])

    def _set(self, paths: list[str]) -> None:
        self.show(paths)
        self.menu.clear()
        for p in paths:
            act = QAction(Path(p).name, self.menu)
            act.triggered.connect(lambda _c=False, p=p: self.open_path(p))
            self.menu.addAction(act)
        self.menu.setEnabled(bool(paths))
