"""Cue rendering: text for a terminal (CLI) and the dashboard's simple cue hook.

``render_text(event)`` turns a ``DrillEvent`` into one line (or None when there is nothing to
print); beeps become a terminal bell when ``bell`` is set. ``dashboard_cue(state, elapsed_s,
settings)`` is the hook the dashboard's timed runner calls for its big cue text.
"""

from __future__ import annotations

from typing import Any

from trainer.drills.catalog import CatalogError, load_catalog
from trainer.drills.session import DrillEvent

BELL = "\a"


def render_text(ev: DrillEvent, bell: bool = False) -> str | None:
    """One terminal line for an event of a DrillSession (None: nothing to show)."""
    t = f"[{ev.t_s:7.1f} s]"
    d = ev.data
    if ev.type == "cue":
        mark = "!" if d.get("level") == "warning" else " "
        return f"{t} {mark} {d.get('text', '')}"
    if ev.type == "countdown":
        return f"{t}   {d.get('remaining')} ..."
    if ev.type == "beep":
        return BELL if bell and d.get("kind") in ("start", "stop", "warning", "done") else None
    if ev.type == "set_end":
        if d.get("work") == "reps":
            return f"{t}   set {d.get('set')}: {d.get('reps')} of {d.get('target_reps')} reps"
        held = d.get("held_s")
        return f"{t}   set {d.get('set')}: held {held:.1f} s" if held is not None else None
    if ev.type == "drill_end":
        return f"{t}   {summary_line(d.get('result') or {})}"
    return None


def summary_line(result: dict[str, Any]) -> str:
    """A one-line summary of a drill result (history, CLI)."""
    parts: list[str] = []
    if "reps" in result:
        parts.append(f"{result['reps']} reps")
        if result.get("rom_deg"):
            parts.append(f"ROM ≈{result['rom_deg']:.0f}° (est.)" if result.get("rom_estimated")
                         else f"ROM {result['rom_deg']:.0f}°")
        if result.get("height_cm"):
            parts.append(f"rise {result['height_cm']:.1f} cm at the strap"
                         if result.get("height_source") == "strap"
                         else f"heel rise ≈{result['height_cm']:.1f} cm")
    if "holds_s" in result:
        holds = result.get("holds_s") or []
        if holds:
            parts.append("holds " + ", ".join(f"{h:.0f}" for h in holds) + " s")
        if result.get("kind") == "balance":
            first = result.get("time_to_first_loss_s")
            parts.append("no balance loss" if first is None else f"first loss at {first:.1f} s")
        if result.get("movement_during_hold"):
            parts.append(f"moved {result['movement_during_hold']}×")
        if result.get("angle_held_deg") is not None:
            parts.append(f"angle {result['angle_held_deg']:.0f}°")
    if result.get("kind") == "lunge":
        lunges = result.get("lunges_deg") or []
        if lunges:
            parts.append("lunges " + ", ".join(f"{x:.0f}" for x in lunges) + "°")
    if result.get("kind") == "position-sense" and result.get("absolute_error_deg") is not None:
        parts.append(f"{result.get('trials_done', 0)} trials, error "
                     f"{result['absolute_error_deg']:.1f}° (constant "
                     f"{result.get('constant_error_deg') or 0:+.1f}°)")
    if result.get("pain") is not None:
        parts.append(f"pain {result['pain']}/10")
    return ", ".join(parts) or "no result"


def dashboard_cue(state: str, elapsed_s: float, settings: Any) -> str | None:
    """Big cue text for the dashboard's timed runner (idle/countdown/running/done)."""
    drill_id = getattr(settings, "drill_id", None)
    try:
        spec = load_catalog().get(str(drill_id))
    except CatalogError:
        return None
    if state == "countdown":
        return None  # the runner shows the number
    if state == "running":
        if spec.kind == "balance" and getattr(settings, "eyes", "open") == "closed":
            return f"{spec.cues.get('eyes_closed', 'Close your eyes')} — {spec.cues['active']}"
        return spec.cues["start"] if elapsed_s < 3.0 else spec.cues["active"]
    if state == "done":
        return f"{spec.cues['done']}. {load_catalog().common_cues.get('drill_done', '')}".strip()
    return None
