from __future__ import annotations

import numpy as np

from calibration.guide import (
    Collector,
    FaceCollector,
    GyroCollector,
    MountCollector,
    make_collector,
)
from calibration.rotation import angle_between_quats_deg, quat_from_matrix, rotvec_matrix
from tests.calibration.synth import (
    Recording,
    SensorErrors,
    face_rotation,
    hold_and_turn,
    random_rotation,
    six_faces,
    stand_and_swing,
    through_sensor,
)


def feed_in_chunks(c: Collector, rec: Recording, rng: np.random.Generator) -> list[str]:
    """Feed a recording in random chunk sizes (a live stream), collecting the messages."""
    messages: list[str] = []
    i = 0
    n = rec.t_s.shape[0]
    while i < n and not c.done:
        k = int(rng.integers(1, 40))
        messages += c.feed(rec.t_s[i:i + k], rec.acc_g[i:i + k], rec.gyr_dps[i:i + k])
        status = c.status()
        assert 0.0 <= status.progress <= 1.0 and status.prompt
        i += k
    return messages


def test_gyro_step_finishes_after_ten_still_seconds() -> None:
    rng = np.random.default_rng(0)
    err = SensorErrors.random(rng)
    acc, gyr = hold_and_turn([np.eye(3)], hold_s=14.0)
    c = GyroCollector()
    msgs = feed_in_chunks(c, through_sensor(acc, gyr, err, rng), rng)
    assert c.done and c.result is not None and c.repeats == 0
    assert np.max(np.abs(c.result.bias_dps - err.gyro_bias_dps)) < 0.05
    assert "bias" in msgs[-1]
    assert c.status().progress == 1.0


def test_gyro_step_restarts_when_the_sensor_is_bumped() -> None:
    rng = np.random.default_rng(1)
    err = SensorErrors.random(rng)
    bumped = rotvec_matrix([0.15, 0.0, 0.0])
    acc, gyr = hold_and_turn([np.eye(3), bumped, np.eye(3)], hold_s=[6.0, 0.3, 12.0],
                             turn_s=0.3)
    c = GyroCollector()
    msgs = feed_in_chunks(c, through_sensor(acc, gyr, err, rng), rng)
    assert c.repeats == 1 and any("moved" in m for m in msgs)
    assert c.done and c.result is not None
    assert c.t_s[-1] > 16.0  # finished only after a full new 10 s
    assert np.max(np.abs(c.result.bias_dps - err.gyro_bias_dps)) < 0.05


def test_six_faces_in_any_order_with_a_repeated_face() -> None:
    rng = np.random.default_rng(2)
    err = SensorErrors.random(rng)
    rec = six_faces(err, rng, order="-Y+X+X+Z-Z-X+Y")
    c = FaceCollector(tilted=False)
    msgs = feed_in_chunks(c, rec, rng)
    assert c.done and c.result is not None
    assert any("done already" in m for m in msgs)
    assert np.max(np.abs(c.result.offset_g - err.acc_offset_g)) < 0.005
    scale = np.linalg.norm(c.result.matrix @ err.acc_matrix, axis=0) - 1.0
    assert np.max(np.abs(scale)) < 0.002


def test_moving_while_holding_a_face_repeats_that_face() -> None:
    rng = np.random.default_rng(3)
    err = SensorErrors.random(rng)
    faces = ["+Z", "-Z", "+X", "-X", "+Y", "-Y"]
    rots = [face_rotation(f) for f in faces]
    # +X is held 2 s, knocked 8° and held again: the first hold must not count
    knocked = rotvec_matrix([0.0, 0.0, 0.14]) @ rots[2]
    seq = [*rots[:3], knocked, rots[2], *rots[3:]]
    holds = [4.0, 4.0, 2.2, 0.2, 4.0, 4.0, 4.0, 4.0]
    acc, gyr = hold_and_turn(seq, hold_s=holds, turn_s=1.0)
    c = FaceCollector(tilted=False)
    msgs = feed_in_chunks(c, through_sensor(acc, gyr, err, rng), rng)
    assert "moved before +X up was captured: hold it still again" in msgs
    assert c.repeats == 1 and c.done and c.result is not None
    assert [m for m in msgs if m.startswith("captured")][2] == "captured +X up (3/6)"


