"""CSV in and out: the generic columns, MbientLab MetaBase exports, Movella DOT exports.

Readers return an :class:`ImportedData` (a float64 :class:`SampleBatch` in g and °/s plus what the
file says about the device) or raise :class:`SessionError` with one line naming the file, the line
and the problem. Supported inputs:

- **generic** — header row, comma-separated: ``t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,
  gyr_z_dps`` in any order (names are case-insensitive), optional ``seq`` and
  ``mag_x_ut,mag_y_ut,mag_z_ut``; other columns (e.g. the tilt columns of our own export) are
  ignored. Time must not go backwards.
- **metabase** — MetaBase (MbientLab) exports: one CSV per sensor with ``epoch (ms)``,
  ``time (…)``/``timestamp (…)``, ``elapsed (s)``, ``x-axis (g)``… (accelerometer) or
  ``x-axis (deg/s)``… (gyroscope), optionally ``x-axis (T)``/``(µT)`` (magnetometer). Give the
  accelerometer and gyroscope files (any order; a file holding both kinds of columns also works,
  and naming the same file twice is harmless); given only ``…Accelerometer….csv`` the sibling
  ``…Gyroscope….csv`` is used when it exists. Streams are matched on ``epoch (ms)`` (else
  ``elapsed (s)``): the faster stream is the timeline, the others are linearly interpolated onto
  it, and only the time span all streams cover is kept.
- **movella** — Movella DOT app exports: optional ``Key:,value`` preamble (DeviceTag,
  FirmwareVersion, OutputRate, StartTime…), then ``PacketCounter,SampleTimeFine,…,Acc_X,…,Gyr_X,…``.
  ``Acc`` is in m/s² (divided by 9.80665 to g), ``Gyr`` in °/s, ``SampleTimeFine`` in µs on a
  32-bit counter (wraps are unwrapped). DOT magnetometer columns are in arbitrary units and are not
  imported. Exports without ``Acc``/``Gyr`` (orientation-only modes) are refused.

:func:`write_generic` writes the generic columns (plus ``seq``, magnetometer and any extra
columns such as tilt) with the shortest text that reads back to the same float64 time and float32
samples, so generic → session → generic is exact.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO, TextIO

import numpy as np
from numpy.typing import NDArray

from trainer import safeio
from trainer.recording.errors import SessionError
from trainer.vocab.batch import SampleBatch

FORMATS = ("generic", "metabase", "movella")
STANDARD_GRAVITY = 9.80665  # m/s² per g

GENERIC_REQUIRED = ("t_s", "acc_x_g", "acc_y_g", "acc_z_g", "gyr_x_dps", "gyr_y_dps", "gyr_z_dps")
GENERIC_MAG = ("mag_x_ut", "mag_y_ut", "mag_z_ut")
GENERIC_SEQ = "seq"

FloatArray = NDArray[np.float64]

#: Largest CSV file read (a one-hour 1 kHz recording is ~300 MB).
MAX_CSV_BYTES = 4 << 30
#: Time stamps: within ±10⁹ s (about 32 years).
MAX_ABS_T_S = 1e9
MAX_EPOCH_MS = 7.25e12  # the year 2199
#: Sequence numbers above 2⁵³ cannot be held exactly as numbers in a CSV.
MAX_SEQ = float(2**53)

#: Largest float32 (``imu.bin`` stores the samples as float32; larger values would become inf).
F4_MAX = float(np.finfo(np.float32).max)


@dataclass
class ImportedData:
    """Samples read from CSV plus what the file said about where they came from."""

    batch: SampleBatch
    sample_rate_hz: float | None  # from the file's header, or estimated from the time stamps
    source_format: str
    files: list[str]
    device: dict[str, Any] = field(default_factory=dict)
    start_time: datetime | None = None
    notes: dict[str, Any] = field(default_factory=dict)


# -- shared helpers ------------------------------------------------------------------------
def _open_text(path: Path) -> TextIO:
    """A CSV file for reading as text (see :func:`_open`)."""
    return _open(path, "r", encoding="utf-8-sig", newline="")  # type: ignore[no-any-return]


def _open(path: Path, mode: str, **kw: Any) -> Any:
    """A CSV file for reading: a regular file (a FIFO, a device or a directory is refused
    before anything is read) of at most :data:`MAX_CSV_BYTES`; one-line errors."""
    try:
        fd = safeio.open_regular(path)
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc)) from None
    try:
        if os.fstat(fd).st_size > MAX_CSV_BYTES:
            raise SessionError(f"{path}: larger than {MAX_CSV_BYTES >> 30} GiB; split it")
        return open(fd, mode, closefd=True, **kw)  # the caller closes it
    except BaseException:
        os.close(fd)
        raise


def _csv_rows(lines: Iterable[str], first: int = 1) -> list[tuple[int, list[str]]]:
    """Non-blank rows with their line numbers (``first``: the number of the first line),
    trailing empty cells removed."""
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(lines)
    for row in reader:
        while row and not row[-1].strip():
            row.pop()
        if row:
            rows.append((first + reader.line_num - 1, row))
    return rows


def _read_rows(path: Path) -> list[tuple[int, list[str]]]:
    """All non-blank rows with their 1-based line numbers (trailing empty cells removed); a file
    without any is an error."""
    with _open_text(path) as f:
        try:
            rows = _csv_rows(f)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise SessionError(f"{path}: not a readable CSV file ({exc})") from None
    if not rows:
        raise SessionError(f"{path}: empty file")
    return rows


def _floats(path: Path, lines: Sequence[int], cells: Sequence[str], name: str, *,
            finite: bool = True, f4: bool = False) -> FloatArray:
    """Convert one column to float64, or fail naming the first bad line. ``f4``: the values are
    stored as float32, so a magnitude beyond its range is an error (not a silent inf)."""
    try:
        values = np.array(cells, dtype=np.float64)
    except ValueError:
        values = None
    if values is not None and f4:
        with np.errstate(over="ignore"):
            as_f4 = values.astype(np.float32)
        big = np.flatnonzero(np.isfinite(values) & np.isinf(as_f4))  # inf/NaN: see below
        if big.size:
            i = int(big[0])
            raise SessionError(f"{path}: line {lines[i]}: column {name}: {cells[i].strip()!r} is "
                               f"out of range (magnitude above {F4_MAX:.3g})")
    if values is None or (finite and not np.all(np.isfinite(values))):
        for line, text in zip(lines, cells, strict=True):
            try:
                v = float(text)
            except ValueError:
                what = "empty cell" if not text.strip() else f"not a number: {text.strip()!r}"
                raise SessionError(f"{path}: line {line}: column {name}: {what}") from None
            if finite and not math.isfinite(v):
                raise SessionError(f"{path}: line {line}: column {name}: non-finite value "
                                   f"{text.strip()!r}")
        raise SessionError(f"{path}: column {name}: unreadable numbers")  # pragma: no cover
    return values


def _columns(path: Path, header: list[str], rows: list[tuple[int, list[str]]],
             wanted: Mapping[str, int]) -> tuple[list[int], dict[str, list[str]]]:
    """Cells of the wanted columns (name → index); every row must reach the last one."""
    need = max(wanted.values()) + 1
    for line, row in rows:
        if len(row) < need:
            raise SessionError(f"{path}: line {line}: has {len(row)} columns, the header has "
                               f"{len(header)}")
    lines = [line for line, _ in rows]
    cols = {name: [row[i] for _, row in rows] for name, i in wanted.items()}
    return lines, cols


def _check_time(path: Path, lines: Sequence[int], t: FloatArray, *, per_s: float = 1.0,
                epoch: bool = False) -> None:
    if t.size == 0:
        raise SessionError(f"{path}: no samples (only a header)")
    _check_time_range(path, lines, t, per_s=per_s, epoch=epoch)
    back = np.flatnonzero(np.diff(t) < 0)
    if back.size:
        i = int(back[0]) + 1
        raise SessionError(f"{path}: line {lines[i]}: time goes backwards "
                           f"({float(t[i - 1])!r} then {float(t[i])!r})")


def _check_time_range(path: Path, lines: Sequence[int], t: FloatArray, *, per_s: float = 1.0,
                      epoch: bool = False) -> None:
    """Time stamps (``per_s`` units a second) within ±:data:`MAX_ABS_T_S`, or (``epoch``)
    milliseconds since 1970 before the year 2200."""
    if epoch:  # milliseconds since 1970, before 2200
        far = np.flatnonzero((t < 0) | (t > MAX_EPOCH_MS))
    else:
        far = np.flatnonzero(np.abs(t) > MAX_ABS_T_S * per_s)
    if far.size:
        i = int(far[0])
        raise SessionError(f"{path}: line {lines[i]}: time {float(t[i])!r} is out of range "
                           f"(|t| above {MAX_ABS_T_S:g} s)")


def estimate_rate_hz(t_s: FloatArray) -> float | None:
    """Nominal rate from the median sample interval (None when it cannot be told)."""
    if t_s.size < 2:
        return None
    dt = float(np.median(np.diff(t_s)))
    # rounded: 1/median(dt) of 0.01 s steps is 99.99999999999991, not the nominal 100
    return round(1.0 / dt, 6) if dt > 0 else None


def _seq(path: Path, lines: Sequence[int], cells: Sequence[str], name: str) -> NDArray[np.uint32]:
    values = _floats(path, lines, cells, name)
    bad = np.flatnonzero((values != np.round(values)) | (values < 0) | (values > MAX_SEQ))
    if bad.size:
        i = int(bad[0])
        raise SessionError(f"{path}: line {lines[i]}: column {name}: not a non-negative integer: "
                           f"{cells[i].strip()!r}")
    return (values.astype(np.int64) % (1 << 32)).astype(np.uint32)


# -- generic, streamed -----------------------------------------------------------------------
#: Text read per chunk by the streaming generic reader (~100 k rows of a typical export): memory
#: is bounded by a chunk, whatever the file's size.
CHUNK_BYTES = 4 << 20
#: Files from this size on are parsed by pyarrow's CSV reader (~1.6× faster than numpy.loadtxt
#: for the same chunks, benchmarks/bench_import.py); below it, importing pyarrow (~0.2 s) would
#: cost more than it saves.
ARROW_MIN_BYTES = 32 << 20


@dataclass
class GenericStream:
    """A generic CSV opened for streaming: what the header says now, the samples chunk by chunk.

    ``chunks()`` yields validated float64 :class:`SampleBatch`es in file order. Each chunk is
    parsed by pyarrow's CSV reader (``arrow``: big files) or ``numpy.loadtxt`` (C, ~1 M rows/s)
    and checked with vectorised tests; a chunk that either parser refuses (empty or odd cells,
    ragged rows: pyarrow then gives way to loadtxt) or that fails a check is read again row by row
    with the csv module (the same path the other formats take), which names the first bad line —
    so errors read the same however big the file, and both fast parsers give the same numbers
    (correctly rounded decimal → float64).
    """

    path: Path
    header: list[str]
    wanted: dict[str, int]  # column name → index in the header
    ignored: list[str]
    has_mag: bool
    has_seq: bool
    _handle: BinaryIO
    _line: int  # number of the last line read (1-based)
    chunk_bytes: int = CHUNK_BYTES
    arrow: bool = False  # parse with pyarrow first

    def chunks(self) -> Iterator[SampleBatch]:
        names = list(self.wanted)
        cols = [self.wanted[c] for c in names]
        t_prev: tuple[int, float] | None = None  # (line, value) of the last time read
        n = 0
        try:
            for first, text in self._texts():
                values = self._fast(text, cols)
                if values is None or not self._plausible(values, names, t_prev):
                    values, t_lines = self._slow(text, first, names)
                    self._check_continues(t_prev, t_lines, values[:, 0])
                if values.shape[0] == 0:
                    continue
                t_prev = (self._line, float(values[-1, 0]))
                batch = self._batch(values, names, n)
                n += len(batch)
                yield batch
        finally:
            self._handle.close()
        if n == 0:
            raise SessionError(f"{self.path}: no samples (only a header)")

    def _texts(self) -> Iterator[tuple[int, bytes]]:
        """(number of its first line, bytes) of whole-line pieces of ~``chunk_bytes`` (no Python
        object per line on the fast path; decoded only when read row by row)."""
        rest = b""
        while True:
            try:
                raw = self._handle.read(self.chunk_bytes)
            except OSError as exc:
                raise SessionError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
            data = rest + raw
            if not data:
                return
            cut = data.rfind(b"\n") + 1 if raw else len(data)
            if cut == 0:  # one line longer than a chunk: read on
                rest = data
                continue
            piece, rest = data[:cut], data[cut:]
            first = self._line + 1
            self._line += piece.count(b"\n") + (0 if piece.endswith(b"\n") else 1)
            yield first, piece

    def _fast(self, text: bytes, cols: list[int]) -> FloatArray | None:
        if self.arrow:
            parsed = _arrow_parse(text, len(self.header), cols)
            if parsed is not None:
                return parsed
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "input contained no data": blank lines only
                out: FloatArray = np.loadtxt(io.BytesIO(text), delimiter=",", usecols=cols,
                                             ndmin=2, dtype=np.float64, comments=None,
                                             quotechar='"')
        except ValueError:
            return None
        if out.size == 0:
            return np.empty((0, len(cols)))
        return out

    def _plausible(self, v: FloatArray, names: list[str], t_prev: tuple[int, float] | None
                   ) -> bool:
        """Every check of the row-by-row reader, vectorised (False: read it row by row)."""
        k = {name: i for i, name in enumerate(names)}
        req = v[:, [k[c] for c in GENERIC_REQUIRED]]
        if not np.all(np.isfinite(req)) or np.any(np.abs(req[:, 1:]) > F4_MAX):
            return False
        if np.any(np.abs(req[:, 0]) > MAX_ABS_T_S):
            return False
        if self.has_mag:
            mag = v[:, [k[c] for c in GENERIC_MAG]]
            if np.any(np.isfinite(mag) & (np.abs(mag) > F4_MAX)):
                return False
        if self.has_seq:
            s = v[:, k[GENERIC_SEQ]]
            if not (np.all(np.isfinite(s)) and np.all(s == np.round(s)) and np.all(s >= 0)
                    and np.all(s <= MAX_SEQ)):
                return False
        t = v[:, 0]
        return not (np.any(np.diff(t) < 0) or (t_prev is not None and t.size
                                                and t[0] < t_prev[1]))

    def _slow(self, piece: bytes, first: int, names: list[str]
              ) -> tuple[FloatArray, list[int]]:
        """The chunk row by row (csv module): raises naming the first bad line."""
        try:
            text = piece.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SessionError(f"{self.path}: not a readable CSV file ({exc})") from None
        lines = [line + "\n" for line in text.split("\n")]
        if text.endswith("\n"):
            lines.pop()
        try:
            rows = _csv_rows(lines, first)
        except csv.Error as exc:
            raise SessionError(f"{self.path}: not a readable CSV file ({exc})") from None
        if not rows:
            return np.empty((0, len(names))), []
        lines_, cells = _columns(self.path, self.header, rows, self.wanted)
        out = np.empty((len(lines_), len(names)))
        for j, name in enumerate(names):
            if name == GENERIC_SEQ:
                out[:, j] = _seq(self.path, lines_, cells[name], name)
            else:
                out[:, j] = _floats(self.path, lines_, cells[name], name,
                                    finite=name not in GENERIC_MAG, f4=name != "t_s")
        _check_time(self.path, lines_, out[:, 0])
        return out, lines_

    def _check_continues(self, t_prev: tuple[int, float] | None, lines: list[int],
                         t: FloatArray) -> None:
        if t_prev is not None and t.size and t[0] < t_prev[1]:
            raise SessionError(f"{self.path}: line {lines[0]}: time goes backwards "
                               f"({t_prev[1]!r} then {float(t[0])!r})")

    def _batch(self, v: FloatArray, names: list[str], n0: int) -> SampleBatch:
        k = {name: i for i, name in enumerate(names)}
        seq: NDArray[np.uint32]
        if self.has_seq:
            seq = (v[:, k[GENERIC_SEQ]].astype(np.int64) % (1 << 32)).astype(np.uint32)
        else:  # a running index over the whole file
            seq = (np.arange(n0, n0 + v.shape[0], dtype=np.int64) % (1 << 32)).astype(np.uint32)
        mag = v[:, [k[c] for c in GENERIC_MAG]] if self.has_mag else None
        return SampleBatch.from_arrays(v[:, k["t_s"]], v[:, [k[c] for c in GENERIC_REQUIRED[1:4]]],
                                       v[:, [k[c] for c in GENERIC_REQUIRED[4:7]]], seq, mag)


def _arrow_parse(text: bytes, n_columns: int, cols: list[int]) -> FloatArray | None:
    """Columns ``cols`` of whole CSV lines (no header) as float64 by pyarrow, or None when it
    cannot (not installed, a ragged row, an empty, "nan" or otherwise odd cell): the caller then
    parses the piece another way, which accepts or names the problem exactly as without pyarrow.
    One thread: CPU is what an import costs on a shared machine."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pacsv
    except ImportError:
        return None
    names = [f"c{i}" for i in range(n_columns)]
    keep = [names[c] for c in cols]
    try:
        table = pacsv.read_csv(
            io.BytesIO(text),
            read_options=pacsv.ReadOptions(column_names=names, use_threads=False,
                                           block_size=max(1 << 20, len(text) + 1)),
            convert_options=pacsv.ConvertOptions(
                include_columns=keep, column_types=dict.fromkeys(keep, pa.float64())),
        )
    except (pa.ArrowException, ValueError):
        return None
    out = np.empty((table.num_rows, len(cols)))
    for j in range(len(cols)):
        column = table.column(j)
        if column.null_count:
            return None
        out[:, j] = column.to_numpy()
    return out


