"""CSV ↔ session directory, all-or-nothing: nothing half-written is ever left behind.

Import writes the session into a hidden temporary directory next to ``out`` and renames it into
place at the very end; export writes a temporary file next to the CSV and renames it
(:func:`trainer.fsutil.replace_atomically`). On any error (or Ctrl-C) the temporary is removed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from trainer.fsutil import replace_atomically
from trainer.recording import csvio
from trainer.recording.errors import SessionError
from trainer.recording.reader import Session, open_session
from trainer.recording.staging import check_import, check_new_dir, staged_dir
from trainer.recording.writer import SessionWriter
from trainer.vocab.batch import SampleBatch

CHUNK = 100_000  # samples per write/format step (bounded memory for long sessions)


def import_csv(
    paths: Sequence[str | os.PathLike[str]],
    source_format: str,
    out: str | os.PathLike[str],
    *,
    drill_id: str = "single-leg-balance",
    side: str = "left",
    placement: str = "shank",
    rate_hz: float | None = None,
) -> Session:
    """Read CSV file(s) of ``source_format`` into a new session directory ``out``.

    ``rate_hz`` overrides the nominal rate (otherwise: the file's stated rate, or the median
    sample interval). Returns the opened session.
    """
    out = Path(out)
    check_new_dir(out)
    if source_format == "generic" and len(paths) == 1:
        from trainer.recording import multicsv

        if multicsv.has_role_column(paths[0]):  # several sensors (export of such a session)
            return multicsv.import_sensors_csv(paths[0], out, drill_id=drill_id, side=side,
                                               placement=placement, rate_hz=rate_hz)
    # streamed: generic CSV is parsed and written chunk by chunk (bounded memory)
    data, chunks = csvio.stream_csv([Path(p) for p in paths], source_format)
    return save_imported(data, out, drill_id=drill_id, side=side, placement=placement,
                         rate_hz=rate_hz, chunks=chunks)


def save_imported(
    data: csvio.ImportedData,
    out: Path,
    *,
    drill_id: str = "single-leg-balance",
    side: str = "left",
    placement: str = "shank",
    rate_hz: float | None = None,
    chunks: Iterable[SampleBatch] | None = None,
) -> Session:
    """Write samples read by an importer into the new session directory ``out`` (staged):
    ``data.batch``, or every batch of ``chunks`` (a stream whose first chunk is ``data.batch``)."""
    rate = rate_hz or data.sample_rate_hz
    if not rate:
        raise SessionError("cannot tell the sample rate from the time stamps; give --rate HZ")
    check_import(data, rate)
    with staged_dir(out) as tmp:
        writer = SessionWriter(
            tmp,
            sample_rate_hz=rate,
            device=data.device or None,
            drill_id=drill_id,
            side=side,
            placement=placement,
            simulated=False,
            with_mag=data.batch.mag_ut is not None,
            start_time=data.start_time,
            extra={"imported_from": {"format": data.source_format, "files": data.files,
                                     **data.notes}},
        )
        try:
            for chunk in (chunks if chunks is not None else [data.batch]):
                for part in chunk.split([CHUNK] * (len(chunk) // CHUNK)):
                    writer.append(part)
        finally:
            writer.close()
        if writer.dropped_samples:  # the readers refuse backwards time, so this is a bug
            raise SessionError(f"internal: {writer.dropped_samples} samples dropped on import")
    return open_session(out)


def import_witmotion(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    device_id: str | None = None,
    drill_id: str = "single-leg-balance",
    side: str = "left",
    placement: str = "shank",
    rate_hz: float | None = None,
) -> list[Session]:
    """A WitMotion app export to sessions: ``out`` itself for one sensor (or ``device_id``),
    else one sub-directory of ``out`` per sensor, named after its address. All or nothing."""
    from trainer.recording.witmotion import read_witmotion, session_dir_name

    out = Path(out)
    check_new_dir(out)
    found = read_witmotion(path, device_id)
    opts: dict[str, Any] = {"drill_id": drill_id, "side": side, "placement": placement,
                            "rate_hz": rate_hz}
    if len(found) == 1:
        return [save_imported(found[0], out, **opts)]
    names = [session_dir_name(d) for d in found]
    with staged_dir(out) as tmp:
        for data, name in zip(found, names, strict=True):
            save_imported(data, tmp / name, **opts)
    return [open_session(out / name) for name in names]


TiltFn = Callable[[Session], Callable[[SampleBatch], Mapping[str, np.ndarray]] | None]


def export_csv(
    session: Session | str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    tilt: TiltFn | None = None,
) -> int:
    """Write a session as generic CSV (``-`` for stdout); returns the number of rows.

    ``tilt(session)`` may return a per-batch function giving ``tilt_ap_deg``/``tilt_ml_deg``
    columns (the CLI passes the core pipeline's); it must be stateful across the batches, which
    arrive in order.
    """
    s = session if isinstance(session, Session) else open_session(session)
    extra = tilt(s) if tilt is not None else None
    names = ("tilt_ap_deg", "tilt_ml_deg") if extra is not None else ()
    batches = s.chunks(CHUNK)  # read piece by piece: memory bounded whatever the length
    kwargs: dict[str, Any] = {"with_seq": True, "with_mag": s.has_mag, "extra": extra,
                              "extra_names": names}
    if str(out) == "-":
        return csvio.write_generic(sys.stdout, batches, **kwargs)
    dest = Path(out)
    if dest.is_dir():
        raise SessionError(f"{dest} is a directory; give a file name for the CSV")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with replace_atomically(dest) as f:
        return csvio.write_generic(f, batches, **kwargs)
