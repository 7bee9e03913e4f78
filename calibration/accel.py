"""Six-face accelerometer calibration: offset, scale and cross-axis terms from still poses.

Model (the profile contract): calibrated = ``M`` · (raw − ``b``). ``M`` is kept lower-triangular
with a positive diagonal: the calibrated x axis is the accelerometer's own x axis and y lies in the
plane of its x and y axes. That removes the rotation ambiguity of |a| = 1 g fits, keeps the
calibrated frame within the (small) cross-axis angles of the chip's own axes, and so of the
gyroscope on the same chip, and matches the simulator's error model (raw = diag(scale)·(unit
lower-triangular misalignment)·true + offset, so ``M`` = its inverse).

Two fits, chosen from the poses found:

* ``faces`` — all six faces (±X, ±Y, ±Z up, each within 15°) were held still. Residuals: |M(aᵢ − b)|
  − 1 for every pose, plus, weighted by :data:`FACE_WEIGHT`, M(aᵢ − b) − R gᵢ for the six faces
  (gravity known in the case's frame up to one common rotation ``R``). Started from the classic
  linear six-position least squares (split by an RQ decomposition into ``R`` and the triangular
  ``M``) and solved
  with Levenberg–Marquardt (``scipy.optimize.least_squares``). Offsets and scales come from
  |a| = 1 g and stay right when the table is a few degrees off level; the three cross-axis terms
  come from the face directions when there are only six poses (so they are only as good as the
  faces are square: about 1° per degree of tilt) and from |a| when extra poses are held.
* ``ellipsoid`` — ten or more poses in any orientations: only |M(aᵢ − b)| = 1 is used (9 unknowns).

The quality figure is the norm residual |M(aᵢ − b)| − 1 of every pose in mg, checked against a
stated tolerance, and for the faces the angle between the calibrated and the ideal gravity
direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import rq
from scipy.optimize import least_squares

from calibration.errors import CalibrationError
from calibration.rotation import quat_from_matrix, rotvec_matrix
from trainer.core.stillness import TABLE, StillnessThresholds, still_segments

FloatArray = NDArray[np.float64]

#: Guided order: flat first (easiest), then upside down, then the four edges.
FACES = ("+Z", "-Z", "+X", "-X", "+Y", "-Y")
FACE_VECTORS: dict[str, FloatArray] = {
    "+X": np.array([1.0, 0.0, 0.0]), "-X": np.array([-1.0, 0.0, 0.0]),
    "+Y": np.array([0.0, 1.0, 0.0]), "-Y": np.array([0.0, -1.0, 0.0]),
    "+Z": np.array([0.0, 0.0, 1.0]), "-Z": np.array([0.0, 0.0, -1.0]),
}
FACE_PROMPTS = {
    "+Z": "+Z up: lay the sensor flat, top side up",
    "-Z": "-Z up: lay it flat, upside down",
    "+X": "+X up: stand it on its -X edge so the +X axis points up",
    "-X": "-X up: stand it on its +X edge so the +X axis points down",
    "+Y": "+Y up: stand it on its -Y edge so the +Y axis points up",
    "-Y": "-Y up: stand it on its +Y edge so the +Y axis points down",
}
FACE_MAX_TILT_DEG = 15.0
TOLERANCE_MG = 10.0
#: Weight of the face-direction residuals against the |a| = 1 g residuals: small, so a face resting
#: a degree off (a table that is not level) cannot pull offsets or scales (those come from |a|);
#: with only six poses the directions still fix the three cross-axis terms.
FACE_WEIGHT = 0.01
MIN_POSE_S = 1.5


@dataclass(frozen=True, slots=True)
class Pose:
    """One still orientation: the mean raw acceleration and how long it was held."""

    acc_g: FloatArray
    n: int
    std_g: float
    t_start_s: float
    t_stop_s: float

    @property
    def face(self) -> str | None:
        """The face pointing up (``"+X"`` …) when within :data:`FACE_MAX_TILT_DEG`, else None."""
        label, tilt = face_of(self.acc_g)
        return label if tilt <= FACE_MAX_TILT_DEG else None


def face_of(acc_g: FloatArray) -> tuple[str, float]:
    """The axis closest to up for a (raw) acceleration at rest, and the tilt from it in degrees."""
    a = np.asarray(acc_g, dtype=np.float64)
    norm = float(np.linalg.norm(a))
    if norm < 1e-9:
        return "+Z", 90.0
    u = a / norm
    k = int(np.argmax(np.abs(u)))
    label = ("+" if u[k] >= 0 else "-") + "XYZ"[k]
    return label, float(np.degrees(np.arccos(min(1.0, abs(float(u[k]))))))


def find_poses(
    t_s: FloatArray,
    acc_g: FloatArray,
    gyr_dps: FloatArray,
    *,
    thresholds: StillnessThresholds = TABLE,
    min_duration_s: float = MIN_POSE_S,
    merge_deg: float = 2.0,
) -> list[Pose]:
    """Still periods of a continuous recording, grouped by gravity direction (periods within
    ``merge_deg`` of each other are one pose; the same face put down again a few degrees off is
    a new pose, which helps the fit)."""
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.asarray(acc_g, dtype=np.float64)
    segs = still_segments(t, acc, gyr_dps, thresholds, min_duration_s=min_duration_s)
    segs.sort(key=len, reverse=True)  # longest first: it anchors its cluster
    clusters: list[dict[str, Any]] = []
    cos_merge = np.cos(np.radians(merge_deg))
    for seg in segs:
        block = acc[seg.start:seg.stop]
        mean = block.mean(axis=0)
        u = mean / np.linalg.norm(mean)
        for c in clusters:
            if float(u @ c["u"]) > cos_merge:
                c["sum"] += block.sum(axis=0)
                c["sq"] += float((block - mean).var(axis=0).sum()) * len(seg)
                c["n"] += len(seg)
                c["t0"] = min(c["t0"], float(t[seg.start]))
                c["t1"] = max(c["t1"], float(t[seg.stop - 1]))
                break
        else:
            clusters.append({"u": u, "sum": block.sum(axis=0), "n": len(seg),
                             "sq": float(block.var(axis=0).sum()) * len(seg),
                             "t0": float(t[seg.start]), "t1": float(t[seg.stop - 1])})
    poses = [Pose(acc_g=c["sum"] / c["n"], n=int(c["n"]), std_g=float(np.sqrt(c["sq"] / c["n"])),
                  t_start_s=c["t0"], t_stop_s=c["t1"]) for c in clusters]
    poses.sort(key=lambda p: p.t_start_s)
    return poses


@dataclass
class AccelFit:
    """Result of a fit: the profile's ``acc_offset_g`` and ``acc_matrix`` plus quality."""

    offset_g: FloatArray
    matrix: FloatArray
    model: str
    poses: list[Pose]
    labels: list[str | None]
    norm_residual_mg: FloatArray
    face_angle_deg: dict[str, float] = field(default_factory=dict)
    tolerance_mg: float = TOLERANCE_MG

    @property
    def max_residual_mg(self) -> float:
        return float(np.max(np.abs(self.norm_residual_mg)))

    @property
    def rms_residual_mg(self) -> float:
        return float(np.sqrt(np.mean(self.norm_residual_mg ** 2)))

    @property
    def passed(self) -> bool:
        """Every pose has |a| = 1 g within the tolerance."""
        return self.max_residual_mg <= self.tolerance_mg

    def apply(self, acc_g: FloatArray) -> FloatArray:
        out: FloatArray = (np.asarray(acc_g, dtype=np.float64) - self.offset_g) @ self.matrix.T
        return out

    def quality(self) -> dict[str, Any]:
        per_pose = []
        for pose, label, r in zip(self.poses, self.labels, self.norm_residual_mg, strict=True):
            entry: dict[str, Any] = {"face": label, "norm_residual_mg": round(float(r), 2),
                                     "still_s": round(pose.t_stop_s - pose.t_start_s, 2)}
            if label in self.face_angle_deg:
                entry["angle_deg"] = round(self.face_angle_deg[label], 2)
            per_pose.append(entry)
        sens = np.linalg.inv(self.matrix)  # row k: what raw axis k sees of a true 1 g vector
        scale = np.linalg.norm(sens, axis=1)
        d = sens / scale[:, None]
        cross = [float(np.degrees(np.arcsin(np.clip(d[i] @ d[j], -1.0, 1.0))))
                 for i, j in ((0, 1), (0, 2), (1, 2))]
        return {
            "model": self.model,
            "n_poses": len(self.poses),
            "tolerance_mg": self.tolerance_mg,
            "max_norm_residual_mg": round(self.max_residual_mg, 2),
            "rms_norm_residual_mg": round(self.rms_residual_mg, 2),
            "pass": self.passed,
            "max_face_angle_deg": round(max(self.face_angle_deg.values(), default=0.0), 2),
            "poses": per_pose,
            "axis_scale": [round(float(v), 5) for v in scale],
            "cross_axis_deg": {"xy": round(cross[0], 3), "xz": round(cross[1], 3),
                               "yz": round(cross[2], 3)},
            "cross_axis_from": (
                "face directions (six poses: assumes square faces on a level table)"
                if self.model == "faces" and len(self.poses) < 9 else "|a| = 1 g over the poses"),
        }


