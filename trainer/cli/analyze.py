"""`balance-trainer analyze`: sway metrics, balance-loss events and drill results per session.

Readable table by default; ``--json`` prints one JSON object per session (one per line);
``--series FILE.csv`` writes the per-sample orientation and tilt; ``--offline`` uses non-causal
orientation (better for replay). Every session is opened before anything is printed, so a missing
or corrupt one gives a single error line (exit status 2) and no partial output.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trainer.cli.common import CliError

if TYPE_CHECKING:
    from trainer.core.pipeline import AnalysisResult
    from trainer.recording.reader import Session

UNITS = {
    "rms_ap": "deg", "rms_ml": "deg", "rms": "deg", "mean_distance": "deg", "range_ap": "deg",
    "range_ml": "deg", "path_length": "deg", "mean_velocity": "deg/s", "ellipse_area": "deg²",
    "sway_area_rate": "deg²/s", "mean_frequency": "Hz", "f50": "Hz", "f95": "Hz",
    "centroid_frequency": "Hz", "frequency_dispersion": "",
    "rms_angular_rate_dps": "deg/s", "tilt_jerk_rms_deg_s3": "deg/s³", "time_in_target_pct": "%",
}
SERIES_HEADER = "t_s,q_w,q_x,q_y,q_z,tilt_ap_deg,tilt_ml_deg"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "analyze", help="sway metrics, events and drill results per session",
        description="Analyse recorded sessions: sway of the anatomical tilt (Prieto 1996 "
                    "metrics), balance losses, time in the target zone and the drill result.",
    )
    p.add_argument("sessions", nargs="+", metavar="SESSION", help="session directory")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per session (one per line)")
    p.add_argument("--series", metavar="FILE.csv",
                   help="write per-sample t_s,q_w,q_x,q_y,q_z,tilt_ap_deg,tilt_ml_deg "
                        "(several sessions: FILE_<session>.csv each)")
    p.add_argument("--offline", action="store_true",
                   help="non-causal orientation estimation (better accuracy for replay)")
    p.add_argument("--target-radius", type=float, default=3.0, metavar="DEG",
                   help="radius of the target zone in degrees of tilt (default 3)")
    p.add_argument("--age", type=int, default=None, metavar="N",
                   help="age for the stance-time norms (default: the stored profile's)")
    p.add_argument("--sex", choices=("female", "male"), default=None,
                   help="sex for the stance-time norms (default: the stored profile's)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trainer.recording.errors import SessionError
    from trainer.recording.reader import open_session

    if not (math.isfinite(args.target_radius) and 0.01 <= args.target_radius <= 90):
        raise CliError(f"--target-radius must be within 0.01..90 degrees, got "
                       f"{args.target_radius}")
    sessions: list[tuple[str, Session]] = []
    for name in args.sessions:
        try:
            sessions.append((name, open_session(name)))
        except SessionError as exc:
            raise CliError(str(exc)) from None
        except OSError as exc:
            raise CliError(f"{name}: cannot read session: {exc.strerror or exc}") from None
    series_paths = _series_paths(args.series, [s for _, s in sessions])
    person = _person(args)
    for i, (name, session) in enumerate(sessions):
        result = _analyze(name, session, offline=args.offline, target_radius=args.target_radius)
        if series_paths:
            _write_series(series_paths[i], result)
        try:
            report = build_report(name, session, result, person=person)
        except SessionError as exc:  # e.g. a damaged extra sensor's file
            raise CliError(str(exc)) from None
        if args.json:
            print(json.dumps(report, ensure_ascii=False))
        else:
            if i:
                print()
            print(format_table(report))
        sys.stdout.flush()
    return 0


def _analyze(
    name: str, session: Session, *, offline: bool, target_radius: float
) -> AnalysisResult:
    from trainer.core.pipeline import PipelineConfig, analyze
    from trainer.recording.errors import SessionError

    n = session.n_samples
    if n < 2:
        what = "has no samples" if n == 0 else f"has too few samples ({n})"
        raise CliError(f"{name}: the session {what}")
    try:
        config = PipelineConfig.for_session(
            sample_rate_hz=session.sample_rate_hz, drill_id=_drill_id(session),
            placement=session.placement, side=session.side, calibration=session.calibration,
            target_radius_deg=target_radius)
        # the session itself, read in chunks: memory stays bounded whatever its length
        return analyze(session, config, offline=offline)
    except SessionError as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(f"{name}: cannot analyse: {exc}") from None


def _drill_id(session: Session) -> str | None:
    drill = session.meta.get("drill")
    drill_id = drill.get("id") if isinstance(drill, dict) else None
    return str(drill_id) if drill_id else None


def _person(args: argparse.Namespace) -> dict[str, Any]:
    """Age and sex for the drill's norms: the options, else the stored profile's (if any)."""
    person: dict[str, Any] = {}
    try:
        from trainer.drills.store import DrillStore
    except ModuleNotFoundError:
        profile: dict[str, Any] = {}
    else:
        profile = DrillStore().profile()
    for key in ("age", "sex"):
        value = getattr(args, key, None)
        value = value if value is not None else profile.get(key)
        if value is not None:
            person[key] = value
    return person


def _drill_result(session: Session, result: AnalysisResult,
                  person: dict[str, Any] | None = None) -> dict[str, Any]:
    """The drills package's analysis when it is installed, else just the id; ``person``: age
    and sex for the norms."""
    drill_meta = session.meta.get("drill") or {}
    drill_id = drill_meta.get("id") if isinstance(drill_meta, dict) else None
    try:
        from trainer.drills.analysis import analyze_drill
    except ModuleNotFoundError as exc:
        if exc.name not in ("trainer.drills", "trainer.drills.analysis"):
            raise
        return {"id": drill_id}
    if not drill_id:
        return {"id": None}
    params: dict[str, Any] = {}
    nested = drill_meta.get("parameters")
    params.update({k: v for k, v in drill_meta.items() if k not in ("id", "parameters")})
    if isinstance(nested, dict):
        params.update(nested)
    params.update(side=session.side, placement=session.placement, events=list(session.events))
    params.update(person or {})
    try:
        out = analyze_drill(str(drill_id), result, params)
    except ValueError as exc:  # unknown drill, result lacking what the drill needs: say so
        return {"id": drill_id, "error": str(exc)}
    drill = dict(out)
    drill.setdefault("id", drill_id)
    return drill


def build_report(name: str, session: Session, result: AnalysisResult, *,
                 person: dict[str, Any] | None = None) -> dict[str, Any]:
    """The contract's JSON object for one analysed session (``person``: age and sex for the
    drill's norms)."""
    from trainer.drills.multisensor import sensors_report, with_touchdowns

    stance_losses = list(result.summary.balance_losses_t_s)
    # several sensors: the lifted foot's own touchdowns are the balance-loss times (issue 14)
    result, lifted = with_touchdowns(session, result)
    sway = sway_report(session, lifted.for_sway(result) if lifted else result)
    events = result.summary.to_dict()
    events["balance_losses"] = [
        {k: _num(v) for k, v in e.items()} for e in result.events if e["type"] == "balance_loss"
    ]
    if lifted is not None and lifted.touchdowns:
        events["balance_loss_source"] = f"{lifted.role} sensor touchdown"
    sensors = sensors_report(session, result, sway, lifted, stance_losses)
    return _clean_dict({
        "session": name,
        "duration_s": result.duration_s,
        "sample_rate_hz": result.sample_rate_hz,
        "side": session.side,
        "placement": session.placement,
        "analysis": {
            "offline": result.offline,
            "tilt_frame": "calibrated mounting" if result.calibrated_mounting
            else "strapping convention",
            "valid_tilt_pct": 100.0 * result.valid_fraction,
        },
        "sway": sway,
        "events": events,
        "drill": _drill_result(session, result, person),
        **({"sensors": sensors} if sensors is not None else {}),
    })