def open_generic(path: str | Path) -> GenericStream:
    """Open a generic CSV and check its header (one-line :class:`SessionError` otherwise)."""
    path = Path(path)
    f: BinaryIO = _open(path, "rb")  # closed by the stream, or below on error
    line = 0
    header_row: list[str] | None = None
    try:
        _check_text(path, f)
        for raw in f:
            line += 1
            text = raw.decode("utf-8-sig" if line == 1 else "utf-8")
            row = next(csv.reader([text]), [])
            while row and not row[-1].strip():
                row.pop()
            if row:
                header_row = row
                break
        if header_row is None:
            raise SessionError(f"{path}: empty file")
        wanted, ignored, header = _generic_header(path, header_row)
    except (csv.Error, UnicodeDecodeError) as exc:
        f.close()
        raise SessionError(f"{path}: not a readable CSV file ({exc})") from None
    except BaseException:
        f.close()
        raise
    try:
        big = os.fstat(f.fileno()).st_size >= ARROW_MIN_BYTES
    except (OSError, ValueError):  # not a regular file
        big = False
    return GenericStream(path, header, wanted, ignored, has_mag=GENERIC_MAG[0] in wanted,
                         has_seq=GENERIC_SEQ in wanted, _handle=f, _line=line, arrow=big)


def _check_text(path: Path, f: BinaryIO, probe: int = 1 << 16) -> None:
    """Refuse a binary file early: its first ``probe`` bytes must be UTF-8 text without NUL
    (the rest is checked as it is read)."""
    head = f.read(probe)
    f.seek(0)
    if len(head) == probe:  # cut at the last line end: a character may straddle the probe
        head = head[: head.rfind(b"\n") + 1] or head
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) < probe or exc.start < len(head) - 3:
            raise SessionError(f"{path}: not a readable CSV file ({exc})") from None
    if b"\x00" in head:
        raise SessionError(f"{path}: not a readable CSV file (binary data: NUL bytes)")


