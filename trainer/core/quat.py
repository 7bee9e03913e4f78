"""Small vectorised quaternion helpers (scalar first, ``wxyz``) used by orientation and tilt.

A quaternion ``q`` rotates body-frame vectors into the reference frame (``v_ref = R(q)·v_body``);
``multiply(a, b)`` is the Hamilton product ``a ⊗ b`` (frames chain left to right).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def normalize(q: ArrayLike) -> FloatArray:
    arr = np.asarray(q, dtype=np.float64)
    out: FloatArray = arr / np.linalg.norm(arr, axis=-1, keepdims=True)
    return out


def multiply(a: ArrayLike, b: ArrayLike) -> FloatArray:
    """Hamilton product ``a ⊗ b`` (broadcasts over leading dimensions)."""
    qa = np.asarray(a, dtype=np.float64)
    qb = np.asarray(b, dtype=np.float64)
    aw, ax, ay, az = np.moveaxis(qa, -1, 0)
    bw, bx, by, bz = np.moveaxis(qb, -1, 0)
    return np.stack(
        [
            aw * bw - ax * bx - ay * by - az * bz,
            aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
        ],
        axis=-1,
    )


def conjugate(q: ArrayLike) -> FloatArray:
    out = np.array(q, dtype=np.float64, copy=True)
    out[..., 1:] *= -1.0
    return out


def to_matrix(q: ArrayLike) -> FloatArray:
    """Rotation matrices (…×3×3) of unit quaternions."""
    qq = np.asarray(q, dtype=np.float64)
    w, x, y, z = np.moveaxis(qq, -1, 0)
    m = np.stack(
        [
            1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
            2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
            2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y),
        ],
        axis=-1,
    )
    out: FloatArray = m.reshape(*qq.shape[:-1], 3, 3)
    return out


def row_norm2(v: FloatArray) -> FloatArray:
    """Squared norm of each row of an n×3 array (column arithmetic: no BLAS threads)."""
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    out: FloatArray = x * x
    out += y * y  # in place: the same sums as x*x + y*y + z*z, fewer temporaries
    out += z * z
    return out


def rotate_rows(m: FloatArray, v: FloatArray) -> FloatArray:
    """``v @ m.T`` for n×3 rows and a 3×3 matrix, by columns.

    Multithreaded BLAS is slower than this for tall n×3 products, and its spinning threads cost
    CPU that a shared machine (and the live GUI thread) needs.
    """
    x, y, z = v[:, 0], v[:, 1], v[:, 2]
    out = np.empty((v.shape[0], 3))
    for k in range(3):
        out[:, k] = m[k, 0] * x + m[k, 1] * y + m[k, 2] * z
    return out


def up_in_body(q: ArrayLike) -> FloatArray:
    """The reference frame's +z (up) expressed in the body frame: the third row of R(q), n×3."""
    qq = np.asarray(q, dtype=np.float64)
    w, x, y, z = np.moveaxis(qq, -1, 0)
    return np.stack(
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)], axis=-1
    )


def from_matrix(m: ArrayLike) -> FloatArray:
    """Unit quaternion (w ≥ 0) of a 3×3 rotation matrix (Shepperd's method)."""
    r = np.asarray(m, dtype=np.float64)
    tr = float(np.trace(r))
    if tr > 0:
        s = 2.0 * np.sqrt(tr + 1.0)
        q = [0.25 * s, (r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s]
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = 2.0 * np.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2])
        q = [(r[2, 1] - r[1, 2]) / s, 0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s]
    elif r[1, 1] > r[2, 2]:
        s = 2.0 * np.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2])
        q = [(r[0, 2] - r[2, 0]) / s, (r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s]
    else:
        s = 2.0 * np.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1])
        q = [(r[1, 0] - r[0, 1]) / s, (r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s]
    out = normalize(np.asarray(q))
    return out if out[0] >= 0 else -out


def inclination_deg(q_err: ArrayLike) -> FloatArray:
    """Tilt part of an error quaternion: 2·acos(√(w² + z²)) in degrees (BROAD's metric)."""
    qq = np.asarray(q_err, dtype=np.float64)
    c = np.sqrt(qq[..., 0] ** 2 + qq[..., 3] ** 2)
    out: FloatArray = np.degrees(2.0 * np.arccos(np.clip(c, -1.0, 1.0)))
    return out