def sway_report(session: Session, result: AnalysisResult) -> dict[str, Any]:
    """The ``"sway"`` object: single-leg stance per trial, steady state (DESIGN.md).

    Contract keys at the top are the mean over trials (each from ``SETTLE_S`` after "Go" to the
    trial end, the first balance loss or the person's ``user_touchdown``; a recording without
    sets: from its start to the first loss); every key is present, null when no trial has
    enough steady stance. ``sway_trials`` holds each trial, ``best`` the steadiest (smallest
    ellipse area). Drills that are not single-leg stance (reps, holds, stretches) have no sway.
    """
    from trainer.core.sway import METRIC_KEYS
    from trainer.core.trials import IMU_KEYS, recording_trials
    from trainer.vocab.ids import detects_balance_losses

    is_balance = detects_balance_losses(_drill_id(session))
    if is_balance:
        tr = recording_trials(
            session.events, result.summary.balance_losses_t_s, t_s=result.block_t_s,
            tilt_ap_deg=result.block_tilt_ap_deg, tilt_ml_deg=result.block_tilt_ml_deg,
            fs_hz=result.tilt_rate_hz, quat_wxyz=result.block_quat_wxyz,
            target_radius_deg=result.summary.target_radius_deg)
        mean: dict[str, Any] = tr["mean"]
        trials: list[dict[str, Any]] = tr["trials"]
    else:
        mean, trials, tr = {}, [], {"n_trials": 0, "best": None, "settle_s": None}
    sway: dict[str, Any] = {k: _num(mean.get(k)) for k in METRIC_KEYS}
    sway["units"] = "deg"
    sway.update({k: _num(mean.get(k)) for k in IMU_KEYS})
    sway["n_trials"] = tr["n_trials"]
    sway["settle_s"] = tr["settle_s"]
    sway["scope"] = ("mean over trials, steady state (settle after Go to trial end, first "
                     "balance loss or user touchdown)" if is_balance
                     else "none: not a single-leg stance drill")
    sway["best"] = tr["best"]
    sway["sway_trials"] = trials
    return sway