def test_tilted_poses_pin_the_cross_axis_terms_on_an_uneven_table() -> None:
    rng = np.random.default_rng(6)
    err = SensorErrors.random(rng)
    err.acc_matrix = np.diag([1.03, 0.97, 1.01]) @ (np.eye(3) + np.tril([[0, 0, 0],
                                                                         [0.015, 0, 0],
                                                                         [-0.01, 0.02, 0]]))
    level_error = rotvec_matrix(np.radians([2.5, -1.5, 0.0]))
    rots = []
    for f in ["+Z", "-Z", "+X", "-X", "+Y", "-Y"]:
        heading = rotvec_matrix([0.0, 0.0, rng.uniform(-np.pi, np.pi)])
        rots.append(level_error @ heading @ face_rotation(f))
    # propped poses, only roughly at 45°, plus one that is not a pose at all
    rots.append(rotvec_matrix([0.0, 0.0, 1.2]) @ face_rotation("+X"))  # spun on +X: done already
    for v in ([1.0, 1.1, 0.0], [1.0, 0.0, 0.8], [0.0, 0.9, 1.0]):
        u = np.array(v) / np.linalg.norm(v)
        c_ax = np.cross(u, [0.0, 0.0, 1.0])
        rots.append(rotvec_matrix(c_ax / np.linalg.norm(c_ax) * np.arccos(u[2])))
    acc, gyr = hold_and_turn(rots, hold_s=4.0, turn_s=1.2)
    rec = through_sensor(acc, gyr, err, rng)
    faces_only = FaceCollector(tilted=False)
    feed_in_chunks(faces_only, rec, rng)
    full = FaceCollector()
    msgs = feed_in_chunks(full, rec, rng)
    assert any("done already" in m for m in msgs)
    assert "captured +Y+Z (9/9)" in msgs
    assert faces_only.result is not None and full.result is not None
    truth = np.linalg.inv(err.acc_matrix)
    err_faces = np.abs(faces_only.result.matrix - truth).max()
    err_full = np.abs(full.result.matrix - truth).max()
    assert err_full < 0.004 < err_faces  # the tilted poses fix what an uneven table spoils
    scale = np.linalg.norm(full.result.matrix @ err.acc_matrix, axis=0) - 1.0
    assert np.max(np.abs(scale)) < 0.002
    assert np.max(np.abs(full.result.offset_g - err.acc_offset_g)) < 0.005


def test_mount_step_within_one_degree_and_asks_again_for_a_small_swing() -> None:
    rng = np.random.default_rng(4)
    err = SensorErrors.random(rng)
    from trainer.vocab.calibration import CalibrationProfile

    profile = CalibrationProfile.neutral("AA")
    profile.gyro_bias_dps = err.gyro_bias_dps.copy()
    profile.acc_offset_g = err.acc_offset_g.copy()
    profile.acc_matrix = np.linalg.inv(err.acc_matrix)
    r_true = random_rotation(rng)
    small_acc, small_gyr = stand_and_swing(r_true, rng, amp_deg=6.0)
    acc, gyr = stand_and_swing(r_true, rng, amp_deg=30.0)
    rec = through_sensor(np.concatenate([small_acc, acc]), np.concatenate([small_gyr, gyr]),
                         err, rng)
    c = make_collector("mount", side="right", placement="shank", profile=profile)
    assert isinstance(c, MountCollector)
    assert "right shank" in c.status().prompt
    msgs = feed_in_chunks(c, rec, rng)
    assert any("try again" in m for m in msgs) and c.repeats >= 1
    assert c.done and c.result is not None
    assert angle_between_quats_deg(c.result.quat_wxyz, quat_from_matrix(r_true)) < 1.0
