"""Anatomical tilt of the instrumented segment (shank or foot) from the sensor orientation.

Segment frame (calibration contract): x anterior, y to the person's left, z up along the segment.
With the vertical ``u`` (Earth up) expressed in the segment frame:

* ``tilt_ap_deg`` = asin(−u_x): sagittal lean of the segment's z axis, + forward (top of the shank
  toward the toes);
* ``tilt_ml_deg`` = atan2(−u_y, u_z·√(u_y² + u_z²)) × s: frontal lean, + toward the **lateral**
  side of the instrumented leg (s = +1 for the left leg, whose lateral side is +y, −1 for the
  right), so left and right legs compare directly.

These are the pitch and the (heading-free) roll of a z-y-x decomposition: identical to the
simulator's truth ``tilt_of`` and independent of the (arbitrary) heading of the 6D orientation.

Where the segment frame comes from:

* **calibrated mounting** (``CalibrationProfile.mount_quat_wxyz``, sensor → segment): used as is;
  tilt is absolute (relative to true vertical) from the first sample;
* **no mounting**: the vertical of the first quiet second (|ω| < 20 °/s, | |a| − 1 g | < 0.08 g,
  both held for ``REF_QUIET_S``) is taken as the segment's z axis (the person stands upright then),
  and the anterior direction follows the strapping convention (``STRAPPINGS``), made orthogonal to
  that vertical. Total tilt is then right for any strapping; the AP/ML split is right when the
  sensor is strapped as the convention says. Live, tilt is NaN until that reference is found (at
  the latest after ``REF_TIMEOUT_S``, when the mean vertical so far is used); offline the first
  quiet second anywhere in the recording is used for every sample.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trainer.core.quat import rotate_rows, row_norm2, to_matrix, up_in_body
from trainer.vocab.ids import PLACEMENTS, SIDES

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

REF_QUIET_S = 1.0
REF_TIMEOUT_S = 5.0
QUIET_GYR_DPS = 20.0
QUIET_ACC_G = 0.08


@dataclass(frozen=True)
class Strapping:
    """A documented way to strap the sensor, used when no mounting calibration exists."""

    name: str
    placement: str
    text: str
    anterior_left: tuple[float, float, float]  # sensor-frame anterior axis, left leg
    anterior_right: tuple[float, float, float]  # … right leg

    def anterior(self, side: str) -> FloatArray:
        return np.asarray(self.anterior_left if side == "left" else self.anterior_right, float)


STRAPPINGS: dict[str, Strapping] = {
    "front": Strapping(
        "front", "shank",
        "Shank, front: strap the sensor on the front of the shin just above the ankle, face "
        "(printed side, +Z) pointing forward, X axis along the shank (up or down).",
        (0.0, 0.0, 1.0), (0.0, 0.0, 1.0),
    ),
    "lateral": Strapping(
        "lateral", "shank",
        "Shank, outside: strap the sensor on the outer side of the shank just above the ankle, "
        "face (+Z) pointing outward, X axis pointing up toward the knee.",
        (0.0, 1.0, 0.0), (0.0, -1.0, 0.0),
    ),
    "top": Strapping(
        "top", "foot",
        "Foot: strap the sensor on top of the foot (mid-foot), face (+Z) up, X axis pointing "
        "toward the toes.",
        (1.0, 0.0, 0.0), (1.0, 0.0, 0.0),
    ),
}
DEFAULT_STRAPPING = {"shank": "front", "foot": "top"}


def strapping_text(placement: str = "shank", strapping: str | None = None) -> str:
    """The strapping convention to show the user (README and app) for a placement."""
    return STRAPPINGS[strapping or DEFAULT_STRAPPING[placement]].text


def segment_matrix_from_vertical(vertical_s: ArrayLike, anterior_s: ArrayLike) -> FloatArray:
    """Sensor → segment rotation whose z is ``vertical_s`` and whose x is the part of
    ``anterior_s`` orthogonal to it. When ``anterior_s`` is within 20° of the vertical (the sensor
    is not strapped as the convention says) the sensor's x axis, then its y axis, is used."""
    z = np.asarray(vertical_s, dtype=np.float64)
    z = z / np.linalg.norm(z)
    a = np.asarray(anterior_s, dtype=np.float64)
    candidates = [a, np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])]
    for cand in candidates:
        x = cand - (cand @ z) * z
        if np.linalg.norm(x) > math.sin(math.radians(20.0)):
            break
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def tilt_from_up(up_seg: FloatArray, lateral_sign: float) -> tuple[FloatArray, FloatArray]:
    """(tilt_ap_deg, tilt_ml_deg) from the Earth-up vector in the segment frame (n×3)."""
    ux = up_seg[:, 0]
    uy = up_seg[:, 1]
    uz = up_seg[:, 2]
    c = np.sqrt(uy * uy + uz * uz)
    ap = np.degrees(np.arctan2(-ux, c))
    ml = np.degrees(np.arctan2(-uy, uz * c))
    return ap, lateral_sign * ml


