"""Session history: past sessions and progress per drill and side.

A session's drill result comes, in order of preference, from
1. the guided session's ``drill_end`` event in ``events.jsonl`` (written by ``DrillSession``), or
   the same result kept by the dashboard in ``session.json`` under ``summary.result``;
2. the history index cache (``data_dir()/drills/history_index.json``), filled by ``analyze=True``
   which runs the offline analysis (``trainer.drills.sessionload``) on sessions without one;
3. the dashboard's other ``summary`` metrics in ``session.json`` (balance-type fields).
Scanning reads only ``session.json`` and ``events.jsonl``: hundreds of sessions in well under a
second. Unreadable directories are skipped and counted, never fatal.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trainer.drills.catalog import CatalogError, load_catalog
from trainer.drills.sessionload import SessionLoadError, drill_params

INDEX_VERSION = 1

#: The metric that shows progress, per drill kind: (key in the result, unit, higher is better).
PROGRESS_METRIC: dict[str, tuple[str, str, bool]] = {
    "balance": ("best_stance_s", "s", True),
    "reps": ("rom_deg", "deg", True),
    "hold": ("mean_hold_s", "s", True),
    "warmup": ("reps", "reps", True),
    "position-sense": ("absolute_error_deg", "deg", False),
    "lunge": ("max_lunge_deg", "deg", True),
}
STRETCH_METRIC = ("angle_held_deg", "deg", True)


@dataclass
class SessionEntry:
    path: Path
    session_id: str
    start_time: datetime | None
    drill_id: str
    side: str
    placement: str
    duration_s: float | None
    status: str
    simulated: bool
    params: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    result_source: str | None = None
    pain: int | None = None

    @property
    def sort_key(self) -> tuple[float, str]:
        ts = self.start_time.timestamp() if self.start_time else 0.0
        return ts, self.session_id

    def to_json(self) -> dict[str, Any]:
        r = self.result or {}
        return {
            "session_id": self.session_id, "path": str(self.path),
            "start_time": self.start_time.isoformat(timespec="seconds") if self.start_time
            else None,
            "drill": self.drill_id, "side": self.side, "placement": self.placement,
            "duration_s": _round(self.duration_s, 2), "status": self.status,
            "simulated": self.simulated, "level": r.get("level"),
            "level_label": r.get("level_label"), "pain": self.pain,
            "result": self.result, "result_source": self.result_source,
        }


def _round(x: Any, nd: int = 3) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return round(f, nd) if math.isfinite(f) else None


def parse_time(text: Any) -> datetime | None:
    """An ISO-8601 time (``Z`` accepted) as an aware datetime; None when missing or malformed."""
    if not isinstance(text, str):
        return None
    from trainer.recording.errors import SessionError
    from trainer.recording.reader import check_start_time

    try:  # the readers' one check: ISO-8601 within years 1970-2200 (timestamp() must work)
        return check_start_time(text, "start_time")
    except SessionError:
        return None


def read_events(path: Path) -> list[dict[str, Any]]:
    """events.jsonl objects of the session directory ``path``, read and checked by the
    recording reader (a regular file of bounded size; a partial last line is dropped);
    :class:`SessionLoadError` when the file is unusable, [] when there is none."""
    from trainer.recording.errors import SessionError
    from trainer.recording.reader import read_session_events

    try:
        return read_session_events(path)
    except SessionError as exc:
        raise SessionLoadError(str(exc)) from None


#: Result fields that hold a number (or null), a whole number (or null), a list of numbers.
_RESULT_NUMBERS = ("rom_deg", "height_cm", "time_to_first_loss_s", "best_stance_s",
                   "mean_hold_s", "angle_held_deg", "ellipse_area", "time_in_target_pct", "rms",
                   "mean_velocity", "max_lunge_deg")
_RESULT_COUNTS = ("reps", "level", "losses", "movement_during_hold", "pain")
_RESULT_LISTS = ("holds_s", "lunges_deg")
_MAX_COUNT = 1_000_000
_MAX_LIST = 10_000


def check_result(result: Any, where: str) -> dict[str, Any]:
    """A drill result read from a file (a ``drill_end`` event, ``summary.result``, the index
    cache), checked where it is parsed: numbers are numbers (non-finite ones become null, as
    our own writers may store NaN), counts are whole numbers 0..10⁶, lists hold at most 10 000
    numbers, texts are printable. :class:`SessionLoadError` (one line) otherwise."""
    from trainer import safeio

    if not isinstance(result, dict):
        raise SessionLoadError(f"{where}: drill result must be an object")
    out = dict(result)
    for key, value in result.items():
        if isinstance(value, float) and not math.isfinite(value):
            out[key] = value = None
        if value is None:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if key in _RESULT_NUMBERS and not number:
            raise SessionLoadError(f"{where}: drill result {key} must be a number, got "
                                   f"{safeio.printable(repr(value), 40)}")
        if key in _RESULT_COUNTS and not (number and float(value).is_integer()
                                          and 0 <= value <= _MAX_COUNT):
            raise SessionLoadError(f"{where}: drill result {key} must be a whole number "
                                   f"0..{_MAX_COUNT}, got {safeio.printable(repr(value), 40)}")
        if key in _RESULT_LISTS:
            if not isinstance(value, list) or len(value) > _MAX_LIST or not all(
                    v is None or (isinstance(v, int | float) and not isinstance(v, bool))
                    for v in value):
                raise SessionLoadError(f"{where}: drill result {key} must be a list of "
                                       f"numbers, got {safeio.printable(repr(value), 40)}")
            out[key] = [v if v is None or math.isfinite(v) else None for v in value]
        if isinstance(value, str) and not safeio.is_printable(value):
            raise SessionLoadError(f"{where}: drill result {key} holds control characters")
    return out


def check_pain(value: Any, where: str) -> int:
    """A pain rating: a whole number 0..10."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and float(value).is_integer() and 0 <= value <= 10):
        from trainer import safeio

        raise SessionLoadError(f"{where}: pain rating must be a whole number 0..10, got "
                               f"{safeio.printable(repr(value), 40)}")
    return int(value)


