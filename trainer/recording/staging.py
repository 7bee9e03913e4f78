"""A new session directory, all-or-nothing, for every importer: the target must be new or
empty (:func:`check_new_dir`), the files go into a hidden directory beside it that takes its
name only when the import succeeded (:func:`staged_dir`), and what a file says must make a session
every reader accepts (:func:`check_import`)."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from trainer.fsutil import fsync_dir
from trainer.recording import csvio
from trainer.recording.errors import SessionError
from trainer.recording.reader import check_rate_hz, check_start_time


def check_new_dir(out: Path) -> None:
    """``out`` must not exist, or be an empty directory (we never overwrite a session)."""
    if out.exists():
        if not out.is_dir():
            raise SessionError(f"{out} exists and is not a directory")
        if any(out.iterdir()):
            raise SessionError(f"{out} exists and is not empty (refusing to overwrite)")


@contextlib.contextmanager
def staged_dir(out: Path) -> Iterator[Path]:
    """A temporary directory beside ``out`` that becomes ``out`` when the block succeeds."""
    check_new_dir(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        yield tmp
        if out.exists():
            out.rmdir()  # an empty directory the user made for us
        os.rename(tmp, out)
        fsync_dir(out.parent)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def check_import(data: csvio.ImportedData, rate: float) -> None:
    """What the file says must make a session every reader accepts: a rate of 1..10 000 Hz
    (the file's, the time stamps', or --rate), a start time in 1970-2200."""
    src = "the file's time stamps" if data.sample_rate_hz == rate else "the sample rate"
    check_rate_hz(rate, f"{', '.join(data.files)}: {src} imply {rate:g} Hz; the rate")
    if data.start_time is not None:
        check_start_time(data.start_time.isoformat(), ", ".join(data.files))
