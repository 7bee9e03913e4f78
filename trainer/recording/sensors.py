"""Sessions with several sensors (issue 14): one sample file per sensor, the list in
``session.json``.

Format (grows format version 1 without breaking it): the **primary** sensor (the one the drill is
analysed on) stays in ``imu.bin`` (+ ``mag.bin``) exactly as before, so every reader of a
one-sensor session reads a multi-sensor session's primary unchanged. Each other sensor has
``imu-<role>.bin`` (+ ``mag-<role>.bin``), the same 36-byte records on the same session clock.
``session.json`` gains::

    "sensors": [{"role": "left-shank", "primary": true, "file": "imu.bin",
                 "device": {...}, "sample_rate_hz": 100.0, "calibration": {...},
                 "n_samples": N, "clock": {"drift_ppm": …, "offset_s": …}}, …],
    "session_clock": {"method": …, "alignment": {…shared-tap measurement…}}

Sessions without ``sensors`` have one sensor whose role follows from ``side`` and ``placement``.
Events of the extra sensors' links go to ``events.jsonl`` as ``sensor_<type>`` with ``role``
(a gap on the trunk sensor is not a gap in ``imu.bin``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Any

import numpy as np

from trainer.fsutil import fsync_dir, open_private, write_all, write_json_atomic
from trainer.recording import format as fmt
from trainer.recording.errors import SessionError
from trainer.recording.reader import Session, _map_records, open_session
from trainer.recording.writer import SessionWriter, imu_records
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile, ProfileError
from trainer.vocab.roles import (
    ROLES,
    Role,
    RoleError,
    parse_role,
    role_for,
    role_segment,
    role_side,
)
from trainer.vocab.source import SourceInfo, SourceStatus

SESSION_CLOCK_METHOD = (
    "device clocks mapped onto the host clock: per-sensor offset and drift from the lower "
    "envelope of notification arrival times (Moon, Skelly & Towsley 1999)")


def sensor_file(role: Role) -> str:
    return f"imu-{role}.bin"


def sensor_mag_file(role: Role) -> str:
    return f"mag-{role}.bin"


class MultiSessionWriter(SessionWriter):
    """A :class:`SessionWriter` (the primary, ``imu.bin``) plus one file per extra sensor.

    ``sensors``: role → (SourceInfo, CalibrationProfile) of every sensor, the primary's first.
    Extra samples come through :meth:`on_read` (a ``PrimaryView`` listener)."""

    def __init__(self, path: str | os.PathLike[str], *,
                 sensors: dict[Role, tuple[SourceInfo, CalibrationProfile | None]],
                 primary: Role, clock_report: Any = None, **kwargs: Any) -> None:
        super().__init__(path, **kwargs)
        self.primary = primary
        self._clock_report = clock_report
        self._extra_fd: dict[Role, int] = {}
        self._extra_n: dict[Role, int] = {}
        self._extra_last: dict[Role, float] = {}
        entries = []
        for role, (info, cal) in sensors.items():
            dev = info.as_json()
            dev.pop("simulated", None)
            cal = cal or CalibrationProfile.neutral(info.address, info.name)
            entry: dict[str, Any] = {
                "role": role, "primary": role == primary,
                "file": fmt.IMU_FILE if role == primary else sensor_file(role),
                "device": dev, "sample_rate_hz": float(info.sample_rate_hz),
                "calibration": cal.to_dict(), "n_samples": 0}
            entries.append(entry)
            if role != primary:
                self._extra_fd[role] = open_private(self.path / sensor_file(role))
                self._extra_n[role] = 0
                self._extra_last[role] = -np.inf
        entries.sort(key=lambda e: (not e["primary"], ROLES.index(e["role"])))
        self.meta["sensors"] = entries
        self.meta["session_clock"] = {"method": SESSION_CLOCK_METHOD}
        fsync_dir(self.path)
        write_json_atomic(self.path / fmt.META_FILE, self.meta)  # a killed session knows them

    def append_sensor(self, role: Role, batch: SampleBatch) -> int:
        """Append an extra sensor's batch (dropping non-finite or backwards times)."""
        if self._closed:
            raise SessionError(f"session {self.path} is closed")
        if role == self.primary:
            return self.append(batch)
        fd = self._extra_fd.get(role)
        if fd is None or not len(batch):
            return 0
        t = batch.t_s
        prev = np.concatenate(([self._extra_last[role]], np.where(np.isfinite(t), t, -np.inf)))
        keep = np.isfinite(t) & (t >= np.maximum.accumulate(prev)[:-1])
        if not keep.all():
            idx = np.flatnonzero(keep)
            batch = SampleBatch(t[idx], batch.acc_g[idx], batch.gyr_dps[idx], batch.seq[idx])
            if not len(batch):
                return 0
        write_all(fd, imu_records(batch).tobytes())
        self._extra_n[role] += len(batch)
        self._extra_last[role] = float(batch.t_s[-1])
        self._dirty = True
        return len(batch)

    def sensor_status(self, role: Role, status: SourceStatus) -> None:
        """An extra sensor's link status as a ``sensor_<type>`` event with its role."""
        etype = fmt.STATUS_EVENT_TYPES.get(status.kind)
        if etype is None or self._closed:
            return
        t = status.t_s if status.t_s is not None else self.last_t_s
        if t is None:
            return
        fields: dict[str, Any] = {k: v for k, v in status.data.items() if k != "role"}
        if status.message:
            fields["message"] = status.message
        self.event(float(t), f"sensor_{etype}", role=role, **fields)

    def on_read(self, batches: dict[Role, SampleBatch],
                statuses: dict[Role, list[SourceStatus]]) -> None:
        """PrimaryView listener: the extra sensors' samples and statuses (the primary's go
        through the training session as before)."""
        if self._closed:
            return
        for role, batch in batches.items():
            if role != self.primary and len(batch):
                self.append_sensor(role, batch)
        for role, sts in statuses.items():
            if role != self.primary:
                for st in sts:
                    self.sensor_status(role, st)

    def _truncate_after(self, role: Role, fd: int, t_last: float) -> None:
        """Drop the extra sensor's records after the primary's last sample (+ one period)."""
        n = self._extra_n[role]
        if not n or self._extra_last[role] <= t_last:
            return
        rec = fmt.IMU_DTYPE.itemsize
        t = np.memmap(self.path / sensor_file(role), dtype=fmt.IMU_DTYPE, mode="r",
                      shape=(n,))["t_s"]
        keep = int(np.searchsorted(t, t_last + 1.0 / float(self.meta["sample_rate_hz"]),
                                   side="right"))
        del t
        os.ftruncate(fd, keep * rec)
        self._extra_n[role] = keep

    def flush(self) -> None:
        super().flush()
        with self._lock:
            if not self._closed:
                for fd in self._extra_fd.values():
                    os.fsync(fd)

    def close(self, status: str = fmt.STATUS_COMPLETE, **meta_updates: Any) -> dict[str, Any]:
        if self._closed:
            return self.meta
        with contextlib.suppress(OSError):
            for fd in self._extra_fd.values():
                os.fsync(fd)
        with self._lock:
            fds, self._extra_fd = self._extra_fd, {}
        last = self.last_t_s
        for role, fd in fds.items():
            with contextlib.suppress(OSError):
                if last is not None:  # the primary stopped (drill over): so do the others
                    self._truncate_after(role, fd, last)
                os.close(fd)
        clock = self._clock_report() if callable(self._clock_report) else {}
        for entry in self.meta["sensors"]:
            role = entry["role"]
            if role in self._extra_n:
                entry["n_samples"] = self._extra_n[role]
            if role in (clock or {}):
                entry["clock"] = clock[role]
        meta = super().close(status, **meta_updates)
        for entry in meta["sensors"]:
            if entry["primary"]:
                entry["n_samples"] = meta["n_samples"]
        write_json_atomic(self.path / fmt.META_FILE, meta)
        return meta