def read_entry(path: Path) -> SessionEntry | None:
    """One session directory (None when it is not a readable session; see
    :func:`read_entry_checked` for the reason)."""
    try:
        return read_entry_checked(path)
    except SessionLoadError:
        return None


def read_entry_checked(path: Path) -> SessionEntry:
    """One session directory, its ``session.json`` and ``events.jsonl`` checked as every
    command checks them; :class:`SessionLoadError` (one line) when it is not usable."""
    from trainer.recording.errors import SessionError
    from trainer.recording.reader import check_start_time, read_meta, session_status

    try:
        meta = read_meta(path)
        start = check_start_time(meta["start_time"], path / "session.json")
    except SessionError as exc:
        raise SessionLoadError(str(exc)) from None
    drill: dict[str, Any] = meta["drill"]
    drill_id = str(drill.get("id") or "unknown")
    device: dict[str, Any] = meta["device"]
    n, rate = meta["n_samples"], meta["sample_rate_hz"]
    entry = SessionEntry(
        path=path, session_id=str(meta.get("session_id") or path.name),
        start_time=start, drill_id=drill_id,
        side=str(meta["side"]), placement=str(meta["placement"]),
        duration_s=n / rate, status=session_status(meta),
        simulated=bool(meta.get("simulated") or device.get("simulated")),
        params=drill_params(meta))
    events = read_events(path)
    where = f"{path / 'events.jsonl'}"
    for ev in reversed(events):
        if ev.get("type") == "drill_end" and ev.get("result") is not None:
            entry.result = check_result(ev["result"], f"{where}: drill_end")
            entry.result_source = "events"
            break
    for ev in reversed(events):
        if ev.get("type") == "pain_rating":
            entry.pain = check_pain(ev.get("rating"), f"{where}: pain_rating")
            break
    raw_summary = meta.get("summary")
    if raw_summary is not None and not isinstance(raw_summary, dict):
        raise SessionLoadError(f"{path / 'session.json'}: summary must be an object")
    summary: dict[str, Any] | None = raw_summary
    if entry.result is None and summary is not None:
        if summary.get("result") is not None:  # the dashboard keeps the DrillSession's
            entry.result = check_result(summary["result"], f"{path / 'session.json'}: summary")
            entry.result_source = "summary"
        else:
            entry.result, entry.result_source = _from_summary(entry, summary), "summary"
    sway = entry.result.get("sway") if entry.result is not None else None
    if entry.result is not None and isinstance(sway, dict):  # per-trial steady-state mean
        for k in ("ellipse_area", "mean_velocity", "rms"):
            if sway.get(k) is not None:
                entry.result.setdefault(k, _round(sway[k]))
    if entry.result is not None and summary is not None:
        for k in ("ellipse_area", "time_in_target_pct"):
            if k in summary and k not in entry.result:
                entry.result[k] = _round(summary[k])
    if entry.result is not None and entry.pain is None:
        p = entry.result.get("pain")
        entry.pain = int(p) if isinstance(p, int | float) and not isinstance(p, bool) else None
    return entry