def _unpack(p: FloatArray) -> tuple[FloatArray, FloatArray]:
    b = p[:3]
    u = np.zeros((3, 3))
    u[np.tril_indices(3)] = p[3:9]
    return b, u


def _pack(b: FloatArray, u: FloatArray) -> FloatArray:
    return np.concatenate([b, u[np.tril_indices(3)]])


def _triangular_split(m_full: FloatArray) -> tuple[FloatArray, FloatArray]:
    """``m_full = Q · L`` with ``Q`` orthogonal and ``L`` lower-triangular, positive diagonal."""
    r, q1 = rq(m_full.T)  # m_fullᵀ = R·Q1  →  m_full = Q1ᵀ·Rᵀ
    q, low = q1.T, r.T
    s = np.sign(np.diag(low))
    s[s == 0] = 1.0
    return q * s, low * s[:, None]


def _rotvec_of(r: FloatArray) -> FloatArray:
    """Rotation vector of a proper rotation matrix."""
    q = quat_from_matrix(r)
    s = float(np.linalg.norm(q[1:]))
    if s < 1e-12:
        return np.zeros(3)
    angle = 2.0 * np.arctan2(s, q[0])
    out: FloatArray = q[1:] / s * angle
    return out


def fit_accel(poses: Sequence[Pose], *, tolerance_mg: float = TOLERANCE_MG) -> AccelFit:
    """Offset and lower-triangular matrix from still poses (module doc: the two models)."""
    poses = list(poses)
    if len(poses) < 6:
        seen = {p.face for p in poses}
        missing = ", ".join(f for f in FACES if f not in seen)
        raise CalibrationError(
            f"need six still faces, found {len(poses)} (missing {missing}); "
            "hold each face still ≥ 2 s")
    a = np.array([p.acc_g for p in poses])
    if not np.all(np.isfinite(a)):
        raise CalibrationError("the recording has non-finite accelerometer values")
    # the pose nearest each axis carries that face's label; the rest are extra poses
    labels: list[str | None] = [None] * len(poses)
    best: dict[str, tuple[float, int]] = {}
    for i, p in enumerate(poses):
        label, tilt = face_of(p.acc_g)
        if tilt <= FACE_MAX_TILT_DEG and (label not in best or tilt < best[label][0]):
            best[label] = (tilt, i)
    for label, (_, i) in best.items():
        labels[i] = label
    face_idx = [best[f][1] for f in FACES if f in best]

    if len(face_idx) == 6:
        model = "faces"
        g = np.array([FACE_VECTORS[f] for f in FACES])
        af = a[face_idx]
        # linear six-position least squares: g = M_full·a − c
        design = np.hstack([af, -np.ones((6, 1))])
        sol, *_ = np.linalg.lstsq(design, g, rcond=None)
        m_full = sol[:3].T
        c = sol[3]
        if np.linalg.det(m_full) <= 0:
            raise CalibrationError("the six faces do not fit a sensor (axes mirrored?); repeat")
        b0 = np.linalg.solve(m_full, c)
        q, u0 = _triangular_split(m_full)
        p0 = np.concatenate([_pack(b0, u0), _rotvec_of(q.T)])

        def residuals(p: FloatArray) -> FloatArray:
            b, u = _unpack(p)
            r = rotvec_matrix(p[9:12])
            cal = (a - b) @ u.T
            res_n = np.linalg.norm(cal, axis=1) - 1.0
            res_f = (cal[face_idx] - g @ r.T).ravel() * FACE_WEIGHT
            return np.concatenate([res_n, res_f])

        sol_f = least_squares(residuals, p0, method="lm", x_scale="jac")
        b, u = _unpack(sol_f.x)
        r = rotvec_matrix(sol_f.x[9:12])
        cal_f = (af - b) @ u.T
        ideal = g @ r.T
        cosang = np.sum(cal_f * ideal, axis=1) / np.linalg.norm(cal_f, axis=1)
        face_angle = {f: float(np.degrees(np.arccos(np.clip(cv, -1.0, 1.0))))
                      for f, cv in zip(FACES, cosang, strict=True)}
    elif len(poses) >= 10:
        model = "ellipsoid"
        face_angle = {}
        norms = np.linalg.norm(a, axis=1)
        p0 = _pack(np.zeros(3), np.eye(3) / float(np.mean(norms)))

        def residuals(p: FloatArray) -> FloatArray:
            b, u = _unpack(p)
            out: FloatArray = np.linalg.norm((a - b) @ u.T, axis=1) - 1.0
            return out

        sol_e = least_squares(residuals, p0, method="lm", x_scale="jac")
        jac = sol_e.jac
        sv = np.linalg.svd(jac, compute_uv=False)
        if sv[-1] <= 1e-6 * sv[0]:
            raise CalibrationError(
                "the poses are too alike to fit offset, scale and cross-axis terms; "
                "hold the six faces (±X, ±Y, ±Z up)")
        b, u = _unpack(sol_e.x)
    else:
        absent = ", ".join(f for f in FACES if f not in best)
        raise CalibrationError(
            f"missing faces {absent}: hold each of the six faces still ≥ 2 s")

    # keep the diagonal positive (a sign flip of a row is a mirrored axis, not a calibration)
    if np.any(np.diag(u) <= 0):
        raise CalibrationError("the fit flipped an axis; the poses are inconsistent, repeat")
    norm_res = (np.linalg.norm((a - b) @ u.T, axis=1) - 1.0) * 1000.0
    return AccelFit(offset_g=b, matrix=u, model=model, poses=poses, labels=labels,
                    norm_residual_mg=norm_res, face_angle_deg=face_angle,
                    tolerance_mg=tolerance_mg)


def calibrate_accel(
    t_s: FloatArray,
    acc_g: FloatArray,
    gyr_dps: FloatArray,
    *,
    thresholds: StillnessThresholds = TABLE,
    tolerance_mg: float = TOLERANCE_MG,
) -> AccelFit:
    """Find the still faces in a continuous recording and fit them."""
    poses = find_poses(t_s, acc_g, gyr_dps, thresholds=thresholds)
    return fit_accel(poses, tolerance_mg=tolerance_mg)
