"""Limb symmetry: the injured leg against the other one, week by week.

For every measure that exists on both legs (``MEASURES``: single-leg stance time, sway area,
inversion/eversion range of motion, heel-rise reps and height, joint-position-sense error, lunge
angle), each ISO week's mean on the injured and on the uninjured leg, and the limb symmetry index

    LSI = injured / uninjured × 100 %     (higher is better: time, ROM, reps, height, lunge)
    LSI = uninjured / injured × 100 %     (lower is better: sway area, position-sense error)

so that an LSI under 100 % always means the injured leg does worse. 90 % is the conventional line
(return-to-sport criteria use LSI ≥ 90 %, e.g. Grindem et al. 2016, Br J Sports Med 50:804).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

LSI_THRESHOLD_PCT = 90.0
LSI_SOURCE = ("LSI ≥ 90 % is the conventional return-to-sport line (e.g. Grindem et al. 2016, "
              "Br J Sports Med 50:804-808)")


@dataclass(frozen=True)
class Measure:
    drill: str
    key: str
    label: str
    unit: str
    higher_is_better: bool


MEASURES: tuple[Measure, ...] = (
    Measure("single-leg-balance", "best_stance_s", "Single-leg stance time", "s", True),
    Measure("single-leg-balance", "ellipse_area", "Sway area (95 % ellipse)", "deg²", False),
    Measure("ankle-inversion", "rom_deg", "Inversion range of motion", "deg", True),
    Measure("ankle-eversion", "rom_deg", "Eversion range of motion", "deg", True),
    Measure("calf-raise", "reps", "Heel-rise repetitions", "reps", True),
    Measure("calf-raise", "height_cm", "Heel-rise height", "cm", True),
    Measure("joint-position-sense", "absolute_error_deg", "Position-sense error (absolute)",
            "deg", False),
    Measure("lunge-test", "max_lunge_deg", "Lunge angle (knee to wall)", "deg", True),
)


def value_of(result: Mapping[str, Any] | None, key: str) -> float | None:
    """A measure from a drill result: the key itself, else the mean over its sway trials or in
    its ``sway`` object (sway area)."""
    if not result:
        return None
    candidates: list[Any] = [result.get(key)]
    sway = result.get("sway")
    if isinstance(sway, Mapping):
        candidates.append(sway.get(key))
    trials = result.get("sway_trials")
    if isinstance(trials, list):
        vals = [t.get(key) for t in trials if isinstance(t, Mapping)]
        nums = [float(v) for v in vals if isinstance(v, int | float) and math.isfinite(v)]
        if nums:
            candidates.append(sum(nums) / len(nums))
    for v in candidates:
        if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v):
            return float(v)
    return None


def lsi_pct(injured: float | None, uninjured: float | None, higher_is_better: bool
            ) -> float | None:
    """The limb symmetry index in % (None when a side is missing or zero)."""
    if injured is None or uninjured is None:
        return None
    num, den = (injured, uninjured) if higher_is_better else (uninjured, injured)
    if den <= 0:
        return None
    return round(100.0 * num / den, 1)


def _week(entry: Any) -> str | None:
    t = getattr(entry, "start_time", None)
    if t is None:
        return None
    y, w, _ = t.isocalendar()
    return f"{y}-W{w:02d}"


def symmetry(entries: Iterable[Any], injured_side: str) -> dict[str, Any]:
    """Per measure with data on both legs: weeks (injured, uninjured, LSI) and the latest.

    ``entries``: history entries (``drill_id``, ``side``, ``start_time``, ``result``)."""
    other = "right" if injured_side == "left" else "left"
    acc: dict[tuple[str, str], dict[str, dict[str, list[float]]]] = {}
    for e in entries:
        week = _week(e)
        if week is None or e.side not in ("left", "right"):
            continue
        for m in MEASURES:
            if m.drill != e.drill_id:
                continue
            v = value_of(e.result, m.key)
            if v is not None:
                acc.setdefault((m.drill, m.key), {}).setdefault(week, {}).setdefault(
                    e.side, []).append(v)
    out: list[dict[str, Any]] = []
    for m in MEASURES:
        weeks = acc.get((m.drill, m.key))
        if not weeks:
            continue
        rows = []
        for week in sorted(weeks):
            sides = weeks[week]
            inj = _mean(sides.get(injured_side))
            unj = _mean(sides.get(other))
            lsi = lsi_pct(inj, unj, m.higher_is_better)
            rows.append({"week": week, "injured": _r(inj), "uninjured": _r(unj),
                         "lsi_pct": lsi,
                         "below_threshold": None if lsi is None else lsi < LSI_THRESHOLD_PCT})
        paired = [r for r in rows if r["lsi_pct"] is not None]
        out.append({"drill": m.drill, "key": m.key, "label": m.label, "unit": m.unit,
                    "higher_is_better": m.higher_is_better, "weeks": rows,
                    "latest": paired[-1] if paired else None})
    return {"injured_side": injured_side, "uninjured_side": other,
            "threshold_pct": LSI_THRESHOLD_PCT, "source": LSI_SOURCE, "measures": out}


def _mean(values: list[float] | None) -> float | None:
    return sum(values) / len(values) if values else None


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)