def _from_summary(entry: SessionEntry, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The dashboard's end-of-drill metrics in the result shape (balance-type fields)."""
    out: dict[str, Any] = {"id": entry.drill_id, "side": entry.side, "source": "summary",
                           "params": entry.params}
    try:
        out["kind"] = load_catalog().get(entry.drill_id).kind
    except CatalogError:
        out["kind"] = None
    first = _round(summary.get("time_to_first_loss_s"))
    out["time_to_first_loss_s"] = first
    held = first if first is not None else _round(entry.params.get("duration_s")
                                                  or entry.duration_s)
    if out["kind"] == "balance":
        out["holds_s"] = [held] if held is not None else []
        out["best_stance_s"] = held
    for k in ("ellipse_area", "time_in_target_pct", "losses", "rms", "mean_velocity"):
        if k in summary:
            out[k] = _round(summary[k])
    return out


def scan(root: Path) -> tuple[list[SessionEntry], list[str]]:
    """Sessions under ``root`` (sorted by start time) and one line per directory that looks
    like a session (has a ``session.json``) but cannot be read: ``<name>: <reason>``."""
    entries: list[SessionEntry] = []
    skipped: list[str] = []
    try:
        children = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return [], []
    for child in children:
        meta = child / "session.json"
        if not (meta.exists() or meta.is_symlink()):
            continue
        try:
            entries.append(read_entry_checked(child))
        except SessionLoadError as exc:
            skipped.append(f"{child.name}: {skip_reason(str(exc), child)}")
    entries.sort(key=lambda e: e.sort_key)
    return entries, skipped


def skip_reason(message: str, path: Path) -> str:
    """A reader's one-line message without the session's own path in front (it is named
    already), control characters escaped."""
    from trainer import safeio

    for prefix in (f"{path}/", f"{path}: ", f"{path}"):
        if message.startswith(prefix):
            message = message[len(prefix):]
            break
    return safeio.printable(message, 300)


def summarise_skipped(skipped: list[str]) -> str:
    """``3 unreadable session(s) skipped (2 not valid JSON, 1 …)``: how many and why."""
    reasons: dict[str, int] = {}
    for line in skipped:
        reason = line.split(": ", 1)[-1]  # without the session's name
        reason = re.split(r", got | \(", reason)[0].rsplit(": ", 1)[-1][:60]  # the kind only
        reasons[reason] = reasons.get(reason, 0) + 1
    why = ", ".join(f"{n}× {r}" for r, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:3])
    more = "" if len(reasons) <= 3 else ", …"
    return f"{len(skipped)} unreadable session(s) skipped ({why}{more})"


# ----------------------------------------------------------------- index cache


def _stamp(path: Path) -> list[float]:
    out = []
    for name in ("session.json", "events.jsonl", "imu.bin"):
        try:
            st = (path / name).stat()
            out += [st.st_mtime, float(st.st_size)]
        except OSError:
            out += [0.0, 0.0]
    return out