def inclination_from_tilt(ap_deg: ArrayLike, ml_deg: ArrayLike) -> FloatArray:
    """Angle of the segment's z axis from vertical (degrees, 0..180) from ``tilt_from_up``'s
    two tilts (either ML sign): the heading-free inclination, e.g. of the shank in a lunge.

    Inverts ``tilt_from_up``: with c = cos(ap) = √(u_y² + u_z²) and r = ml,
    u_z = c·cos r / √(c²·sin² r + cos² r).
    """
    ap = np.radians(np.asarray(ap_deg, dtype=np.float64))
    r = np.radians(np.asarray(ml_deg, dtype=np.float64))
    c = np.cos(ap)
    cr, sr = np.cos(r), np.sin(r)
    den = np.sqrt(c * c * sr * sr + cr * cr)
    with np.errstate(invalid="ignore", divide="ignore"):
        uz = np.where(den > 1e-12, c * cr / np.where(den > 1e-12, den, 1.0), 0.0)
    out: FloatArray = np.degrees(np.arccos(np.clip(uz, -1.0, 1.0)))
    return out


def quiet_mask(acc_g: FloatArray, gyr_dps: FloatArray) -> BoolArray:
    """Samples where the segment is still enough to read the vertical from gravity."""
    gyr2 = row_norm2(gyr_dps)
    acc_n = np.sqrt(row_norm2(acc_g))
    out: BoolArray = (gyr2 < QUIET_GYR_DPS**2) & (np.abs(acc_n - 1.0) < QUIET_ACC_G)
    return out