def format_table(report: dict[str, Any]) -> str:
    """A readable summary of one report."""
    lines = [f"Session  {report['session']}"]
    drill = report.get("drill") or {}
    an = report["analysis"]
    lines.append(
        f"  {drill.get('id') or 'no drill'} · {report['side']} {report['placement']} · "
        f"{report['duration_s']:.1f} s at {report['sample_rate_hz']:g} Hz · "
        f"{'offline' if an['offline'] else 'online'} orientation · tilt from {an['tilt_frame']}"
    )
    sw = report["sway"]
    trials = sw.get("sway_trials") or []
    sway = {k: v for k, v in sw.items() if k in UNITS}
    if not trials:
        lines.append("  Sway of the tilt: none (not a single-leg stance drill)")
    else:
        lines.append(f"  Sway of the tilt (mean of {sw.get('n_trials', 0)} of {len(trials)} "
                     "trial(s), steady state)")
        if not sw.get("n_trials"):
            lines.append("    (no trial with enough steady stance for sway metrics)")
        for key, value in sway.items():
            lines.append(f"    {key:<22}{_fmt(value):>10}  {UNITS.get(key, '')}")
        for tr in trials:
            lines.append(
                f"    trial {tr['trial']}: {_fmt(tr['t_from_s'])}-{_fmt(tr['t_to_s'])} s "
                f"(ended by {tr['ended_by'].replace('_', ' ')}) · area "
                f"{_fmt(tr.get('ellipse_area'))} deg² · velocity {_fmt(tr.get('mean_velocity'))}"
                f" deg/s · angular rate {_fmt(tr.get('rms_angular_rate_dps'))} deg/s · "
                f"in target {_fmt(tr.get('time_in_target_pct'))} %")
    ev = report["events"]
    losses = ev["balance_losses_t_s"]
    lines.append("  Balance")
    lines.append(f"    {'balance losses':<22}{len(losses):>10}  "
                 + (("at " + ", ".join(f"{t:.2f}" for t in losses) + " s") if losses else ""))
    first = ev["time_to_first_loss_s"]
    lines.append(f"    {'time to first loss':<22}{_fmt(first) if first is not None else '—':>10}"
                 f"  {'s' if first is not None else ''}")
    lines.append(f"    {'time in target':<22}{_fmt(ev['time_in_target_pct']):>10}  "
                 f"% (within {ev['target_radius_deg']:g}°)")
    extra = {k: v for k, v in drill.items() if k != "id" and isinstance(v, (int, float, str, list))
             and not isinstance(v, bool)}
    if extra:
        lines.append("  Drill")
        for key in ("reps", "partial_reps", "rom_deg", "height_cm", "holds_s",
                    "time_to_first_loss_s", "best_stance_s", "error"):
            if key in extra and not (key == "partial_reps" and drill.get("measurable") is False):
                lines.append(f"    {key:<22}{_fmt(extra[key]):>10}")
        if drill.get("measurable") is False:  # say what the sensor could not measure, not 0
            import textwrap

            lines += textwrap.wrap(f"not measured: {drill.get('not_measured') or ''}", 96,
                                   initial_indent="    ", subsequent_indent="      ")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, list):
        return ", ".join(_fmt(v) for v in value) or "none"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 0.01 and value != 0 else f"{value:.2f}"
    return str(value)