def _generic_header(path: Path, row: list[str]) -> tuple[dict[str, int], list[str], list[str]]:
    """(wanted column → index, ignored columns, lower-cased header) of a generic CSV header."""
    header = [h.strip().lower() for h in row]
    index = {name: i for i, name in enumerate(header)}
    twice = [c for c in (*GENERIC_REQUIRED, GENERIC_SEQ, *GENERIC_MAG) if header.count(c) > 1]
    if twice:
        raise SessionError(f"{path}: column {twice[0]} appears more than once in the header")
    missing = [c for c in GENERIC_REQUIRED if c not in index]
    if missing:
        if _looks_numeric(row):
            raise SessionError(f"{path}: no header row (expected {','.join(GENERIC_REQUIRED)})")
        raise SessionError(f"{path}: missing columns: {', '.join(missing)} (generic CSV needs "
                           f"{','.join(GENERIC_REQUIRED)})")
    mag_present = [c for c in GENERIC_MAG if c in index]
    if mag_present and len(mag_present) != 3:
        raise SessionError(f"{path}: magnetometer needs all of {', '.join(GENERIC_MAG)}")
    wanted = {c: index[c] for c in (*GENERIC_REQUIRED, *mag_present)}
    if GENERIC_SEQ in index:
        wanted[GENERIC_SEQ] = index[GENERIC_SEQ]
    return wanted, [h for h in header if h not in wanted], header


