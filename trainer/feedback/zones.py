"""Where the sway dot is relative to the target circle, and the colour that tells the user.

Green: well inside. Amber: inside but in the outer band (``near_fraction`` of the radius and beyond)
— a warning before leaving. Red: outside the target. Colours are chosen to stay distinguishable on a
dark background from two metres away.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray


class Zone(IntEnum):
    INSIDE = 0
    NEAR = 1
    OUTSIDE = 2


# RGB; the UI turns them into brushes.
ZONE_COLOURS: dict[Zone, tuple[int, int, int]] = {
    Zone.INSIDE: (46, 204, 113),
    Zone.NEAR: (255, 176, 0),
    Zone.OUTSIDE: (235, 64, 52),
}

NEAR_FRACTION = 0.8


def classify(
    tilt_ap_deg: ArrayLike,
    tilt_ml_deg: ArrayLike,
    target_radius_deg: float,
    near_fraction: float = NEAR_FRACTION,
    centre_deg: tuple[float, float] = (0.0, 0.0),
) -> NDArray[np.int8]:
    """Zone code (``Zone`` values) per sample; vectorised."""
    if not target_radius_deg > 0:
        raise ValueError("target_radius_deg must be positive")
    ap = np.asarray(tilt_ap_deg, dtype=np.float64) - centre_deg[0]
    ml = np.asarray(tilt_ml_deg, dtype=np.float64) - centre_deg[1]
    d = np.hypot(ap, ml)
    out = np.full(d.shape, Zone.INSIDE, dtype=np.int8)
    out[d >= near_fraction * target_radius_deg] = Zone.NEAR
    out[d > target_radius_deg] = Zone.OUTSIDE
    out[~np.isfinite(d)] = Zone.OUTSIDE
    return out


def zone_of(
    tilt_ap_deg: float,
    tilt_ml_deg: float,
    target_radius_deg: float,
    near_fraction: float = NEAR_FRACTION,
    centre_deg: tuple[float, float] = (0.0, 0.0),
) -> Zone:
    """The zone of one point (the current dot)."""
    code = classify(tilt_ap_deg, tilt_ml_deg, target_radius_deg, near_fraction, centre_deg)
    return Zone(int(code))
