"""Self-contained HTML reports: one session, and progress across sessions.

Everything is inline (CSS, SVG charts from ``svgplot``): no scripts, fonts or images are fetched,
so a report opens offline and can be mailed to a physiotherapist. The documents are well-formed
XHTML-style markup (parseable as XML), which the tests check.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import Any

import numpy as np

from trainer.drills import svgplot
from trainer.drills.catalog import CatalogError, DrillSpec, load_catalog
from trainer.drills.cues import summary_line
from trainer.drills.norms import (
    CITATION,
    PROTOCOL,
    best_trial_ended_without_loss,
    compare_stance,
    describe,
    norm_seconds,
)

CSS = """
body{font-family:sans-serif;margin:24px;color:#222;max-width:980px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
h3{font-size:15px;margin-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:4px 8px;
text-align:left;font-size:13px}th{background:#f4f4f4}
.muted{color:#666;font-size:12px}.note{background:#f7f7ff;border-left:4px solid #88a;
padding:8px 12px;font-size:13px}.warn{background:#fff4f0;border-left:4px solid #d62728;
padding:8px 12px;font-size:13px}.big{font-size:16px;font-weight:bold}
"""

LOSS_COLOR = "#d62728"
MOVE_COLOR = "#ff7f0e"
SET_COLOR = "#1f77b4"
DISPLAY_HIGHPASS_HZ = 0.0  # display: plain integral of the bias-corrected rate (no leak shift)


def _e(x: Any) -> str:
    return escape(str(x), quote=True)


def _num(v: Any, unit: str = "", nd: int = 1) -> str:
    if v is None:
        return "-"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return _e(v)
    if not math.isfinite(f):
        return "-"
    return f"{f:.{nd}f}{(' ' + unit) if unit else ''}"


def _doc(title: str, body: str) -> str:
    return ('<!DOCTYPE html>\n'
            '<html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head>'
            '<meta charset="utf-8"/>'
            '<meta name="viewport" content="width=device-width, initial-scale=1"/>'
            f'<title>{_e(title)}</title><style>{CSS}</style></head><body>{body}'
            f'<p class="muted">Generated {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")} by '
            'balance-trainer. Not a medical device; it does not diagnose. Red flags (cannot bear '
            'weight, severe pain after an injury, an open wound, fever, redness or swelling) '
            'mean: see a doctor.</p></body></html>\n')


def _table(rows: Sequence[tuple[str, str]], head: tuple[str, str] | None = None) -> str:
    out = ["<table>"]
    if head:
        out.append(f"<tr><th>{_e(head[0])}</th><th>{_e(head[1])}</th></tr>")
    for k, v in rows:
        out.append(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _spec(drill_id: str) -> DrillSpec | None:
    try:
        return load_catalog().get(drill_id)
    except CatalogError:
        return None


def result_rows(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The metrics of a drill result as (label, formatted value) rows."""
    rows: list[tuple[str, str]] = []
    if result.get("measurable") is False:
        rows.append(("Not measured", _e(result.get("not_measured") or "")))
    if "reps" in result and result.get("reps") is not None:
        tgt = result.get("reps_target")
        rows.append(("Repetitions", f"{result['reps']}" + (f" of {tgt}" if tgt else "")))
        if result.get("partial_reps"):
            rows.append(("Partial reps (not counted)", _e(result["partial_reps"])))
        est = " (foot angle estimated from the rise: compare your own sessions)" if result.get(
            "rom_estimated") else ""
        rows.append((f"Range of motion (mean){est}", _num(result.get("rom_deg"), "°")))
        rows.append(("Range of motion (largest)", _num(result.get("rom_max_deg"), "°")))
        rows.append(("Tempo (mean rep duration)", _num(result.get("tempo_s"), "s")))
        if result.get("height_cm") is not None:
            rows.append(("Rise at the strap per rep (measured)" if result.get(
                "height_source") == "strap" else "Heel rise (estimate)",
                _num(result.get("height_cm"), "cm")))
        if result.get("reps_per_set"):
            rows.append(("Reps per set", _e(", ".join(str(x) for x in result["reps_per_set"]))))
    if "holds_s" in result:
        holds = result.get("holds_s") or []
        rows.append(("Holds", _e(", ".join(f"{h:.1f} s" for h in holds) or "none")))
        if result.get("hold_target_s"):
            rows.append(("Target per hold", _num(result["hold_target_s"], "s")))
    if result.get("kind") == "balance":
        rows.append(("Time to first balance loss", "no loss" if result.get(
            "time_to_first_loss_s") is None else _num(result["time_to_first_loss_s"], "s")))
        rows.append(("Balance losses", _e(result.get("balance_losses", 0))))
        rows.append(("Best stance time", _num(result.get("best_stance_s"), "s")))
    if result.get("movement_during_hold") is not None:
        rows.append(("Movements during holds", _e(result["movement_during_hold"])))
    rows += _proprio_rows(result)
    if result.get("shank_lean_deg") is not None:
        rows.append(("Shank turn per rep (mean, measured)", _num(result["shank_lean_deg"], "°")))
    if result.get("sensor_limits"):
        rows.append(("What the sensor cannot see", _e(result["sensor_limits"])))
    if result.get("angle_held_deg") is not None:
        rows.append(("Stretch angle held (shank lean)", _num(result["angle_held_deg"], "°")))
    rows.append(("Pain after the drill (0-10)", "not rated" if result.get("pain") is None
                 else _e(result["pain"])))
    if result.get("level_label"):
        rows.append(("Level", _e(result["level_label"])))
    return rows


def _proprio_rows(result: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Lunge test and joint position sense metrics."""
    rows: list[tuple[str, str]] = []
    if result.get("kind") == "lunge":
        lunges = result.get("lunges_deg") or []
        rows.append(("Lunges (shank angle from vertical)",
                     _e(", ".join(f"{x:.1f}°" for x in lunges) or "none found")))
        rows.append(("Deepest lunge", _num(result.get("max_lunge_deg"), "°")))
        norms = result.get("lunge_norms") or {}
        if norms.get("restricted") is not None:
            rows.append((f"Below {norms.get('restricted_below_deg', 34):g}° (restricted)?",
                         "yes" if norms["restricted"] else "no"))
    if result.get("kind") == "position-sense":
        rows.append(("Trials reproduced", _e(result.get("trials_done", 0))))
        rows.append(("Absolute error (mean |error|)", _num(result.get("absolute_error_deg"), "°")))
        rows.append(("Constant error (mean, + overshoot)",
                     _num(result.get("constant_error_deg"), "°")))
        rows.append(("Variable error (SD)", _num(result.get("variable_error_deg"), "°")))
        if result.get("hit_rate_pct") is not None:
            rows.append((f"Within ±{result.get('tolerance_deg', 5):g}°",
                         _num(result["hit_rate_pct"], "%", 0)))
    return rows


def _proprio_block(result: Mapping[str, Any]) -> str:
    """Trial tables, thresholds and the reliability note of the proprioception tests."""
    out: list[str] = []
    if result.get("kind") == "position-sense":
        rows = ["<table><tr><th>Trial</th><th>Target</th><th>Shown</th><th>Reproduced</th>"
                "<th>Error</th><th>Found by</th></tr>"]
        for tr in result.get("trials") or []:
            rows.append(f"<tr><td>{_e(tr.get('trial'))}</td><td>"
                        f"{_e(tr.get('target_deg'))}° {_e(tr.get('motion') or '')}</td>"
                        f"<td>{_num(tr.get('presented_deg'), '°')}</td>"
                        f"<td>{_num(tr.get('reproduced_deg'), '°')}</td>"
                        f"<td>{_num(tr.get('error_deg'), '°')}</td>"
                        f"<td>{_e(tr.get('how') or '-')}</td></tr>")
        rows.append("</table>")
        out.append("<h2>Trials</h2>" + "".join(rows))
        per = result.get("errors_by_target") or []
        if per:
            t = ["<table><tr><th>Target</th><th>Side</th><th>n</th><th>Absolute</th>"
                 "<th>Constant</th><th>Variable</th></tr>"]
            for r in per:
                t.append(f"<tr><td>{_e(r.get('target'))}</td><td>{_e(r.get('side'))}</td>"
                         f"<td>{_e(r.get('n'))}</td>"
                         f"<td>{_num(r.get('absolute_error_deg'), '°')}</td>"
                         f"<td>{_num(r.get('constant_error_deg'), '°')}</td>"
                         f"<td>{_num(r.get('variable_error_deg'), '°')}</td></tr>")
            t.append("</table>")
            out.append("<h2>Errors per target</h2>" + "".join(t))
        rel = result.get("reliability") or {}
        if rel:
            out.append(f'<h2>How reliable is this test?</h2><p class="note">'
                       f'{_e(rel.get("summary", ""))}</p>'
                       f'<p class="muted">Source: {_e(rel.get("source", ""))}</p>')
    if result.get("kind") == "lunge":
        norms = result.get("lunge_norms") or {}
        out.append('<h2>Thresholds</h2><p class="note">A lunge angle below '
                   f'{_e(norms.get("restricted_below_deg", 34))}° is commonly treated as '
                   "restricted ankle dorsiflexion; a difference between the legs of more than "
                   f'{_e(norms.get("side_difference_deg", 5))}° is beyond the test\'s measurement '
                   "error. Compare with the other leg in the progress report.</p>"
                   f'<p class="muted">Sources: {_e(norms.get("source", ""))}; '
                   f'{_e(norms.get("side_difference_source", ""))}.</p>')
    return "".join(out)


def _norms_block(result: Mapping[str, Any], age: float | None, sex: str | None) -> str:
    if result.get("kind") != "balance":
        return ""
    params = result.get("params") or {}
    cmp = compare_stance(result.get("best_stance_s"), age, str(params.get("eyes", "open")),
                         str(params.get("surface", "firm")), sex,
                         ended_without_loss=best_trial_ended_without_loss(result),
                         protocol=params.get("protocol"))
    cls = "note" if cmp["norm_test"] else "warn"
    spread = cmp.get("spread") or {}
    sources = f"Mean: {_e(CITATION)} {_e(cmp['norm_source'])}"
    if spread.get("source"):
        sources += (f"<br/>Mean and standard deviation: {_e(spread['source'])} "
                    f"({_e(spread.get('population', ''))})")
    return (f'<h2>Age norms</h2><p class="{cls}"><b>{_e(cmp["mode"])}</b></p>'
            f'<p class="note">{_e(describe(cmp))}</p>'
            f'<p class="muted">Protocol: {_e(PROTOCOL)}<br/>{sources}</p>')


def _tilt_series(ana: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, AP, ML) tilt to draw: the processing-rate blocks when present, else per sample."""
    bt = getattr(ana, "block_t_s", None)
    if bt is not None and len(bt):
        return (np.asarray(bt, np.float64), np.asarray(ana.block_tilt_ap_deg, np.float64),
                np.asarray(ana.block_tilt_ml_deg, np.float64))
    return (np.asarray(ana.t_s, np.float64), np.asarray(ana.tilt_ap_deg, np.float64),
            np.asarray(ana.tilt_ml_deg, np.float64))


SWAY_ROWS = (("ellipse_area", "95 % ellipse area", "°²"), ("mean_velocity", "Mean velocity", "°/s"),
             ("rms", "RMS distance", "°"), ("rms_ap", "RMS AP", "°"), ("rms_ml", "RMS ML", "°"),
             ("mean_frequency", "Mean frequency", "Hz"),
             ("rms_angular_rate_dps", "RMS angular rate", "°/s"),
             ("tilt_jerk_rms_deg_s3", "Tilt jerk (RMS)", "°/s³"),
             ("time_in_target_pct", "Time in target", "%"))


def _sway_block(result: Mapping[str, Any]) -> str:
    """Steady-state sway per trial, their mean and the best trial (single-leg stance only)."""
    sets = [s for s in result.get("sets") or [] if isinstance(s.get("sway"), Mapping)]
    mean = result.get("sway")
    if not sets or not isinstance(mean, Mapping):
        return ""
    best = result.get("sway_best_trial")
    head = ("<tr><th>Measure</th><th>Mean</th>"
            + "".join(f"<th>Trial {_e(s['index'])}{' (best)' if s['index'] == best else ''}"
                      "</th>" for s in sets) + "</tr>")
    rows = []
    for key, label, unit in SWAY_ROWS:
        rows.append(f"<tr><td>{_e(label)}</td><td>{_num(mean.get(key), unit, 2)}</td>"
                    + "".join(f"<td>{_num(s['sway'].get(key), unit, 2)}</td>" for s in sets)
                    + "</tr>")
    ends = "".join(f"<td>{_e(str(s.get('ended_by', '-')).replace('_', ' '))}</td>"
                   for s in sets)
    rows.append(f"<tr><td>Trial ended by</td><td></td>{ends}</tr>")
    return ("<h2>Sway metrics</h2><table>" + head + "".join(rows) + "</table>"
            '<p class="muted">Per trial, steady state: from 3 s after "Go" to the trial end, the '
            "first balance loss or your touchdown mark (a recording without trials: from its "
            "start to the first loss); shank or foot tilt in degrees (Prieto et al. 1996 "
            "definitions); best = smallest ellipse area. A trial with under 2 s of steady "
            "stance has no metrics.</p>")


def _touchdown_block(result: Mapping[str, Any]) -> str:
    """The person's touchdown marks against the automatic balance-loss detection."""
    rows = [s for s in result.get("sets") or [] if s.get("t_user_touchdown_s") is not None]
    if not rows:
        return ""
    cells = []
    for s in rows:
        mark, auto = float(s["t_user_touchdown_s"]), s.get("t_auto_loss_s")
        t0 = float(s.get("t_start_s") or 0.0)
        if auto is None:
            verdict = "not detected automatically"
        else:
            d = float(auto) - mark
            verdict = (f"detected {abs(d):.1f} s {'before' if d < 0 else 'after'} your mark"
                       + (" (a fall starts before the foot lands)" if -3.0 <= d < 0 else "")
                       + (": the detector fired early - your mark counts" if d < -3.0 else ""))
        cells.append(f"<tr><td>{_e(s['index'])}</td><td>{_num(mark - t0, 's')}</td><td>"
                     f"{_num(None if auto is None else float(auto) - t0, 's')}</td>"
                     f"<td>{_e(verdict)}</td></tr>")
    return ("<h2>Your touchdown marks</h2><table><tr><th>Trial</th><th>You marked</th>"
            "<th>Sensor detected (onset)</th><th></th></tr>" + "".join(cells) + "</table>"
            '<p class="muted">Times from "Go". Your mark ends the trial; the sensor\'s loss '
            "onset is when the fall started.</p>")


def session_report(loaded: Any, result: Mapping[str, Any], *, age: float | None = None,
                   sex: str | None = None) -> str:
    """HTML for one session: ``loaded`` a ``sessionload.LoadedSession``, ``result`` its drill
    result."""
    from trainer.drills.detectors import DrillAngles, GyroAngles, estimate_gyro_bias

    meta = loaded.meta
    ana = loaded.analysis
    spec = _spec(loaded.drill_id)
    name = spec.name if spec else loaded.drill_id
    t = np.asarray(ana.t_s, dtype=np.float64)
    t0 = float(t[0]) if t.size else 0.0
    t_end = float(t[-1]) - t0 if t.size else 0.0
    # tilt plots and the sway trace draw the processing-rate series when the analysis has one
    # (what the sway metrics see; a quarter of the samples at 400 Hz, a long session's
    # per-sample copies are never made)
    tilt_t, tilt_ap, tilt_ml = _tilt_series(ana)
    start = str(meta.get("start_time", ""))[:16].replace("T", " ")
    title = f"{name} - {loaded.side} leg - {start}"
    body = [f"<h1>{_e(title)}</h1>",
            f'<p class="muted">Session {_e(meta.get("session_id", ""))} · sensor on the '
            f'{_e(loaded.placement)} · {_num(ana.duration_s, "s")} · status {_e(loaded.status)}'
            + (" · simulated sensor" if meta.get("simulated") else "") + "</p>",
            f'<p class="big">{_e(summary_line(dict(result)))}</p>']
    pain = result.get("pain")
    if isinstance(pain, int):
        adv = load_catalog().safety.pain_scale.advice_for(pain)
        cls = "warn" if adv[0] in ("back_off", "stop") else "note"
        body.append(f'<p class="{cls}">Pain {pain}/10: {_e(adv[1])}</p>')
    body.append("<h2>Results</h2>" + _table(result_rows(result)))
    body.append(_norms_block(result, age, sex))
    body.append(_proprio_block(result))
    # ---- charts
    events = loaded.events
    sets = [s for s in result.get("sets") or [] if s.get("t_start_s") is not None]
    bands = [(float(s["t_start_s"]) - t0, float(s["t_end_s"] or s["t_start_s"]) - t0, SET_COLOR)
             for s in sets]
    marks = [(float(e["t_s"]) - t0, LOSS_COLOR, "balance loss") for e in ana.events
             if e.get("type") == "balance_loss"] if spec is None or spec.kind == "balance" else []
    marks += [(float(e["t_s"]) - t0, MOVE_COLOR, "movement during hold") for e in events
              if e.get("type") == "movement_during_hold" and e.get("t_s") is not None]
    body.append("<h2>Tilt over time</h2>")
    body.append('<p class="muted">Anatomical tilt of the segment (AP + forward, ML + toward the '
                'outside of the leg). Shaded: the sets; red: balance losses; orange: movement '
                'during a hold.</p>')
    body.append(svgplot.time_series(tilt_t - t0, {"AP tilt": tilt_ap, "ML tilt": tilt_ml},
                                    ylabel="tilt (deg)", bands=bands, marks=marks,
                                    title="tilt over time"))
    if spec is not None and spec.kind != "balance":
        gyr = np.asarray(ana.gyr_dps, dtype=np.float64)
        fs = float(ana.sample_rate_hz)
        bias = estimate_gyro_bias(t, gyr, fs)
        angles = DrillAngles(fs, loaded.placement, loaded.side, bias_dps=bias)
        angles.gyro = GyroAngles(fs, highpass_hz=DISPLAY_HIGHPASS_HZ, bias_dps=bias)
        g_ap, g_ml = angles.update(t, np.nan_to_num(ana.tilt_ap_deg),
                                   np.nan_to_num(ana.tilt_ml_deg), gyr)
        lat = 1.0 if loaded.side == "left" else -1.0
        body.append("<h2>Joint angle</h2>")
        body.append('<p class="muted">The angles the drill counts: plantar/dorsiflexion and '
                    'inversion (+) / eversion (-), relative (the foot drills use the angular '
                    'rate, so the foot may lie in any position; may drift slowly).</p>')
        body.append(svgplot.time_series(t - t0, {"plantarflexion / forward": g_ap,
                                              "inversion": g_ml * lat},
                                        ylabel="angle (deg)", bands=bands, marks=marks,
                                        title="joint angle"))
    items: list[dict[str, Any]] = []
    for tr, amp in zip(result.get("rep_times_s") or [], result.get("rep_amplitudes_deg") or [],
                       strict=False):
        items.append({"t": float(tr) - t0, "value": float(amp), "label": f"{amp:.0f}°"})
    if "holds_s" in result:
        for s in sets:
            held = s.get("held_s")
            items.append({"t0": float(s["t_start_s"]) - t0,
                          "t1": float(s["t_end_s"] or s["t_start_s"]) - t0,
                          "label": "" if held is None else f"{held:.0f} s"})
    if items:
        body.append("<h2>Timeline</h2>")
        body.append('<p class="muted">' + ("Each bar is a counted repetition (height: its range "
                    "of motion)." if "reps" in result else "Each block is a hold or trial, "
                    "labelled with the time held.") + "</p>")
        body.append(svgplot.timeline(items, 0.0, t_end if t.size else 1.0,
                                     ylabel="ROM (deg)" if "reps" in result else "",
                                     title="rep timeline"))
    if spec is not None and spec.kind == "balance":
        body.append("<h2>Sway trace</h2>")
        body.append(svgplot.sway_trace(tilt_ap, tilt_ml, target_deg=3.0))
    if spec is not None and spec.kind == "balance":
        body.append(_sway_block(result))
        body.append(_touchdown_block(result))
    if spec is not None:
        body.append(f"<h2>About this drill</h2><p>{_e(spec.description)}</p>")
    body.append("<h2>Programme</h2><ul>" + "".join(
        f"<li>{_e(p)}</li>" for p in load_catalog().principles) + "</ul>")
    return _doc(title, "".join(body))


def symmetry_block(sym: Mapping[str, Any] | None) -> str:
    """Limb symmetry: latest injured vs uninjured per measure, and the LSI over the weeks
    with the 90 % line."""
    if not sym:
        return ""
    measures = [m for m in sym.get("measures") or [] if m.get("weeks")]
    inj, unj = sym.get("injured_side", "?"), sym.get("uninjured_side", "?")
    out = [f"<h2>Limb symmetry (injured: {_e(inj)} leg)</h2>",
           '<p class="muted">LSI = injured ÷ uninjured × 100 % (for sway area and position-'
           "sense error, where lower is better: uninjured ÷ injured), so under 100 % the injured "
           f"leg does worse. Dashed line: {_e(sym.get('threshold_pct', 90)):s} %. "
           f"{_e(sym.get('source', ''))}.</p>"]
    if not measures:
        out.append("<p>No measure recorded on both legs yet.</p>")
        return "".join(out)
    rows = [f"<table><tr><th>Measure</th><th>Week</th><th>{_e(inj)} (injured)</th>"
            f"<th>{_e(unj)}</th><th>LSI</th></tr>"]
    for m in measures:
        last = m.get("latest") or m["weeks"][-1]
        lsi = last.get("lsi_pct")
        flag = "" if lsi is None else (" ⚠" if lsi < float(sym.get("threshold_pct", 90)) else "")
        rows.append(f"<tr><td>{_e(m['label'])}</td><td>{_e(last.get('week'))}</td>"
                    f"<td>{_num(last.get('injured'), m['unit'])}</td>"
                    f"<td>{_num(last.get('uninjured'), m['unit'])}</td>"
                    f"<td>{_num(lsi, '%', 0)}{flag}</td></tr>")
    rows.append("</table>")
    out.append("".join(rows))
    for m in measures:
        pts = [(str(w["week"]), float(w["lsi_pct"])) for w in m["weeks"]
               if w.get("lsi_pct") is not None]
        if pts:
            out.append(f"<h3>{_e(m['label'])}: LSI by week</h3>")
            out.append(svgplot.progress_chart(pts, ylabel="LSI (%)",
                                              reference=float(sym.get("threshold_pct", 90)),
                                              reference_label="90 %"))
    return "".join(out)


def progress_report(entries: Sequence[Any], progress: Mapping[str, Any], *,
                    age: float | None = None, sex: str | None = None,
                    sessions_dir: str = "", symmetry: Mapping[str, Any] | None = None) -> str:
    """HTML across sessions: per drill and side, the progress metric, levels and sessions."""
    title = "Progress report"
    body = [f"<h1>{title}</h1>",
            f'<p class="muted">{len(entries)} session(s)'
            + (f" in {_e(sessions_dir)}" if sessions_dir else "") + "</p>"]
    if not entries:
        body.append("<p>No sessions yet.</p>")
    body.append(symmetry_block(symmetry))
    groups: dict[tuple[str, str], list[Any]] = {}
    for e in entries:
        groups.setdefault((e.drill_id, e.side), []).append(e)
    for (drill, side), items in sorted(groups.items()):
        spec = _spec(drill)
        prog = (progress.get(drill) or {}).get(side) or {}
        body.append(f"<h2>{_e(spec.name if spec else drill)} - {_e(side)} leg</h2>")
        facts = [("Sessions", _e(len(items)))]
        if prog.get("level_label"):
            facts.append(("Current level", _e(f"{prog.get('level')}: {prog['level_label']}")))
        dec = prog.get("last_decision")
        if isinstance(dec, dict) and dec.get("reason"):
            facts.append(("Last change", _e(f"{dec.get('action')}: {dec['reason']}")))
        metric, unit = str(prog.get("metric", "")), str(prog.get("unit", ""))
        if prog.get("first") is not None:
            facts.append((f"{metric} first → last",
                          f"{_num(prog['first'], unit)} → {_num(prog['last'], unit)} "
                          f"(best {_num(prog['best'], unit)}, {_e(prog.get('trend'))})"))
        if prog.get("last_pain") is not None:
            facts.append(("Last pain rating", _e(f"{prog['last_pain']}/10")))
        body.append(_table(facts))
        series = prog.get("series") or []
        if len(series) >= 1:
            ref = None
            ref_label = ""
            if spec is not None and spec.kind == "balance" and age is not None:
                eyes = str((items[-1].result or {}).get("params", {}).get("eyes", "open")
                           if items[-1].result else "open")
                ref = norm_seconds(age, eyes, sex)
                ref_label = f"age norm ({eyes} eyes, Springer 2007)" if ref else ""
            pts = [(str(p.get("start_time") or "")[:10], float(p["value"])) for p in series]
            body.append(svgplot.progress_chart(pts, ylabel=f"{metric} ({unit})", reference=ref,
                                               reference_label=ref_label))
        rows = ["<table><tr><th>Date</th><th>Level</th><th>Result</th><th>Pain</th></tr>"]
        for e in items:
            when = e.start_time.strftime("%Y-%m-%d %H:%M") if e.start_time else "?"
            r = e.result or {}
            rows.append(f"<tr><td>{_e(when)}</td><td>{_e(r.get('level_label') or '-')}</td>"
                        f"<td>{_e(summary_line(r) if r else 'not analysed')}</td>"
                        f"<td>{_e('-' if e.pain is None else e.pain)}</td></tr>")
        rows.append("</table>")
        body.append("".join(rows))
        if spec is not None and spec.kind == "balance" and items[-1].result:
            body.append(_norms_block(items[-1].result, age, sex))
    body.append("<h2>Programme</h2><ul>" + "".join(
        f"<li>{_e(p)}</li>" for p in load_catalog().principles) + "</ul>")
    return _doc(title, "".join(body))
