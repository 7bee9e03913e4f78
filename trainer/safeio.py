"""Reading untrusted files safely: regular files only, bounded sizes, bounded JSON nesting, and
text that is safe to print or to use in a file name.

Sessions, CSV files, calibration profiles and the app's own caches can come from anywhere (a USB
stick, a colleague, a half-broken disk). Every reader goes through these few functions so that a
FIFO, a device such as ``/dev/zero``, a directory or a symlink loop is refused *before* anything
is read (no hang, no endless read), a file is never read past a size limit (no memory
exhaustion), JSON cannot nest deeper than :data:`MAX_JSON_DEPTH` (no ``RecursionError``) and a
string from a file never reaches the terminal with escape sequences in it.

Every problem is an :class:`UnsafeInput` with a one-line message naming the file; callers turn
it into their own error type (``SessionError``, ``ProfileError``…).
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import unicodedata
from pathlib import Path
from typing import Any

#: session.json, calibration profiles, caches: a real one is a few kB.
MAX_JSON_BYTES = 4 * 1024 * 1024
#: events.jsonl: a one-hour guided session writes well under 1 MB.
MAX_EVENTS_BYTES = 64 * 1024 * 1024
#: Deepest JSON nesting accepted (real files nest 4 levels at most).
MAX_JSON_DEPTH = 32
#: Longest string kept from a file for display (ids, names, labels).
MAX_TEXT_CHARS = 200


class UnsafeInput(ValueError):
    """A file or value that must not be read or used; the message is one line."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _os_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return f"{path}: symlink loop"
    if exc.errno == errno.ENOENT:
        return f"{path}: no such file"
    return f"{path}: cannot read: {exc.strerror or exc}"


def check_regular_file(path: str | os.PathLike[str]) -> os.stat_result:
    """The ``stat`` of ``path`` (symlinks followed) when it is a regular file, else
    :class:`UnsafeInput` (missing, a FIFO, a device, a directory, a symlink loop…)."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError as exc:
        raise UnsafeInput(_os_reason(p, exc)) from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafeInput(f"{p}: is {_kind(st.st_mode)}, expected a regular file")
    return st


def open_regular(path: str | os.PathLike[str]) -> int:
    """A read-only file descriptor of ``path``, refused unless it is a regular file.

    Opened without blocking (a FIFO would otherwise wait for a writer forever) and checked with
    ``fstat`` on the opened file, so a file swapped after a check cannot slip through.
    """
    p = Path(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(p, flags)
    except OSError as exc:
        raise UnsafeInput(_os_reason(p, exc)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeInput(f"{p}: is {_kind(st.st_mode)}, expected a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_bounded(path: str | os.PathLike[str], limit: int) -> bytes:
    """All bytes of the regular file ``path``; :class:`UnsafeInput` when it holds more than
    ``limit`` bytes (never reads more than ``limit + 1``)."""
    p = Path(path)
    fd = open_regular(p)
    try:
        with os.fdopen(fd, "rb", closefd=True) as f:
            data = f.read(limit + 1)
    except OSError as exc:
        raise UnsafeInput(_os_reason(p, exc)) from None
    if len(data) > limit:
        raise UnsafeInput(f"{p}: too large (over {_size(limit)}); not a file this program wrote")
    return data


def _size(n: int) -> str:
    return f"{n / (1024 * 1024):g} MiB" if n >= 1024 * 1024 else f"{n} bytes"


def json_depth_ok(obj: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when ``obj`` (decoded JSON) nests at most ``limit`` containers deep (iterative)."""
    stack: list[tuple[Any, int]] = [(obj, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return False
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True


def loads_json(data: bytes | str, where: str | os.PathLike[str]) -> Any:
    """Decode one JSON document from untrusted bytes: UTF-8, nesting at most
    :data:`MAX_JSON_DEPTH`; :class:`UnsafeInput` otherwise."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
        obj = json.loads(text)
    except UnicodeDecodeError:
        raise UnsafeInput(f"{where}: not valid JSON (not UTF-8 text: garbage file?)") from None
    except json.JSONDecodeError as exc:
        raise UnsafeInput(f"{where}: not valid JSON (truncated or garbage?): {exc.msg} at "
                          f"line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise UnsafeInput(f"{where}: JSON nested too deeply (garbage file?)") from None
    if not json_depth_ok(obj):
        raise UnsafeInput(f"{where}: JSON nested more than {MAX_JSON_DEPTH} levels deep "
                          "(garbage file?)")
    return obj


def read_json(path: str | os.PathLike[str], limit: int = MAX_JSON_BYTES) -> Any:
    """:func:`read_bounded` + :func:`loads_json`."""
    return loads_json(read_bounded(path, limit), path)


def is_printable(text: str) -> bool:
    """No control or format characters (terminal escapes, bidi overrides, NUL…)."""
    return not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text)


def printable(value: Any, max_chars: int = MAX_TEXT_CHARS) -> str:
    """``value`` as text safe to print: control/format characters shown as ``\\xNN``/``\\uNNNN``
    escapes (never sent to the terminal), cut to ``max_chars`` with an ellipsis."""
    text = str(value)
    if not is_printable(text):
        text = "".join(ch if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn")
                       else ch.encode("unicode_escape").decode("ascii") for ch in text)
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def check_text(value: Any, name: str, where: str | os.PathLike[str],
               max_chars: int = MAX_TEXT_CHARS) -> str:
    """A string field from a file: a printable string of at most ``max_chars`` characters."""
    if not isinstance(value, str):
        raise UnsafeInput(f"{where}: {name} must be a string, got {printable(repr(value), 60)}")
    if len(value) > max_chars:
        raise UnsafeInput(f"{where}: {name} is longer than {max_chars} characters")
    if not is_printable(value):
        raise UnsafeInput(f"{where}: {name} holds control characters: {printable(value, 60)}")
    return value


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_filename(text: Any, fallback: str = "session", max_chars: int = 80) -> str:
    """A file-name stem from untrusted text: letters, digits, ``._-`` only, no leading dot, no
    path separators (``x/../../escaped`` → ``x-escaped``)."""
    stem = _UNSAFE_NAME.sub("-", str(text))
    stem = re.sub(r"-{2,}", "-", re.sub(r"\.{2,}", "-", stem)).strip("-.")[:max_chars].strip("-.")
    return stem or fallback
