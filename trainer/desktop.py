"""A freedesktop launcher (``.desktop`` entry + icon) for the dashboard, in the user's XDG dirs.

``$XDG_DATA_HOME`` (default ``~/.local/share``) gets ``applications/balance-trainer.desktop`` and
``icons/hicolor/scalable/apps/balance-trainer.svg``; menus (GNOME, KDE, Xfce…) pick them up.
The entry runs this very interpreter (``python -m trainer.cli.main``), so it works from a pipx
install, a virtualenv or a checkout even when ``~/.local/bin`` is not on the desktop's PATH.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from importlib.resources import files
from pathlib import Path

APP_ID = "balance-trainer"
DESKTOP_FILE = f"{APP_ID}.desktop"
ICON_FILE = f"{APP_ID}.svg"


def data_home() -> Path:
    value = os.environ.get("XDG_DATA_HOME", "")
    # the spec: a relative or empty value is invalid and means the default
    return Path(value) if value and os.path.isabs(value) else Path.home() / ".local" / "share"


def launcher_paths() -> tuple[Path, Path]:
    root = data_home()
    return (root / "applications" / DESKTOP_FILE,
            root / "icons" / "hicolor" / "scalable" / "apps" / ICON_FILE)


def _exec(*args: str) -> str:
    """An Exec value: each argument quoted as the Desktop Entry spec asks."""
    def quote(arg: str) -> str:
        if arg and all(c.isalnum() or c in "-_./:=+," for c in arg):
            return arg
        escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") \
            .replace("$", "\\$")
        return f'"{escaped}"'
    # then the string-value escape (a backslash is written twice) and the field-code escape
    return " ".join(quote(a) for a in args).replace("\\", "\\\\").replace("%", "%%")


def desktop_entry(python: str | None = None, sample: Path | None = None) -> str:
    py = python or sys.executable
    base = (py, "-m", "trainer.cli.main")
    lines = [
        "[Desktop Entry]",
        "Type=Application",
        "Version=1.4",
        "Name=Ankle Balance Trainer",
        "GenericName=Balance trainer",
        "Comment=Ankle balance and proprioception training with a Bluetooth motion sensor",
        f"Exec={_exec(*base, 'dashboard')}",
        f"TryExec={_exec(py)}",
        f"Icon={APP_ID}",
        "Terminal=false",
        "StartupNotify=true",
        "Categories=Science;MedicalSoftware;",
        "Keywords=ankle;balance;rehab;proprioception;IMU;sway;physiotherapy;",
        "Actions=demo;" + ("sample;" if sample else ""),
        "",
        "[Desktop Action demo]",
        "Name=Demo (simulated sensor)",
        f"Exec={_exec(*base, 'demo')}",
    ]
    if sample is not None:
        lines += ["", "[Desktop Action sample]", "Name=Replay a sample session",
                  f"Exec={_exec(*base, 'dashboard', '--replay', str(sample))}"]
    return "\n".join(lines) + "\n"


def _refresh(root: Path) -> None:
    """Let menus notice at once (best effort: the tools are optional)."""
    for cmd in (["update-desktop-database", "-q", str(root / "applications")],
                ["gtk-update-icon-cache", "-q", "-t", str(root / "icons" / "hicolor")]):
        if shutil.which(cmd[0]):
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                subprocess.run(cmd, capture_output=True, timeout=30, check=False)


def install(python: str | None = None) -> tuple[Path, Path]:
    from trainer.fsutil import replace_atomically
    from trainer.samples import sample_path

    entry_path, icon_path = launcher_paths()
    entry_path.parent.mkdir(parents=True, exist_ok=True)
    icon_path.parent.mkdir(parents=True, exist_ok=True)
    icon = (files("trainer") / "assets" / ICON_FILE).read_text(encoding="utf-8")
    with replace_atomically(icon_path) as f:
        f.write(icon)
    icon_path.chmod(0o644)
    text = desktop_entry(python, sample_path("single-leg-balance-eyes-closed-loss"))
    with replace_atomically(entry_path) as f:
        f.write(text)
    entry_path.chmod(0o755)  # some desktops only trust executable launchers
    _refresh(data_home())
    return entry_path, icon_path


def uninstall() -> list[Path]:
    removed = []
    for path in launcher_paths():
        if path.exists():
            path.unlink()
            removed.append(path)
    if removed:
        _refresh(data_home())
    return removed

