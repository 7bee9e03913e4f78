"""The dashboard's side of a guided drill, without Qt.

``trainer.drills.session.DrillSession`` is the state machine (countdown → sets and rests → pain
rating → done, cues, detection, the result). This adapter builds it from the drill panel's
settings and adds what the dashboard shows: progress for feedback fading, the share of active
samples in the target, and — single-leg stance — each trial's steady-state sway
(``trainer.core.trials.LiveTrials``: the numbers ``analyze`` gives offline), whose mean over trials
is the summary's ``ellipse_area`` the History tab shows.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np

from trainer.ui.ellipse import _k2
from trainer.ui.settings import DrillSettings

ACTIVE = "active"
PAIN = "pain"
DONE = "done"


class SwayAccumulator:
    """Running n, Σx, Σy, Σx², Σy², Σxy, Σ in-target: covariance and ellipse without storage."""

    def __init__(self) -> None:
        self.s = np.zeros(6)
        self.in_target = 0

    def add(self, ap: Any, ml: Any, in_target: Any = None) -> None:
        a = np.asarray(ap, dtype=np.float64)
        m = np.asarray(ml, dtype=np.float64)
        ok = np.isfinite(a) & np.isfinite(m)
        a, m = a[ok], m[ok]
        self.s += (a.size, a.sum(), m.sum(), (a * a).sum(), (m * m).sum(), (a * m).sum())
        if in_target is not None:
            self.in_target += int(np.asarray(in_target, dtype=bool)[ok].sum())

    @property
    def n(self) -> int:
        return int(self.s[0])

    def ellipse_area(self) -> float | None:
        n = self.n
        if n < 4:
            return None
        _, sa, sm, saa, smm, sam = self.s
        caa = (saa - sa * sa / n) / (n - 1)
        cmm = (smm - sm * sm / n) / (n - 1)
        cam = (sam - sa * sm / n) / (n - 1)
        det = max(caa * cmm - cam * cam, 0.0)
        return float(np.pi * _k2(n) * np.sqrt(det))

    def in_target_pct(self) -> float | None:
        return 100.0 * self.in_target / self.n if self.n else None


def drill_overrides(settings: DrillSettings, defaults: dict[str, Any]) -> dict[str, Any]:
    """The panel's choices as DrillSession parameter overrides (only those the drill has)."""
    out: dict[str, Any] = {}
    if "hold_s" in defaults and settings.duration_s:
        out["hold_s"] = float(settings.duration_s)
    if "sets" in defaults and settings.sets:
        out["sets"] = int(settings.sets)
    for key in ("eyes", "surface"):
        if key in defaults:
            out[key] = getattr(settings, key)
    return out


