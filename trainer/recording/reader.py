"""Crash-safe reading of session directories (format v1).

``open_session`` validates ``session.json``, memory-maps ``imu.bin`` (no copy: opening a one-hour
session costs the same as a one-second one) and reads ``events.jsonl``. A session whose writer
was killed (status still ``recording``) opens with status ``recovered``: a partial last record
(and a partial last event line) is dropped, every complete record is kept.

Tolerated (a crash can cause them): a partial tail in ``imu.bin``/``mag.bin``, a ``mag.bin``
shorter than ``imu.bin`` (padded with NaN), a partial last line in ``events.jsonl``; events with
``"t_s": null`` (older writers put link statuses from before the first sample there) are dropped
and counted in ``dropped_event_lines``. Everything else — unreadable/garbage JSON, wrong version,
missing fields, a side or placement other than left/right and shank/foot, an event time that is
not a finite number, a complete session whose file size does not match ``n_samples``,
non-finite or backwards time — is a :class:`SessionError`.

Time checks (finite, non-decreasing ``t_s``): on open, the whole column of files up to
:data:`FULL_CHECK_MAX_SAMPLES` records, an even sample of ~4096 values of bigger ones (reading
all of a one-hour 400 Hz file costs ~10 ms; ``verify=True`` forces it); and every window
returned by :meth:`Session.batch` is checked again, so garbage is reported when it would be used.
"""

from __future__ import annotations

import bisect
import math
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trainer import safeio
from trainer.fsutil import write_json_atomic
from trainer.recording import format as fmt
from trainer.recording.errors import SessionError
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile, ProfileError

#: Up to this many records (~17 min at 400 Hz, ~3 ms) ``open_session`` checks every ``t_s``.
FULL_CHECK_MAX_SAMPLES = 400_000
SAMPLED_CHECK_POINTS = 4096


