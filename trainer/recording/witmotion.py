"""WitMotion app exports (the maker's PC/Android software, "Record" → CSV or TXT) → sessions.

What the app writes, and what we do with it:

- **CSV**: UTF-8 with a BOM, CRLF, a leading space in every value and a trailing comma on each row;
  header ``Time,Device name,Chip Time(),Acceleration X(g),…,Angular velocity X(°/s),…,Angle X(°),
  …,Magnetic field X(ʯt),…,Temperature(℃),Quaternions 0(),…`` (``ʯt`` is the app's garbled µT).
  **TXT**: the same columns tab-separated, in the Windows ANSI or GBK code page (``°`` as one byte,
  ``ʯ``/``℃`` often as ``?``), sometimes with decimal commas. Columns are found by their ASCII
  stem (``acceleration x``, ``angular velocity x``, ``magnetic field x``…) and short aliases of
  older versions (``AccX``, ``AsX``/``wx``, ``AngleX``, ``HX``), so the encoding never matters.
- **Several sensors interleaved**: rows are told apart by ``Device name`` (the sensor's address);
  each device becomes its own recording (or pick one with ``device_id``). A file without that
  column is one device, named from the app's file name (``_WT901BLE67(d6-a8-…)_0.csv``) if given.
- **Units**: acceleration in g (m/s² converted), angular rate in °/s (rad/s converted),
  magnetic field in µT (the app holds it between the sensor's slower magnetometer reads).
  The sensor's own angles and quaternions are not imported (our pipeline computes orientation
  from the raw signals); their presence is noted in ``session.json``.
- **Time**: ``Chip Time`` is the sensor's clock but in these exports it changes only every few
  hundred ms (the app reads it separately), so it is the timeline only when it advances on
  (nearly) every row. Otherwise ``Time`` (the computer's clock when the row arrived, ms, no
  date) is used: BLE delivers notifications in bursts that share one arrival time, so each burst
  is spread evenly up to the next arrival. The nominal rate is rows / span, snapped to the
  sensor's rate settings (0.2…200 Hz) when within 15 %.
"""

from __future__ import annotations

import codecs
import math
import os
import re
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from trainer import safeio
from trainer.recording.csvio import F4_MAX, STANDARD_GRAVITY, ImportedData
from trainer.recording.errors import SessionError
from trainer.vocab.batch import SampleBatch

FORMAT = "witmotion"
#: The return-rate settings of WitMotion sensors (register RRATE), Hz.
RATE_SETTINGS_HZ = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
_MAC_RE = re.compile(r"^[0-9a-f]{2}([:\-._])[0-9a-f]{2}(\1[0-9a-f]{2}){4}$", re.IGNORECASE)
_FILE_DEVICE_RE = re.compile(
    r"([A-Za-z0-9]+)\(([0-9A-Fa-f]{2}(?:[-:._][0-9A-Fa-f]{2}){5})\)")
_CLOCK_RE = re.compile(
    r"^(?:(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T]+)?(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.:,](\d+))?$")

# column stems (lower case, units in parentheses removed, ASCII only) → (kind, axis)
_VECTOR_RE = {
    "acc": re.compile(r"^(?:acceleration|acc|a)\s*([xyz])$"),
    "gyr": re.compile(r"^(?:angular\s*velocity|gyro|gyr|as|w)\s*([xyz])$"),
    "angle": re.compile(r"^(?:angle|ang)\s*([xyz])$"),
    "mag": re.compile(r"^(?:magnetic\s*field|mag|h)\s*([xyz])$"),
}
FloatArray = NDArray[np.float64]


