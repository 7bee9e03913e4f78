"""Small rotation helpers (quaternions scalar-first ``wxyz``; a quaternion rotates body-frame
vectors into the reference frame). Pure numpy."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


def quat_from_matrix(r: ArrayLike) -> FloatArray:
    """Unit quaternion (w ≥ 0) of a 3×3 rotation matrix (Shepperd's method, numerically safe)."""
    m = np.asarray(r, dtype=np.float64)
    tr = float(np.trace(m))
    cands = np.array([tr, m[0, 0], m[1, 1], m[2, 2]])
    k = int(np.argmax(cands))
    if k == 0:
        s = 2.0 * np.sqrt(1.0 + tr)
        q = [0.25 * s, (m[2, 1] - m[1, 2]) / s, (m[0, 2] - m[2, 0]) / s, (m[1, 0] - m[0, 1]) / s]
    elif k == 1:
        s = 2.0 * np.sqrt(1.0 + m[0, 0] - m[1, 1] - m[2, 2])
        q = [(m[2, 1] - m[1, 2]) / s, 0.25 * s, (m[0, 1] + m[1, 0]) / s, (m[0, 2] + m[2, 0]) / s]
    elif k == 2:
        s = 2.0 * np.sqrt(1.0 + m[1, 1] - m[0, 0] - m[2, 2])
        q = [(m[0, 2] - m[2, 0]) / s, (m[0, 1] + m[1, 0]) / s, 0.25 * s, (m[1, 2] + m[2, 1]) / s]
    else:
        s = 2.0 * np.sqrt(1.0 + m[2, 2] - m[0, 0] - m[1, 1])
        q = [(m[1, 0] - m[0, 1]) / s, (m[0, 2] + m[2, 0]) / s, (m[1, 2] + m[2, 1]) / s, 0.25 * s]
    out = np.asarray(q, dtype=np.float64)
    out /= np.linalg.norm(out)
    if out[0] < 0:
        out = -out
    return out


def rotvec_matrix(v: ArrayLike) -> FloatArray:
    """Rotation matrix of a rotation vector (axis × angle in rad), Rodrigues' formula."""
    vec = np.asarray(v, dtype=np.float64)
    theta = float(np.linalg.norm(vec))
    if theta < 1e-12:
        return np.eye(3)
    k = vec / theta
    kx = np.array([[0.0, -k[2], k[1]], [k[2], 0.0, -k[0]], [-k[1], k[0], 0.0]])
    out: FloatArray = np.eye(3) + np.sin(theta) * kx + (1.0 - np.cos(theta)) * (kx @ kx)
    return out


def angle_between_quats_deg(a: ArrayLike, b: ArrayLike) -> float:
    """Angle (degrees) of the rotation taking one unit quaternion to the other."""
    qa = np.asarray(a, dtype=np.float64)
    qb = np.asarray(b, dtype=np.float64)
    d = abs(float(qa @ qb)) / float(np.linalg.norm(qa) * np.linalg.norm(qb))
    return float(np.degrees(2.0 * np.arccos(min(1.0, d))))