@dataclass(eq=False)
class Session:
    """An opened session. ``imu`` is a read-only memmap of :data:`~format.IMU_DTYPE` records."""

    path: Path
    meta: dict[str, Any]
    status: str
    imu: NDArray[Any]
    mag: NDArray[Any] | None
    events: list[dict[str, Any]]
    calibration: CalibrationProfile
    dropped_tail_bytes: int = 0
    dropped_event_lines: int = 0

    @property
    def n_samples(self) -> int:
        return int(self.imu.shape[0])

    @property
    def t_s(self) -> NDArray[np.float64]:
        """The time column (a strided view of the memmap, no copy)."""
        return self.imu["t_s"]

    @property
    def sample_rate_hz(self) -> float:
        return float(self.meta["sample_rate_hz"])

    @property
    def start_t_s(self) -> float:
        return float(self.imu["t_s"][0]) if self.n_samples else 0.0

    @property
    def end_t_s(self) -> float:
        return float(self.imu["t_s"][-1]) if self.n_samples else 0.0

    @property
    def duration_s(self) -> float:
        """Span covered by the samples: last − first ``t_s`` plus one nominal period."""
        if self.n_samples == 0:
            return 0.0
        return self.end_t_s - self.start_t_s + 1.0 / self.sample_rate_hz

    @property
    def simulated(self) -> bool:
        return bool(self.meta.get("simulated", False))

    @property
    def drill_id(self) -> str:
        return str(self.meta["drill"].get("id"))

    @property
    def side(self) -> str:
        return str(self.meta["side"])

    def conditions(self) -> dict[str, Any]:
        """What the session was: drill id, side, placement and the drill's recorded parameters
        (eyes, surface, sets, hold_s, level, … as the recorder kept them)."""
        drill = self.meta.get("drill") or {}
        params = drill.get("parameters") if isinstance(drill, dict) else None
        return {"drill": self.drill_id, "side": self.side, "placement": self.placement,
                **(dict(params) if isinstance(params, dict) else {})}

    @property
    def placement(self) -> str:
        return str(self.meta["placement"])

    @property
    def has_mag(self) -> bool:
        return self.mag is not None

    def index(self, t_s: float, side: str = "left") -> int:
        """Index of ``t_s`` in the time column (binary search on the memmap, O(log n) reads)."""
        # np.searchsorted would first copy the strided column (all of it); bisect touches ~log n
        t = self.imu["t_s"]
        if side == "left":
            return bisect.bisect_left(t, t_s)
        return bisect.bisect_right(t, t_s)

    def batch(self, t0_s: float | None = None, t1_s: float | None = None) -> SampleBatch:
        """Samples with ``t0_s <= t_s < t1_s`` (None: from the start / to the end), as float64."""
        i0 = 0 if t0_s is None else self.index(t0_s)
        i1 = self.n_samples if t1_s is None else self.index(t1_s)
        return self.slice(i0, max(i0, i1))

    def slice(self, i0: int, i1: int) -> SampleBatch:
        """Samples ``i0:i1`` by index, as a float64 :class:`SampleBatch` (a copy)."""
        return self._as_batch(self.imu[i0:i1], i0, i1)

    def chunks(self, size: int = 1 << 18) -> Iterator[SampleBatch]:
        """The whole session as consecutive float64 batches of ``size`` samples (the last may be
        shorter), each checked like :meth:`slice` (and against the one before).

        Read from the file piece by piece (``numpy.fromfile`` at an offset), not through the
        memory map: a pass over a long session keeps one chunk in memory, and no page of the
        file stays mapped into the process (they would count in its resident memory)."""
        if size < 1:
            raise ValueError(f"chunk size must be positive, got {size}")
        n = self.n_samples
        t_last = -math.inf
        for i0 in range(0, n, size):
            i1 = min(n, i0 + size)
            batch = self._as_batch(self._read_records(i0, i1), i0, i1, t_last)
            t_last = float(batch.t_s[-1])
            yield batch

    def _as_batch(self, rec: NDArray[Any], i0: int, i1: int,
                  t_before: float = -math.inf) -> SampleBatch:
        """Records ``i0:i1`` as a float64 :class:`SampleBatch`, after checking their times are
        finite, never going backwards, and not before ``t_before`` (the previous piece's last)."""
        t = np.array(rec["t_s"], dtype=np.float64)
        # monotone between finite ends means all finite (a NaN fails its comparisons)
        if t.size and not (math.isfinite(t[0]) and math.isfinite(t[-1])
                           and bool(np.all(t[1:] >= t[:-1])) and t[0] >= t_before):
            raise SessionError(f"{self.path / fmt.IMU_FILE}: garbage time values "
                               f"(non-finite or going backwards) near sample {i0}")
        mag = None
        if self.mag is not None:
            mag = np.array(self.mag["mag_ut"][i0:i1], dtype=np.float64)
        acc, gyr = _sample_columns(rec)
        return SampleBatch(t_s=t, acc_g=acc, gyr_dps=gyr,
                           seq=np.array(rec["seq"], dtype=np.uint32), mag_ut=mag)

    def _read_records(self, i0: int, i1: int) -> NDArray[Any]:
        """Records ``i0:i1`` of ``imu.bin`` as an in-memory array (the memmap's file when it has
        one, read at an offset; else a slice of ``imu``)."""
        imu = self.imu
        filename = getattr(imu, "filename", None)
        if not isinstance(imu, np.memmap) or filename is None:
            return np.asarray(imu[i0:i1])
        itemsize = imu.dtype.itemsize
        out: NDArray[Any] = np.fromfile(filename, dtype=imu.dtype, count=i1 - i0,
                                        offset=int(imu.offset) + i0 * itemsize)
        if out.shape[0] != i1 - i0:
            raise SessionError(f"{self.path / fmt.IMU_FILE}: shorter than when it was opened")
        return out

    def events_of(self, *types: str) -> list[dict[str, Any]]:
        """Events of the given types, in file order."""
        return [e for e in self.events if e.get("type") in types]