@dataclass
class _Columns:
    time: int | None = None
    device: int | None = None
    chip: int | None = None
    vectors: dict[str, dict[str, int]] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    others: list[str] = field(default_factory=list)


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), else GBK/GB18030 (Chinese Windows), else Latin-1 (the
    Windows ANSI code pages; only the header has non-ASCII bytes). Judged on the first 64 KB."""
    try:  # a regular file only: a FIFO or /dev/zero must not hang the import
        with os.fdopen(safeio.open_regular(path), "rb") as f:
            head = f.read(65536)
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc)) from None
    except OSError as exc:
        raise SessionError(f"{path}: cannot read: {exc.strerror}") from None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        return encoding
    return "latin-1"


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """The file's lines with their 1-based numbers, streamed (a long export never sits in
    memory as text)."""
    encoding = _encoding(path)
    try:
        with open(safeio.open_regular(path), encoding=encoding, errors="replace",
                  newline="") as f:
            yield from enumerate(f, start=1)
    except safeio.UnsafeInput as exc:
        raise SessionError(str(exc)) from None
    except OSError as exc:
        raise SessionError(f"{path}: cannot read: {exc.strerror}") from None


def _stem_and_unit(cell: str) -> tuple[str, str]:
    text = cell.strip().lower()
    m = re.match(r"^(.*?)\s*\(([^)]*)\)\s*$", text)
    stem, unit = (m.group(1), m.group(2).strip()) if m else (text, "")
    stem = re.sub(r"[^a-z0-9 ]", "", stem).strip()
    return re.sub(r"\s+", " ", stem), unit


def _find_columns(path: Path, header: list[str]) -> _Columns:
    cols = _Columns()
    for i, cell in enumerate(header):
        stem, unit = _stem_and_unit(cell)
        if stem == "time":
            cols.time = i
        elif stem in ("device name", "devicename", "device", "address"):
            cols.device = i
        elif stem in ("chip time", "chiptime"):
            cols.chip = i
        else:
            for kind, rx in _VECTOR_RE.items():
                m = rx.match(stem)
                if m:
                    cols.vectors.setdefault(kind, {})[m.group(1)] = i
                    cols.units.setdefault(kind, unit)
                    break
            else:
                if stem:
                    cols.others.append(cell.strip())
    for kind in ("acc", "gyr"):
        got = cols.vectors.get(kind, {})
        if set(got) != {"x", "y", "z"}:
            what = "Acceleration X/Y/Z(g)" if kind == "acc" else "Angular velocity X/Y/Z(°/s)"
            raise SessionError(f"{path}: not a WitMotion export with raw data: no {what} "
                               "columns (record with acceleration and angular velocity shown)")
    if set(cols.vectors.get("mag", {})) != {"x", "y", "z"}:
        cols.vectors.pop("mag", None)
    if cols.time is None and cols.chip is None:
        raise SessionError(f"{path}: not a WitMotion export: no 'Time' or 'Chip Time()' column")
    return cols


def _acc_scale(path: Path, unit: str) -> float:
    if unit in ("", "g"):
        return 1.0
    if unit.startswith("m/s"):
        return 1.0 / STANDARD_GRAVITY
    raise SessionError(f"{path}: unknown acceleration unit {unit!r} (expected g or m/s²)")


def _gyr_scale(path: Path, unit: str) -> float:
    if unit in ("", "dps") or (unit.endswith("/s") and not unit.startswith("rad")):
        return 1.0
    if unit.startswith("rad"):
        return 180.0 / math.pi
    raise SessionError(f"{path}: unknown angular velocity unit {unit!r} (expected °/s or rad/s)")


def _clock_s(text: str) -> tuple[float, datetime | None] | None:
    """Seconds since midnight (and the date, when the text has one) of ``[Y-M-D ]H:M:S.fff``."""
    m = _CLOCK_RE.match(text.strip())
    if not m:
        return None
    y, mo, d, hh, mm, ss, frac = m.groups()
    secs = int(hh) * 3600 + int(mm) * 60 + int(ss) + (int(frac) / 10 ** len(frac) if frac else 0.0)
    day = None
    if y:
        try:
            day = datetime(int(y), int(mo), int(d))
        except ValueError:
            return None
    return secs, day


class _Clock:
    """One time column of one device: ``[Y-M-D ]H:M:S.fff`` texts → seconds, days counted from
    the first date seen (a time of day alone is unwrapped over midnight afterwards)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.values = array("d")
        self.origin: datetime | None = None
        self.dated = False
        self.first_text: str | None = None

    def add(self, path: Path, line: int, text: str) -> None:
        parsed = _clock_s(text)
        if parsed is None:
            raise SessionError(f"{path}: line {line}: column {self.name}: not a time: "
                               f"{text.strip()!r}")
        secs, day = parsed
        if self.first_text is None:
            self.first_text = text
        if day is not None:
            self.dated = True
            self.origin = self.origin or day
            secs += (day - self.origin).total_seconds()
        self.values.append(secs)

    def seconds(self) -> FloatArray:
        out = np.frombuffer(self.values, dtype=np.float64).copy()
        if not self.dated and out.size:  # time of day only: unwrap midnight
            wraps = np.concatenate(([0], np.cumsum(np.diff(out) < -43200.0)))
            out += 86400.0 * wraps
        return out


