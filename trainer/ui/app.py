"""Start the dashboard: logging, QApplication, the window, the first source, clean exits on
Ctrl-C / SIGTERM, --quit-after/--screenshot."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from trainer.ui.logs import setup_logging
from trainer.ui.main_window import MainWindow

log = logging.getLogger(__name__)


@dataclass
class LaunchOptions:
    quit_after_s: float | None = None
    screenshot: Path | None = None
    size: tuple[int, int] = (1560, 940)
    audio: bool = True
    start_drill: bool = False  # start the selected drill right away (demo, screenshots)


def ensure_app() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("balance-trainer")
        app.setOrganizationName("balance-trainer")
    return app  # type: ignore[return-value]


def save_screenshot(window: MainWindow, path: Path) -> bool:
    """A PNG of the window, written atomically and owner-only (the path was checked by the
    command line: an existing folder, not a session, not another kind of file)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice

    from trainer.fsutil import write_bytes_atomic

    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    if not window.grab().save(buf, "PNG"):
        return False
    buf.close()
    try:
        write_bytes_atomic(path, bytes(data.data()))
    except OSError as exc:
        print(f"balance-trainer: cannot write the screenshot {path}: {exc.strerror or exc}",
              file=sys.stderr)
        return False
    return True


class StopOnSignal:
    """Ctrl-C (SIGINT) and SIGTERM close the window like its close button: the drill and the
    recording are finished (``complete``, summary), then the event loop ends, exit status 0.

    Python runs a signal handler only between bytecodes, so the handler just notes the signal;
    a 100 ms timer (Python code, so pending handlers run even when the window is idle) acts on
    it from the event loop, never inside another slot. The old handlers come back in
    :meth:`restore`."""

    def __init__(self, app: QApplication, window: MainWindow) -> None:
        self.app = app
        self.window = window
        self.received: int | None = None
        self._old = {sig: signal.signal(sig, self._note) for sig in (signal.SIGINT,
                                                                     signal.SIGTERM)}
        self.timer = QTimer()
        self.timer.setInterval(100)
        self.timer.timeout.connect(self._check)
        self.timer.start()

    def _note(self, signum: int, _frame: object) -> None:
        self.received = signum

    def _check(self) -> None:
        if self.received is None:
            return
        self.timer.stop()
        log.info("signal %d: closing the dashboard", self.received)
        self.window.close()
        self.app.quit()

    def restore(self) -> None:
        self.timer.stop()
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def run_dashboard(setup: Callable[[MainWindow], None], options: LaunchOptions,
                  window_options: dict[str, Any] | None = None) -> int:
    """Show the window, let ``setup`` choose the source, run the event loop; exit status."""
    setup_logging()
    app = ensure_app()
    window = MainWindow(audio=options.audio, **(window_options or {}))
    window.resize(*options.size)
    window.show()
    setup(window)
    if options.start_drill:
        window.drill_panel.start_button.click()
    status = {"screenshot_ok": True}

    def finish() -> None:
        if options.screenshot is not None:
            status["screenshot_ok"] = save_screenshot(window, options.screenshot)
        window.close()
        app.quit()

    if options.quit_after_s is not None:
        QTimer.singleShot(int(options.quit_after_s * 1000), finish)
    elif options.screenshot is not None:
        # a screenshot without --quit-after: take it after 5 s, keep running
        QTimer.singleShot(5000, lambda: save_screenshot(window, options.screenshot))  # type: ignore[arg-type]
    stopper = StopOnSignal(app, window)
    try:
        app.exec()
    finally:
        stopper.restore()
    if window.isVisible():  # the loop ended some other way: finish the drill all the same
        window.close()
    window.settings_store.sync()  # on disk now: the process may end without Qt's teardown
    return 0 if status["screenshot_ok"] else 1