def _sample_columns(rec: NDArray[Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """(acc_g, gyr_dps) of records as float64 n×3 arrays, converted column by column into one
    column-major block: one long loop per column (a strided n×3 float32 view converts row by
    row, 3 values at a time), and the pipeline's per-column work reads contiguous columns."""
    n = rec.shape[0]
    cols = np.empty((6, n))
    acc = rec["acc_g"]
    gyr = rec["gyr_dps"]
    for c in range(3):
        cols[c] = acc[:, c]
        cols[3 + c] = gyr[:, c]
    return cols[:3].T, cols[3:].T


def open_session(path: str | os.PathLike[str], *, verify: bool | None = None) -> Session:
    """Open a session directory; raises :class:`SessionError` (one line) when it is unusable.

    ``verify``: True checks every ``t_s`` now; None (default) checks all of a file up to
    :data:`FULL_CHECK_MAX_SAMPLES` records and an even sample of bigger ones; False only the
    first and last. Whatever is skipped is checked window by window in :meth:`Session.batch`.
    """
    root = Path(path)
    if not root.is_dir():
        raise SessionError(f"{root}: no such session directory")
    meta = _read_meta(root)
    status = meta["status"]
    finished = status != fmt.STATUS_RECORDING
    imu, tail = _map_records(root / fmt.IMU_FILE, fmt.IMU_DTYPE, tolerate_tail=not finished)
    if not finished:  # keep every good record before a zero-filled or garbage tail
        good = _good_prefix(imu)
        tail += (imu.shape[0] - good) * fmt.IMU_DTYPE.itemsize
        imu = imu[:good]
    n = imu.shape[0]
    if finished and tail:
        raise SessionError(f"{root / fmt.IMU_FILE}: size is not a whole number of "
                           f"{fmt.IMU_DTYPE.itemsize}-byte records (truncated or garbage file)")
    if finished and n != meta["n_samples"]:
        raise SessionError(
            f"{root / fmt.IMU_FILE}: holds {n} records but session.json says "
            f"n_samples={meta['n_samples']} (truncated or garbage file)")
    _check_time(root, imu["t_s"], full=verify)
    mag = _read_mag(root, n)
    events, dropped_lines = _read_events(root / fmt.EVENTS_FILE, tolerate_tail=True)
    try:
        calibration = CalibrationProfile.from_dict(meta["calibration"])
    except ProfileError as exc:
        raise SessionError(f"{root / fmt.META_FILE}: bad calibration: {exc}") from None
    return Session(
        path=root,
        meta=meta,
        status=session_status(meta),
        imu=imu,
        mag=mag,
        events=events,
        calibration=calibration,
        dropped_tail_bytes=tail,
        dropped_event_lines=dropped_lines,
    )


def recover_session(path: str | os.PathLike[str]) -> Session:
    """Make a killed recording whole on disk: cut partial tails, status ``recovered``.

    A no-op for sessions that are already complete/recovered. Returns the re-opened session.
    """
    session = open_session(path)
    if session.meta["status"] != fmt.STATUS_RECORDING:
        return session
    root = session.path
    n = session.n_samples
    del session  # release the memmap before truncating
    for name, dtype in ((fmt.IMU_FILE, fmt.IMU_DTYPE), (fmt.MAG_FILE, fmt.MAG_DTYPE)):
        f = root / name
        if f.exists() and f.stat().st_size > n * dtype.itemsize:
            os.truncate(f, n * dtype.itemsize)
    meta = _read_meta(root)
    meta["status"] = fmt.STATUS_RECOVERED
    meta["n_samples"] = n
    write_json_atomic(root / fmt.META_FILE, meta)
    return open_session(root)


# -- helpers -------------------------------------------------------------------------------
def read_meta(root: str | os.PathLike[str]) -> dict[str, Any]:
    """``session.json`` of the session directory ``root``, read safely (a regular file, bounded
    size and nesting) and checked by :func:`validate_meta`; :class:`SessionError` otherwise."""
    mpath = Path(root) / fmt.META_FILE
    try:
        safeio.check_regular_file(mpath)
    except safeio.UnsafeInput as exc:
        if not mpath.exists() and not mpath.is_symlink():
            raise SessionError(f"{root}: no {fmt.META_FILE} (not a session directory?)") from None
        raise SessionError(str(exc)) from None
    try:
        meta = safeio.read_json(mpath)
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc)) from None
    return validate_meta(meta, mpath)