def read_generic(path: str | Path) -> ImportedData:
    """A whole generic CSV in memory (``open_generic`` streams it)."""
    stream = open_generic(path)
    batch = SampleBatch.concat(list(stream.chunks()))
    return ImportedData(
        batch=batch,
        sample_rate_hz=estimate_rate_hz(batch.t_s),
        source_format="generic",
        files=[stream.path.name],
        notes={"ignored_columns": stream.ignored} if stream.ignored else {},
    )


def _looks_numeric(cells: Sequence[str]) -> bool:
    try:
        [float(c) for c in cells]
    except ValueError:
        return False
    return True


# -- MetaBase ------------------------------------------------------------------------------
_AXIS_RE = re.compile(r"^([xyz])-axis\s*\(([^)]*)\)$")
_KIND_OF_UNIT = {"g": "acc", "deg/s": "gyr", "°/s": "gyr", "t": "mag", "ut": "mag", "µt": "mag"}
_MAG_SCALE_TO_UT = {"t": 1e6, "ut": 1.0, "µt": 1.0}


@dataclass
class _Stream:
    kind: str  # acc | gyr | mag
    t_s: FloatArray  # epoch in ms, or elapsed seconds (as in the file: exact until rebased)
    xyz: FloatArray
    epoch: bool
    path: Path


