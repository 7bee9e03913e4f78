"""The drills as segment motions (see ``model``): band inversion/eversion in long sitting,
standing calf raises, the calf stretch and isometric pushes, on the foot or on the shank.

Anatomy used (textbook values, varied per person):
- the foot turns in/out about an oblique axis: from the heel forward along the foot, tilted up
  toward the dorsum by 0-35° and medially by 0-20° (a subtalar-like axis), not the foot's long
  axis; the leg rolls a little at the hip with it;
- in a calf raise the foot pivots on the forefoot (MTP joints), the ankle sits 12-16 cm behind and
  7-9 cm above them, the heel rises 6-13 cm (foot 18-36°); the shank leans 4-16° with the rise
  (the body moves over the forefoot) and the heel inverts a little;
- the calf stretch is a 10-25° forward lean of the shank held still with the heel down.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.spatial.transform import Rotation

from tests.bodymodel.model import (
    Arr,
    PoseFn,
    Profile,
    Recording,
    SensorErrors,
    Sway,
    TrueHold,
    TrueRep,
    _axis_rot,
    _rot,
    profile_from,
    random_strapping,
    read_imu,
    rep_schedule,
)

#: The smallest full rep the model makes, per drill (degrees of foot rotation; calf raise:
#: of foot angle). Partial reps are 20-45 % of the set's own range (see ``rep_schedule``).
FULL_MIN = {"ankle-inversion": 10.0, "ankle-eversion": 8.0, "calf-raise": 12.0}


def documented_strapping(placement: str) -> Rotation:
    """The README's strapping (sensor->segment): shank front (+Z forward, X along the shank),
    foot top (+Z up, X toward the toes)."""
    if placement == "foot":
        return Rotation.identity()
    # sensor x -> segment z (up the shank), sensor z -> segment x (forward), y completes
    m = np.array([[0.0, 0.0, 1.0], [0.0, -1.0, 0.0], [1.0, 0.0, 0.0]])
    return Rotation.from_matrix(m)


def _finish(rec_drill: str, placement: str, side: str, fs: float, t: Arr, pose: PoseFn,
            strap: Rotation, errors: SensorErrors, rng: np.random.Generator,
            reps: list[TrueRep] | None = None, holds: list[TrueHold] | None = None,
            note: str = "") -> Recording:
    acc, gyr = read_imu(pose, strap, t, errors, rng)
    offset = float(rng.uniform(0.0, 500.0))
    return Recording(rec_drill, placement, side, fs, t + offset, acc, gyr,
                     [TrueRep(r.t_start_s + offset, r.t_peak_s + offset, r.t_end_s + offset,
                              r.amplitude, r.full, r.rise_cm) for r in (reps or [])],
                     [TrueHold(h.t_start_s + offset, h.t_end_s + offset) for h in (holds or [])],
                     note, pose(t)[1][:, 2])


# ------------------------------------------------------------ band inversion / eversion


def band_reps(rng: np.random.Generator, drill: str, side: str, placement: str = "foot",
              n_full: int = 10, fs: float = 100.0, strap: Rotation | None = None,
              errors: SensorErrors | None = None, tempo: tuple[float, float] = (0.8, 5.0)
              ) -> Recording:
    lat = 1.0 if side == "left" else -1.0
    inv = 1.0 if drill == "ankle-inversion" else -1.0
    # long sitting: shank horizontal (heel on a cushion: 0-12° up toward the knee), foot up
    beta = math.radians(rng.uniform(0, 12))
    p_foot = math.radians(rng.uniform(15, 40))  # toes pointing up, tilted away by p
    heading = math.radians(rng.uniform(-10, 10))
    # segment->world at rest: shank z toward the knee (backward), x up; foot x up-forward
    shank0 = (Rotation.from_euler("z", heading)
              * Rotation.from_matrix(np.array([[math.sin(beta), 0.0, -math.cos(beta)],
                                               [0.0, 1.0, 0.0],
                                               [math.cos(beta), 0.0, math.sin(beta)]])))
    foot0 = (Rotation.from_euler("z", heading)
             * Rotation.from_matrix(np.array([[math.sin(p_foot), 0.0, -math.cos(p_foot)],
                                              [0.0, 1.0, 0.0],
                                              [math.cos(p_foot), 0.0, math.sin(p_foot)]])))
    eps = math.radians(rng.uniform(0, 35))
    dlt = math.radians(rng.uniform(0, 20))
    medial = -lat
    axis = np.array([math.cos(eps) * math.cos(dlt), medial * math.cos(eps) * math.sin(dlt),
                     math.sin(eps)])
    full_min = FULL_MIN[drill]
    hi = 30.0 if drill == "ankle-inversion" else 22.0
    plans = rep_schedule(rng, n_full, (full_min + 3.0, hi), t0=rng.uniform(2.5, 4.0),
                         tempo=tempo)
    angle = profile_from(plans)  # degrees of turn, >= 0
    roll_k = rng.uniform(0.0, 0.2)  # the leg rolls with the foot (hip rotation)
    roll_sway = Sway(rng, math.radians(1.0), 0.05, 0.5)
    sway_ap = Sway(rng, math.radians(0.4), 0.1, 1.0)
    t_end = plans[-1].t_end + rng.uniform(2.0, 4.0)
    t = np.arange(int(t_end * fs)) / fs
    ankle = np.array([0.45, 0.0, 0.08])

    def roll(tt: Arr) -> Arr:
        # inversion rolls the leg outward: about the shank axis, same sign as the foot's turn
        return -lat * inv * roll_k * np.radians(angle(tt)) + roll_sway(tt)

    def shank_rot(tt: Arr) -> Rotation:
        return shank0 * _rot("z", roll(tt)) * _rot("x", sway_ap(tt) * 0.3)

    def foot_pose(tt: Arr) -> tuple[Rotation, Arr]:
        turn = -lat * inv * np.radians(angle(tt))  # left inversion: negative about +axis
        r = shank_rot(tt) * shank0.inv() * foot0 * _axis_rot(axis, turn)
        return r, ankle + r.apply(np.array([0.07, 0.0, 0.03]))

    def shank_pose(tt: Arr) -> tuple[Rotation, Arr]:
        r = shank_rot(tt)
        return r, ankle + r.apply(np.array([0.03, 0.0, 0.10]))

    pose = foot_pose if placement == "foot" else shank_pose
    reps = [TrueRep(p.t_start, p.t_peak, p.t_end, p.amplitude, p.full) for p in plans]
    return _finish(drill, placement, side, fs, t, pose,
                   strap if strap is not None else random_strapping(rng),
                   errors or SensorErrors.random(rng), rng, reps=reps,
                   note=f"axis elev {math.degrees(eps):.0f}° med {math.degrees(dlt):.0f}°, "
                        f"roll {roll_k:.2f}")


# ----------------------------------------------------------------------- calf raise


def calf_raise(rng: np.random.Generator, side: str, placement: str = "shank",
               n_full: int = 10, fs: float = 100.0, strap: Rotation | None = None,
               errors: SensorErrors | None = None, stance: str | None = None,
               lean_range: tuple[float, float] = (4.0, 16.0),
               tempo: tuple[float, float] = (0.8, 5.0)) -> Recording:
    lat = 1.0 if side == "left" else -1.0
    stance = stance or str(rng.choice(["both", "single"]))
    l_a = rng.uniform(0.12, 0.16)  # ankle behind the MTP joints
    h_a = rng.uniform(0.07, 0.09)  # ankle above the floor
    l_heel = l_a + rng.uniform(0.05, 0.07)
    heading = math.radians(rng.uniform(-15, 15))  # toe-out
    full_min = FULL_MIN["calf-raise"]
    plans = rep_schedule(rng, n_full, (full_min + 6.0, 36.0), t0=rng.uniform(2.5, 4.0),
                         tempo=tempo)
    phi = profile_from(plans)  # foot angle, degrees
    amp_set = max(p.amplitude for p in plans if p.full)
    lean_per_deg = rng.uniform(*lean_range) / amp_set  # shank lean per degree of foot angle
    lean_sign = 1.0 if rng.random() < 0.85 else -1.0  # most lean forward, some back
    knee_k = rng.uniform(0.0, 0.25)  # some bend the knee a little: more shank lean
    lean0 = math.radians(rng.uniform(-3, 5))
    sway_amp = 0.8 if stance == "single" else 0.35
    sway_ap = Sway(rng, math.radians(sway_amp), 0.1, 1.0)
    sway_ml = Sway(rng, math.radians(sway_amp * 1.5), 0.1, 1.0)
    heel_inv = rng.uniform(0.0, 0.25)
    t_end = plans[-1].t_end + rng.uniform(2.0, 4.0)
    t = np.arange(int(t_end * fs)) / fs
    yaw = Rotation.from_euler("z", heading)

    def foot_rot(tt: Arr) -> Rotation:
        ph = np.radians(phi(tt))
        return yaw * _rot("y", ph) * _rot("x", -lat * heel_inv * ph)  # the heel inverts a little

    def ankle_pos(tt: Arr) -> Arr:
        return foot_rot(tt).apply(np.array([-l_a, 0.0, h_a]))

    def shank_rot(tt: Arr) -> Rotation:
        ph = np.radians(phi(tt))
        lean = lean0 + lean_sign * (lean_per_deg + knee_k * 0.1) * ph + sway_ap(tt)
        return yaw * _rot("y", lean) * _rot("x", sway_ml(tt))

    def shank_pose(tt: Arr) -> tuple[Rotation, Arr]:
        r = shank_rot(tt)
        return r, ankle_pos(tt) + r.apply(np.array([0.035, 0.0, 0.11]))

    def foot_pose(tt: Arr) -> tuple[Rotation, Arr]:
        r = foot_rot(tt)
        return r, r.apply(np.array([-0.06, 0.0, 0.06]))

    pose = foot_pose if placement == "foot" else shank_pose
    reps = [TrueRep(p.t_start, p.t_peak, p.t_end, p.amplitude, p.full,
                    100.0 * l_heel * math.sin(math.radians(p.amplitude))) for p in plans]
    return _finish("calf-raise", placement, side, fs, t, pose,
                   strap if strap is not None else random_strapping(rng),
                   errors or SensorErrors.random(rng), rng, reps=reps,
                   note=f"{stance} leg, lean {lean_sign * lean_per_deg * amp_set:.1f}°/rep")


# ---------------------------------------------------------------------------- holds


def calf_stretch(rng: np.random.Generator, side: str, n_holds: int = 3, fs: float = 100.0,
                 strap: Rotation | None = None, errors: SensorErrors | None = None
                 ) -> Recording:
    """Shank sensor: lean into the stretch, hold 15-40 s nearly still, come out, rest."""
    lean = Profile(0.0)
    holds: list[TrueHold] = []
    t = rng.uniform(3.0, 5.0)
    for _ in range(n_holds):
        depth = rng.uniform(10.0, 25.0)
        t_in = rng.uniform(1.0, 3.0)
        hold = rng.uniform(15.0, 40.0)
        lean.move(t, t + t_in, depth)
        holds.append(TrueHold(t + t_in, t + t_in + hold))
        t += t_in + hold
        lean.move(t, t + rng.uniform(1.0, 2.5), 0.0)
        t += rng.uniform(8.0, 15.0)
    sway_ap = Sway(rng, math.radians(0.4), 0.1, 1.0)
    sway_ml = Sway(rng, math.radians(0.5), 0.1, 1.0)
    heading = math.radians(rng.uniform(-15, 15))
    tt_all = np.arange(int(t * fs)) / fs

    def pose(tt: Arr) -> tuple[Rotation, Arr]:
        r = (_rot("z", np.full(tt.size, heading)) * _rot("y", np.radians(lean(tt)) + sway_ap(tt))
             * _rot("x", sway_ml(tt)))
        return r, np.array([0.0, 0.0, 0.08]) + r.apply(np.array([0.035, 0.0, 0.11]))

    return _finish("calf-stretch", "shank", side, fs, tt_all, pose,
                   strap if strap is not None else random_strapping(rng),
                   errors or SensorErrors.random(rng), rng, holds=holds)


def isometric(rng: np.random.Generator, drill: str, side: str, placement: str = "foot",
              n_holds: int = 4, fs: float = 100.0, strap: Rotation | None = None,
              errors: SensorErrors | None = None) -> Recording:
    """Seated, the foot pushed against a fixed object: no movement, only muscle tremor (8-12 Hz)
    rising with the effort, and a creep of a degree or so as the skin and band give."""
    effort = Profile(0.0)
    holds: list[TrueHold] = []
    t = rng.uniform(3.0, 5.0)
    for _ in range(n_holds):
        ramp = rng.uniform(0.5, 1.5)
        hold = rng.uniform(5.0, 15.0)
        effort.move(t, t + ramp, 1.0)
        holds.append(TrueHold(t + ramp * 0.5, t + ramp + hold + 0.25))
        t += ramp + hold
        effort.move(t, t + 0.5, 0.0)
        t += rng.uniform(6.0, 12.0)
    f_tremor = rng.uniform(8.5, 11.5)
    trem_amp = math.radians(rng.uniform(0.02, 0.05))  # rad of tremor at full effort
    creep = math.radians(rng.uniform(0.3, 1.5))
    base = math.radians(0.004)
    heading = math.radians(rng.uniform(-10, 10))
    tt_all = np.arange(int(t * fs)) / fs
    ph = rng.uniform(0, 2 * np.pi, 3)
    scale = 1.0 if placement == "foot" else 0.35  # the shank hardly shares the foot's tremor

    def pose(tt: Arr) -> tuple[Rotation, Arr]:
        e = effort(tt)
        jitter = np.stack([np.sin(2 * np.pi * f_tremor * k * tt + ph[i])
                           for i, k in enumerate((1.0, 1.07, 0.93))], axis=1)
        rv = (base + scale * trem_amp * e)[:, None] * jitter
        rv[:, 0] += scale * creep * e
        r = _rot("z", np.full(tt.size, heading)) * Rotation.from_rotvec(rv)
        return r, np.array([0.4, 0.0, 0.1]) + r.apply(np.array([0.05, 0.0, 0.03]))

    return _finish(drill, placement, side, fs, tt_all, pose,
                   strap if strap is not None else random_strapping(rng),
                   errors or SensorErrors.random(rng), rng, holds=holds)
