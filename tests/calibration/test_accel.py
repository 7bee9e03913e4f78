from __future__ import annotations

import numpy as np
import pytest

from calibration.accel import FACES, Pose, calibrate_accel, face_of, find_poses, fit_accel
from calibration.errors import CalibrationError
from calibration.rotation import rotvec_matrix
from tests.calibration.synth import (
    SensorErrors,
    hold_and_turn,
    random_rotation,
    six_faces,
    through_sensor,
)


def lower_triangular_errors(rng: np.random.Generator) -> SensorErrors:
    """The simulator's model: raw = diag(scale)·(unit lower-triangular)·true + offset."""
    err = SensorErrors.random(rng)
    mis = np.eye(3) + np.tril(rng.uniform(-0.02, 0.02, (3, 3)), -1)
    err.acc_matrix = np.diag(rng.uniform(0.96, 1.04, 3)) @ mis
    return err


def scale_error(matrix: np.ndarray, err: SensorErrors) -> np.ndarray:
    """Relative error of |calibrated| for a true 1 g along each axis."""
    out: np.ndarray = np.linalg.norm(matrix @ err.acc_matrix, axis=0) - 1.0
    return out


@pytest.mark.parametrize("seed", range(4))
def test_six_faces_recover_offset_scale_and_cross_axis(seed: int) -> None:
    rng = np.random.default_rng(seed)
    err = lower_triangular_errors(rng)
    rec = six_faces(err, rng, order="+X-Y+Z-X+Y-Z")
    fit = calibrate_accel(rec.t_s, rec.acc_g, rec.gyr_dps)
    assert fit.model == "faces"
    assert sorted(fit.labels) == sorted(FACES)  # type: ignore[type-var]
    assert np.max(np.abs(scale_error(fit.matrix, err))) < 0.002
    assert np.max(np.abs(fit.offset_g - err.acc_offset_g)) < 0.005
    np.testing.assert_allclose(fit.matrix, np.linalg.inv(err.acc_matrix), atol=2e-3)
    assert fit.passed and fit.max_residual_mg < 2.0
    q = fit.quality()
    assert q["pass"] and len(q["poses"]) == 6 and q["tolerance_mg"] == 10.0


@pytest.mark.parametrize("seed", range(3))
def test_faces_off_level_keep_offset_and_scale_keep_offset_and_scale(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    err = SensorErrors.random(rng)
    rec = six_faces(err, rng, tilt_deg=1.5)
    fit = calibrate_accel(rec.t_s, rec.acc_g, rec.gyr_dps)
    assert np.max(np.abs(scale_error(fit.matrix, err))) < 0.002
    assert np.max(np.abs(fit.offset_g - err.acc_offset_g)) < 0.005
    assert fit.quality()["max_face_angle_deg"] > 0.5  # the tilt shows in the quality figure


def test_many_arbitrary_poses_use_the_ellipsoid_fit() -> None:
    rng = np.random.default_rng(11)
    err = SensorErrors.random(rng)
    rots = [random_rotation(rng) for _ in range(14)]
    acc, gyr = hold_and_turn(rots, hold_s=2.5, turn_s=1.0)
    rec = through_sensor(acc, gyr, err, rng)
    fit = calibrate_accel(rec.t_s, rec.acc_g, rec.gyr_dps)
    assert fit.model == "ellipsoid"
    # any orientation: |a| = 1 g after calibration
    check = np.array([r.T @ [0, 0, 1] for r in (random_rotation(rng) for _ in range(50))])
    raw = check @ err.acc_matrix.T + err.acc_offset_g
    assert np.max(np.abs(np.linalg.norm(fit.apply(raw), axis=1) - 1.0)) < 0.002
    assert np.max(np.abs(fit.offset_g - err.acc_offset_g)) < 0.005


def test_same_face_twice_is_one_pose_and_extra_poses_are_kept() -> None:
    rng = np.random.default_rng(5)
    err = SensorErrors.random(rng)
    rec = six_faces(err, rng, order="+Z-Z+X-X+Y-Y+Z")
    poses = find_poses(rec.t_s, rec.acc_g, rec.gyr_dps)
    assert len(poses) == 6
    tilted = rotvec_matrix([0.5, 0.4, 0.0])
    acc, gyr = hold_and_turn([np.eye(3), tilted, rotvec_matrix([0.0, 2.0, 0.3])])
    extra = through_sensor(acc, gyr, err, rng)
    poses2 = poses + find_poses(extra.t_s, extra.acc_g, extra.gyr_dps)
    fit = fit_accel(poses2)
    assert fit.labels.count(None) >= 2
    assert np.max(np.abs(fit.offset_g - err.acc_offset_g)) < 0.005


def test_missing_faces_are_named() -> None:
    rng = np.random.default_rng(2)
    rec = six_faces(SensorErrors.random(rng), rng, order="+Z-Z+X-X+Y+X")
    with pytest.raises(CalibrationError, match="-Y"):
        calibrate_accel(rec.t_s, rec.acc_g, rec.gyr_dps)
    with pytest.raises(CalibrationError, match=r"found 1 \(missing -Z, \+X"):
        fit_accel([Pose(np.array([0.0, 0.0, 1.0]), 100, 0.001, 0.0, 1.0)])


def test_face_of() -> None:
    assert face_of(np.array([0.02, -0.99, 0.05]))[0] == "-Y"
    label, tilt = face_of(np.array([0.0, np.sin(0.2), np.cos(0.2)]))
    assert label == "+Z" and tilt == pytest.approx(np.degrees(0.2))
