"""Single-leg balance: the stance pendulum with optional losses of balance."""

from __future__ import annotations

from typing import Any

import numpy as np

from firmware_bridge.simulator.config import SimConfig
from firmware_bridge.simulator.motion import (
    FOOT_SENSOR_M,
    SHANK_SENSOR_M,
    FloatArray,
    MotionBlock,
    segment_motion,
)
from firmware_bridge.simulator.stance import (
    DOUBLE_STANCE_MEDIAL_DEG,
    DOUBLE_STANCE_SWAY,
    BalanceLossSchedule,
    StancePendulum,
    StanceSets,
    condition_factor,
)

#: On the foot (flat on the floor) only a little of the sway shows: rolling on the foot's edges.
FOOT_ML_FRACTION = 0.1
FOOT_AP_FRACTION = 0.02


class BalanceMotion:
    """Shank (or foot) tilt of a person standing on the instrumented leg."""

    uses_mount = True

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.events: list[dict[str, Any]] = []
        scale = config.sway_scale * condition_factor(config.eyes, config.surface)
        self.pendulum = StancePendulum(config.true_rate_hz, scale, config.surface)
        self.to_session = 1.0 + config.clock_drift_ppm * 1e-6
        self.sets = (
            None if config.hold_s is None
            else StanceSets(config.hold_s, 20.0 if config.rest_s is None else config.rest_s,
                            config.reps)
        )
        if config.guide is not None:  # lift the foot after each "Go", put it down after "stop"
            react = config.guide.reaction_s
            self.sets = StanceSets(0.0, 0.0, None, windows=tuple(
                ((go + react) / self.to_session, (stop + react) / self.to_session)
                for go, stop in config.guide.timed_windows()))
        self._t_last = -1.0
        self.losses = BalanceLossSchedule(
            seed=config.seed,
            times_true=tuple(t / self.to_session for t in config.balance_loss_times_s),
            rate_per_min=config.balance_loss_rate_per_min,
            lateral_sign=config.lateral_sign,
            allowed=None if self.sets is None else self._loss_allowed,
        )
        self._published = 0
        self.foot = config.effective_placement == "foot"

    def _loss_allowed(self, t: float) -> bool:
        assert self.sets is not None
        return self.sets.in_hold(t, margin_start=1.0, margin_end=1.5)

    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        n = t_true.shape[0]
        sway = self.pendulum.block(rng, n)
        loss_tilt, jolt = self.losses.block(t_true)
        double = self.losses.double_stance(t_true)  # on both feet after a loss
        if self.sets is not None or double.any():
            if self.sets is not None:
                single, planned = self.sets.single(t_true)
                self.events.extend(
                    self.sets.events_between(self._t_last, float(t_true[-1]), self.to_session)
                )
                self._t_last = float(t_true[-1])
            else:
                single = np.ones(n)
            single = single * (1.0 - double)
            k = DOUBLE_STANCE_SWAY[:, None]  # per plane (AP, ML)
            sway = sway * (k + (1.0 - k) * single[None, :])
            medial = self.config.lateral_sign * np.radians(DOUBLE_STANCE_MEDIAL_DEG)
            sway[1] -= medial * (1.0 - single)
        if self.sets is not None:
            jolt = jolt + planned
        tilt = sway + loss_tilt
        for ev in self.losses.events[self._published :]:
            if ev.t_onset <= t_true[-1]:
                self.events.append(ev.as_event(self.to_session))
                self._published += 1
        jolt_seg = np.zeros((n, 3))
        jolt_seg[:, 2] = jolt
        if self.foot:
            q, pos = segment_motion(
                tilt[0] * FOOT_AP_FRACTION, tilt[1] * FOOT_ML_FRACTION, FOOT_SENSOR_M
            )
        else:
            q, pos = segment_motion(tilt[0], tilt[1], SHANK_SENSOR_M)
        return MotionBlock(
            quat_seg=q,
            pos_m=pos,
            jolt_seg_g=jolt_seg,
            extra={"sway_ap_deg": np.degrees(tilt[0]), "sway_ml_deg": np.degrees(tilt[1])},
        )
