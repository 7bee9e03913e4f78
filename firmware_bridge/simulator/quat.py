"""Vectorised unit-quaternion helpers (scalar first, ``wxyz``), just what the simulator needs.

``multiply``, ``conjugate`` and ``to_matrix`` are the core's (:mod:`trainer.core.quat`, re-exported
here); this module adds what only the simulator uses.

A quaternion ``q`` here rotates vectors from a body frame into a reference frame:
``v_ref = rotate(q, v_body)``; ``multiply(a, b)`` composes ``a`` after ``b`` (frames chain left to
right: ``q_earth_sensor = q_earth_segment ⊗ q_segment_sensor``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from trainer.core.quat import conjugate, multiply, to_matrix

__all__ = [
    "as_quat", "conjugate", "from_axis_angle", "from_euler_zyx", "from_tilt", "multiply",
    "rotate", "rotate_inverse", "rotation_vector_between", "tilt_of", "to_matrix",
]

FloatArray = NDArray[np.float64]


def as_quat(q: ArrayLike) -> FloatArray:
    """A float64 array of quaternions (…×4), normalised."""
    arr = np.asarray(q, dtype=np.float64)
    if arr.shape[-1] != 4:
        raise ValueError(f"quaternion must have 4 components (w, x, y, z), got shape {arr.shape}")
    norm = np.linalg.norm(arr, axis=-1, keepdims=True)
    if np.any(~np.isfinite(norm)) or np.any(norm < 1e-9):
        raise ValueError("quaternion must be finite and non-zero")
    out: FloatArray = arr / norm
    return out


def rotate(q: ArrayLike, v: ArrayLike) -> FloatArray:
    """Rotate body-frame vectors ``v`` (…×3) into the reference frame of ``q``."""
    out: FloatArray = np.einsum("...ij,...j->...i", to_matrix(q), np.asarray(v, dtype=np.float64))
    return out


def rotate_inverse(q: ArrayLike, v: ArrayLike) -> FloatArray:
    """Rotate reference-frame vectors ``v`` into the body frame of ``q``."""
    out: FloatArray = np.einsum("...ji,...j->...i", to_matrix(q), np.asarray(v, dtype=np.float64))
    return out


def from_axis_angle(axis: ArrayLike, angle_rad: ArrayLike) -> FloatArray:
    """Quaternions for rotations by ``angle_rad`` about ``axis`` (broadcasts)."""
    ax = np.asarray(axis, dtype=np.float64)
    ax = ax / np.linalg.norm(ax, axis=-1, keepdims=True)
    half = 0.5 * np.asarray(angle_rad, dtype=np.float64)[..., None]
    return np.concatenate([np.cos(half), np.sin(half) * ax], axis=-1)


def from_euler_zyx(yaw_rad: ArrayLike, pitch_rad: ArrayLike, roll_rad: ArrayLike) -> FloatArray:
    """``Rz(yaw)·Ry(pitch)·Rx(roll)`` (intrinsic z-y'-x'') as quaternions."""
    y = 0.5 * np.asarray(yaw_rad, dtype=np.float64)
    p = 0.5 * np.asarray(pitch_rad, dtype=np.float64)
    r = 0.5 * np.asarray(roll_rad, dtype=np.float64)
    y, p, r = np.broadcast_arrays(y, p, r)
    cy, sy, cp, sp, cr, sr = np.cos(y), np.sin(y), np.cos(p), np.sin(p), np.cos(r), np.sin(r)
    return np.stack(
        [
            cy * cp * cr + sy * sp * sr,
            cy * cp * sr - sy * sp * cr,
            cy * sp * cr + sy * cp * sr,
            sy * cp * cr - cy * sp * sr,
        ],
        axis=-1,
    )


def from_tilt(tilt_ap_rad: ArrayLike, tilt_ml_rad: ArrayLike) -> FloatArray:
    """Orientation (no heading) whose z axis leans ``tilt_ap`` toward +x and ``tilt_ml`` toward
    +y in the sense of :func:`tilt_of` (exact round trip)."""
    ap = np.asarray(tilt_ap_rad, dtype=np.float64)
    ml = np.asarray(tilt_ml_rad, dtype=np.float64)
    roll = -np.arctan(np.tan(ml) * np.cos(ap))
    return from_euler_zyx(0.0, ap, roll)


def tilt_of(q: ArrayLike) -> tuple[FloatArray, FloatArray]:
    """(tilt_ap, tilt_ml) in radians of the body z axis seen in the reference frame:
    ``ap = atan2(z_x, z_z)`` (positive: top toward +x), ``ml = atan2(z_y, z_z)`` (toward +y)."""
    qq = np.asarray(q, dtype=np.float64)
    w, x, y, z = np.moveaxis(qq, -1, 0)
    zx = 2 * (x * z + w * y)
    zy = 2 * (y * z - w * x)
    zz = 1 - 2 * (x * x + y * y)
    return np.arctan2(zx, zz), np.arctan2(zy, zz)


def rotation_vector_between(q0: ArrayLike, q1: ArrayLike) -> FloatArray:
    """Body-frame rotation vector (rad) taking ``q0`` to ``q1``: ``q1 = q0 ⊗ exp(v/2)``."""
    d = multiply(conjugate(q0), q1)
    d = np.where(d[..., :1] < 0, -d, d)
    vec = d[..., 1:]
    s = np.linalg.norm(vec, axis=-1, keepdims=True)
    angle = 2.0 * np.arctan2(s, d[..., :1])
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(s > 1e-12, angle / np.where(s > 1e-12, s, 1.0), 2.0)
    out: FloatArray = vec * scale
    return out
