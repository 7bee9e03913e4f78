"""Generic CSV with a ``role`` column: export and import of sessions with several sensors.

The contract's generic columns stay as they are; a session with several sensors exports every
sensor (or the one asked for) with one more column, ``role`` (left-shank, …, trunk), the rows
sensor by sensor, the primary first. Importing a generic CSV that has a ``role`` column gives a
session with one sample file per sensor again (``trainer.recording.sensors``): the round trip
keeps the roles. One-sensor sessions and CSVs without ``role`` are untouched by this module.
Each sensor's rows go through the ordinary generic reader (same checks, same errors).
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TextIO

import numpy as np

from trainer import safeio
from trainer.fsutil import replace_atomically
from trainer.recording import csvio
from trainer.recording.errors import SessionError
from trainer.recording.reader import Session, open_session
from trainer.recording.sensors import (
    MultiSessionWriter,
    open_sensor,
    session_sensors,
)
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role, RoleError, check_roles, parse_role, primary_role
from trainer.vocab.source import SourceInfo

ROLE_COLUMN = "role"
CHUNK = 100_000
TiltFn = Callable[[Session], Callable[[SampleBatch], Mapping[str, np.ndarray]] | None]


def has_several_sensors(session: Session) -> bool:
    return len(session_sensors(session)) > 1


def export_sensors_csv(session: Session, out: str | os.PathLike[str], *,
                       tilt: TiltFn | None = None, role: Role | None = None) -> int:
    """Every sensor (or ``role`` only) as generic CSV with a ``role`` column; rows returned."""
    roles = [e.role for e in session_sensors(session)]
    if role is not None and role not in roles:
        raise SessionError(f"{session.path}: no {role} sensor (has {', '.join(roles)})")
    chosen = roles if role is None else [role]
    names = ("tilt_ap_deg", "tilt_ml_deg") if tilt is not None else ()

    def write(f: TextIO) -> int:
        f.write(",".join([*csvio.generic_header(True, False, names), ROLE_COLUMN]) + "\n")
        n = 0
        for r in chosen:
            s = open_sensor(session, r)
            extra = tilt(s) if tilt is not None else None
            for chunk in s.chunks(CHUNK):
                buf = io.StringIO()
                rows = csvio.write_generic(
                    buf, [chunk], with_seq=True, with_mag=False, extra=extra,
                    extra_names=names if extra is not None else ())
                if extra is None and names:  # the pipeline refused this sensor: empty tilt
                    lines = [ln + ",," for ln in buf.getvalue().splitlines()[1:]]
                else:
                    lines = buf.getvalue().splitlines()[1:]
                f.write("".join(f"{ln},{r}\n" for ln in lines))
                n += rows
        return n

    if str(out) == "-":
        return write(sys.stdout)
    dest = Path(out)
    if dest.is_dir():
        raise SessionError(f"{dest} is a directory; give a file name for the CSV")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with replace_atomically(dest) as f:
        return write(f)


def has_role_column(path: str | os.PathLike[str]) -> bool:
    """The generic CSV's header names a ``role`` column."""
    try:
        safeio.check_regular_file(path)  # never open a FIFO or a device to peek
        with open(path, "rb") as f:
            first = f.readline(1 << 16).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError, safeio.UnsafeInput):
        return False  # the ordinary reader says what is wrong
    return ROLE_COLUMN in [c.strip().lower() for c in first.split(",")]


def import_sensors_csv(path: str | os.PathLike[str], out: str | os.PathLike[str], *,
                       drill_id: str, side: str, placement: str,
                       rate_hz: float | None = None) -> Session:
    """A generic CSV with a ``role`` column → a session with one sample file per sensor."""
    from trainer.recording.staging import check_import, staged_dir

    src = Path(path)
    groups: dict[Role, list[list[str]]] = {}
    with open(src, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise SessionError(f"{src}: empty file")
        cols = [c.strip().lower() for c in header]
        k = cols.index(ROLE_COLUMN)
        keep = [c for i, c in enumerate(header) if i != k]
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) <= k:
                raise SessionError(f"{src}:{line_no}: no role in this row")
            try:
                role = parse_role(row[k])
            except RoleError as exc:
                raise SessionError(f"{src}:{line_no}: {exc}") from None
            groups.setdefault(role, []).append([c for i, c in enumerate(row) if i != k])
    if not groups:
        raise SessionError(f"{src}: no samples")
    roles = check_roles(list(groups))
    primary = primary_role(roles, side, placement)
    data: dict[Role, csvio.ImportedData] = {}
    with tempfile.TemporaryDirectory(prefix="bt-import-") as tmp:
        for role, rows in groups.items():
            part = Path(tmp) / f"{role}.csv"
            with open(part, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, lineterminator="\n")
                w.writerow(keep)
                w.writerows(rows)
            try:
                data[role] = csvio.read_generic(part)
            except SessionError as exc:
                raise SessionError(f"{src} ({role} rows): {str(exc).split(': ', 1)[-1]}"
                                   ) from None
    rates = {r: rate_hz or d.sample_rate_hz for r, d in data.items()}
    for role, d in data.items():
        rate = rates[role]
        if not rate:
            raise SessionError(f"{src}: cannot tell the {role} sample rate; give --rate HZ")
        check_import(d, rate)
    infos = {r: SourceInfo(f"imported {r}", "", "imported", float(rates[r] or 100.0))
             for r in data}
    ordered = [primary, *[r for r in roles if r != primary]]
    with staged_dir(Path(out)) as staged:
        writer = MultiSessionWriter(
            staged, sensors={r: (infos[r], None) for r in ordered}, primary=primary,
            sample_rate_hz=float(rates[primary] or 100.0), device=infos[primary],
            drill_id=drill_id, side=side, placement=placement, simulated=False,
            with_mag=False,
            extra={"imported_from": {"format": "generic", "files": [src.name],
                                     "roles": list(ordered)}})
        try:
            for role in ordered:
                writer.append_sensor(role, data[role].batch)
        finally:
            writer.close()
    return open_session(out)


__all__ = ["ROLE_COLUMN", "export_sensors_csv", "has_role_column", "has_several_sensors",
           "import_sensors_csv", "session_sensors"]