def _clock_text(secs: float) -> str:
    secs %= 86400.0
    return f"{int(secs // 3600):02d}:{int(secs % 3600 // 60):02d}:{secs % 60:06.3f}"


def _spread_bursts(t: FloatArray) -> FloatArray:
    """Arrival times made strictly increasing: rows sharing one arrival time are spread evenly
    up to the next arrival (the last burst at the median step)."""
    t = np.maximum.accumulate(t)
    if t.size < 2:
        return t
    first = np.flatnonzero(np.concatenate(([True], np.diff(t) > 0)))
    steps = np.diff(t[first])
    step = float(np.median(steps / np.diff(first))) if steps.size else 0.0
    if step <= 0:
        step = 0.01
    anchors_i = np.concatenate((first, [t.size]))
    anchors_t = np.concatenate((t[first], [t[-1] + step * (t.size - first[-1])]))
    return np.interp(np.arange(t.size, dtype=np.float64), anchors_i, anchors_t)


def nominal_rate_hz(t_s: FloatArray) -> float | None:
    """Rows per second over the span, snapped to a WitMotion rate setting when within 15 %."""
    if t_s.size < 2 or t_s[-1] <= t_s[0]:
        return None
    rate = (t_s.size - 1) / float(t_s[-1] - t_s[0])
    best = min(RATE_SETTINGS_HZ, key=lambda r: abs(math.log(rate / r)))
    return best if abs(rate / best - 1.0) <= 0.15 else round(rate, 2)


def normalize_device_id(text: str) -> str:
    """``FC:66:87:EE:FB:8C``, ``fc-66-87-ee-fb-8c`` and ``fc.66…`` compare equal."""
    t = text.strip().lower()
    return re.sub(r"[:\-._]", ":", t) if _MAC_RE.match(t) else t


@dataclass
class WitMotionDevice:
    """One sensor's rows of an export, parsed into compact arrays as the file streams by."""

    device_id: str
    lines: array[int] = field(default_factory=lambda: array("q"))
    values: array[float] = field(default_factory=lambda: array("d"))  # acc, gyr[, mag] per row
    arrival: _Clock = field(default_factory=lambda: _Clock("Time"))
    chip: _Clock = field(default_factory=lambda: _Clock("Chip Time"))


def list_devices(path: str | Path) -> list[str]:
    """The sensors (``Device name`` values) in an export, in order of first appearance."""
    return [d.device_id for d in _split(Path(path))[1]]


def _value_columns(cols: _Columns) -> list[tuple[int, str]]:
    labels = {"acc": "Acceleration", "gyr": "Angular velocity", "mag": "Magnetic field"}
    return [(cols.vectors[kind][axis], f"{labels[kind]} {axis.upper()}")
            for kind in ("acc", "gyr", "mag") if kind in cols.vectors for axis in "xyz"]


def _bad_number(path: Path, line: int, row: list[str], value_cols: list[tuple[int, str]],
                decimal_comma: bool) -> SessionError:
    for i, name in value_cols:
        text = row[i].strip()
        try:
            float(text.replace(",", ".") if decimal_comma else text)
        except ValueError:
            what = "empty cell" if not text else f"not a number: {text!r}"
            return SessionError(f"{path}: line {line}: column {name}: {what}")
    return SessionError(f"{path}: line {line}: unreadable numbers")  # pragma: no cover


