"""SessionWriter: records batches into a session directory (format v1), crash-safe.

``session.json`` is written first (status ``recording``), samples are appended to ``imu.bin`` as
fixed-size records (one ``write`` per batch, built as a numpy structured array), and a small
background thread fsyncs the files every ``flush_interval_s`` (0.5 s) when something was
written — so data that arrives and then stops is on disk within a second, even if the process is
killed right after. ``close()`` rewrites ``session.json`` atomically with status ``complete``.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from trainer.fsutil import (
    fsync_dir,
    json_line,
    make_private_dir,
    open_private,
    write_all,
    write_json_atomic,
)
from trainer.recording import format as fmt
from trainer.recording.errors import SessionError
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.source import SourceInfo, SourceStatus


def utc_iso(moment: datetime | None = None) -> str:
    """UTC time as ISO 8601 with milliseconds and a ``Z``."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_session_id(start: datetime | None = None) -> str:
    """Sortable, unique: ``20240501T120000Z-1a2b3c4d``."""
    start = (start or datetime.now(UTC)).astimezone(UTC)
    return f"{start:%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def imu_records(batch: SampleBatch) -> np.ndarray:
    """The ``imu.bin`` records of a batch (vectorised; float64 values rounded to float32)."""
    rec = np.empty(len(batch), dtype=fmt.IMU_DTYPE)
    rec["t_s"] = batch.t_s
    rec["seq"] = batch.seq
    rec["acc_g"] = batch.acc_g
    rec["gyr_dps"] = batch.gyr_dps
    return rec


