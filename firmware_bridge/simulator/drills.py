"""The seed drills' motions with known truth: reps, holds, stretch and warm-up.

Postures (segment frames: x anterior / toward the toes, y to the person's left, z up along the
segment or out of the dorsum of the foot):
* ``long-sit`` — sitting, leg straight out in front, heel on the floor (band inversion/eversion,
  warm-up): the shank lies horizontal (its z axis points back to the knee/hip) and the foot points
  up, relaxed ``LONG_SIT_FOOT_PITCH_DEG`` from horizontal.
* ``chair`` — sitting, knee bent, foot flat on the floor against a table leg (isometric holds).
* ``standing`` — standing, feet flat (calf raise: the heel rises about the balls of the foot and
  the shank rises and leans forward a little; calf stretch: the shank leans forward).

Channels (degrees): ``pitch`` plantarflexion of the foot (toes down/heel up, positive), ``inv``
inversion (sole turned toward the midline, positive; on the left leg that tilts the foot's z axis
toward +y, on the right leg toward −y), ``lean`` forward lean of the shank. ``SimConfig.posture``
overrides the drill's posture (e.g. ``chair`` for band drills done with the foot on the floor).
Truth tilt (``tilt_of`` the segment's z axis) is well defined only for a near-upright segment; for
the seated postures use the truth series ``inversion_deg`` / ``plantarflexion_deg``.
Events (session clock): ``set`` {t_s, t_end_s, index}; ``rep`` {t_s, t_peak_s, t_end_s,
amplitude_deg, motion, set, index}; ``hold`` {t_s, t_end_s, duration_s, motion, angle_deg?};
``disturbance`` {t_s, t_end_s, amplitude_deg}.
With ``SimConfig.guide`` the sets, reps, holds and rests are a drill guide's (``guide.py``) and
end with its last set; otherwise they repeat endlessly from ``LEAD_IN_S``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from firmware_bridge.simulator import quat
from firmware_bridge.simulator.config import SimConfig
from firmware_bridge.simulator.guide import GuideSchedule
from firmware_bridge.simulator.motion import (
    FOOT_SENSOR_M,
    SHANK_SENSOR_M,
    FloatArray,
    MotionBlock,
)
from firmware_bridge.simulator.schedule import Oscillation, Plan, PlanItem, Pulse, Wobble
from trainer.vocab.drills import drill_facts

LONG_SIT_FOOT_PITCH_DEG = -70.0  # toes up, 20° short of vertical (relaxed)
MTP_IN_FOOT_M = np.array([0.15, 0.0, -0.07])  # balls of the foot relative to the ankle joint
SHANK_LEAN_PER_PITCH = 0.15  # calf raise: shank lean per degree of heel rise
SHANK_CO_ROTATION = 0.1  # long-sit/chair: shank turns this much with inversion (hip rotation)
LEAD_IN_S = 2.0


@dataclass(frozen=True)
class DrillDefaults:
    """How the simulated person does a drill (posture, amplitude, wobble). Sets, reps, holds,
    tempo and rests are the catalog's (``trainer.vocab.drills``): ``reps`` and ``tempo_s`` here
    only where the catalog has none (the warm-up's circles)."""

    posture: str
    amplitude_deg: float
    wobble_deg: float = 0.3
    tremor_deg: float = 0.05
    reps: int = 0
    tempo_s: float = 0.0

    def plan(self, drill_id: str) -> tuple[int, float, float, float]:
        """(reps per set — holds per set for hold drills —, tempo_s, hold_s, rest_s) from the
        catalog's defaults."""
        facts = drill_facts(drill_id)
        c = facts.defaults
        reps = int(c.get("reps", self.reps) if facts.counts_reps else c.get("sets", 1))
        return (reps, float(c.get("tempo_s", self.tempo_s)), float(c.get("hold_s", 0.0)),
                float(c.get("rest_s", 0.0)))


DEFAULTS = {
    "ankle-inversion": DrillDefaults("long-sit", 20.0),
    "ankle-eversion": DrillDefaults("long-sit", 15.0),
    "isometric-inversion": DrillDefaults("chair", 1.0, 0.15, 0.015),
    "isometric-eversion": DrillDefaults("chair", 1.0, 0.15, 0.015),
    "calf-raise": DrillDefaults("standing", 25.0, 0.3, 0.05),
    "calf-stretch": DrillDefaults("standing", 15.0, 0.3, 0.05),
    "warm-up": DrillDefaults("long-sit", 20.0, reps=10, tempo_s=1.5),
}
CHANNELS = ("pitch", "inv", "lean", "effort")


class DrillMotion:
    """A drill's scripted motion plus wobble, as segment orientation and sensor position."""

    uses_mount = True

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        d = DEFAULTS[config.scenario]
        self.d = d
        self.posture = config.posture or d.posture
        reps, tempo_s, hold_s, rest_s = d.plan(config.scenario)
        self.reps = reps if config.reps is None else config.reps
        self.tempo = config.tempo_s or tempo_s
        self.amp = config.amplitude_deg or d.amplitude_deg
        self.hold = config.hold_s or hold_s
        self.rest = config.rest_s if config.rest_s is not None else rest_s
        self.lat = config.lateral_sign
        self.foot = config.effective_placement == "foot"
        rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x5CED]))
        self.plan_to_session = 1.0 + config.clock_drift_ppm * 1e-6
        self.plan = Plan(self._items(rng), CHANNELS, self.plan_to_session)
        self.events = self.plan.events
        self.wobble = Wobble(config.true_rate_hz, 2, d.wobble_deg, d.tremor_deg)

    # ------------------------------------------------------------------ plans
    def _items(self, rng: np.random.Generator) -> Iterator[PlanItem]:
        sid = self.config.scenario
        if self.config.guide is not None:
            return self._guided_plan(rng, self.config.guide)
        if sid in ("ankle-inversion", "ankle-eversion", "calf-raise"):
            return self._rep_plan(rng)
        if sid in ("isometric-inversion", "isometric-eversion", "calf-stretch"):
            return self._hold_plan(rng)
        return self._warmup_plan(rng)

    def _rep_plan(self, rng: np.random.Generator) -> Iterator[PlanItem]:
        t = LEAD_IN_S
        s = 0
        while self.reps > 0:
            items, t = self._rep_set(rng, t, self.reps, s)
            yield from items
            t += self.rest
            s += 1

    def _rep_set(self, rng: np.random.Generator, t: float, n: int,
                 s: int) -> tuple[list[PlanItem], float]:
        """One set of ``n`` reps from ``t``: its items (set event first) and the time after the
        last rep's pause."""
        sid = self.config.scenario
        channel, sign, motion = {
            "ankle-inversion": ("inv", 1.0, "inversion"),
            "ankle-eversion": ("inv", -1.0, "eversion"),
            "calf-raise": ("pitch", 1.0, "plantarflexion"),
        }[sid]
        up_f, top_f, down_f = (0.35, 0.15, 0.5) if sid == "calf-raise" else (0.3, 0.1, 0.5)
        reps: list[PlanItem] = []
        t_set = t
        t_end = t
        for i in range(n):
            tempo = self.tempo * float(rng.uniform(0.8, 1.25))
            a = self.amp * float(rng.uniform(0.8, 1.1))
            p = Pulse(t, up_f * tempo, top_f * tempo, down_f * tempo, {channel: sign * a})
            ev = {"type": "rep", "t_s": t, "t_peak_s": t + p.up + 0.5 * p.top,
                  "t_end_s": p.t_end, "amplitude_deg": a, "motion": motion, "set": s,
                  "index": i}
            reps.append((p, ev))
            t_end = p.t_end
            t = p.t_end + 0.1 * tempo + float(rng.uniform(0.1, 0.5))
        head: PlanItem = (None, {"type": "set", "t_s": t_set, "t_end_s": t_end, "index": s})
        return [head, *reps], t

    def _hold_plan(self, rng: np.random.Generator) -> Iterator[PlanItem]:
        t = LEAD_IN_S
        i = 0
        while self.reps > 0:
            hold = self.hold * float(rng.uniform(0.95, 1.05))
            items, t_end = self._hold(rng, t, hold, i)
            yield from items
            t = t_end + self.rest * float(rng.uniform(0.9, 1.1))
            i += 1

    def _hold(self, rng: np.random.Generator, t: float, hold: float,
              i: int) -> tuple[list[PlanItem], float]:
        """Hold ``i``: rise from ``t``, hold ``hold`` s, release; its items and when it ends."""
        sid = self.config.scenario
        stretch = sid == "calf-stretch"
        sign = -1.0 if sid == "isometric-eversion" else 1.0
        channel = "lean" if stretch else "inv"
        motion = "stretch" if stretch else sid.split("-")[1]
        up, down = self.hold_ramps()
        a = self.amp * float(rng.uniform(0.85, 1.1))
        amps = {channel: sign * a, "effort": 1.0}
        p = Pulse(t, up, hold, down, amps)
        ev: dict[str, Any] = {"type": "hold", "t_s": t + up, "t_end_s": t + up + hold,
                              "duration_s": hold, "motion": motion, "index": i}
        if stretch:
            ev["angle_deg"] = a
        out: list[PlanItem] = [(p, ev)]
        if self.config.hold_disturbance and not stretch and i % 3 == 1:
            da = float(rng.uniform(8.0, 12.0))
            t_d = t + up + 0.5 * hold
            dp = Pulse(t_d, 0.3, 0.2, 0.4, {"inv": sign * da})
            out.append((dp, {"type": "disturbance", "t_s": t_d, "t_end_s": dp.t_end,
                             "amplitude_deg": da, "index": i}))
        return out, p.t_end

    def hold_ramps(self) -> tuple[float, float]:
        """(rise, release) of a hold, seconds."""
        return (2.5, 2.0) if self.config.scenario == "calf-stretch" else (0.8, 0.5)

    def _warmup_plan(self, rng: np.random.Generator) -> Iterator[PlanItem]:
        t = LEAD_IN_S
        s = 0
        while self.reps > 0:
            f = 1.0 / self.tempo
            pumps = Oscillation(t, self.reps / f, f, {"pitch": (self.amp, 0.0)}, ramp=0.3)
            yield pumps, {"type": "set", "t_s": t, "t_end_s": pumps.t_end, "index": s,
                          "motion": "pump"}
            yield from self._cycles(pumps, "pump", s)
            t = pumps.t_end + 3.0
            for direction, ph in (("clockwise", math.pi / 2), ("counter-clockwise", -math.pi / 2)):
                fc = 0.4 * float(rng.uniform(0.9, 1.1))
                a = 0.8 * self.amp
                circ = Oscillation(t, 8 / fc, fc, {"pitch": (a, 0.0), "inv": (a, ph)}, ramp=0.3)
                yield circ, {"type": "set", "t_s": t, "t_end_s": circ.t_end, "index": s,
                             "motion": "circle", "direction": direction}
                yield from self._cycles(circ, "circle", s)
                t = circ.t_end + 2.0
            t += self.rest
            s += 1

    def _guided_plan(self, rng: np.random.Generator, guide: GuideSchedule) -> Iterator[PlanItem]:
        """The sets of a drill guide (session clock → true clock): each set begins
        ``reaction_s`` after the guide's "Go"; a hold lasts until ``reaction_s`` after its
        "stop"; after a set of reps the person rests the guide's rest and countdown (the guide
        ends such a set when it counts the last rep, before the rep is over). Then nothing."""
        to_true = 1.0 / self.plan_to_session
        react = guide.reaction_s * to_true
        timed = guide.timed_windows()
        t = guide.first_go_s * to_true + react
        circles = 0
        for k, gs in enumerate(guide.sets):
            if gs.work == "hold" and timed:
                go, stop = timed[k]
                up, _ = self.hold_ramps()
                t = go * to_true + react
                hold = max(stop * to_true + react - t - up, 0.0)
                items, _ = self._hold(rng, t, hold, k)
                yield from items
                continue
            if gs.motion in ("pump", "circle"):
                items = self._warmup_block(rng, t, gs.motion, gs.reps or 1, k, circles)
                circles += gs.motion == "circle"
            else:
                items, _ = self._rep_set(rng, t, gs.reps or 1, k)
            yield from items
            head = items[0][1]
            assert head is not None
            t_end = float(head["t_end_s"])
            t = t_end + guide.after_rest_s(k) * to_true + react

    def _warmup_block(self, rng: np.random.Generator, t: float, motion: str, n: int, s: int,
                      circles: int) -> list[PlanItem]:
        """One guided warm-up block from ``t``: ``n`` pumps or circles (clockwise first, then
        alternating); the oscillation with its set event, then the cycles' events."""
        if motion == "pump":
            f = 1.0 / self.tempo
            osc = Oscillation(t, n / f, f, {"pitch": (self.amp, 0.0)}, ramp=0.3)
            head: dict[str, Any] = {"type": "set", "t_s": t, "t_end_s": osc.t_end,
                                    "index": s, "motion": "pump"}
        else:
            direction, ph = ((("clockwise", math.pi / 2), ("counter-clockwise", -math.pi / 2))
                             [circles % 2])
            fc = 0.4 * float(rng.uniform(0.9, 1.1))
            a = 0.8 * self.amp
            osc = Oscillation(t, n / fc, fc, {"pitch": (a, 0.0), "inv": (a, ph)}, ramp=0.3)
            head = {"type": "set", "t_s": t, "t_end_s": osc.t_end, "index": s,
                    "motion": "circle", "direction": direction}
        return [(osc, head), *self._cycles(osc, motion, s)]

    @staticmethod
    def _cycles(osc: Oscillation, motion: str, s: int) -> Iterator[PlanItem]:
        period = 1.0 / osc.freq_hz
        amp = osc.amps["pitch"][0]
        for i in range(round(osc.duration * osc.freq_hz)):
            t0 = osc.t0 + i * period
            t_peak = np.array([t0 + 0.25 * period])
            peak = float(osc.channel(t_peak, "pitch")[0])
            yield None, {"type": "rep", "t_s": t0, "t_peak_s": float(t_peak[0]),
                         "t_end_s": t0 + period, "amplitude_deg": abs(peak) if amp else 0.0,
                         "motion": motion, "set": s, "index": i}

    # ------------------------------------------------------------------ kinematics
    def block(self, t_true: FloatArray, rng: np.random.Generator) -> MotionBlock:
        ch = self.plan.block(t_true)
        wob, trem = self.wobble.block(rng, t_true.shape[0])
        if self.config.scenario.startswith("isometric"):
            # contraction: more tremor, less fidgeting than when relaxed
            effort = ch["effort"]
            w = wob * (1.0 - 0.5 * effort) + trem * (1.0 + 1.5 * effort)
        else:
            w = wob + trem
        if self.posture == "standing":
            pitch = ch["pitch"] + 0.05 * w[0]
            lean = ch["lean"] + SHANK_LEAN_PER_PITCH * ch["pitch"] + w[0]
            q, pos = self._standing(pitch, lean, w[1])
            extra = {"plantarflexion_deg": pitch, "shank_lean_deg": lean}
        else:
            pitch = ch["pitch"] + w[0]
            inv = ch["inv"] + w[1]
            q, pos = self._seated(pitch, inv)
            extra = {"plantarflexion_deg": pitch, "inversion_deg": inv}
        return MotionBlock(quat_seg=q, pos_m=pos, extra=extra)

    def _seated(self, pitch_deg: FloatArray, inv_deg: FloatArray) -> tuple[FloatArray, FloatArray]:
        p0 = LONG_SIT_FOOT_PITCH_DEG if self.posture == "long-sit" else 0.0
        if self.foot:
            roll = -self.lat * np.radians(inv_deg)
            q = quat.from_euler_zyx(0.0, np.radians(p0 + pitch_deg), roll)
            return q, quat.rotate(q, FOOT_SENSOR_M)
        s0 = -90.0 if self.posture == "long-sit" else 0.0
        base = quat.from_euler_zyx(0.0, np.radians(s0 + 0.05 * pitch_deg), 0.0)
        twist = quat.from_axis_angle(
            np.array([0.0, 0.0, 1.0]), self.lat * SHANK_CO_ROTATION * np.radians(inv_deg)
        )
        q = quat.multiply(base, twist)
        return q, quat.rotate(q, SHANK_SENSOR_M)

    def _standing(
        self, pitch_deg: FloatArray, lean_deg: FloatArray, sway_ml_deg: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        zero = np.zeros(pitch_deg.shape[0])
        q_f = quat.from_euler_zyx(zero, np.radians(pitch_deg), -0.1 * np.radians(sway_ml_deg))
        if self.foot:  # heel rise about the balls of the foot; flat during a stretch
            return q_f, MTP_IN_FOOT_M + quat.rotate(q_f, FOOT_SENSOR_M - MTP_IN_FOOT_M)
        ankle = MTP_IN_FOOT_M + quat.rotate(q_f, -MTP_IN_FOOT_M)
        q_s = quat.from_tilt(np.radians(lean_deg), np.radians(sway_ml_deg))
        return q_s, ankle + quat.rotate(q_s, SHANK_SENSOR_M)
