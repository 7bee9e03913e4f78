"""Small durable-file helpers: private modes, fsync of directories, atomic replace of a file.

Used by the session writer, the calibration profile store and the drill data store (all health
data: owner-only files, and a crash never leaves a half-written file behind).
"""

from __future__ import annotations

import contextlib
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

FILE_MODE = 0o600  # sessions are health data: owner only
DIR_MODE = 0o700


def fsync_dir(path: Path) -> None:
    """Make a directory's entries (new files, renames) durable."""
    # some systems refuse to open or fsync a directory (Windows, some filesystems): nothing more
    # we can do there
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_all(fd: int, data: bytes | memoryview) -> None:
    """``os.write`` until everything is written (regular files rarely write short, but may)."""
    view = memoryview(data)
    while view.nbytes:
        n = os.write(fd, view)
        view = view[n:]


def open_private(path: Path, *, append: bool = True, exclusive: bool = True) -> int:
    """Open a new file readable by the owner only, for writing (appending by default); returns
    the raw fd."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    if append:
        flags |= os.O_APPEND
    if exclusive:
        flags |= os.O_EXCL
    fd = os.open(path, flags, FILE_MODE)
    with contextlib.suppress(OSError):
        os.fchmod(fd, FILE_MODE)
    return fd


@contextlib.contextmanager
def replace_atomically(path: Path) -> Iterator[TextIO]:
    """A UTF-8 text file that replaces ``path`` when the block ends without an error.

    Written to an owner-only temporary file beside ``path``, fsync'd, renamed over ``path`` and
    the directory fsync'd: a reader sees either the old or the new file, never a half-written
    one. On an error (or Ctrl-C) the temporary file is removed and ``path`` is left as it was.
    Line ends are written as given (``"\n"`` on every platform).
    """
    with _replacing(path) as fd, os.fdopen(fd, "w", encoding="utf-8", newline="",
                                           closefd=False) as f:
        yield f


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: owner-only temporary file, fsync, rename (as
    :func:`replace_atomically`, for binary files such as PNG screenshots)."""
    with _replacing(path) as fd:
        write_all(fd, data)


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[int]:
    """The fd of an owner-only temporary file beside ``path``; when the block ends without an
    error it is fsync'd and renamed over ``path`` and the directory fsync'd, otherwise removed."""
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:8]}")
    try:
        fd = open_private(tmp, append=False)
        try:
            yield fd
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    fsync_dir(path.parent)


def write_json_atomic(path: Path, obj: Any) -> None:
    """Replace ``path`` with ``obj`` as indented JSON (see :func:`replace_atomically`)."""
    text = json.dumps(obj, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    with replace_atomically(path) as f:
        f.write(text)


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