class SessionWriter:
    """Write one session directory. Use as a context manager, or call :meth:`close`.

    ``path`` must not exist or be an empty directory (never overwrites). ``device`` is the
    source's :class:`SourceInfo` (or a plain mapping with name/address/profile/firmware).
    ``with_mag`` None: decided by the first non-empty batch. Samples whose ``t_s`` is not finite
    or goes backwards are dropped and counted (``dropped_samples``) — a reader requires
    non-decreasing time. Not thread-safe: append/event from one thread.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        sample_rate_hz: float,
        device: SourceInfo | Mapping[str, Any] | None = None,
        drill_id: str = "single-leg-balance",
        drill_parameters: Mapping[str, Any] | None = None,
        side: str = "left",
        placement: str = "shank",
        calibration: CalibrationProfile | None = None,
        simulated: bool | None = None,
        with_mag: bool | None = None,
        session_id: str | None = None,
        start_time: datetime | None = None,
        extra: Mapping[str, Any] | None = None,
        flush_interval_s: float = 0.5,
    ) -> None:
        if not (math.isfinite(sample_rate_hz) and sample_rate_hz > 0):
            raise ValueError(f"sample_rate_hz must be positive, got {sample_rate_hz!r}")
        if side not in fmt.SIDES:
            raise ValueError(f"side must be one of {fmt.SIDES}, got {side!r}")
        if placement not in fmt.PLACEMENTS:
            raise ValueError(f"placement must be one of {fmt.PLACEMENTS}, got {placement!r}")
        self.path = Path(path)
        try:
            make_private_dir(self.path)
        except FileExistsError as exc:
            raise SessionError(str(exc)) from None
        start = (start_time or datetime.now(UTC)).astimezone(UTC)
        dev, sim = _device_json(device)
        if simulated is None:
            simulated = sim
        cal = calibration or CalibrationProfile.neutral(dev.get("address"), dev.get("name"))
        self.meta: dict[str, Any] = {
            "format_version": fmt.FORMAT_VERSION,
            "session_id": session_id or new_session_id(start),
            "start_time": utc_iso(start),
            "device": dev,
            "sample_rate_hz": float(sample_rate_hz),
            "placement": placement,
            "side": side,
            "drill": {"id": drill_id, "parameters": dict(drill_parameters or {})},
            "calibration": cal.to_dict(),
            "status": fmt.STATUS_RECORDING,
            "n_samples": 0,
            "simulated": bool(simulated),
            "units": dict(fmt.UNITS),
            "files": fmt.file_layout(),
        }
        if extra:
            self.meta.update(dict(extra))
        self._with_mag = with_mag
        self.n_samples = 0
        self.dropped_samples = 0
        self._last_t = -math.inf
        self._first_t: float | None = None
        self._untimed: list[tuple[str, dict[str, Any]]] = []  # events before the first sample
        self._closed = False
        self._dirty = False
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._mag_fd: int | None = None
        write_json_atomic(self.path / fmt.META_FILE, self.meta)
        self._imu_fd = open_private(self.path / fmt.IMU_FILE)
        self._events_fd = open_private(self.path / fmt.EVENTS_FILE)
        if with_mag:
            self._mag_fd = open_private(self.path / fmt.MAG_FILE)
        fsync_dir(self.path)
        self._interval = float(flush_interval_s)
        self._flusher = threading.Thread(target=self._flush_loop, name="session-fsync",
                                         daemon=True)
        self._flusher.start()

    # -- writing -------------------------------------------------------------------------
    def append(self, batch: SampleBatch) -> int:
        """Append a batch (raw device units); returns the number of samples written."""
        if self._closed:
            raise SessionError(f"session {self.path} is closed")
        n = len(batch)
        if n == 0:
            return 0
        t = batch.t_s
        finite = np.isfinite(t)
        prev = np.concatenate(([self._last_t], np.where(finite, t, -np.inf)))
        running = np.maximum.accumulate(prev)
        keep = finite & (t >= running[:-1])
        if not keep.all():
            self.dropped_samples += int(n - np.count_nonzero(keep))
            idx = np.flatnonzero(keep)
            batch = SampleBatch(batch.t_s[idx], batch.acc_g[idx], batch.gyr_dps[idx],
                                batch.seq[idx], None if batch.mag_ut is None else batch.mag_ut[idx])
            n = len(batch)
            if n == 0:
                return 0
        if self._with_mag is None:
            self._with_mag = batch.mag_ut is not None
            if self._with_mag:
                self._mag_fd = open_private(self.path / fmt.MAG_FILE)
                fsync_dir(self.path)
        rec = imu_records(batch)
        mag_rec = None
        if self._mag_fd is not None:
            mag_rec = np.empty(n, dtype=fmt.MAG_DTYPE)
            mag_rec["t_s"] = batch.t_s
            mag_rec["mag_ut"] = np.nan if batch.mag_ut is None else batch.mag_ut
        # mag first: a reader trusts imu.bin's length, and pads a shorter mag.bin with NaN
        if mag_rec is not None:
            write_all(self._mag_fd, mag_rec.tobytes())  # type: ignore[arg-type]
        write_all(self._imu_fd, rec.tobytes())
        if self._first_t is None:
            self._first_t = float(batch.t_s[0])
            self._write_untimed(self._first_t)
        self._last_t = float(batch.t_s[-1])
        self.n_samples += n
        self._dirty = True
        return n

    def event(self, t_s: float | None, event_type: str, **fields: Any) -> None:
        """Append one line to events.jsonl: ``{"t_s": t_s, "type": event_type, **fields}``.

        ``t_s`` None: the time of the latest sample; before the first sample the event waits and
        gets the first sample's time (every event has a number: readers refuse anything else).
        """
        if self._closed:
            raise SessionError(f"session {self.path} is closed")
        if t_s is None:
            if self._first_t is None:
                self._untimed.append((str(event_type), fields))
                return
            t_s = self._last_t
        obj = {"t_s": float(t_s), "type": str(event_type), **fields}
        write_all(self._events_fd, json_line(obj))
        self._dirty = True

    def _write_untimed(self, t_s: float) -> None:
        pending, self._untimed = self._untimed, []
        for event_type, fields in pending:
            self.event(t_s, event_type, **fields)

    def status_event(self, status: SourceStatus) -> bool:
        """Record a source status change as an event (link lost/restored, gap, …).

        Returns False for kinds that are not recorded (rssi, connected, streaming…).
        """
        etype = fmt.STATUS_EVENT_TYPES.get(status.kind)
        if etype is None:
            return False
        t = status.t_s if status.t_s is not None else self.last_t_s
        fields: dict[str, Any] = dict(status.data)
        if status.message:
            fields["message"] = status.message
        self.event(t, etype, **fields)
        return True

    @property
    def last_t_s(self) -> float | None:
        return None if self._first_t is None else self._last_t

    @property
    def first_t_s(self) -> float | None:
        return self._first_t

    @property
    def closed(self) -> bool:
        """The recording is finished (``close`` was called)."""
        return self._closed

    def flush(self) -> None:
        """fsync everything written so far (the background thread does this twice a second)."""
        with self._lock:
            if self._closed:
                return
            self._dirty = False
            for fd in (self._imu_fd, self._mag_fd, self._events_fd):
                if fd is not None:
                    os.fsync(fd)

    def _flush_loop(self) -> None:
        while not self._stop.wait(self._interval):
            if self._dirty:
                with contextlib.suppress(OSError):
                    self.flush()

    # -- closing -------------------------------------------------------------------------
    def close(self, status: str = fmt.STATUS_COMPLETE, **meta_updates: Any) -> dict[str, Any]:
        """Flush, close the files and rewrite session.json (status, n_samples). Idempotent.

        Returns the final meta data.
        """
        if self._closed:
            return self.meta
        self._stop.set()
        self._flusher.join()
        try:
            with contextlib.suppress(OSError):  # no sample ever came: they happened at 0
                self._write_untimed(0.0)
            self.flush()
        finally:  # the files are closed even when the last fsync fails (then session.json
            # keeps status "recording" and the session opens as recovered)
            with self._lock:
                self._closed = True
                for fd in (self._imu_fd, self._mag_fd, self._events_fd):
                    if fd is not None:
                        with contextlib.suppress(OSError):
                            os.close(fd)
        self.meta["stop_time"] = utc_iso()
        self.meta.update(meta_updates)
        self.meta["status"] = status
        self.meta["n_samples"] = self.n_samples
        self.meta["has_mag"] = self._mag_fd is not None
        if self.dropped_samples:
            self.meta["dropped_samples"] = self.dropped_samples
        write_json_atomic(self.path / fmt.META_FILE, self.meta)
        return self.meta

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # a forgotten writer must not leak its fsync thread
        if not getattr(self, "_closed", True):
            self._stop.set()


def _device_json(device: SourceInfo | Mapping[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """The ``device`` object of session.json and whether the source is simulated."""
    keys = ("name", "address", "profile", "firmware")
    if device is None:
        return {k: None for k in keys}, False
    if isinstance(device, SourceInfo):
        out = device.as_json()
        sim = bool(out.pop("simulated", False))
        return out, sim or device.simulated
    out = {k: device.get(k) for k in keys}
    out.update({k: v for k, v in device.items() if k not in keys and k != "simulated"})
    return out, bool(device.get("simulated", False))
