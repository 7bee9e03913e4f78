"""Rep drills measured on real bodies: any strapping, the foot or the shank, full and partial reps.

- Band inversion / eversion (foot): the rep angle is the rotation about the movement's own axis
  (``trainer.drills.axis.AxisAngle``, signed with gravity and the side); with a mounting
  calibration the foot's anatomical long axis. ROM in degrees of that rotation.
- Calf raise on the foot: the foot's rotation about its own axis, signed by the rise.
- Calf raise on the shank: the shank leans (4-16°) as the heel rises; the lean about its own axis
  (signed by the rise) finds the reps, the sensor's vertical rise from the accelerometer (double
  integration between the rep's onset and end with zero velocity at both) confirms each one and
  gives the foot angle (ROM) and the heel rise in cm, through the foot's lever geometry.

A rep whose ROM is below the drill's ``full_rom_deg`` (the level's minimum) is kept as a
*partial* rep: shown and stored, not counted toward the target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from trainer.drills.axis import AxisAngle, rise_between, up_from_quat, up_from_tilt
from trainer.drills.catalog import DrillSpec
from trainer.drills.detectors import FloatArray, Rep, RepCounter, estimate_gyro_bias

SHANK_LOCK_PATH_DEG = 8.0
FOOT_LOCK_PATH_DEG = 20.0
SHANK_MIN_LEAN_DEG = 2.0  # the shank's lean over a calf raise (4-16° in real heel raises)
MIN_RISE_CM = 1.0  # a shank "rep" that rises less is sway, not a heel raise
OWN_FRACTION = 0.5  # a rep below half the person's own range is partial
SENSOR_FRONT_M = 0.035  # the strap's centre: in front of the shin's axis …
SENSOR_UP_M = 0.10  # … and above the ankle joint


@dataclass
class Motion:
    """One recording's per-sample motion: time, gyro (segment frame when ``calibrated``, else the
    sensor's), the vertical acceleration (g, gravity removed; None without an accelerometer or
    orientation) and the gyro bias left over (estimated over still stretches)."""

    t_s: FloatArray
    gyr_dps: FloatArray
    fs_hz: float
    side: str
    calibrated: bool
    acc_vertical_g: FloatArray | None
    up: FloatArray | None = None

    def __post_init__(self) -> None:
        self.bias = estimate_gyro_bias(self.t_s, self.gyr_dps, self.fs_hz)


def vertical_acc_g(acc_g: FloatArray | None, quat_wxyz: FloatArray | None,
                   tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray, side: str,
                   calibrated: bool, up: FloatArray | None = None) -> FloatArray | None:
    """Vertical acceleration (g, + up, gravity removed) of the sensor: the accelerometer
    projected on Earth-up, taken from the orientation (sensor frame; ``up`` when already
    computed from it) or, for data already in the segment frame (calibrated mounting), from the
    anatomical tilt."""
    if acc_g is None:
        return None
    if calibrated:
        up = up_from_tilt(tilt_ap_deg, tilt_ml_deg, side)
    elif up is None and quat_wxyz is not None:
        up = up_from_quat(quat_wxyz)
    if up is None:
        return None
    av = np.einsum("ij,ij->i", np.asarray(acc_g, np.float64), up) - 1.0
    return np.asarray(np.nan_to_num(av), dtype=np.float64)


def foot_angle_from_rise(rise_m: float, ankle_behind_m: float = 0.14,
                         ankle_above_m: float = 0.08) -> float:
    """Foot angle (degrees) that lifts the ankle by ``rise_m`` when the foot pivots on the
    forefoot: the ankle sits ``ankle_behind_m`` behind and ``ankle_above_m`` above the MTP
    joints, so rise = L·sin φ − h·(1 − cos φ)."""
    r = math.hypot(ankle_behind_m, ankle_above_m)
    gamma = math.atan2(ankle_above_m, ankle_behind_m)
    x = (max(rise_m, 0.0) + ankle_above_m) / r
    return math.degrees(math.asin(min(x, 1.0)) - gamma)


class LiveReps:
    """Counts a rep drill's reps batch by batch (live) or at once (offline): the angle about
    the movement's axis (``AxisAngle``) into a ``RepCounter``; partial reps flagged as they come
    (against the level's minimum and the set's own range so far). On the shank the lean is
    counted; the rise that confirms each rep and gives its ROM is known once it is over
    (``axis_reps`` refines the reps offline).

    ``update(t, gyr, up, acc_v, max_reps)`` returns the new reps; ``consumed`` says how many
    input samples were used (``max_reps`` reached: feed the rest again later)."""

    def __init__(self, spec: DrillSpec, side: str, placement: str, fs_hz: float,
                 calibrated: bool = False, bias_dps: FloatArray | None = None) -> None:
        det = spec.detection
        lat = 1.0 if side == "left" else -1.0
        self.calf = spec.id == "calf-raise"
        self.shank = placement == "shank"
        if self.calf:
            lock = SHANK_LOCK_PATH_DEG if self.shank else FOOT_LOCK_PATH_DEG
            self.angle = AxisAngle(fs_hz, "rise", 1.0, lock, bias_dps=bias_dps)
        else:
            inv = 1.0 if det.get("motion") == "inversion" else -1.0
            direction = -lat * inv  # left inversion: a negative turn about the toes-up axis
            given = np.array([direction, 0.0, 0.0]) if calibrated else None
            self.angle = AxisAngle(fs_hz, "gravity", direction, FOOT_LOCK_PATH_DEG,
                                   bias_dps=bias_dps, axis=given)
        min_rom = (SHANK_MIN_LEAN_DEG if (self.calf and self.shank)
                   else float(det.get("min_rom_deg", 6.0)))
        self.counter = RepCounter(fs_hz, direction=1, min_rom_deg=min_rom,
                                  min_interval_s=float(det.get("min_interval_s", 0.7)),
                                  lowpass_hz=float(det.get("lowpass_hz", 3.0)))
        self.full_min_deg = 0.0 if (self.calf and self.shank) else float(
            det.get("full_rom_deg", 0.0))
        self._pend_t = np.empty(0)
        self._pend_a = np.empty(0)
        self._t_fed = -np.inf  # last sample time given to the angle
        self.consumed = 0

    @property
    def reps(self) -> list[Rep]:
        return self.counter.reps

    def update(self, t_s: FloatArray, gyr_dps: FloatArray, up: FloatArray | None = None,
               acc_v: FloatArray | None = None, max_reps: int | None = None) -> list[Rep]:
        t = np.asarray(t_s, dtype=np.float64)
        # samples fed again after max_reps stopped the counter were integrated already: skip
        k = int(np.searchsorted(t, self._t_fed, side="right"))
        if k < t.size:
            self._t_fed = float(t[-1])
        tt, ang = self.angle.update(
            t[k:], np.asarray(gyr_dps, np.float64).reshape(-1, 3)[k:],
            None if up is None else np.asarray(up, np.float64).reshape(-1, 3)[k:],
            None if acc_v is None else np.asarray(acc_v, np.float64).reshape(-1)[k:])
        if self._pend_t.size:
            pt = np.concatenate([self._pend_t, tt])
            pa = np.concatenate([self._pend_a, ang])
        else:
            pt, pa = tt, ang
        # the counter sees samples up to this call's last one only (earlier calls may have
        # integrated further before the counter stopped at max_reps)
        n_in = int(np.searchsorted(pt, t[-1], side="right")) if t.size else 0
        new = self.counter.update(pt[:n_in], pa[:n_in], max_reps=max_reps) if n_in else []
        used = self.counter.consumed if n_in else 0
        self._pend_t, self._pend_a = pt[used:], pa[used:]
        # input samples used: all but those after the sample the counter stopped at
        left = int(np.count_nonzero(t > pt[used - 1])) if (used and used < n_in) else 0
        self.consumed = t.size - left
        if new:
            own = [r.lean_deg or r.amplitude_deg for r in self.counter.reps]
            ref = float(np.median(own)) if len(own) >= 3 else 0.0
            for r in new:
                r.partial = r.amplitude_deg < self.full_min_deg or (
                    r.amplitude_deg < OWN_FRACTION * ref)
        return new


def axis_reps(m: Motion, spec: DrillSpec, placement: str, a: int, b: int | None
              ) -> list[Rep]:
    """The reps (full and partial) of a rep drill over samples a..b-1, offline: ``LiveReps``
    over the slice, then (calf raise) each rep's rise, and partial reps against the whole
    set's own range."""
    t = m.t_s[a:b]
    if t.size < 3:
        return []
    calf = spec.id == "calf-raise"
    shank = placement == "shank"
    av = None if m.acc_vertical_g is None else m.acc_vertical_g[a:b]
    live = LiveReps(spec, m.side, placement, m.fs_hz, m.calibrated, m.bias)
    live.update(t, m.gyr_dps[a:b], up_from_quat_or_none(m, a, b), av)
    reps = list(live.reps)
    if calf and av is not None:
        reps = _with_rise(reps, t, av, shank, float(t[-1]))
    # on the shank the lean (gyro: precise) ranks the reps against each other; the foot angle
    # from the rise (accelerometer: ±30 %) only against the level's minimum
    mark_partial(reps, float(spec.detection.get("full_rom_deg", 0.0)),
                 own=[r.lean_deg or r.amplitude_deg for r in reps] if calf and shank else None)
    return reps