def _metabase_streams(path: Path) -> list[_Stream]:
    rows = _read_rows(path)
    header = [h.strip().lower() for h in rows[0][1]]
    epoch_col = next((i for i, h in enumerate(header) if h in ("epoch (ms)", "epoc (ms)")), None)
    elapsed_col = next((i for i, h in enumerate(header) if h == "elapsed (s)"), None)
    axes: dict[str, dict[str, int]] = {}
    units: dict[str, str] = {}
    for i, h in enumerate(header):
        m = _AXIS_RE.match(h)
        if not m:
            continue
        unit = m.group(2).strip()
        kind = _KIND_OF_UNIT.get(unit)
        if kind is None:
            continue
        axes.setdefault(kind, {})[m.group(1)] = i
        units[kind] = unit
    if epoch_col is None and elapsed_col is None:
        raise SessionError(f"{path}: not a MetaBase export (no 'epoch (ms)' or 'elapsed (s)' "
                           "column)")
    if not axes:
        raise SessionError(f"{path}: not a MetaBase export (no 'x-axis (g)' or "
                           "'x-axis (deg/s)' columns)")
    for kind, got in axes.items():
        if set(got) != {"x", "y", "z"}:
            lacking = [f"{a}-axis ({units[kind]})" for a in "xyz" if a not in got]
            raise SessionError(f"{path}: missing columns: {', '.join(lacking)}")
    wanted = {f"{kind}_{a}": i for kind, got in axes.items() for a, i in got.items()}
    time_name = "epoch (ms)" if epoch_col is not None else "elapsed (s)"
    wanted[time_name] = epoch_col if epoch_col is not None else elapsed_col  # type: ignore[assignment]
    lines, cols = _columns(path, rows[0][1], rows[1:], wanted)
    if not lines:
        raise SessionError(f"{path}: no samples (only a header)")
    t = _floats(path, lines, cols[time_name], time_name)
    _check_time(path, lines, t, per_s=1000.0 if epoch_col is not None else 1.0,
                epoch=epoch_col is not None)
    streams = []
    for kind in axes:
        xyz = np.column_stack([
            _floats(path, lines, cols[f"{kind}_{a}"], f"{a}-axis ({units[kind]})", f4=True)
            for a in "xyz"
        ])
        if kind == "mag":
            xyz = xyz * _MAG_SCALE_TO_UT[units[kind]]
        streams.append(_Stream(kind, t, xyz, epoch_col is not None, path))
    return streams


