"""Past sessions for the History tab, without Qt: one summary per session directory.

Reads ``session.json`` (and ``events.jsonl`` for balance losses) only — cheap enough to scan
hundreds of sessions in a worker thread. The dashboard stores its end-of-drill metrics in
``session.json`` under ``summary``; sessions recorded elsewhere show what their files say.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from trainer.drills.history import read_events, skip_reason
from trainer.drills.sessionload import SessionLoadError


@dataclass(frozen=True)
class SessionSummary:
    path: str
    start: datetime
    drill_id: str
    side: str
    duration_s: float | None
    ellipse_area: float | None
    time_to_first_loss_s: float | None
    losses: int | None
    time_in_target_pct: float | None
    status: str
    simulated: bool
    # the drill's own progress metric (trainer.drills.history.metric_of): e.g. best_stance_s
    progress_name: str | None = None
    progress_unit: str | None = None
    progress_value: float | None = None

    @property
    def start_epoch_s(self) -> float:
        return self.start.timestamp()


def _num(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def summarise(path: Path) -> SessionSummary | None:
    """The summary of one session directory, or None when it is not a readable session."""
    try:
        return summarise_checked(path)
    except SessionLoadError:
        return None


def summarise_checked(path: Path) -> SessionSummary:
    """The summary of one session directory, read and checked as every command reads it;
    :class:`SessionLoadError` (one line) when it is not a usable session."""
    from trainer.drills.history import read_entry_checked
    from trainer.recording.errors import SessionError
    from trainer.recording.reader import check_start_time, read_meta, session_status

    read_entry_checked(path)  # the checks `history` makes: the same sessions are skipped
    try:
        meta = read_meta(path)
        start = check_start_time(meta["start_time"], path / "session.json")
    except SessionError as exc:
        raise SessionLoadError(str(exc)) from None
    raw_summary, raw_drill = meta.get("summary"), meta.get("drill")
    summary: dict[str, Any] = raw_summary if isinstance(raw_summary, dict) else {}
    drill: dict[str, Any] = raw_drill if isinstance(raw_drill, dict) else {}
    events = read_events(path)
    losses_t = [float(e["t_s"]) for e in events
                if e.get("type") == "balance_loss" and _num(e.get("t_s")) is not None]
    starts = [float(e["t_s"]) for e in events
              if e.get("type") == "drill_start" and _num(e.get("t_s")) is not None]
    ttfl = _num(summary.get("time_to_first_loss_s"))
    if ttfl is None and losses_t and starts:
        later = [t - starts[0] for t in losses_t if t >= starts[0]]
        ttfl = later[0] if later else None
    n = _num(meta.get("n_samples"))
    rate = _num(meta.get("sample_rate_hz"))
    duration = _num(summary.get("duration_s"))
    if duration is None and n and rate:
        duration = n / rate
    losses = _num(summary.get("losses"))
    return SessionSummary(
        path=str(path),
        start=start,
        drill_id=str(drill.get("id", "?")),
        side=str(meta.get("side", "?")),
        duration_s=duration,
        ellipse_area=_num(summary.get("ellipse_area")),
        time_to_first_loss_s=ttfl,
        losses=int(losses) if losses is not None else (len(losses_t) if events else None),
        time_in_target_pct=_num(summary.get("time_in_target_pct")),
        status=session_status(meta),
        simulated=bool(meta.get("simulated", False)),
    )


def scan_sessions(root: Path, drill_results: bool = False) -> list[SessionSummary]:
    """Every readable session under ``root``, oldest first (unreadable ones are skipped; see
    :func:`scan_sessions_report` for which and why)."""
    return scan_sessions_report(root, drill_results)[0]


def scan_sessions_report(root: Path, drill_results: bool = False
                         ) -> tuple[list[SessionSummary], list[str]]:
    """Every readable session under ``root``, oldest first, and one line per skipped session
    (``<name>: <reason>``).

    ``drill_results``: add each drill's progress metric from ``trainer.drills.history`` (its
    index cache; sessions without a result are analysed offline once — call from a worker
    thread)."""
    if not root.is_dir():
        return [], []
    out = []
    skipped: list[str] = []
    for child in sorted(root.iterdir()):
        meta = child / "session.json"
        if child.is_dir() and (meta.exists() or meta.is_symlink()):
            try:
                out.append(summarise_checked(child))
            except SessionLoadError as exc:
                skipped.append(f"{child.name}: {skip_reason(str(exc), child)}")
    out.sort(key=lambda s: s.start)
    if drill_results and out:
        out = _with_drill_results(root, out)
    return out, skipped


def _with_drill_results(root: Path, sessions: list[SessionSummary]) -> list[SessionSummary]:
    from dataclasses import replace

    try:
        from trainer.drills.history import load_history, metric_of

        entries, _, _ = load_history(root, analyze=True)
    except Exception:  # the drills' results are extra: the sway history stands on its own
        return sessions
    by_path = {str(Path(e.path).resolve()): e for e in entries}
    out = []
    for s in sessions:
        e = by_path.get(str(Path(s.path).resolve()))
        if e is not None:
            name, unit, value = metric_of(e.result, s.drill_id)
            s = replace(s, progress_name=name, progress_unit=unit, progress_value=value)
        out.append(s)
    return out


def filter_sessions(sessions: list[SessionSummary], drill_id: str | None,
                    side: str | None) -> list[SessionSummary]:
    return [s for s in sessions if (drill_id in (None, "", "all") or s.drill_id == drill_id)
            and (side in (None, "", "both") or s.side == side)]