def mark_partial(reps: list[Rep], full_min_deg: float, own_fraction: float = OWN_FRACTION,
                 reference_deg: float | None = None, own: list[float] | None = None) -> None:
    """Flag partial reps: ROM below the level's minimum ``full_min_deg``, or below
    ``own_fraction`` of the person's own range: ``reference_deg`` (from their first sessions)
    or else the median of this set's reps (at least 3). ``own``: the per-rep measure to rank
    reps by (default their ROM). Renumbers the reps."""
    amps = own if own is not None else [r.amplitude_deg for r in reps]
    ref = reference_deg if reference_deg and own is None else (
        float(np.median(amps)) if len(amps) >= 3 else 0.0)
    for i, (r, a) in enumerate(zip(reps, amps, strict=True)):
        r.index = i + 1
        r.partial = r.amplitude_deg < full_min_deg or a < own_fraction * ref


def up_from_quat_or_none(m: Motion, a: int, b: int | None) -> FloatArray | None:
    return None if m.up is None else m.up[a:b]


def _with_rise(reps: list[Rep], t: FloatArray, av: FloatArray, shank: bool,
               t_last: float) -> list[Rep]:
    """Each rep's rise between its onset and its end (the next onset at the latest); on the shank
    the rise is the rep's measure: reps rising less than MIN_RISE_CM are dropped (sway), the
    ROM is the foot angle that lifts the ankle that far."""
    out: list[Rep] = []
    for k, r in enumerate(reps):
        # down again by the next rep's onset at the latest (the lean can look back early)
        nxt = reps[k + 1].t_start_s if k + 1 < len(reps) else t_last
        end = min(nxt, r.t_peak_s + 3.0 * max(r.t_peak_s - r.t_start_s, 0.5))
        # a little margin before the onset: the heel starts to rise as the lean starts
        i0 = int(np.searchsorted(t, r.t_start_s - 0.15))
        i1 = int(np.searchsorted(t, end + 0.15))
        rise = rise_between(t, av, i0, min(i1, t.size))
        r.rise_cm = 100.0 * rise
        if shank:
            if r.rise_cm < MIN_RISE_CM:
                continue
            r.lean_deg = r.amplitude_deg
            lean = math.radians(r.lean_deg)
            # the strap sits in front of the shin above the ankle: a forward lean lowers it
            ankle = rise + SENSOR_FRONT_M * math.sin(lean) + SENSOR_UP_M * (1 - math.cos(lean))
            r.amplitude_deg = foot_angle_from_rise(ankle)
        out.append(r)
    return out