class TiltEstimator:
    """Stateful tilt over batches; ``update(quat, acc_g, gyr_dps)`` → (ap_deg, ml_deg)."""

    def __init__(
        self,
        sample_rate_hz: float,
        placement: str = "shank",
        side: str = "left",
        mount_quat_wxyz: ArrayLike | None = None,
        strapping: str | None = None,
    ) -> None:
        if placement not in PLACEMENTS:
            raise ValueError(f"placement must be 'shank' or 'foot', not {placement!r}")
        if side not in SIDES:
            raise ValueError(f"side must be 'left' or 'right', not {side!r}")
        name = strapping or DEFAULT_STRAPPING[placement]
        if name not in STRAPPINGS:
            raise ValueError(f"unknown strapping {name!r} (known: {', '.join(STRAPPINGS)})")
        self.placement = placement
        self.side = side
        self.strapping = STRAPPINGS[name]
        self.lateral_sign = 1.0 if side == "left" else -1.0
        self.calibrated = mount_quat_wxyz is not None
        self._matrix: FloatArray | None = (
            None if mount_quat_wxyz is None
            else to_matrix(np.asarray(mount_quat_wxyz, dtype=np.float64))
        )
        self._need_quiet = max(1, round(REF_QUIET_S * sample_rate_hz))
        self._timeout = max(1, round(REF_TIMEOUT_S * sample_rate_hz))
        self._seen = 0
        self._run = 0  # current quiet run length (samples)
        self._run_sum = np.zeros(3)  # sum of the vertical over the current quiet run
        self._all_sum = np.zeros(3)  # sum of the vertical over everything seen (timeout)

    @property
    def matrix(self) -> FloatArray | None:
        """Sensor → segment rotation in use (None while the vertical is not known yet)."""
        return self._matrix

    @property
    def reference_ready(self) -> bool:
        return self._matrix is not None

    def _lock(self, vertical_s: FloatArray) -> None:
        self._matrix = segment_matrix_from_vertical(
            vertical_s, self.strapping.anterior(self.side)
        )

    def fit_reference(self, quat: FloatArray, acc_g: FloatArray, gyr_dps: FloatArray) -> None:
        """Non-causal reference (offline): the first quiet second anywhere in the data."""
        if self.calibrated or quat.shape[0] == 0:
            return
        up = up_in_body(quat)
        runs = _run_lengths(quiet_mask(acc_g, gyr_dps), 0)
        hit = np.flatnonzero(runs >= self._need_quiet)
        if hit.size:
            i = int(hit[0])
            self._lock(up[i - self._need_quiet + 1 : i + 1].sum(axis=0))
        else:
            self._lock(up.sum(axis=0))

    def update(
        self, quat: FloatArray, acc_g: FloatArray, gyr_dps: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        n = quat.shape[0]
        if n == 0:
            return np.empty(0), np.empty(0)
        up = up_in_body(quat)
        start = 0
        if self._matrix is None:
            start = self._find_reference(up, acc_g, gyr_dps)
        ap = np.full(n, np.nan)
        ml = np.full(n, np.nan)
        if self._matrix is not None and start < n:
            up_seg = rotate_rows(self._matrix, up[start:])
            ap[start:], ml[start:] = tilt_from_up(up_seg, self.lateral_sign)
        return ap, ml

    def _find_reference(self, up: FloatArray, acc_g: FloatArray, gyr_dps: FloatArray) -> int:
        """Advance the quiet-run search; lock when found. Returns the first index with a tilt."""
        n = up.shape[0]
        quiet = quiet_mask(acc_g, gyr_dps)
        runs = _run_lengths(quiet, self._run)
        hit = np.flatnonzero(runs >= self._need_quiet)
        timeout_at = self._timeout - self._seen - 1  # index where the timeout fires
        if hit.size and (timeout_at < 0 or hit[0] <= timeout_at):
            i = int(hit[0])
            first = i - self._need_quiet + 1
            total = up[max(first, 0) : i + 1].sum(axis=0)
            if first < 0:
                total = total + self._run_sum
            self._lock(total)
            return i
        if 0 <= timeout_at < n:
            self._lock(self._all_sum + up[: timeout_at + 1].sum(axis=0))
            return timeout_at
        # not locked: carry the run state
        self._seen += n
        self._all_sum = self._all_sum + up.sum(axis=0)
        last_false = np.flatnonzero(~quiet)
        if last_false.size:
            j = int(last_false[-1])
            self._run_sum = up[j + 1 :].sum(axis=0)
        else:
            self._run_sum = self._run_sum + up.sum(axis=0)
        self._run = int(runs[-1])
        return int(n)

    def to_segment(self, v_sensor: FloatArray) -> FloatArray:
        """Rotate sensor-frame vectors (n×3) into the segment frame (needs the matrix)."""
        if self._matrix is None:
            raise RuntimeError("segment frame not known yet")
        return rotate_rows(self._matrix, v_sensor)


def _run_lengths(mask: BoolArray, carry: int) -> NDArray[np.int64]:
    """Length of the run of True ending at each sample (0 where False); ``carry`` continues a run
    from the previous batch."""
    n = mask.shape[0]
    idx = np.arange(1, n + 1, dtype=np.int64)
    last_reset = np.maximum.accumulate(np.where(mask, 0, idx))
    runs = idx - last_reset
    if carry:
        no_reset = last_reset == 0
        runs = np.where(no_reset, runs + carry, runs)
    out: NDArray[np.int64] = np.where(mask, runs, 0)
    return out
