"""Rep drills measured on real bodies: any strapping, the foot or the shank, full and partial reps.

- Band inversion / eversion (foot): the rep angle is the rotation about the movement's own axis
  (``trainer.drills.axis.AxisAngle``, signed with gravity and the side); with a mounting
  calibration the foot's anatomical long axis. ROM in degrees of that rotation.
- Calf raise on the foot: the foot's rotation about its own axis, signed by the rise.
- Calf raise on the shank: the sensor's rise from the accelerometer finds the reps, a turn of
  the shank about any axis confirms them (``trainer.drills.rise.RiseReps``); ROM is the foot
  angle that lifts the ankle as far, plus the heel rise in cm.

One detector live and offline: ``LiveReps`` is what ``DrillSession`` feeds batch by batch and
what ``axis_reps`` runs over a recording at once, and its partial-rep rule is causal (a rep is
judged against the person's reference from their first sessions, else the reps before it).
A rep whose ROM is below the drill's ``full_rom_deg`` (the level's minimum) or below half the
person's own range is *partial*: shown and stored, not counted toward the target.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from trainer.drills.axis import AxisAngle, up_from_quat, up_from_tilt
from trainer.drills.catalog import DrillSpec
from trainer.drills.detectors import FloatArray, Rep, RepCounter
from trainer.drills.rise import RiseReps, rise_between

FOOT_LOCK_PATH_DEG = 20.0
OWN_FRACTION = 0.5  # a rep below half the person's own range is partial
OWN_MIN_REPS = 3  # the set's own range needs this many reps before it
PREROLL_S = 1.0  # a set's counter starts this long before "Go" (a rep begun just before)
REP_GRACE_S = 1.0  # a rep peaking this long after a reps set ended still counts for it
REP_GRACE_CONFIRM_S = 2.0  # … when confirmed this long after the end (and before the next "Go")


@dataclass
class Motion:
    """One recording's per-sample motion: time, gyro (segment frame when ``calibrated``, else the
    sensor's), the vertical acceleration (g, gravity removed; None without an accelerometer or
    orientation). No gyro-bias estimate over the whole recording: the live session has none,
    and live and offline count with the same detector on the same numbers."""

    t_s: FloatArray
    gyr_dps: FloatArray
    fs_hz: float
    side: str
    calibrated: bool
    acc_vertical_g: FloatArray | None
    up: FloatArray | None = None


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


class LiveReps:
    """Counts a rep drill's reps batch by batch (live) or at once (offline): the angle about
    the movement's axis (``AxisAngle``) into a ``RepCounter``, or on the shank the calf
    raises' rise (``RiseReps``); partial reps flagged as they come (``is_partial``).

    ``update(t, gyr, up, acc_v, max_reps)`` returns the new reps; ``consumed`` says how many
    input samples were used (``max_reps`` reached: feed the rest again later).
    ``rom_ref_deg``: the person's own range from their first sessions (None: the set's)."""

    def __init__(self, spec: DrillSpec, side: str, placement: str, fs_hz: float,
                 calibrated: bool = False, bias_dps: FloatArray | None = None,
                 rom_ref_deg: float | None = None) -> None:
        det = spec.detection
        lat = 1.0 if side == "left" else -1.0
        self.calf = spec.id == "calf-raise"
        self.shank = placement == "shank"
        self.rise: RiseReps | None = None
        min_interval = float(det.get("min_interval_s", 0.7))
        if self.calf and self.shank:
            self.rise = RiseReps(fs_hz, min_interval_s=min_interval)
        if self.calf:
            self.angle = AxisAngle(fs_hz, "rise", 1.0, FOOT_LOCK_PATH_DEG, bias_dps=bias_dps)
        else:
            inv = 1.0 if det.get("motion") == "inversion" else -1.0
            direction = -lat * inv  # left inversion: a negative turn about the toes-up axis
            given = np.array([direction, 0.0, 0.0]) if calibrated else None
            self.angle = AxisAngle(fs_hz, "gravity", direction, FOOT_LOCK_PATH_DEG,
                                   bias_dps=bias_dps, axis=given)
        self.counter = RepCounter(fs_hz, direction=1, min_rom_deg=float(det.get("min_rom_deg",
                                                                                6.0)),
                                  min_interval_s=min_interval,
                                  lowpass_hz=float(det.get("lowpass_hz", 3.0)))
        self.full_min_deg = float(det.get("full_rom_deg", 0.0))
        self.rom_ref_deg = float(rom_ref_deg) if rom_ref_deg else None
        self._pend_t = np.empty(0)
        self._pend_a = np.empty(0)
        self._t_fed = -np.inf  # last sample time given to the angle
        self.consumed = 0

    @property
    def reps(self) -> list[Rep]:
        return self.rise.reps if self.rise is not None else self.counter.reps

    def flush(self) -> list[Rep]:
        """The recording ends: a calf raise on the shank still coming down is measured up to
        its last sample (offline over a whole recording)."""
        if self.rise is None:
            return []
        n_before = len(self.reps)
        new = self.rise.flush()
        for k, r in enumerate(new):
            r.partial = self.is_partial(r, self.reps[:n_before + k])
        return new

    def is_partial(self, rep: Rep, before: list[Rep]) -> bool:
        """Below the level's minimum, or below half the person's own range: their reference
        from the first sessions, else this set's full reps before it (their median from the
        third on, the largest before that; the first rep of a first session cannot be
        judged)."""
        ref = self.rom_ref_deg
        amps = [r.amplitude_deg for r in before if not r.partial]
        if ref is None and amps:
            ref = float(np.median(amps)) if len(amps) >= OWN_MIN_REPS else max(amps)
        return rep.amplitude_deg < self.full_min_deg or (
            ref is not None and rep.amplitude_deg < OWN_FRACTION * ref)

    def update(self, t_s: FloatArray, gyr_dps: FloatArray, up: FloatArray | None = None,
               acc_v: FloatArray | None = None, max_reps: int | None = None) -> list[Rep]:
        n_before = len(self.reps)
        new = self._update(t_s, gyr_dps, up, acc_v, max_reps)
        reps = self.reps
        for k, r in enumerate(new):
            r.partial = self.is_partial(r, reps[:n_before + k])
        return new

    def _update(self, t_s: FloatArray, gyr_dps: FloatArray, up: FloatArray | None,
                acc_v: FloatArray | None, max_reps: int | None) -> list[Rep]:
        t = np.asarray(t_s, dtype=np.float64)
        if self.rise is not None:
            if acc_v is None:  # no accelerometer: nothing to measure a rise with
                self.consumed = t.size
                return []
            new = self.rise.update(t, gyr_dps, acc_v, max_reps=max_reps)
            self.consumed = self.rise.consumed
            return new
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
        return new


def axis_reps(m: Motion, spec: DrillSpec, placement: str, a: int, b: int | None,
              rom_ref_deg: float | None = None, to_the_end: bool = False) -> list[Rep]:
    """The reps (full and partial) of a rep drill over samples a..b-1, offline: ``LiveReps``
    over the slice at once (what the live session counts batch by batch); ``to_the_end``: the
    slice ends the recording (a rep still coming down is measured to its end). A calf raise
    on the foot also gets each rep's rise."""
    t = m.t_s[a:b]
    if t.size < 3:
        return []
    av = None if m.acc_vertical_g is None else m.acc_vertical_g[a:b]
    live = LiveReps(spec, m.side, placement, m.fs_hz, m.calibrated, rom_ref_deg=rom_ref_deg)
    live.update(t, m.gyr_dps[a:b], up_from_quat_or_none(m, a, b), av)
    if to_the_end:
        live.flush()
    reps = list(live.reps)
    if spec.id == "calf-raise" and placement != "shank" and av is not None:
        _with_rise(reps, t, av, float(t[-1]))
    return reps


def up_from_quat_or_none(m: Motion, a: int, b: int | None) -> FloatArray | None:
    return None if m.up is None else m.up[a:b]


def _with_rise(reps: list[Rep], t: FloatArray, av: FloatArray, t_last: float) -> None:
    """Each foot calf raise's rise between its onset and its end (the next onset at the
    latest): the heel-rise information, not the ROM (the foot's own rotation is)."""
    for k, r in enumerate(reps):
        nxt = reps[k + 1].t_start_s if k + 1 < len(reps) else t_last
        end = min(nxt, r.t_peak_s + 3.0 * max(r.t_peak_s - r.t_start_s, 0.5))
        i0 = int(np.searchsorted(t, r.t_start_s - 0.15))
        i1 = int(np.searchsorted(t, end + 0.15))
        r.rise_cm = 100.0 * rise_between(t, av, i0, min(i1, t.size))