def _metabase_sibling(path: Path) -> Path | None:
    name = path.name
    for a, b in (("Accelerometer", "Gyroscope"), ("accelerometer", "gyroscope"),
                 ("ACCELEROMETER", "GYROSCOPE")):
        if a in name:
            sibling = path.with_name(name.replace(a, b))
            if sibling.exists():
                return sibling
            matches = sorted(path.parent.glob(name.split(a)[0].rsplit("_", 1)[0] + f"*{b}*.csv"))
            if len(matches) == 1:
                return matches[0]
    return None


def read_metabase(paths: Sequence[str | Path]) -> ImportedData:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.resolve() not in [f.resolve() for f in files]:
            files.append(p)
    streams: dict[str, _Stream] = {}
    for p in files:
        for s in _metabase_streams(p):
            if s.kind in streams:
                raise SessionError(f"{p}: a second {_KIND_NAMES[s.kind]} stream "
                                   f"(already read from {streams[s.kind].path.name})")
            streams[s.kind] = s
    if "gyr" not in streams and "acc" in streams and len(files) == 1:
        sibling = _metabase_sibling(files[0])
        if sibling is not None:
            files.append(sibling)
            for s in _metabase_streams(sibling):
                streams.setdefault(s.kind, s)
    for kind in ("acc", "gyr"):
        if kind not in streams:
            raise SessionError(f"MetaBase import needs {_KIND_NAMES[kind]} data: give the "
                               f"{_KIND_NAMES[kind].capitalize()} CSV as another FILE")
    if len({s.epoch for s in streams.values()}) != 1:
        raise SessionError("MetaBase files disagree: some have 'epoch (ms)', some only "
                           "'elapsed (s)'")
    # rebase to the earliest sample before scaling (epoch seconds would lose sub-µs precision)
    epoch = next(iter(streams.values())).epoch
    origin = min(float(s.t_s[0]) for s in streams.values())
    per_s = 1000.0 if epoch else 1.0
    for s in streams.values():
        s.t_s = (s.t_s - origin) / per_s
    # the faster stream is the timeline; keep the span every stream covers
    ref = max(("acc", "gyr"), key=lambda k: (estimate_rate_hz(streams[k].t_s) or 0.0,
                                            k == "acc"))
    lo = max(float(s.t_s[0]) for s in streams.values())
    hi = min(float(s.t_s[-1]) for s in streams.values())
    t_abs = streams[ref].t_s
    keep = (t_abs >= lo - 1e-9) & (t_abs <= hi + 1e-9)
    if not np.any(keep):
        raise SessionError("MetaBase files do not overlap in time")
    t_abs = t_abs[keep]
    data = {}
    for kind, s in streams.items():
        if kind == ref:
            data[kind] = s.xyz[keep]
        else:
            data[kind] = np.column_stack([np.interp(t_abs, s.t_s, s.xyz[:, j]) for j in range(3)])
    t0 = float(t_abs[0])
    start = datetime.fromtimestamp(origin / per_s + t0, UTC) if epoch else None
    device: dict[str, Any] = {"name": "MetaWear", "address": None, "profile": "metamotion",
                              "firmware": None}
    mac = re.search(r"(?<![0-9A-Fa-f])([0-9A-Fa-f]{12})(?![0-9A-Fa-f])", files[0].name)
    if mac:
        h = mac.group(1).upper()
        device["address"] = ":".join(h[i:i + 2] for i in range(0, 12, 2))
    return ImportedData(
        batch=SampleBatch.from_arrays(t_abs - t0, data["acc"], data["gyr"], None, data.get("mag")),
        sample_rate_hz=estimate_rate_hz(t_abs),
        source_format="metabase",
        files=[f.name for f in files],
        device=device,
        start_time=start,
        notes={"timeline": _KIND_NAMES[ref],
               "dropped_outside_overlap": int(keep.size - np.count_nonzero(keep))},
    )