def _split(path: Path) -> tuple[_Columns, list[WitMotionDevice], dict[str, object]]:
    """Read the export once, row by row, into one :class:`WitMotionDevice` per sensor."""
    lines = _lines(path)
    header_line = next((ln for _, ln in lines if ln.strip()), None)
    if header_line is None:
        raise SessionError(f"{path}: empty file")
    header_line = header_line.rstrip("\r\n")
    sep = "\t" if "\t" in header_line else ","
    header = header_line.split(sep)
    while header and not header[-1].strip():
        header.pop()
    cols = _find_columns(path, header)
    value_cols = _value_columns(cols)
    need = max([i for i in (cols.time, cols.device, cols.chip) if i is not None]
               + [i for i, _ in value_cols]) + 1
    decimal_comma = sep == "\t"
    file_device = _FILE_DEVICE_RE.search(path.name)
    default_id = normalize_device_id(file_device.group(2)) if file_device else path.stem
    devices: dict[str, WitMotionDevice] = {}
    short: tuple[int, int] | None = None  # a short row is fine only as the very last one
    for n, raw in lines:
        row = raw.rstrip("\r\n").split(sep)
        while row and not row[-1].strip():
            row.pop()
        if not row:
            continue
        if short is not None:
            raise SessionError(f"{path}: line {short[0]}: has {short[1]} columns, the header "
                               f"has {len(header)}")
        if len(row) < need:
            short = (n, len(row))
            continue
        dev_id = normalize_device_id(row[cols.device]) if cols.device is not None else default_id
        if not dev_id:
            raise SessionError(f"{path}: line {n}: empty Device name")
        dev = devices.get(dev_id)
        if dev is None:
            dev = devices[dev_id] = WitMotionDevice(dev_id)
        try:
            if decimal_comma:
                dev.values.extend(float(row[i].replace(",", ".")) for i, _ in value_cols)
            else:
                dev.values.extend(float(row[i]) for i, _ in value_cols)  # spaces are fine
        except ValueError:
            raise _bad_number(path, n, row, value_cols, decimal_comma) from None
        dev.lines.append(n)
        if cols.time is not None:
            dev.arrival.add(path, n, row[cols.time])
        if cols.chip is not None:
            dev.chip.add(path, n, row[cols.chip])
    if not devices:
        raise SessionError(f"{path}: no samples (only a header)")
    info: dict[str, object] = {"separator": "tab" if sep == "\t" else "comma",
                               "skipped_truncated_rows": int(short is not None)}
    if file_device:
        info["file_device_name"] = file_device.group(1)
    return cols, list(devices.values()), info


def select_device(path: Path, devices: Sequence[WitMotionDevice],
                  device_id: str) -> WitMotionDevice:
    """The device ``device_id`` names: exactly, else the one whose id contains it."""
    want = normalize_device_id(device_id)
    for d in devices:
        if d.device_id == want:
            return d
    partial = [d for d in devices if want and want in d.device_id]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(d.device_id for d in devices)
    if partial:
        raise SessionError(f"{path}: --device-id {device_id!r} matches several devices ({names})")
    raise SessionError(f"{path}: no device {device_id!r} in this export (devices: {names})")


