"""Proprioception drills with known truth: joint position sense and the knee-to-wall lunge.

* ``joint-position-sense`` (foot, seated on a chair, foot flat = neutral): each trial the foot is
  turned to the shown target (held ``present`` s), back to neutral, then turned to the
  reproduced angle (target + the person's error) and held still, then back. Channels: ``inv``
  (inversion, sole turned toward the midline: a rotation about the foot's −x axis on the left leg,
  +x on the right) and ``pitch`` (plantarflexion, toes down: about +y). Truth events ``trial``:
  ``motion``, ``target_deg``, ``presented_deg``, ``reproduced_deg``, hold times.
* ``lunge-test`` (shank, standing, foot flat): the shank leans forward about the ankle to the
  lunge depth, holds, comes back. Truth events ``lunge``: ``depth_deg`` (the shank's
  inclination from vertical at the deepest point), ``t_deepest_s``.

With ``SimConfig.guide`` the person follows the guide's timed sets (``GuidedSet.stage``
present / reproduce / lunge) starting ``reaction_s`` after each "Go"; otherwise trials repeat
from ``LEAD_IN_S`` (targets 10° and 20° inversion, 15° plantarflexion).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from firmware_bridge.simulator import quat
from firmware_bridge.simulator.config import SimConfig
from firmware_bridge.simulator.motion import FOOT_SENSOR_M, SHANK_SENSOR_M, FloatArray, MotionBlock
from firmware_bridge.simulator.schedule import Plan, PlanItem, Pulse, Wobble

LEAD_IN_S = 3.0
DEFAULT_TARGETS = (("inversion", 10.0), ("inversion", 20.0), ("plantarflexion", 15.0))
MOVE_S = 1.5  # to a position
BACK_S = 1.2  # back to neutral
REPRODUCE_HOLD_S = 3.0
ERROR_SD_DEG = 3.0  # reproduction error of the simulated person
LUNGE_UP_S, LUNGE_HOLD_S, LUNGE_DOWN_S = 2.0, 2.0, 2.0
LUNGE_DEPTH_DEG = 40.0
CHANNELS = ("inv", "pitch", "lean")


def _signed(motion: str, deg: float) -> tuple[str, float]:
    """Channel and signed amplitude of a target movement."""
    if motion in ("inversion", "eversion"):
        return "inv", deg if motion == "inversion" else -deg
    return "pitch", deg if motion == "plantarflexion" else -deg


class PositionSenseMotion:
    """Joint-position-sense trials (see the module docstring)."""

    uses_mount = True

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.lat = config.lateral_sign
        self.foot = config.effective_placement == "foot"
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x9F05]))
        self.to_session = 1.0 + config.clock_drift_ppm * 1e-6
        self.plan = Plan(self._items(rng), CHANNELS, self.to_session)
        self.events = self.plan.events
        self.wobble = Wobble(config.true_rate_hz, 2, 0.15, 0.02)

    def _trial(self, rng: np.random.Generator, k: int, motion: str, target: float,
               t_present: float, present_hold: float, t_reproduce: float) -> list[PlanItem]:
        presented = target + float(rng.normal(0.0, 0.4))
        reproduced = max(1.0, target + float(rng.normal(0.0, ERROR_SD_DEG)))
        ch, a_p = _signed(motion, presented)
        _, a_r = _signed(motion, reproduced)
        p = Pulse(t_present, MOVE_S, present_hold, BACK_S, {ch: a_p})
        r = Pulse(t_reproduce, MOVE_S, REPRODUCE_HOLD_S, BACK_S, {ch: a_r})
        ev = {"type": "trial", "t_s": t_present, "index": k, "motion": motion,
              "target_deg": target, "presented_deg": presented, "reproduced_deg": reproduced,
              "t_presented_s": t_present + MOVE_S, "t_reproduced_s": t_reproduce + MOVE_S,
              "t_end_s": r.t_end}
        return [(p, ev), (r, None)]

    def _items(self, rng: np.random.Generator) -> Iterator[PlanItem]:
        guide = self.config.guide
        if guide is not None:
            to_true = 1.0 / self.to_session
            react = guide.reaction_s * to_true
            timed = guide.timed_windows()
            k = 0
            for j, gs in enumerate(guide.sets):
                if getattr(gs, "stage", None) != "present" or j + 1 >= len(guide.sets) \
                        or not timed:
                    continue
                go, stop = timed[j]
                go_r, _ = timed[j + 1]
                t_p = go * to_true + react
                hold = max(stop * to_true + react - t_p - MOVE_S, 0.5)
                yield from self._trial(rng, k, str(gs.motion or "inversion"),
                                       float(getattr(gs, "target_deg", None) or 10.0), t_p, hold,
                                       go_r * to_true + react)
                k += 1
            return
        t = LEAD_IN_S
        k = 0
        while True:
            motion, target = DEFAULT_TARGETS[k % len(DEFAULT_TARGETS)]
            t_r = t + MOVE_S + 3.0 + BACK_S + 3.0
            yield from self._trial(rng, k, motion, target, t, 3.0, t_r)
            t = t_r + MOVE_S + REPRODUCE_HOLD_S + BACK_S + 3.0
            k += 1

    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        ch = self.plan.block(t_true)
        wob, trem = self.wobble.block(rng, t_true.shape[0])
        inv = ch["inv"] + wob[0] + trem[0]
        pitch = ch["pitch"] + wob[1] + trem[1]
        q_inv = quat.from_axis_angle(np.array([-self.lat, 0.0, 0.0]), np.radians(inv))
        q_pf = quat.from_axis_angle(np.array([0.0, 1.0, 0.0]), np.radians(pitch))
        q_f = quat.multiply(q_pf, q_inv)
        extra = {"inversion_deg": inv, "plantarflexion_deg": pitch}
        if self.foot:
            return MotionBlock(quat_seg=q_f, pos_m=quat.rotate(q_f, FOOT_SENSOR_M), extra=extra)
        # sensor on the shank (wrong placement): the shank barely moves with the foot
        q_s = quat.from_tilt(np.radians(0.05 * pitch), np.radians(0.05 * inv))
        return MotionBlock(quat_seg=q_s, pos_m=quat.rotate(q_s, SHANK_SENSOR_M), extra=extra)


class LungeMotion:
    """Knee-to-wall lunges (see the module docstring)."""

    uses_mount = True

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.depth = config.amplitude_deg or LUNGE_DEPTH_DEG
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x1D6E]))
        self.to_session = 1.0 + config.clock_drift_ppm * 1e-6
        self.plan = Plan(self._items(rng), CHANNELS, self.to_session)
        self.events = self.plan.events
        self.wobble = Wobble(config.true_rate_hz, 2, 0.3, 0.05)

    def _lunge(self, rng: np.random.Generator, k: int, t: float, hold: float) -> list[PlanItem]:
        d = self.depth * float(rng.uniform(0.93, 1.05))
        p = Pulse(t, LUNGE_UP_S, hold, LUNGE_DOWN_S, {"lean": d})
        return [(p, {"type": "lunge", "t_s": t, "index": k, "depth_deg": d,
                     "t_deepest_s": t + LUNGE_UP_S + 0.5 * hold, "t_end_s": p.t_end})]

    def _items(self, rng: np.random.Generator) -> Iterator[PlanItem]:
        guide = self.config.guide
        if guide is not None:
            to_true = 1.0 / self.to_session
            react = guide.reaction_s * to_true
            for k, (go, _stop) in enumerate(guide.timed_windows()):
                yield from self._lunge(rng, k, go * to_true + react, LUNGE_HOLD_S)
            return
        t = LEAD_IN_S
        k = 0
        while True:
            yield from self._lunge(rng, k, t, LUNGE_HOLD_S)
            t += LUNGE_UP_S + LUNGE_HOLD_S + LUNGE_DOWN_S + (self.config.rest_s or 5.0)
            k += 1

    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        ch = self.plan.block(t_true)
        wob, trem = self.wobble.block(rng, t_true.shape[0])
        # the wobble is sway in the frontal plane and a little in the sagittal plane
        lean = ch["lean"] + 0.3 * wob[0] + trem[0]
        ml = wob[1] + trem[1]
        q_s = quat.from_tilt(np.radians(lean), np.radians(ml))
        extra: dict[str, Any] = {"shank_lean_deg": lean}
        if self.config.effective_placement == "foot":  # foot stays flat
            q_f = quat.from_tilt(np.radians(0.02 * lean), np.radians(0.1 * ml))
            return MotionBlock(quat_seg=q_f, pos_m=quat.rotate(q_f, FOOT_SENSOR_M), extra=extra)
        return MotionBlock(quat_seg=q_s, pos_m=quat.rotate(q_s, SHANK_SENSOR_M), extra=extra)