class HistoryIndex:
    """Cache of analysed results, keyed by session directory and file stamps."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self.data: dict[str, Any] = {"version": INDEX_VERSION, "sessions": {}}
        from trainer import safeio

        try:
            doc = safeio.read_json(file)
            if (isinstance(doc, dict) and doc.get("version") == INDEX_VERSION
                    and isinstance(doc.get("sessions"), dict)):
                self.data = doc
        except safeio.UnsafeInput:  # missing or garbage: a cache, rebuilt as needed
            pass
        self.dirty = False

    def get(self, path: Path) -> dict[str, Any] | None:
        rec = self.data["sessions"].get(str(path.resolve()))
        if isinstance(rec, dict) and rec.get("stamp") == _stamp(path):
            try:
                return check_result(rec.get("result"), str(self.file))
            except SessionLoadError:
                return None
        return None

    def put(self, path: Path, result: dict[str, Any]) -> None:
        self.data["sessions"][str(path.resolve())] = {"stamp": _stamp(path), "result": result}
        self.dirty = True

    def save(self) -> None:
        if not self.dirty:
            return
        from trainer.drills.store import _atomic_write_json

        _atomic_write_json(self.file, self.data)
        self.dirty = False


def fill_results(entries: Iterable[SessionEntry], index: HistoryIndex | None,
                 analyze: bool = False) -> list[str]:
    """Results for sessions without a drill_end event: from the cache, else (``analyze``) by
    analysing the recording. Returns one-line problems (sessions that could not be analysed)."""
    problems: list[str] = []
    for e in entries:
        if e.result_source == "events" or (e.result_source == "summary" and e.result
                                           and ("reps" in e.result or "holds_s" in e.result)):
            continue
        cached = index.get(e.path) if index is not None else None
        if cached is not None:
            e.result, e.result_source = cached, "analysis"
            continue
        if not analyze:
            continue
        from trainer.drills.sessionload import SessionLoadError, analyze_session

        try:
            res = analyze_session(e.path)
        except SessionLoadError as exc:
            problems.append(f"{e.path.name}: {exc}")
            continue
        e.result, e.result_source = res, "analysis"
        if e.pain is None and isinstance(res.get("pain"), int):
            e.pain = res["pain"]
        if index is not None:
            index.put(e.path, res)
    return problems


def load_history(root: Path, *, analyze: bool = False, drill_id: str | None = None,
                 side: str | None = None) -> tuple[list[SessionEntry], list[str], list[str]]:
    """Sessions under ``root`` (only ``drill_id`` / ``side`` when given) with their results
    (:func:`fill_results`, through the index cache, which is saved when it changed), one line
    per unreadable directory (``<name>: <reason>``), and one-line problems."""
    entries, skipped = scan(root)
    entries = [e for e in entries if drill_id in (None, e.drill_id) and side in (None, e.side)]
    index = HistoryIndex(default_index_file())
    problems = fill_results(entries, index, analyze=analyze)
    with contextlib.suppress(OSError):  # the cache is a convenience
        index.save()
    return entries, skipped, problems


# --------------------------------------------------------------------- progress


def _higher_is_better(drill_id: str) -> bool:
    try:
        kind = load_catalog().get(drill_id).kind
    except CatalogError:
        return True
    return PROGRESS_METRIC.get(kind, ("", "", True))[2]


def metric_of(result: Mapping[str, Any] | None, drill_id: str) -> tuple[str, str, float | None]:
    """(name, unit, value) of the progress metric of a result."""
    try:
        kind = load_catalog().get(drill_id).kind
    except CatalogError:
        kind = "balance"
    key, unit, _ = STRETCH_METRIC if drill_id == "calf-stretch" else PROGRESS_METRIC[kind]
    if not result:
        return key, unit, None
    if key == "mean_hold_s":
        holds = [float(h) for h in result.get("holds_s") or [] if h is not None]
        return key, unit, (sum(holds) / len(holds)) if holds else None
    return key, unit, _round(result.get(key))


def _trend(values: list[float]) -> str:
    """improving / steady / declining from a least-squares slope over the sessions."""
    if len(values) < 3:
        return "n/a"
    n = len(values)
    xm = (n - 1) / 2.0
    ym = sum(values) / n
    sxx = sum((i - xm) ** 2 for i in range(n))
    slope = sum((i - xm) * (v - ym) for i, v in enumerate(values)) / sxx
    scale = max(abs(ym), 1e-9)
    rel = slope * (n - 1) / scale
    if rel > 0.1:
        return "improving"
    if rel < -0.1:
        return "declining"
    return "steady"


def progress(entries: Iterable[SessionEntry],
             levels: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
    """Per drill and side: sessions, the progress metric over time, trend, current level."""
    groups: dict[str, dict[str, list[SessionEntry]]] = {}
    for e in entries:
        groups.setdefault(e.drill_id, {}).setdefault(e.side, []).append(e)
    out: dict[str, Any] = {}
    for drill_id, sides in groups.items():
        out[drill_id] = {}
        for side, items in sides.items():
            series: list[dict[str, Any]] = []
            values: list[float] = []
            for e in items:
                key, unit, value = metric_of(e.result, drill_id)
                if value is not None:
                    series.append({"start_time": e.start_time.isoformat(timespec="seconds")
                                   if e.start_time else None, "session_id": e.session_id,
                                   "value": value})
                    values.append(float(value))
            key, unit, _ = metric_of(None, drill_id)
            pains = [e.pain for e in items if e.pain is not None]
            lv = (levels or {}).get(f"{drill_id}|{side}") or {}
            try:
                spec = load_catalog().get(drill_id)
                label = spec.level_label(lv.get("level")) if lv else None
            except CatalogError:
                label = None
            out[drill_id][side] = {
                "sessions": len(items), "metric": key, "unit": unit,
                "first": values[0] if values else None, "last": values[-1] if values else None,
                "best": (max(values) if _higher_is_better(drill_id) else min(values))
                if values else None,
                "change": (values[-1] - values[0]) if len(values) >= 2 else None,
                "trend": _trend(values if _higher_is_better(drill_id)
                                else [-v for v in values]), "series": series,
                "last_pain": pains[-1] if pains else None,
                "level": lv.get("level"), "level_label": label,
                "last_decision": lv.get("last_decision"),
            }
    return out


def history_json(root: Path, entries: list[SessionEntry], skipped: list[str],
                 levels: Mapping[str, Mapping[str, Any]] | None = None,
                 injured_side: str = "left") -> dict[str, Any]:
    """The ``history --json`` document (``symmetry``: injured vs uninjured leg per week,
    ``trainer.drills.symmetry``)."""
    from trainer.drills.symmetry import symmetry

    return {
        "sessions_dir": str(root),
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_sessions": len(entries), "skipped": len(skipped), "skipped_sessions": skipped,
        "sessions": [e.to_json() for e in entries],
        "progress": progress(entries, levels),
        "symmetry": symmetry(entries, injured_side),
    }


def default_index_file() -> Path:
    from trainer import paths

    return paths.data_dir() / "drills" / "history_index.json"
