"""Small durable-file helpers: private modes, fsync of directories, atomic JSON replace."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

FILE_MODE = 0o600  # sessions are health data: owner only
DIR_MODE = 0o700


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        os.fsync(fd)
    except OSError:  # some filesystems refuse fsync on directories; nothing more we can do
        pass
    finally:
        os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """``os.write`` until everything is written (regular files rarely write short, but may)."""
    view = memoryview(data)
    while view.nbytes:
        n = os.write(fd, view)
        view = view[n:]


def open_private(path: Path, *, append: bool = True, exclusive: bool = True) -> int:
    """Open a new file readable by the owner only, for appending; returns the raw fd."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    if append:
        flags |= os.O_APPEND
    if exclusive:
        flags |= os.O_EXCL
    fd = os.open(path, flags, FILE_MODE)
    with contextlib.suppress(OSError):
        os.fchmod(fd, FILE_MODE)
    return fd


def write_json_atomic(path: Path, obj: Any) -> None:
    """Replace ``path`` with ``obj`` as JSON: temp file + fsync + rename + fsync of the directory.

    A reader sees either the old or the new file, never a half-written one.
    """
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0),
                 FILE_MODE)
    try:
        with contextlib.suppress(OSError):
            os.fchmod(fd, FILE_MODE)
        write_all(fd, text.encode("utf-8"))
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def make_private_dir(path: Path, *, allow_empty_existing: bool = True) -> None:
    """Create ``path`` with mode 0700 (parents too). An existing directory must be empty."""
    if path.exists():
        if not path.is_dir():
            raise FileExistsError(f"{path} exists and is not a directory")
        if not allow_empty_existing or any(path.iterdir()):
            raise FileExistsError(f"{path} exists and is not empty (refusing to overwrite)")
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=DIR_MODE)
    with contextlib.suppress(OSError):
        path.chmod(DIR_MODE)


def _json_default(value: Any) -> Any:
    """numpy scalars/arrays and paths in meta data or events become plain JSON."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def json_line(obj: Any) -> bytes:
    """One compact JSON line (for events.jsonl)."""
    return (json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_json_default)
            + "\n").encode("utf-8")
