"""Where a command may write: output paths checked before anything is written.

Every output option (``export --out``, ``analyze --series``, ``report --out``, ``--screenshot``,
``import/record --out``) goes through :func:`check_output_file` or :func:`check_output_dir`, so
no option can write into a session directory or over one of the command's inputs, over a
directory or a special file, or over an existing file of another kind (a screenshot never
replaces a CSV, a report never replaces a session file). Missing folders are not created: a typo
in a path is an error, not a new folder tree. Files themselves are written atomically and
owner-only with :func:`trainer.fsutil.replace_atomically` / :func:`write_bytes_atomic`.

Problems are :class:`OutputError` with a one-line message.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from trainer.fsutil import replace_atomically, write_bytes_atomic

#: What an existing file must start with to be replaced, per kind of output.
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "png": (b"\x89PNG\r\n\x1a\n",),
    "html": (b"<!DOCTYPE html", b"<!doctype html", b"<html"),
    "csv": (b"t_s,",),
    "json": (b"{",),
}
SESSION_MARKER = "session.json"


class OutputError(ValueError):
    """An output path that must not be written (one line)."""


def session_dir_of(path: Path) -> Path | None:
    """The session directory ``path`` lies in (itself or an ancestor holding a session.json)."""
    for folder in (path, *path.parents):
        if (folder / SESSION_MARKER).exists():
            return folder
    return None


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        raise OutputError(f"{path}: cannot resolve the path (symlink loop?)") from None


def _same_or_inside(target: Path, inputs: Iterable[Path]) -> Path | None:
    for given in inputs:
        src = _resolved(Path(given))
        if target == src or src in target.parents:
            return Path(given)
    return None


def check_output_file(out: str | os.PathLike[str], *, option: str, kind: str,
                      inputs: Sequence[str | os.PathLike[str]] = ()) -> Path:
    """``out`` as a file path that may be written: not empty, its folder exists, not inside a
    session directory or an input, not an input, not a directory or special file, and — when it
    exists — a file of the same ``kind`` (a key of :data:`SIGNATURES`)."""
    text = os.fspath(out)
    if not text.strip():
        raise OutputError(f"{option}: empty path")
    path = Path(text)
    target = _resolved(path)
    parent = target.parent
    if not parent.is_dir():
        raise OutputError(f"{option} {path}: the folder {path.parent} does not exist")
    hit = _same_or_inside(target, [Path(p) for p in inputs])
    if hit is not None:
        what = "overwrite" if _resolved(hit) == target else "write into"
        raise OutputError(f"{option} {path}: would {what} the input {hit}")
    inside = session_dir_of(parent)
    if inside is not None:
        raise OutputError(f"{option} {path}: is inside the session directory {inside} "
                          "(sessions are never written into; choose another folder)")
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return path
    except OSError as exc:
        raise OutputError(f"{option} {path}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{option} {path}: is a directory; give a file name")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{option} {path}: is not a regular file (refusing to write to it)")
    if st.st_size and not _looks_like(target, kind):
        raise OutputError(f"{option} {path}: exists and is not a {kind.upper()} file this program "
                          "wrote (refusing to overwrite it)")
    return path


def _looks_like(path: Path, kind: str) -> bool:
    try:
        with open(path, "rb") as f:
            head = f.read(64).lstrip(b"\xef\xbb\xbf")
    except OSError:
        return False
    return any(head.startswith(sig) for sig in SIGNATURES[kind])


def check_output_dir(out: str | os.PathLike[str], *, option: str,
                     inputs: Sequence[str | os.PathLike[str]] = ()) -> Path:
    """``out`` as a new session directory: not empty text, not inside another session directory
    or an input (an existing empty directory is fine; the writer checks the rest)."""
    text = os.fspath(out)
    if not text.strip():
        raise OutputError(f"{option}: empty path")
    path = Path(text)
    target = _resolved(path)
    hit = _same_or_inside(target, [Path(p) for p in inputs])
    if hit is not None:
        raise OutputError(f"{option} {path}: would write into the input {hit}")
    inside = session_dir_of(target.parent)
    if inside is not None:
        raise OutputError(f"{option} {path}: is inside the session directory {inside}")
    return path


def write_text_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically, owner-only (0600)."""
    with replace_atomically(path) as f:
        f.write(text)


__all__ = ["OutputError", "check_output_dir", "check_output_file", "session_dir_of",
           "write_bytes_atomic", "write_text_atomic"]