_read_meta = read_meta


def session_status(meta: dict[str, Any]) -> str:
    """The status every command shows: a session still marked ``recording`` on disk is one whose
    writer stopped without finishing (killed, power loss), so it reads as ``recovered``."""
    status = str(meta.get("status"))
    return fmt.STATUS_RECOVERED if status == fmt.STATUS_RECORDING else status


def validate_meta(meta: Any, where: str | os.PathLike[str]) -> dict[str, Any]:
    """Check a decoded ``session.json`` against the format and sane ranges (one-line
    :class:`SessionError`): version, required fields, status, rate 1–10 000 Hz, sample count,
    printable ids and names, a start time within years 1970–2200, side and placement."""
    mpath = where
    if not isinstance(meta, dict):
        raise SessionError(f"{mpath}: must hold a JSON object")
    version = meta.get("format_version")
    if version != fmt.FORMAT_VERSION:
        raise SessionError(f"{mpath}: unsupported format_version "
                           f"{safeio.printable(repr(version), 40)} "
                           f"(this program reads {fmt.FORMAT_VERSION})")
    missing = [k for k in fmt.REQUIRED_META if k not in meta]
    if missing:
        raise SessionError(f"{mpath}: missing fields: {', '.join(missing)}")
    if meta["status"] not in fmt.STATUSES:
        raise SessionError(f"{mpath}: unknown status {safeio.printable(repr(meta['status']), 40)}")
    meta["sample_rate_hz"] = check_rate_hz(meta["sample_rate_hz"], f"{mpath}: sample_rate_hz")
    n = meta["n_samples"]
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= fmt.MAX_SAMPLES:
        raise SessionError(f"{mpath}: n_samples must be a whole number 0..{fmt.MAX_SAMPLES}, "
                           f"got {safeio.printable(repr(n), 40)}")
    drill = meta["drill"]
    if not isinstance(drill, dict) or "id" not in drill:
        raise SessionError(f"{mpath}: drill must be an object with an id")
    if not isinstance(meta["device"], dict):
        raise SessionError(f"{mpath}: device must be an object")
    # the pipeline turns tilt by side and placement: anything else would be silently misread
    if meta["side"] not in fmt.SIDES:
        raise SessionError(f"{mpath}: side must be one of {', '.join(fmt.SIDES)}, "
                           f"got {safeio.printable(repr(meta['side']), 40)}")
    if meta["placement"] not in fmt.PLACEMENTS:
        raise SessionError(f"{mpath}: placement must be one of {', '.join(fmt.PLACEMENTS)}, "
                           f"got {safeio.printable(repr(meta['placement']), 40)}")
    try:
        safeio.check_text(meta["session_id"], "session_id", mpath)
        safeio.check_text(drill["id"], "drill id", mpath, 64)
        for key in ("name", "address", "profile", "firmware"):
            if meta["device"].get(key) is not None:
                safeio.check_text(meta["device"][key], f"device {key}", mpath)
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc)) from None
    check_start_time(meta["start_time"], mpath)
    return meta


def check_rate_hz(value: Any, what: str) -> float:
    """A sample rate within :data:`~format.SAMPLE_RATE_MIN_HZ`..:data:`~format.SAMPLE_RATE_MAX_HZ`
    (anything else would make analysis loop or allocate without bound)."""
    lo, hi = fmt.SAMPLE_RATE_MIN_HZ, fmt.SAMPLE_RATE_MAX_HZ
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and lo <= value <= hi):
        raise SessionError(f"{what} must be a number of {lo:g}..{hi:g} Hz, got "
                           f"{safeio.printable(repr(value), 40)}")
    return float(value)


