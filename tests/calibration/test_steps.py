from __future__ import annotations

import json

import numpy as np

from calibration.rotation import angle_between_quats_deg, quat_from_matrix
from calibration.steps import (
    accel_from_recording,
    detect_steps,
    gyro_from_recording,
    mount_from_recording,
)
from tests.calibration.synth import (
    SensorErrors,
    hold_and_turn,
    random_rotation,
    six_faces,
    stand_and_swing,
    through_sensor,
)
from trainer.vocab.calibration import CalibrationProfile


def test_three_steps_build_a_profile_that_round_trips() -> None:
    rng = np.random.default_rng(4)
    err = SensorErrors.random(rng)
    err.acc_matrix = np.diag([1.02, 0.98, 1.01])
    profile = CalibrationProfile.neutral("AA:01", "WT901")
    acc, gyr = hold_and_turn([np.eye(3)], hold_s=12.0)
    still = through_sensor(acc, gyr, err, rng)
    assert detect_steps(still.t_s, still.acc_g, still.gyr_dps) == ["gyro"]
    profile, _ = gyro_from_recording(profile, still.t_s, still.acc_g, still.gyr_dps)
    faces = six_faces(err, rng)
    assert detect_steps(faces.t_s, faces.acc_g, faces.gyr_dps) == ["gyro", "accel"]
    profile, _ = accel_from_recording(profile, faces.t_s, faces.acc_g, faces.gyr_dps)
    r_true = random_rotation(rng)
    acc, gyr = stand_and_swing(r_true, rng)
    swing = through_sensor(acc, gyr, err, rng)
    assert detect_steps(swing.t_s, swing.acc_g, swing.gyr_dps) == ["mount"]
    profile, res = mount_from_recording(profile, swing.t_s, swing.acc_g, swing.gyr_dps,
                                        side="right", placement="foot")
    # mounting comes out right although the raw data carry offset, scale and bias errors
    assert angle_between_quats_deg(res.quat_wxyz, quat_from_matrix(r_true)) < 1.0
    assert profile.missing == []
    back = CalibrationProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert back.steps_done == ["gyro", "accel", "mount"]
    assert back.side == "right" and back.placement == "foot"
    assert set(back.quality) == {"gyro", "accel", "mount"}
    assert back.step_time("accel") == back.quality["accel"]["time"]
    np.testing.assert_allclose(back.acc_offset_g, err.acc_offset_g, atol=0.005)