def _num(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _clean_dict(obj: dict[str, Any]) -> dict[str, Any]:
    """``_clean`` for a JSON object, typed as one."""
    return {str(k): _clean(v) for k, v in obj.items()}


def _clean(obj: Any) -> Any:
    """JSON-safe: NaN/inf → null, numpy scalars → Python numbers."""
    if isinstance(obj, dict):
        return _clean_dict(obj)
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if hasattr(obj, "tolist") and callable(obj.tolist):  # numpy scalars and arrays
        return _clean(obj.tolist())
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _series_paths(series: str | None, sessions: list[Session]) -> list[Path]:
    if not series:
        return []
    base = Path(series)
    if len(sessions) == 1:
        paths = [base]
    else:
        paths = [base.with_name(f"{base.stem}_{s.path.name}{base.suffix or '.csv'}")
                 for s in sessions]
        if len(set(paths)) != len(paths):
            raise CliError("--series: sessions share a directory name; analyse them one by one")
    from trainer.outputs import OutputError, check_output_file

    try:
        for p in paths:
            check_output_file(p, option="--series", kind="csv", inputs=[s.path for s in sessions])
    except OutputError as exc:
        raise CliError(str(exc)) from None
    return paths


def _write_series(path: Path, result: AnalysisResult) -> None:
    """Per-sample CSV, owner-only, written to a temporary name and renamed when complete."""
    import numpy as np

    from trainer.fsutil import replace_atomically

    cols = np.column_stack((result.t_s, result.quat_wxyz, result.tilt_ap_deg,
                            result.tilt_ml_deg))
    fmt = "%.6f,%.9f,%.9f,%.9f,%.9f,%.4f,%.4f"
    try:
        with replace_atomically(path) as fh:
            fh.write(SERIES_HEADER + "\n")
            for start in range(0, cols.shape[0], 65536):
                chunk = cols[start : start + 65536]
                fh.write("\n".join([fmt] * chunk.shape[0]) % tuple(chunk.ravel()) + "\n"
                         if chunk.shape[0] else "")
    except OSError as exc:
        raise CliError(f"cannot write {path}: {exc.strerror or exc}") from None
