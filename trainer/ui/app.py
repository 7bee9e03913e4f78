"""Start the dashboard: QApplication, the window, the first source, --quit-after/--screenshot."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from trainer.ui.main_window import MainWindow


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


def run_dashboard(setup: Callable[[MainWindow], None], options: LaunchOptions) -> int:
    """Show the window, let ``setup`` choose the source, run the event loop; exit status."""
    app = ensure_app()
    window = MainWindow(audio=options.audio)
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
    app.exec()
    return 0 if status["screenshot_ok"] else 1