class GuidedDrill:
    def __init__(self, settings: DrillSettings, fs_hz: float,
                 countdown_s: float | None = None, placement: str | None = None) -> None:
        from trainer.drills import get_drill
        from trainer.drills.session import DrillSession

        self.settings = settings
        spec = get_drill(settings.drill_id)
        self.spec = spec
        params = drill_overrides(settings, spec.params(None))
        if countdown_s is not None:
            params["countdown_s"] = float(countdown_s)
        self.session = DrillSession(spec, settings.side, params=params, fs_hz=fs_hz,
                                    placement=placement)
        self.sway = SwayAccumulator()
        self.target_radius_deg = 3.0
        self.losses_t_s: list[float] = []
        self.first_active_t_s: float | None = None
        self.touchdowns_t_s: list[float] = []
        from trainer.core.trials import LiveTrials

        self.trials = LiveTrials(fs_hz, self.target_radius_deg)

    # -- driving -------------------------------------------------------------------------------
    def start(self, t_s: float) -> list[Any]:
        return self.session.start(t_s)

    def feed(self, processed: Any) -> list[Any]:
        if self.phase == ACTIVE:
            t = np.asarray(processed.t_s, dtype=np.float64)
            if self.first_active_t_s is None and t.size:
                self.first_active_t_s = float(t[0])
            ap = np.asarray(processed.tilt_ap_deg, dtype=np.float64)
            ml = np.asarray(processed.tilt_ml_deg, dtype=np.float64)
            self.sway.add(ap, ml, np.hypot(ap, ml) <= self.target_radius_deg)
        if self.trials.active:
            self.trials.feed(processed.t_s, processed.tilt_ap_deg, processed.tilt_ml_deg,
                             getattr(processed, "quat_wxyz", None))
        events = self.session.feed(processed)
        self._note(events)
        return events

    def tick(self, t_s: float) -> list[Any]:
        events = self.session.tick(t_s)
        self._note(events)
        return events

    def stop(self, t_s: float) -> list[Any]:
        return self.session.stop(t_s)

    def rate_pain(self, rating: int, t_s: float) -> list[Any]:
        return self.session.rate_pain(rating, t_s)

    def _note(self, events: list[Any]) -> None:
        for ev in events:
            if ev.type == "balance_loss":
                self.losses_t_s.append(float(ev.t_s))
            elif ev.type == "set_start" and self.first_active_t_s is None:
                self.first_active_t_s = float(ev.t_s)
            if self.spec.kind != "balance":
                continue
            if ev.type == "set_start":
                self.trials.begin(int(ev.data.get("set", 0)), float(ev.t_s))
            elif ev.type == "set_end":
                self.trials.end(float(ev.t_s), self.losses_t_s, self.touchdowns_t_s)

    def user_touchdown(self, t_s: float) -> None:
        """The person marked "my lifted foot touched down" (ends the trial's steady state)."""
        self.touchdowns_t_s.append(float(t_s))

    # -- what to show ------------------------------------------------------------------------
    @property
    def phase(self) -> str:
        return str(self.session.phase)

    def view(self) -> dict[str, Any]:
        return self.session.view()

    def progress(self) -> float:
        """0…1 through the drill's sets (for feedback fading)."""
        v = self.view()
        n = max(1, int(v.get("n_sets") or 1))
        k = int(v.get("set") or 0)
        frac = 0.0
        if self.phase == ACTIVE and k:
            plan = self.session.current
            elapsed = float(v.get("elapsed_s") or 0.0)
            if plan is not None and plan.hold_s:
                frac = min(1.0, elapsed / plan.hold_s)
            elif plan is not None and plan.target_reps:
                frac = min(1.0, float(v.get("reps") or 0) / plan.target_reps)
        return min(1.0, max(0.0, (max(k, 1) - 1 + frac) / n)) if k else 0.0

    def summary(self) -> dict[str, Any]:
        """What session.json keeps under ``summary`` (read by the History tab)."""
        out: dict[str, Any] = {"drill": self.spec.id, "side": self.settings.side,
                               "losses": len(self.losses_t_s),
                               "losses_t_s": [round(t, 3) for t in self.losses_t_s]}
        area = self.sway.ellipse_area()
        if self.spec.kind == "balance":  # mean over trials of the steady-state sway
            summ = self.trials.summary()
            area = summ["mean"].get("ellipse_area")
            for k in ("rms", "mean_velocity"):
                if summ["mean"].get(k) is not None:
                    out[k] = summ["mean"][k]
            out["sway_trials"] = self.trials.trials
        else:
            area = None  # reps, holds and stretches: no sway metrics
        if area is not None:
            out["ellipse_area"] = area
        pct = self.sway.in_target_pct()
        if pct is not None:
            out["time_in_target_pct"] = pct
        if self.losses_t_s and self.first_active_t_s is not None:
            out["time_to_first_loss_s"] = max(0.0, self.losses_t_s[0] - self.first_active_t_s)
        if self.sway.n:
            out["active_samples"] = self.sway.n
        with contextlib.suppress(Exception):  # a bonus: the summary must always be written
            out["result"] = self.session.result()
        return out
