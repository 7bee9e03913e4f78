"""The two proprioception tests as drills: offline analysis (``analyze_proprio``, the
``"drill"`` object of ``analyze --json``) and the live measure the guided session uses
(``ProprioLive``). The measures themselves live in ``position_sense`` and ``lunge``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from trainer.drills.catalog import DrillSpec, SetPlan, target_label
from trainer.drills.detectors import FloatArray, LowPass
from trainer.drills.lunge import find_lunges, lunge_summary, refine_depths, shank_inclination
from trainer.drills.position_sense import (
    RotationTracker,
    TrialPlan,
    analyze_trials,
    axis_for,
    plan_trials,
    summarize_trials,
)
from trainer.drills.results import build_result


def analyze_proprio(spec: DrillSpec, t: FloatArray, gyr: FloatArray, ap: FloatArray,
                    ml: FloatArray, fs: float, side: str, placement: str | None,
                    params: Mapping[str, Any], level: int | None,
                    events: Sequence[Mapping[str, Any]],
                    windows: Sequence[tuple[int, float, float]], pain: int | None, *,
                    acc_g: FloatArray | None = None, calibrated: bool = False
                    ) -> dict[str, Any]:
    """The drill result of a position-sense or lunge recording (set windows when guided).
    ``acc_g`` (segment frame when ``calibrated``, else sensor frame): lunge depths are read
    from gravity where the deepest point is held still (``refine_depths``)."""
    plan = spec.plan(params)
    det = spec.detection
    sets = [{"index": k, "stage": plan[k - 1].stage if 0 < k <= len(plan) else None,
             "t_start_s": t0, "t_end_s": t1} for k, t0, t1 in windows]
    if spec.kind == "lunge":
        lunge_windows = [(t0, t1) for _, t0, t1 in windows] if windows else None
        lunges = find_lunges(t, shank_inclination(ap, ml), fs,
                             min_lunge_deg=float(det.get("min_lunge_deg", 12.0)),
                             lowpass_hz=float(det.get("lowpass_hz", 2.0)),
                             windows=lunge_windows) if t.size > 2 else []
        if acc_g is not None and lunges:
            lunges = refine_depths(lunges, t, acc_g, gyr, fs, calibrated)
        extra = lunge_summary(lunges)
    else:
        trials = plan_trials(plan)
        if windows:
            trials = _windowed(plan, windows)
        rows = analyze_trials(t, gyr, fs, trials, events=events,
                              still_dps=float(det.get("still_dps", 4.0)),
                              still_s=float(det.get("still_s", 2.0)),
                              min_excursion_deg=float(det.get("min_excursion_deg", 3.0)))
        extra = summarize_trials(rows, side, float(params.get("tolerance_deg", 5.0)))
        extra["feedback"] = params.get("feedback")
    return build_result(spec, side, params, level, sets, pain=pain,
                        source="events" if windows else "offline", placement=placement,
                        extra=extra)


def _windowed(plan: Sequence[SetPlan], windows: Sequence[tuple[int, float, float]]
              ) -> list[TrialPlan]:
    """Trials from the guided session's set windows: a present set and the reproduce set after
    it."""
    by_index = {k: (t0, t1) for k, t0, t1 in windows}
    out = []
    for p in plan:
        if p.stage == "present" and p.index in by_index and p.index + 1 in by_index:
            out.append(TrialPlan(int(p.trial or 0), str(p.motion), float(p.target_deg or 0.0),
                                 by_index[p.index], by_index[p.index + 1]))
    return out


class ProprioLive:
    """Live measure for ``DrillSession`` on a position-sense or lunge drill.

    Position sense: the rotation from neutral (zeroed at each set's "Go", when the foot rests
    in neutral), shown along the target's anatomical axis (``gauge_deg``); in a reproduce set
    the stillness of ``still_s`` (or ``there()``) captures the reproduced angle, projected on
    the axis of the position held in the present set before it. Lunge: the shank inclination,
    its maximum over the set.
    """

    def __init__(self, spec: DrillSpec, side: str, fs_hz: float) -> None:
        self.spec = spec
        self.side = side
        det = spec.detection
        self.still_dps = float(det.get("still_dps", 4.0))
        self.still_s = float(det.get("still_s", 2.0))
        self.min_exc = float(det.get("min_excursion_deg", 3.0))
        self.tracker = RotationTracker(fs_hz, self.still_dps)
        # live, sample by sample: the low-passed rate under still_dps (offline without the
        # guide's events, the stillness windows of trainer.core.stillness find the positions)
        self._rate_lp = LowPass(fs_hz, 4.0)
        self.gauge_deg: float | None = None
        self.inclination_deg: float | None = None
        self.plan: SetPlan | None = None
        self.presented_axis: FloatArray | None = None
        self.presented_deg: float | None = None
        self.hold_deg: float | None = None  # angle at the end of the present set's hold
        self.captured: tuple[float, float, str] | None = None  # (t, reproduced, how)
        self.depth_deg: float | None = None
        self.t_deepest_s: float | None = None
        self.trials: list[dict[str, Any]] = []
        self.lunges: list[float] = []
        self._still_since: float | None = None
        self._best: tuple[float, float, FloatArray] | None = None  # (held s, t, rotation)
        self._rv: FloatArray = np.zeros(3)

    # ---------------------------------------------------------------- per set
    def begin(self, plan: SetPlan) -> None:
        self.plan = plan
        self.tracker.zero()
        self._rv = np.zeros(3)
        self.captured = None
        self._still_since = None
        self._best = None
        self.depth_deg = None
        self.t_deepest_s = None
        if plan.stage == "present":
            self.presented_axis = None
            self.presented_deg = None

    def update(self, t: FloatArray, gyr: FloatArray, ap: FloatArray, ml: FloatArray
               ) -> list[tuple[float, str, dict[str, Any]]]:
        """Feed samples of the active set; returns (t, kind, data) notices: ``captured``."""
        out: list[tuple[float, str, dict[str, Any]]] = []
        if t.size == 0:
            return out
        if self.spec.kind == "lunge":
            inc = shank_inclination(ap, ml)
            self.inclination_deg = float(inc[-1])
            k = int(np.argmax(inc))
            if self.depth_deg is None or float(inc[k]) > self.depth_deg:
                self.depth_deg, self.t_deepest_s = float(inc[k]), float(t[k])
            return out
        qs = self.tracker.update(t, gyr)
        rv = self.tracker.rotvec_deg(qs)
        self._rv = rv[-1]
        plan = self.plan
        axis = axis_for(plan.motion if plan else None, self.side)
        self.gauge_deg = float(self._rv @ axis)
        if plan is None:
            return out
        rate = self._rate_lp(np.linalg.norm(
            np.asarray(gyr, np.float64).reshape(-1, 3) - self.tracker.bias, axis=1))
        size = np.linalg.norm(rv, axis=1)
        if plan.stage == "present":
            away = size >= self.min_exc
            if away[-1]:
                self.presented_axis = self._rv / float(size[-1])
                self.presented_deg = float(size[-1])
        elif plan.stage == "reproduce" and self.captured is None:
            for i in range(t.size):  # stillness away from neutral for still_s: "there"
                if rate[i] < self.still_dps and size[i] >= self.min_exc:
                    if self._still_since is None:
                        self._still_since = float(t[i])
                    held = float(t[i]) - self._still_since
                    if self._best is None or held >= self._best[0]:
                        self._best = (held, float(t[i]), rv[i])
                    if held >= self.still_s:
                        self._capture(float(t[i]), rv[i], "still")
                        out.append((float(t[i]), "captured", self.trial_row()))
                        break
                else:
                    self._still_since = None
        return out

    def there(self, t_s: float) -> dict[str, Any] | None:
        """The person says "there" (Space) in a reproduce set: capture now."""
        if self.plan is None or self.plan.stage != "reproduce" or self.captured is not None:
            return None
        self._capture(float(t_s), self._rv, "there")
        return self.trial_row()

    def _capture(self, t: float, rv: FloatArray, how: str) -> None:
        axis = self.presented_axis
        if axis is None:
            axis = axis_for(self.plan.motion if self.plan else None, self.side)
        self.captured = (t, float(np.asarray(rv) @ axis), how)

    def trial_row(self) -> dict[str, Any]:
        plan = self.plan
        assert plan is not None
        row: dict[str, Any] = {"trial": plan.trial, "motion": plan.motion,
                               "target_deg": plan.target_deg,
                               "target": target_label(plan.motion, plan.target_deg),
                               "presented_deg": _r(self.presented_deg),
                               "reproduced_deg": None, "error_deg": None, "how": None}
        if self.captured is not None:
            t, rep, how = self.captured
            row.update(reproduced_deg=_r(rep), how=how, t_reproduced_s=_r(t))
            if plan.target_deg is not None:
                row["error_deg"] = _r(rep - plan.target_deg)
        return row

    def end(self, t_s: float) -> tuple[str, dict[str, Any]] | None:
        """The set's result event (``jps_trial`` after a reproduce set, ``lunge`` after a
        lunge), or None."""
        plan = self.plan
        self.plan = None
        if plan is None:
            return None
        if self.spec.kind == "lunge":
            if self.depth_deg is None:
                return None
            self.lunges.append(self.depth_deg)
            return "lunge", {"trial": plan.trial, "depth_deg": _r(self.depth_deg),
                             "t_deepest_s": _r(self.t_deepest_s)}
        if plan.stage == "present":
            return None
        if self.captured is None and self._best is not None:  # held, but not for still_s
            self.plan = plan
            self._capture(self._best[1], self._best[2], "hold")
        self.plan = plan
        row = self.trial_row()
        self.plan = None
        self.trials.append(row)
        return "jps_trial", row

    def summary(self, params: Mapping[str, Any]) -> dict[str, Any]:
        if self.spec.kind == "lunge":
            from trainer.drills.lunge import Lunge

            return lunge_summary([Lunge(i + 1, d, 0.0, 0.0, 0.0)
                                  for i, d in enumerate(self.lunges)])
        out = summarize_trials(self.trials, self.side, float(params.get("tolerance_deg", 5.0)))
        out["feedback"] = params.get("feedback")
        return out


def _r(x: float | None, nd: int = 2) -> float | None:
    return None if x is None or not np.isfinite(x) else round(float(x), nd)
