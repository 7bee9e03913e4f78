"""Mounting alignment: the rotation from the sensor frame into the segment frame.

Segment frame (profile contract): x anterior, y to the person's left, z up along the segment.

* Standing still gives the vertical: the mean (calibrated) specific force is +1 g up, so its
  direction in the sensor frame is the segment's z (shank upright, or foot flat on the floor).
* A forward leg swing is a rotation about the medio-lateral axis: the dominant axis of the
  angular rate during the swing (principal component of the rate vectors) is ±y. Swinging the foot
  forward tips the segment's top backward, a negative rotation about +y, so the sign is chosen to
  make the largest excursion of the swing negative about y. This holds for either leg and for shank
  or foot placement (on the foot the long axis is x, anterior).
* x = y × z completes the right-handed frame; y is made exactly orthogonal to z first.
* A sensor on the trunk (lower back; a vertical segment like the shank) is aligned the same way
  from standing still and then leaning the trunk forward from the hips and back: the trunk's top
  goes forward, a *positive* rotation about +y, so there the sign is the other way round.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from calibration.errors import CalibrationError
from calibration.rotation import quat_from_matrix
from trainer.core.stillness import STANDING, Segment, sample_rate_hz, segments_of, still_mask
from trainer.vocab.ids import PLACEMENTS, SIDES

FloatArray = NDArray[np.float64]

SWING_RATE_DPS = 30.0     # a swing reaches at least this angular rate
MIN_SWING_DEG = 12.0      # and sweeps at least this angle
MAX_AXIS_TILT_DEG = 35.0  # swing axis this far from horizontal: not a forward swing
MAX_PLANARITY = 0.25      # second / first principal rate energy: a straight swing is planar
MIN_STAND_S = 1.5
#: Where a mounting can be calibrated: the legs' segments and the trunk (several sensors).
MOUNT_PLACEMENTS = (*PLACEMENTS, "trunk")


@dataclass(frozen=True, slots=True)
class SwingAnalysis:
    """The swing's rotation axis (unit, sensor frame, pointing to the segment's +y once signed),
    its largest excursion and how planar it was."""

    axis_s: FloatArray
    excursion_deg: float
    planarity: float


@dataclass(frozen=True, slots=True)
class MountResult:
    """The sensor-to-segment rotation and how it was found."""

    matrix: FloatArray          # v_segment = matrix · v_sensor
    quat_wxyz: FloatArray
    placement: str
    side: str
    vertical_s: FloatArray
    swing: SwingAnalysis
    axis_tilt_deg: float
    stand_s: float

    def quality(self) -> dict[str, Any]:
        return {
            "stand_s": round(self.stand_s, 2),
            "swing_deg": round(self.swing.excursion_deg, 1),
            "swing_axis_tilt_deg": round(self.axis_tilt_deg, 2),
            "swing_planarity": round(self.swing.planarity, 4),
        }


def check_side_placement(placement: str, side: str) -> None:
    if placement not in MOUNT_PLACEMENTS:
        raise CalibrationError(f"placement must be shank, foot or trunk, not {placement!r}")
    if side not in SIDES:
        raise CalibrationError(f"side must be left or right, not {side!r}")


def _move(lean: bool) -> str:
    return "forward lean" if lean else "leg swing"


def _ask(lean: bool) -> str:
    """What to do, in the words of the live guide (the trunk leans, a leg swings)."""
    return ("lean the trunk about 30° forward from the hips and back up" if lean
            else "swing the leg about 30° forward and back")


def analyse_swing(gyr_dps: FloatArray, fs: float, *, lean: bool = False) -> SwingAnalysis:
    """Principal rotation axis of a swing, signed so that +axis is the segment's +y (forward swing
    = negative rotation about +y; ``lean``: a forward lean of the trunk, positive about +y).
    Raises :class:`CalibrationError` for a swing too small or not straight."""
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    rate = np.linalg.norm(gyr, axis=1)
    if gyr.shape[0] < 3 or float(rate.max(initial=0.0)) < SWING_RATE_DPS:
        raise CalibrationError(f"no {_move(lean)} found: {_ask(lean)}, then stand still")
    strong = gyr[rate > 0.2 * rate.max()]
    energy = strong.T @ strong
    evals, evecs = np.linalg.eigh(energy)  # ascending
    w = evecs[:, 2]
    planarity = float(evals[1] / evals[2]) if evals[2] > 0 else 1.0
    theta_deg = np.cumsum(gyr @ w) / fs
    k = int(np.argmax(np.abs(theta_deg)))
    excursion = float(theta_deg[k])
    if abs(excursion) < MIN_SWING_DEG:
        raise CalibrationError(
            f"the {_move(lean)} was too small ({abs(excursion):.0f}°): {_ask(lean)}")
    if planarity > MAX_PLANARITY:
        raise CalibrationError(
            "the lean was not straight: lean straight forward from the hips and back up" if lean
            else "the swing was not straight: swing the leg straight forward and back, knee still")
    axis = -w if (excursion > 0) != lean else w
    return SwingAnalysis(axis_s=axis, excursion_deg=abs(excursion), planarity=planarity)


def mounting_from_vectors(vertical_s: FloatArray, y_axis_s: FloatArray, *, lean: bool = False
                          ) -> tuple[FloatArray, float]:
    """Sensor→segment rotation from the vertical (segment z) and the signed swing axis (≈ y), and
    the angle (°) between the swing axis and the horizontal plane (``lean``: the trunk's move)."""
    z = np.asarray(vertical_s, dtype=np.float64)
    nz = float(np.linalg.norm(z))
    if nz < 1e-6:
        raise CalibrationError("no gravity while standing: is the accelerometer working?")
    z = z / nz
    w = np.asarray(y_axis_s, dtype=np.float64)
    w = w / float(np.linalg.norm(w))
    tilt = float(np.degrees(np.arcsin(min(1.0, abs(float(w @ z))))))
    if tilt > MAX_AXIS_TILT_DEG:
        raise CalibrationError(
            f"the {'lean' if lean else 'swing'} axis is {tilt:.0f}° from horizontal: "
            + ("lean straight forward from the hips" if lean else "swing the leg straight forward")
            + ", not sideways or twisting")
    y = w - (w @ z) * z
    y /= float(np.linalg.norm(y))
    x = np.cross(y, z)
    return np.vstack([x, y, z]), tilt


def estimate_mounting(
    t_s: FloatArray,
    acc_g: FloatArray,
    gyr_dps: FloatArray,
    *,
    side: str,
    placement: str,
) -> MountResult:
    """Mounting from a recording of standing still, then a forward leg swing (calibrated data:
    accelerometer and gyroscope with the profile applied)."""
    check_side_placement(placement, side)
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_g, dtype=np.float64)
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    lean = placement == "trunk"
    if t.shape[0] < 10:
        raise CalibrationError(f"too few samples: stand still 3 s, then {_ask(lean)}")
    fs = sample_rate_hz(t)
    rate = np.linalg.norm(gyr, axis=1)
    peak = int(np.argmax(rate))
    if rate[peak] < SWING_RATE_DPS:
        raise CalibrationError(
            f"no {_move(lean)} found: stand still 3 s, then {_ask(lean)}")
    still = still_mask(t, acc, gyr, STANDING)
    moving = segments_of(~still)
    burst = next((s for s in moving if s.start <= peak < s.stop), Segment(0, t.shape[0]))
    margin = round(0.25 * fs)
    stands = [Segment(s.start + margin, s.stop - margin) for s in segments_of(still)]
    stands = [s for s in stands if len(s) >= MIN_STAND_S * fs]
    before = [s for s in stands if s.stop <= burst.start]
    after = [s for s in stands if s.start >= burst.stop]
    if before:
        stand = before[-1]
    elif after:
        stand = after[0]
    else:
        raise CalibrationError("no quiet standing found: stand still 3 s before "
                               + ("leaning forward" if lean else "swinging the leg"))
    vertical = acc[stand.start:stand.stop].mean(axis=0)
    swing = analyse_swing(gyr[burst.start:burst.stop], fs, lean=lean)
    matrix, tilt = mounting_from_vectors(vertical, swing.axis_s, lean=lean)
    return MountResult(
        matrix=matrix,
        quat_wxyz=quat_from_matrix(matrix),
        placement=placement,
        side=side,
        vertical_s=vertical / float(np.linalg.norm(vertical)),
        swing=swing,
        axis_tilt_deg=tilt,
        stand_s=len(stand) / fs,
    )
