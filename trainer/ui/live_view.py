"""What each frame draws of the live stream: the sway dot and trace, the scrolling plots, the
big numbers, the loss markers and the sound — with the feedback policy (``trainer.feedback``)
deciding what is shown while a drill's set runs.

No timers and no clock of its own: the window calls :meth:`LiveView.redraw` with the frame's
time, so a test drives it frame by frame on a manual clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from trainer.feedback import FadingSchedule, SonificationParams, Zone, map_tilt, zone_of
from trainer.feedback.policy import FeedbackNow, feedback_now
from trainer.ui.audio import AudioFeedback
from trainer.ui.drill_control import DrillControl
from trainer.ui.ellipse import prediction_ellipse
from trainer.ui.live import AP, ML, LiveSession, T
from trainer.ui.metrics_panel import MetricsPanel
from trainer.ui.plots import ScrollingPlots, SwayPlot
from trainer.ui.settings import FeedbackSettings
from trainer.vocab.ids import detects_balance_losses

#: The big numbers and the ellipse are recomputed this often (not every frame).
METRICS_EVERY_S = 0.25
#: The tilt plot's ± range while a drill moves on purpose (the sway view hidden).
MOVEMENT_RANGE_DEG = 30.0
#: The tiles that are sway metrics (blank outside balance drills).
SWAY_TILES = ("ellipse_area", "mean_velocity", "time_in_target_pct", "losses")


class LiveView:
    """Draws a :class:`LiveSession` into the plots, the numbers and the sound."""

    def __init__(self, sway: SwayPlot, time_plots: ScrollingPlots, metrics: MetricsPanel,
                 drills: DrillControl, audio: AudioFeedback | None, trace_s: float) -> None:
        self.sway = sway
        self.time_plots = time_plots
        self.metrics = metrics
        self.drills = drills
        self.audio = audio
        self.trace_s = trace_s
        self.feedback = FeedbackSettings()
        self.schedule = FadingSchedule("concurrent", 1.0)  # over drill progress 0…1
        self.sonify = SonificationParams()
        self.frames = 0
        self.sway_shown = True
        #: the drill of the session being replayed (None: live, or a recording without a drill)
        self.replay_drill: str | None = None
        #: told the tilt plot's ± range when it changes (the extra sensors' plot follows it)
        self.tilt_range_listeners: list[Callable[[float], None]] = []
        self._last_metrics = -float("inf")

    def set_side(self, side: str) -> None:
        """The tilt convention of ``side``; the sound pans toward the side the user leans to
        (ML is + lateral: left for the left leg)."""
        self.sway.set_side(side)
        self.sonify = replace(self.sonify, ml_sign=self.sway.ml_screen_sign)

    def set_feedback(self, fb: FeedbackSettings, live: LiveSession | None) -> None:
        old, self.feedback = self.feedback, fb
        if fb.target_radius_deg != old.target_radius_deg:
            if live is not None:
                live.target_radius_deg = fb.target_radius_deg
            self.sway.set_target(fb.target_radius_deg)
            self.time_plots.set_target(fb.target_radius_deg)
        if fb.range_deg != old.range_deg:
            self.sway.set_range(fb.range_deg)
            self._set_tilt_range()
        if not self.drills.in_set:
            self.schedule = FadingSchedule(fb.mode, 1.0)

    def drill_started(self) -> None:
        self.schedule = FadingSchedule(self.feedback.mode, 1.0)

    def refresh_metrics_now(self) -> None:
        self._last_metrics = -float("inf")

    def feedback_now(self, zone: Zone) -> FeedbackNow:
        done = self.drills.feedback_progress()
        return feedback_now(self.schedule, zone, drill_active=done is not None,
                            progress=done or 0.0)

    def show_sway(self, shown: bool) -> None:
        """The sway view (and the target band on the tilt plot) only where sway means
        something: the free view and balance drills, live or replayed. A calf raise, a stretch
        or a hold moves on purpose: the view is hidden, the tilt plot (the movement itself)
        takes its room."""
        if shown != self.sway_shown:
            self.sway_shown = shown
            self.sway.setVisible(shown)
            self.time_plots.set_band_visible(shown)
            self._set_tilt_range()

    def _set_tilt_range(self) -> None:
        range_deg = self._tilt_range()
        self.time_plots.set_tilt_range(range_deg)
        for listener in self.tilt_range_listeners:
            listener(range_deg)

    def _tilt_range(self) -> float:
        """The tilt plot's ± range: the sway scale, or room for a movement (reps, stretches)."""
        return (self.feedback.range_deg if self.sway_shown
                else max(MOVEMENT_RANGE_DEG, self.feedback.range_deg))

    def redraw(self, live: LiveSession | None, now: float) -> None:
        self.frames += 1
        self.show_sway(self.drills.shows_sway() and detects_balance_losses(self.replay_drill))
        if live is None:
            return
        rows = live.ring.view()
        self.time_plots.update(rows, live.losses_t_s, live.jump_t_s)
        if rows.shape[0] == 0:
            self.sway.update_dot(None, None, Zone.INSIDE, False)
            return
        trace = rows[-int(self.trace_s * live.sample_rate_hz):]
        sway_from = live.sway_from_t_s
        if sway_from is not None:  # not the sync jump: it is no sway
            trace = trace[int(np.searchsorted(trace[:, T], sway_from)):]
        ap, ml = float(rows[-1, AP]), float(rows[-1, ML])
        zone = zone_of(ap, ml, self.feedback.target_radius_deg)
        fb = self.feedback_now(zone)
        if self.sway_shown:
            self.sway.update_trace(trace[:, AP], trace[:, ML])
            if fb.summary_only:
                self.sway.update_dot(None, None, zone, False)
            else:
                self.sway.update_dot(ap, ml, zone, fb.show and self.feedback.visual)
        self._sound(ap, ml, fb.show)
        if now - self._last_metrics >= METRICS_EVERY_S:
            self._last_metrics = now
            self._numbers(live, trace, rows)

    def _sound(self, ap: float, ml: float, show: bool) -> None:
        if self.audio is None or not self.audio.playing:
            return
        if not (show and self.feedback.audio):
            self.audio.synth.silence()
            return
        f, p, g = map_tilt(ap, ml, self.sonify)
        self.audio.synth.set_target(float(f), float(p), float(g))

    def beep(self, kind: str) -> None:
        """A drill cue by ear (eyes-closed drills); independent of the feedback fading."""
        if self.audio is not None and self.audio.playing and self.feedback.audio:
            self.audio.synth.beep(kind)

    def current_metrics(self, live: LiveSession | None) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if live is None:
            return out
        m = live.update_metrics()
        for key in ("ellipse_area", "mean_velocity", "rms", "path_length"):
            if key in m and m[key] is not None and np.isfinite(m[key]):
                out[key] = float(m[key])
        if live.in_target_total:
            out["time_in_target_pct"] = 100.0 * live.in_target_count / live.in_target_total
        out["losses"] = float(len(live.losses_t_s))
        pct = self.drills.in_target_pct()
        if pct is not None:
            out["time_in_target_pct"] = pct
        return out

    def _numbers(self, live: LiveSession, trace: Any, rows: Any) -> None:
        values: dict[str, Any] = dict(self.current_metrics(live))
        if not self.sway_shown:  # a calf raise is not sway: blank, not misleading
            values.update(dict.fromkeys(SWAY_TILES))
        values["time_left_s"] = self.drills.remaining_s()
        self.metrics.set_values(values)
        if not self.sway_shown:
            return
        ell = prediction_ellipse(self.sway.ml_screen_sign * trace[:, ML], trace[:, AP])
        self.sway.update_ellipse(ell)
        # loss markers on the sway view: the tilt at each loss still in the buffer
        if live.losses_t_s:
            t = rows[:, T]
            lt = np.asarray(live.losses_t_s)
            lt = lt[(lt >= t[0]) & (lt <= t[-1])]
            idx = np.clip(np.searchsorted(t, lt), 0, len(t) - 1)
            self.sway.update_losses(rows[idx, AP].tolist(), rows[idx, ML].tolist())
        else:
            self.sway.update_losses([], [])