def _convert(path: Path, cols: _Columns, dev: WitMotionDevice, info: dict[str, object],
             n_devices: int) -> ImportedData:
    lines = dev.lines
    value_cols = _value_columns(cols)
    values = np.frombuffer(dev.values, dtype=np.float64).reshape(len(lines), len(value_cols))
    bad = np.argwhere(~np.isfinite(values))
    if bad.size:
        k, j = (int(x) for x in bad[0])
        raise SessionError(f"{path}: line {lines[k]}: column {value_cols[j][1]}: non-finite "
                           f"value {str(values[k, j])!r}")
    scale = np.array([_acc_scale(path, cols.units["acc"])] * 3
                     + [_gyr_scale(path, cols.units["gyr"])] * 3 + [1.0] * (len(value_cols) - 6))
    values = values * scale
    big = np.argwhere(np.abs(values) > F4_MAX)  # imu.bin holds float32: it would become inf
    if big.size:
        k, j = (int(x) for x in big[0])
        raise SessionError(f"{path}: line {lines[k]}: column {value_cols[j][1]}: "
                           f"{values[k, j]:g} is out of range")
    acc, gyr = values[:, 0:3], values[:, 3:6]
    mag = values[:, 6:9] if len(value_cols) == 9 else None

    notes: dict[str, object] = {"device_id": dev.device_id, "devices_in_file": n_devices,
                                **{k: v for k, v in info.items() if v}}
    t: FloatArray | None = None
    if cols.chip is not None:
        chip = dev.chip.seconds()
        steps = np.diff(chip)
        # the sensor's clock is the timeline only if it advances on (nearly) every row
        if steps.size and np.all(steps >= 0) and np.mean(steps > 0) >= 0.95:
            t = _spread_bursts(chip)
            notes["timeline"] = "Chip Time (the sensor's clock)"
        else:
            notes["chip_time_updates_per_row"] = round(float(np.mean(steps > 0)), 3) \
                if steps.size else 0.0
    if t is None:
        if cols.time is None:
            raise SessionError(f"{path}: Chip Time does not advance on every row and there is no "
                               "'Time' column to time the samples")
        arrival = dev.arrival.seconds()
        back = np.flatnonzero(np.diff(arrival) < -1.0)
        if back.size:
            i = int(back[0]) + 1
            raise SessionError(f"{path}: line {lines[i]}: Time goes backwards "
                               f"({_clock_text(arrival[i - 1])} then {_clock_text(arrival[i])})")
        bursts = int(np.count_nonzero(np.diff(arrival) <= 0))
        t = _spread_bursts(arrival)
        notes["timeline"] = "Time (arrival at the computer; bursts spread evenly)"
        notes["rows_in_bursts"] = bursts
    t = t - t[0]
    if "angle" in cols.vectors:
        notes["angles"] = "not imported (the sensor's own fusion; orientation is recomputed)"
    address = dev.device_id.upper() if _MAC_RE.match(dev.device_id) else None
    name = str(info.get("file_device_name") or "WitMotion")
    device = {"name": name if address else dev.device_id, "address": address,
              "profile": "witmotion", "firmware": None}
    return ImportedData(
        batch=SampleBatch.from_arrays(t, acc, gyr, None, mag),
        sample_rate_hz=nominal_rate_hz(t),
        source_format=FORMAT,
        files=[path.name],
        device=device,
        start_time=_start_time(path, cols, dev),
        notes=notes,
    )


def _start_time(path: Path, cols: _Columns, dev: WitMotionDevice) -> datetime | None:
    """When the first row arrived: its ``Time`` on the date in the app's folder names
    (``Record/2025-11-12/…``), else on the file's modification day; local time."""
    if dev.arrival.first_text is None:
        return None
    parsed = _clock_s(dev.arrival.first_text)
    if parsed is None:
        return None
    secs, day = parsed
    if day is None:
        for part in reversed(path.resolve().parts[:-1]):
            m = re.search(r"(\d{4})-(\d{2})-(\d{2})", part)
            if m:
                try:
                    day = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)))
                except ValueError:
                    continue
                break
    if day is None:
        try:
            mtime = datetime.fromtimestamp(path.stat().st_mtime)
        except OSError:
            return None
        day = datetime(mtime.year, mtime.month, mtime.day)
        if secs > mtime.hour * 3600 + mtime.minute * 60 + mtime.second + 60:
            day -= timedelta(days=1)  # recorded before midnight, saved after
    local = day + timedelta(seconds=secs)
    return local.astimezone().astimezone(UTC)


def looks_like_witmotion(path: str | Path) -> bool:
    """Whether the file's header is a WitMotion app export's (for a hint on other formats)."""
    try:
        with os.fdopen(safeio.open_regular(path), "rb") as f:
            head = f.read(4096)
    except (OSError, safeio.UnsafeInput):
        return False
    first = head.split(b"\n", 1)[0].lower()
    return b"device name" in first and (b"acceleration x" in first or b"chip time" in first)


def session_dir_name(data: ImportedData) -> str:
    """A folder name for one sensor of a multi-sensor export: its address with dashes."""
    raw = str(data.notes.get("device_id") or data.device.get("name") or "device")
    return re.sub(r"[^A-Za-z0-9_-]+", "-", raw).strip("-") or "device"


def read_witmotion(path: str | os.PathLike[str],
                   device_id: str | None = None) -> list[ImportedData]:
    """One :class:`ImportedData` per sensor in the export (only ``device_id``'s when given)."""
    path = Path(path)
    cols, devices, info = _split(path)
    chosen = [select_device(path, devices, device_id)] if device_id else devices
    return [_convert(path, cols, d, info, len(devices)) for d in chosen]
