"""The drill result: one dict shape for live sessions, offline analysis, history and reports.

Always: ``id``, ``kind``, ``side``, ``placement``, ``level``, ``level_label``, ``params``,
``source`` (live | events | offline), ``sets_planned``, ``sets_done``, ``pain`` (0-10 or None),
``sets`` (per-set summary).
Repetition drills (reps, warm-up): ``reps`` (int), ``reps_target``, ``reps_per_set``, ``rom_deg``
(mean rep amplitude, degrees), ``rom_max_deg``, ``tempo_s`` (mean rep duration), ``rep_times_s``,
``rep_amplitudes_deg`` (full reps only), ``partial_reps`` (reps below the level's range of motion
``full_rom_deg``: shown, not counted), ``partial_rep_times_s``, ``partial_rep_amplitudes_deg``;
calf raise also ``height_cm`` and ``height_source``: on the foot ``"foot_angle"`` (the heel's
rise for the foot's rotation, a 15 cm lever), on the shank ``"strap"`` (the median rise of the
strap per rep, measured) with ``shank_lean_deg`` (the shank's turn per rep, measured) and
``rom_estimated`` true: there ``rom_deg`` is the foot angle estimated from the rise through a
population foot geometry — for comparing a person's own sessions (partial reps, progression),
not with foot-worn degrees (on the one real recording it read 25-27° where the feet turned
42-47°). A drill the placement cannot measure has ``measurable`` false,
``not_measured`` (why) and null measures (``trainer.drills.placement``).
Hold drills (isometric, stretch, balance): ``holds_s`` (held duration per hold), ``hold_target_s``;
isometric ``movement_during_hold`` (count); stretch ``angle_held_deg`` (mean shank angle).
Balance: ``holds_s`` = per-trial time to the first balance loss (or the full trial),
``time_to_first_loss_s`` (in the trial where the first loss happened, from that trial's start;
None when no loss), ``balance_losses`` (count), ``best_stance_s``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from trainer.drills.catalog import DrillSpec
from trainer.drills.detectors import Rep, rep_summary

LATERAL_SIGN = {"left": 1.0, "right": -1.0}


def signal_for(spec: DrillSpec, side: str, motion: str | None = None,
               placement: str | None = None) -> tuple[str, float]:
    """Which anatomical angle a drill's movement shows in, and its sign, for this side.

    Angles follow the segment-frame convention (x anterior, y to the person's left, z up):
    ``tilt_ml_deg`` > 0 tilts the segment toward the person's left, which is lateral for a left leg,
    so on the foot inversion (sole turning in, top of the foot tilting out) is
    ``+tilt_ml`` on the left and ``-tilt_ml`` on the right. ``tilt_ap_deg`` > 0 tilts toward
    anterior: plantarflexion on the foot (heel up), dorsiflexion on the shank (knee forward).
    """
    lat = LATERAL_SIGN[side]
    motion = motion or spec.detection.get("motion")
    place = placement or spec.placement
    if motion == "inversion":
        return "ml", lat
    if motion == "eversion":
        return "ml", -lat
    if motion == "plantarflexion":
        return "ap", 1.0
    if motion == "dorsiflexion":
        return "ap", 1.0 if place == "shank" else -1.0
    if motion == "pump":
        return "ap", 1.0
    if motion == "circle":
        return "ml", 1.0
    if spec.detection.get("signal") == "tilt_ap":
        return "ap", 1.0
    if spec.detection.get("signal") == "tilt_ml":
        return "ml", lat
    # isometric inversion/eversion: the foot should not move; watch the inversion axis
    if spec.id.endswith("inversion"):
        return "ml", lat
    if spec.id.endswith("eversion"):
        return "ml", -lat
    return "ap", 1.0


def hold_entry_deg(spec: DrillSpec) -> float:
    """How far the angle moves to get into a hold's position after "Go": a stretch's
    ``min_angle_deg`` (leaning into it), 0 for isometric holds (the foot stays put). The
    stillness check starts once the position is reached (``StillnessMonitor(entry_deg=…)``)."""
    if spec.kind != "hold":
        return 0.0
    return float(spec.detection.get("min_angle_deg", 0.0))


def _r(x: float | None, nd: int = 3) -> float | None:
    if x is None or not math.isfinite(float(x)):
        return None
    return round(float(x), nd)


def build_result(spec: DrillSpec, side: str, params: Mapping[str, Any], level: int | None,
                 sets: Sequence[Mapping[str, Any]], *, pain: int | None = None,
                 source: str = "live", stopped: bool = False,
                 placement: str | None = None,
                 extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Assemble the result dict from per-set records.

    Each set: ``index``, ``work`` (reps | hold), ``t_start_s``, ``t_end_s``, ``target_reps``,
    ``hold_target_s``, ``reps`` (list of ``Rep``), ``losses_t_s``, ``movements``, ``angle_deg``,
    ``held_s``.
    """
    place = placement or spec.placement
    planned = spec.plan(params)
    out: dict[str, Any] = {
        "id": spec.id, "kind": spec.kind, "side": side, "placement": place,
        "level": level, "level_label": spec.level_label(level),
        "params": {k: v for k, v in params.items()}, "source": source,
        "sets_planned": len(planned), "sets_done": len(sets), "pain": pain,
        "stopped": stopped,
    }
    set_rows: list[dict[str, Any]] = []
    if spec.kind in ("position-sense", "lunge"):  # trainer.drills.proprio gives the measures
        out["sets"] = [{"index": s["index"], "stage": s.get("stage"),
                        "t_start_s": _r(s.get("t_start_s")), "t_end_s": _r(s.get("t_end_s"))}
                       for s in sets]
        out.update(extra or {})
        return out
    if spec.is_repetition:
        every: list[Rep] = [r for s in sets for r in s.get("reps", [])]
        reps = [r for r in every if not r.partial]
        partial = [r for r in every if r.partial]
        summary = rep_summary(reps)
        out["reps"] = summary["reps"]
        out["reps_target"] = int(sum(p.target_reps or 0 for p in planned))
        out["reps_per_set"] = [sum(not r.partial for r in s.get("reps", [])) for s in sets]
        out["rom_deg"] = _r(summary["rom_deg"], 2)
        out["rom_max_deg"] = _r(summary["rom_max_deg"], 2)
        out["tempo_s"] = _r(summary["tempo_s"], 2)
        out["rep_times_s"] = summary["rep_times_s"]
        out["rep_amplitudes_deg"] = summary["rep_amplitudes_deg"]
        full_min = spec.detection.get("full_rom_deg")
        if full_min is not None:
            out["full_rom_deg"] = float(full_min)
        out["partial_reps"] = len(partial)
        out["partial_rep_times_s"] = [round(r.t_peak_s, 3) for r in partial]
        out["partial_rep_amplitudes_deg"] = [round(r.amplitude_deg, 2) for r in partial]
        if spec.id == "calf-raise":
            leans = [r.lean_deg for r in reps if r.lean_deg is not None]
            rises = [r.rise_cm for r in reps if r.lean_deg is not None and r.rise_cm is not None]
            if rises:  # on the shank: what the strap measured, and the foot angle estimated
                out["height_cm"] = _r(float(np.median(rises)), 1)
                out["height_source"] = "strap"
                out["rom_estimated"] = True
            else:  # on the foot: the heel's rise for the foot's own rotation
                lever = float(spec.detection.get("lever_m", 0.15))
                out["height_cm"] = _r(100.0 * lever * math.sin(math.radians(out["rom_deg"]
                                                                            or 0.0)), 1)
                out["height_source"] = "foot_angle"
            if leans:
                out["shank_lean_deg"] = _r(float(np.mean(leans)), 2)
        for s in sets:
            set_rows.append({"index": s["index"],
                             "reps": sum(not r.partial for r in s.get("reps", [])),
                             "partial_reps": sum(r.partial for r in s.get("reps", [])),
                             "target_reps": s.get("target_reps"),
                             "t_start_s": _r(s.get("t_start_s")), "t_end_s": _r(s.get("t_end_s"))})
    else:
        holds = [float(s["held_s"]) for s in sets if s.get("held_s") is not None]
        out["holds_s"] = [round(h, 2) for h in holds]
        targets = [p.hold_s for p in planned if p.hold_s is not None]
        out["hold_target_s"] = targets[0] if targets else None
        if spec.kind == "hold":
            out["movement_during_hold"] = int(sum(int(s.get("movements", 0)) for s in sets))
            angles = [float(s["angle_deg"]) for s in sets if s.get("angle_deg") is not None]
            if spec.id == "calf-stretch":
                out["angle_held_deg"] = _r(float(np.mean(angles)) if angles else None, 2)
        if spec.kind == "balance":
            first_loss: float | None = None
            n_losses = 0
            for s in sets:
                losses = [float(x) for x in s.get("losses_t_s", [])]
                n_losses += len(losses)
                if losses and first_loss is None:
                    first_loss = losses[0] - float(s["t_start_s"])
            out["time_to_first_loss_s"] = _r(first_loss)
            out["balance_losses"] = n_losses
            out["stance_times_s"] = list(out["holds_s"])
            out["best_stance_s"] = _r(max(holds) if holds else None, 2)
        for s in sets:
            row = {"index": s["index"], "held_s": _r(s.get("held_s"), 2),
                   "t_start_s": _r(s.get("t_start_s")), "t_end_s": _r(s.get("t_end_s"))}
            if spec.kind == "balance":
                row["balance_losses"] = len(s.get("losses_t_s", []))
                if isinstance(s.get("sway"), Mapping):  # steady-state sway of the trial
                    row["sway"] = dict(s["sway"])
                if s.get("ended_by"):
                    row["ended_by"] = s["ended_by"]
                if s.get("t_user_touchdown_s") is not None:  # the person's mark vs detection
                    row["t_user_touchdown_s"] = _r(s["t_user_touchdown_s"])
                    row["t_auto_loss_s"] = _r(s.get("t_auto_loss_s"))
            else:
                row["movements"] = int(s.get("movements", 0))
                row["angle_deg"] = _r(s.get("angle_deg"), 2)
            set_rows.append(row)
    out["sets"] = set_rows
    if spec.kind == "balance" and any("sway" in r for r in set_rows):
        from trainer.core.trials import summarize

        summ = summarize([r["sway"] for r in set_rows if "sway" in r])
        out["sway"] = {k: _r(v, 4) for k, v in summ["mean"].items()}
        out["sway"]["n_trials"] = summ["n_trials"]
        out["sway_best_trial"] = summ["best"]["trial"] if summ["best"] else None
    return out