def check_start_time(value: Any, where: str | os.PathLike[str]) -> datetime:
    """``start_time``: an ISO-8601 time (``Z`` accepted) in years 1970–2200, as an aware
    datetime."""
    text = value if isinstance(value, str) and len(value) <= 64 else None
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        dt = None
    if dt is None:
        raise SessionError(f"{where}: start_time is not an ISO-8601 time: "
                           f"{safeio.printable(repr(value), 60)}")
    if not fmt.START_YEAR_MIN <= dt.year <= fmt.START_YEAR_MAX:
        raise SessionError(f"{where}: start_time {text} is outside the years "
                           f"{fmt.START_YEAR_MIN}-{fmt.START_YEAR_MAX}")
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _map_records(path: Path, dtype: np.dtype[Any], *, tolerate_tail: bool
                 ) -> tuple[NDArray[Any], int]:
    """Memory-map the complete records of ``path``; returns (records, partial tail bytes).
    Anything but a regular file (a FIFO, a device, a directory, a symlink loop) is refused."""
    try:
        size = safeio.check_regular_file(path).st_size
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc) if path.exists() or path.is_symlink()
                           else f"{path}: missing") from None
    n, tail = divmod(size, dtype.itemsize)
    if tail and not tolerate_tail:
        return np.empty(0, dtype), tail  # the caller reports it
    if n == 0:
        return np.empty(0, dtype), tail
    try:
        return np.memmap(path, dtype=dtype, mode="r", shape=(n,)), tail
    except OSError as exc:
        raise SessionError(f"{path}: cannot read: {exc.strerror or exc}") from None


#: Records examined per step when looking for the end of the good records of a killed session.
_RECOVERY_CHUNK = 1 << 20


def _good_prefix(imu: NDArray[Any]) -> int:
    """How many leading records of a killed recording are good: trailing all-zero records
    (blocks the file system allocated but never wrote, e.g. after power loss) are dropped, then
    everything from the first non-finite or backwards ``t_s`` on."""
    n = imu.shape[0]
    raw = imu.view(np.uint8).reshape(n, fmt.IMU_DTYPE.itemsize) if n else None
    end = n
    while end > 0 and raw is not None:  # strip the zero-filled tail, a chunk at a time
        lo = max(0, end - _RECOVERY_CHUNK)
        nonzero = np.flatnonzero(raw[lo:end].any(axis=1))
        if nonzero.size:
            end = lo + int(nonzero[-1]) + 1
            break
        end = lo
    t_prev = -np.inf
    for lo in range(0, end, _RECOVERY_CHUNK):
        t = np.asarray(imu["t_s"][lo:min(end, lo + _RECOVERY_CHUNK)], dtype=np.float64)
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(t) | (np.diff(t, prepend=t_prev) < 0)
        if bad.any():
            return int(lo + int(np.flatnonzero(bad)[0]))
        t_prev = float(t[-1])
    return int(end)


def _check_time(root: Path, t: NDArray[np.float64], *, full: bool | None) -> None:
    """Finite, non-decreasing ``t_s``: all of it (``full``), or first/last plus an even sample
    of ~4096 values for big files (``None``); every window read is checked again."""
    n = t.shape[0]
    if n == 0:
        return
    where = root / fmt.IMU_FILE
    first, last = float(t[0]), float(t[-1])
    if not (math.isfinite(first) and math.isfinite(last) and first <= last):
        raise SessionError(f"{where}: garbage time values (first {first!r}, last {last!r})")
    if full is False:
        return
    step = 1 if full or n <= FULL_CHECK_MAX_SAMPLES else n // SAMPLED_CHECK_POINTS
    # a contiguous copy of the (strided) column in one pass, then vectorised checks; the sample
    # of a big file is read with pread: through the memmap every touched page would map its
    # neighbours too (fault-around) and the whole file would count in resident memory
    tc = np.ascontiguousarray(t[::step]) if step == 1 else _read_times(where, step, n)
    if not np.all(np.isfinite(tc)):
        i = int(np.flatnonzero(~np.isfinite(tc))[0]) * step
        raise SessionError(f"{where}: garbage time values (non-finite t_s at sample {i})")
    back = np.flatnonzero(np.diff(tc) < 0)
    if back.size:
        i = (int(back[0]) + 1) * step
        raise SessionError(f"{where}: garbage time values (t_s goes backwards near sample {i})")