_KIND_NAMES = {"acc": "accelerometer", "gyr": "gyroscope", "mag": "magnetometer"}


# -- Movella DOT ---------------------------------------------------------------------------
MOVELLA_REQUIRED = ("SampleTimeFine", "Acc_X", "Acc_Y", "Acc_Z", "Gyr_X", "Gyr_Y", "Gyr_Z")


def read_movella(path: str | Path) -> ImportedData:
    path = Path(path)
    rows = _read_rows(path)
    preamble: dict[str, str] = {}
    head = None
    for k, (_line, row) in enumerate(rows):
        first = row[0].strip()
        if first == "PacketCounter" or "SampleTimeFine" in [c.strip() for c in row]:
            head = k
            break
        if first.endswith(":") and len(row) > 1:
            preamble[first[:-1].strip()] = row[1].strip()
    if head is None:
        raise SessionError(f"{path}: not a Movella DOT export (no 'PacketCounter,SampleTimeFine,…' "
                           "header)")
    header = [h.strip() for h in rows[head][1]]
    index = {h: i for i, h in enumerate(header)}
    missing = [c for c in MOVELLA_REQUIRED if c not in index]
    if missing:
        raise SessionError(f"{path}: missing columns: {', '.join(missing)} (export with "
                           "acceleration and angular velocity, e.g. the 'custom mode 5' payload)")
    wanted = {c: index[c] for c in MOVELLA_REQUIRED}
    if "PacketCounter" in index:
        wanted["PacketCounter"] = index["PacketCounter"]
    lines, cols = _columns(path, header, rows[head + 1:], wanted)
    if not lines:
        raise SessionError(f"{path}: no samples (only a header)")
    stf = _floats(path, lines, cols["SampleTimeFine"], "SampleTimeFine")
    if np.any((stf < 0) | (stf != np.round(stf)) | (stf >= 2.0**32)):
        i = int(np.flatnonzero((stf < 0) | (stf != np.round(stf)) | (stf >= 2.0**32))[0])
        raise SessionError(f"{path}: line {lines[i]}: SampleTimeFine is not a 32-bit count of µs")
    ticks = stf.astype(np.int64)
    step = np.diff(ticks) % (1 << 32)  # unwrap the 32-bit µs counter (wraps every ~71.6 min)
    back = np.flatnonzero(step >= (1 << 31))
    if back.size:
        i = int(back[0]) + 1
        raise SessionError(f"{path}: line {lines[i]}: time goes backwards (SampleTimeFine "
                           f"{ticks[i - 1]} then {ticks[i]})")
    t = np.concatenate(([0.0], np.cumsum(step, dtype=np.float64))) / 1e6
    acc = np.column_stack([_floats(path, lines, cols[c], c, f4=True)
                           for c in MOVELLA_REQUIRED[1:4]])
    gyr = np.column_stack([_floats(path, lines, cols[c], c, f4=True)
                           for c in MOVELLA_REQUIRED[4:7]])
    seq = _seq(path, lines, cols["PacketCounter"], "PacketCounter") if "PacketCounter" in cols \
        else None
    rate = None
    # "60Hz"; anything else (e.g. "1.2.3 Hz") is ignored and the rate comes from the time stamps
    m = re.match(r"^\s*([0-9]+(?:\.[0-9]*)?)\s*hz\s*$", preamble.get("OutputRate", ""),
                 re.IGNORECASE)
    if m:
        rate = float(m.group(1)) or None
    start = None
    if "StartTime" in preamble:
        for fmt_ in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M:%S.%f"):
            try:
                start = datetime.strptime(preamble["StartTime"], fmt_)
            except ValueError:
                continue
            if start.tzinfo is None:
                start = start.replace(tzinfo=UTC)
            break
    return ImportedData(
        batch=SampleBatch.from_arrays(t, acc / STANDARD_GRAVITY, gyr, seq),
        sample_rate_hz=rate or estimate_rate_hz(t),
        source_format="movella",
        files=[path.name],
        device={"name": preamble.get("DeviceTag") or "Movella DOT", "address": None,
                "profile": "movella-dot", "firmware": preamble.get("FirmwareVersion")},
        start_time=start,
        notes={k: v for k, v in {"sync_status": preamble.get("SyncStatus"),
                                 "filter_profile": preamble.get("FilterProfile")}.items() if v},
    )