# -- reading ------------------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class SensorEntry:
    role: Role
    primary: bool
    file: str
    meta: dict[str, Any]


def session_sensors(session: Session) -> list[SensorEntry]:
    """The sensors of a session, primary first (one entry, role from side/placement, for a
    session without a sensor list)."""
    raw = session.meta.get("sensors")
    if not isinstance(raw, list) or not raw:
        try:
            role = role_for(session.side, session.placement)
        except RoleError:
            role = "left-shank"
        return [SensorEntry(role, True, fmt.IMU_FILE, {})]
    out: list[SensorEntry] = []
    for item in raw:
        if not isinstance(item, dict):
            raise SessionError(f"{session.path}: a sensors entry is not an object")
        try:
            role = parse_role(str(item.get("role")))
        except RoleError as exc:
            raise SessionError(f"{session.path}: {exc}") from None
        primary = bool(item.get("primary"))
        file = fmt.IMU_FILE if primary else sensor_file(role)
        out.append(SensorEntry(role, primary, file, item))
    out.sort(key=lambda e: not e.primary)
    if not out[0].primary:
        raise SessionError(f"{session.path}: the sensor list names no primary sensor")
    return out


def open_sensor(session: Session, role: Role) -> Session:
    """One sensor of a session as a :class:`Session` (the primary: ``session`` itself). Its
    ``meta`` is the session's with that sensor's device, rate, calibration, side and placement."""
    entries = {e.role: e for e in session_sensors(session)}
    entry = entries.get(role)
    if entry is None:
        raise SessionError(f"{session.path}: no {role} sensor (has {', '.join(entries)})")
    if entry.primary:
        return session
    imu, tail = _map_records(session.path / entry.file, fmt.IMU_DTYPE, tolerate_tail=True)
    t = imu["t_s"] if imu.shape[0] else np.empty(0)
    if t.size and not (np.all(np.isfinite(t)) and np.all(np.diff(t) >= 0)):
        raise SessionError(f"{session.path / entry.file}: time is not finite and non-decreasing")
    meta = dict(session.meta)
    meta.pop("sensors", None)
    meta["device"] = entry.meta.get("device", meta.get("device"))
    meta["sample_rate_hz"] = float(entry.meta.get("sample_rate_hz", meta["sample_rate_hz"]))
    meta["n_samples"] = int(imu.shape[0])
    meta["role"] = role
    side = role_side(role)
    if side is not None:
        meta["side"] = side
        meta["placement"] = role_segment(role)
    try:
        cal = CalibrationProfile.from_dict(entry.meta["calibration"]) \
            if "calibration" in entry.meta else CalibrationProfile.neutral()
    except ProfileError as exc:
        raise SessionError(f"{session.path}: {role} calibration: {exc}") from None
    meta["calibration"] = cal.to_dict()
    return Session(path=session.path, meta=meta, status=session.status, imu=imu, mag=None,
                   events=[e for e in session.events if e.get("role") in (None, role)],
                   calibration=cal, dropped_tail_bytes=tail)


def open_sensors(path: str | os.PathLike[str]) -> dict[Role, Session]:
    """Every sensor of a session by role, the primary first."""
    session = open_session(path)
    return {e.role: open_sensor(session, e.role) for e in session_sensors(session)}


def sensor_batch(session: Session) -> SampleBatch:
    """All of a (sensor) session's samples as one batch (float64)."""
    imu = session.imu
    return SampleBatch.from_arrays(np.asarray(imu["t_s"]), np.asarray(imu["acc_g"]),
                                   np.asarray(imu["gyr_dps"]), np.asarray(imu["seq"]))