def _read_times(path: Path, step: int, n: int) -> NDArray[np.float64]:
    """``t_s`` of records 0, step, 2·step… of ``imu.bin``, read without mapping the file."""
    size = fmt.IMU_DTYPE.itemsize
    fields = fmt.IMU_DTYPE.fields
    assert fields is not None
    off = int(fields["t_s"][1])
    try:
        with open(path, "rb") as f:
            fd = f.fileno()
            raw = b"".join(os.pread(fd, 8, i * size + off) for i in range(0, n, step))
    except OSError as exc:
        raise SessionError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) != 8 * len(range(0, n, step)):
        raise SessionError(f"{path}: shorter than its size says")
    return np.frombuffer(raw, dtype="<f8")


def _read_mag(root: Path, n: int) -> NDArray[Any] | None:
    path = root / fmt.MAG_FILE
    if not path.exists():
        return None
    mag, _tail = _map_records(path, fmt.MAG_DTYPE, tolerate_tail=True)
    if mag.shape[0] >= n:
        return mag[:n]
    # killed between the two writes of a batch: pad the missing tail with NaN
    out = np.full(n, np.nan, dtype=fmt.MAG_DTYPE)
    out[: mag.shape[0]] = mag
    return out


def _read_events(path: Path, *, tolerate_tail: bool) -> tuple[list[dict[str, Any]], int]:
    """``events.jsonl``: (events, dropped lines). A regular file of bounded size; every line a
    JSON object with a finite ``t_s`` and a printable string ``type``."""
    if not path.exists() and not path.is_symlink():
        return [], 0
    try:
        data = safeio.read_bounded(path, safeio.MAX_EVENTS_BYTES)
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc)) from None
    lines: Sequence[bytes] = data.split(b"\n")
    dropped = 0
    if lines and lines[-1] == b"":
        lines = lines[:-1]
    elif lines and tolerate_tail:  # no final newline: the writer was killed mid-line
        lines = lines[:-1]
        dropped = 1
    events: list[dict[str, Any]] = []
    for i, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = safeio.loads_json(raw, f"{path}: line {i}")
        except safeio.UnsafeInput as exc:
            raise SessionError(str(exc)) from None
        if not isinstance(obj, dict) or "type" not in obj or "t_s" not in obj:
            raise SessionError(f"{path}: line {i} is not an event object with t_s and type")
        t = obj["t_s"]  # readers compare and subtract it: a string would be silently skipped
        if t is None:  # older writers: a link status before the first sample (time unknown)
            dropped += 1
            continue
        check_event(obj, f"{path}: line {i}")
        events.append(obj)
    return events, dropped


def read_session_events(root: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The checked events of a session directory's ``events.jsonl`` ([] when there is none;
    a partial last line is dropped); :class:`SessionError` when the file is unusable."""
    return _read_events(Path(root) / fmt.EVENTS_FILE, tolerate_tail=True)[0]


def check_event(obj: dict[str, Any], where: str) -> None:
    """One event: ``t_s`` a finite number within a week, ``type`` a short printable string."""
    t = obj["t_s"]
    if isinstance(t, bool) or not isinstance(t, int | float) or not (
            math.isfinite(t) and abs(t) <= fmt.MAX_EVENT_T_S):
        raise SessionError(f"{where}: t_s must be a finite number of seconds, got "
                           f"{safeio.printable(repr(t), 40)}")
    try:
        safeio.check_text(obj["type"], "event type", where, 64)
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc)) from None
    for key, hi in EVENT_COUNTS.items():
        if key in obj and obj[key] is not None:
            v = obj[key]
            if isinstance(v, bool) or not isinstance(v, int | float) or not (
                    math.isfinite(v) and float(v).is_integer() and 0 <= v <= hi):
                raise SessionError(f"{where}: {key} must be a whole number 0..{hi}, got "
                                   f"{safeio.printable(repr(v), 40)}")


#: Whole-number fields of events and their ranges (a pain rating is 0-10).
EVENT_COUNTS: dict[str, int] = {"rating": 10, "set": 10_000}
