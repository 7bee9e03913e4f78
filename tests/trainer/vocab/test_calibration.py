from __future__ import annotations

import json

import numpy as np
import pytest

from trainer.vocab.calibration import CalibrationProfile, ProfileError


def test_neutral_profile_is_identity_and_lists_missing_steps() -> None:
    p = CalibrationProfile.neutral("AA:BB", "WT901")
    acc = np.array([[0.1, 0.2, 1.0]])
    gyr = np.array([[1.0, 2.0, 3.0]])
    a, g = p.apply(acc, gyr)
    np.testing.assert_array_equal(a, acc)
    np.testing.assert_array_equal(g, gyr)
    assert p.missing == ["gyro", "accel", "mount"]


def test_round_trip_through_json() -> None:
    p = CalibrationProfile.neutral("AA:BB")
    p.gyro_bias_dps = np.array([0.5, -0.2, 0.1])
    p.acc_offset_g = np.array([0.01, 0.0, -0.02])
    p.acc_matrix = np.diag([1.01, 0.99, 1.0])
    p.mount_quat_wxyz = np.array([1.0, 0.0, 0.0, 0.0])
    p.steps_done = ["gyro", "accel", "mount"]
    q = CalibrationProfile.from_dict(json.loads(json.dumps(p.to_dict())))
    np.testing.assert_allclose(q.acc_matrix, p.acc_matrix)
    np.testing.assert_allclose(q.gyro_bias_dps, p.gyro_bias_dps)
    assert q.missing == []
    a, g = q.apply(np.array([[0.01, 0.0, 0.98]]), np.array([[0.5, -0.2, 0.1]]))
    np.testing.assert_allclose(a, [[0.0, 0.0, 1.0]])
    np.testing.assert_allclose(g, 0.0, atol=1e-12)


@pytest.mark.parametrize("bad", [None, [], {"format_version": 9},
                                 {"format_version": 1, "acc_matrix": [[1, 0], [0, 1]]},
                                 {"format_version": 1, "gyro_bias_dps": ["x", 0, 0]},
                                 {"format_version": 1, "mounting": {"quat_wxyz": [0, 0, 0, 0]}}])
def test_bad_profiles_give_a_clear_error(bad: object) -> None:
    with pytest.raises(ProfileError):
        CalibrationProfile.from_dict(bad)