def read_csv(paths: Sequence[str | Path], source_format: str) -> ImportedData:
    """Read one of :data:`FORMATS` (metabase takes several files, the others exactly one)."""
    if source_format not in FORMATS:
        raise SessionError(f"unknown format {source_format!r} (choose {', '.join(FORMATS)})")
    if not paths:
        raise SessionError("no input file")
    if source_format == "metabase":
        return read_metabase(paths)
    if len({Path(p).resolve() for p in paths}) > 1:
        raise SessionError(f"--format {source_format} reads one file, got {len(paths)}")
    reader: Callable[[str | Path], ImportedData] = (
        read_generic if source_format == "generic" else read_movella)
    return reader(paths[0])


def stream_csv(paths: Sequence[str | Path], source_format: str
               ) -> tuple[ImportedData, Iterator[SampleBatch]]:
    """``read_csv`` as a stream: ``(data, chunks)`` where ``chunks`` yields every sample in order
    and ``data.batch`` is the first chunk (the rate is estimated from it). generic files are
    parsed chunk by chunk (memory bounded by a chunk, whatever the file's size); MetaBase and
    Movella exports are read whole (their streams are matched / unwrapped over the whole file)
    and come as one chunk."""
    if source_format != "generic" or not paths:
        data = read_csv(paths, source_format)
        return data, iter([data.batch])
    if len({Path(p).resolve() for p in paths}) > 1:
        raise SessionError(f"--format {source_format} reads one file, got {len(paths)}")
    stream = open_generic(paths[0])
    chunks = stream.chunks()
    first = next(chunks)  # raises "no samples" for a header-only file
    data = ImportedData(
        batch=first,
        sample_rate_hz=estimate_rate_hz(first.t_s),
        source_format="generic",
        files=[stream.path.name],
        notes={"ignored_columns": stream.ignored} if stream.ignored else {},
    )
    return data, itertools.chain([first], chunks)


# -- writing -------------------------------------------------------------------------------
def generic_header(with_seq: bool = True, with_mag: bool = False,
                   extra: Iterable[str] = ()) -> list[str]:
    cols = list(GENERIC_REQUIRED)
    if with_seq:
        cols.append(GENERIC_SEQ)
    if with_mag:
        cols.extend(GENERIC_MAG)
    cols.extend(extra)
    return cols


def write_generic(out: TextIO, batches: Iterable[SampleBatch], *, with_seq: bool = True,
                  with_mag: bool = False,
                  extra: Callable[[SampleBatch], Mapping[str, FloatArray]] | None = None,
                  extra_names: Sequence[str] = ()) -> int:
    """Write the header and the rows of ``batches``; returns the number of rows.

    Time is written with the shortest text that reads back to the same float64, samples with the
    shortest text for their float32 value (what ``imu.bin`` holds). ``extra(batch)`` returns
    additional float columns (named ``extra_names``), written with float64 precision.
    """
    out.write(",".join(generic_header(with_seq, with_mag, extra_names)) + "\n")
    n = 0
    for batch in batches:
        if len(batch) == 0:
            continue
        cols: list[list[str]] = [batch.t_s.astype(str).tolist()]
        for arr in (batch.acc_g, batch.gyr_dps):
            f32 = arr.astype(np.float32)
            cols.extend(f32[:, j].astype(str).tolist() for j in range(3))
        if with_seq:
            cols.append(batch.seq.astype(str).tolist())
        if with_mag:
            mag = batch.mag_ut if batch.mag_ut is not None else np.full((len(batch), 3), np.nan)
            f32 = mag.astype(np.float32)
            cols.extend(f32[:, j].astype(str).tolist() for j in range(3))
        if extra is not None:
            values = extra(batch)
            for name in extra_names:
                cols.append(np.round(np.asarray(values[name], dtype=np.float64), 6)
                            .astype(str).tolist())
        buf = io.StringIO()
        buf.write("\n".join(map(",".join, zip(*cols, strict=True))))
        buf.write("\n")
        out.write(buf.getvalue())
        n += len(batch)
    return n
