from __future__ import annotations

import numpy as np
import pytest

from calibration.errors import CalibrationError
from calibration.mounting import estimate_mounting
from calibration.rotation import angle_between_quats_deg, quat_from_matrix
from tests.calibration.synth import SensorErrors, random_rotation, stand_and_swing, through_sensor


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("side", "placement"), [("left", "shank"), ("right", "foot")])
def test_random_mountings_within_one_degree(seed: int, side: str, placement: str) -> None:
    rng = np.random.default_rng(seed)
    r_true = random_rotation(rng)
    acc, gyr = stand_and_swing(r_true, rng, amp_deg=rng.uniform(20, 45))
    rec = through_sensor(acc, gyr, SensorErrors(), rng)
    res = estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side=side, placement=placement)
    assert angle_between_quats_deg(res.quat_wxyz, quat_from_matrix(r_true)) < 1.0
    assert res.side == side and res.placement == placement
    q = res.quality()
    assert q["swing_deg"] > 15 and q["stand_s"] > 2


def test_sign_follows_the_forward_swing() -> None:
    """The same data with the swing reversed (a backward kick) flips x and y."""
    rng = np.random.default_rng(1)
    acc, gyr = stand_and_swing(np.eye(3), rng, amp_deg=-30.0)
    rec = through_sensor(acc, gyr, SensorErrors(), rng)
    res = estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="shank")
    np.testing.assert_allclose(res.matrix, np.diag([-1.0, -1.0, 1.0]), atol=0.02)


def test_no_swing_and_sideways_swing_are_refused() -> None:
    rng = np.random.default_rng(2)
    acc, gyr = stand_and_swing(np.eye(3), rng, amp_deg=0.0)
    rec = through_sensor(acc, gyr, SensorErrors(), rng)
    with pytest.raises(CalibrationError, match="no leg swing"):
        estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="shank")
    # a twist about the vertical axis is not a forward swing
    twist = np.array([[1.0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]])  # sensor y up: swing axis vertical
    acc, gyr = stand_and_swing(np.eye(3), rng)
    acc_t = np.concatenate([acc[:400], acc[400:520] @ twist.T @ twist, acc[520:]])
    gyr_t = np.concatenate([gyr[:400], gyr[400:520] @ twist.T, gyr[520:]])
    rec = through_sensor(acc_t, gyr_t, SensorErrors(), rng)
    with pytest.raises(CalibrationError, match="horizontal"):
        estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="shank")
    with pytest.raises(CalibrationError, match="placement"):
        estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="knee")


@pytest.mark.parametrize("seed", range(4))
def test_trunk_mounting_from_a_forward_lean(seed: int) -> None:
    """On the trunk the move is a forward lean (the top goes forward: positive about +y), the
    other way round from a leg swing; the same data read as a leg swing flips x and y."""
    rng = np.random.default_rng(seed)
    r_true = random_rotation(rng)
    acc, gyr = stand_and_swing(r_true, rng, amp_deg=-rng.uniform(20, 40))  # lean forward
    rec = through_sensor(acc, gyr, SensorErrors(), rng)
    res = estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="trunk")
    assert angle_between_quats_deg(res.quat_wxyz, quat_from_matrix(r_true)) < 1.0
    assert res.placement == "trunk"
    leg = estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="shank")
    assert angle_between_quats_deg(leg.quat_wxyz, quat_from_matrix(r_true)) > 170.0


def test_trunk_errors_ask_for_a_lean_not_a_leg_swing() -> None:
    """`calibrate --from SESSION --sensor trunk --step mount` on a session without the lean said
    "swing the leg": on the trunk every refusal names the move the trunk makes."""
    rng = np.random.default_rng(3)
    acc, gyr = stand_and_swing(np.eye(3), rng, amp_deg=0.0)
    rec = through_sensor(acc, gyr, SensorErrors(), rng)
    with pytest.raises(CalibrationError, match=r"no forward lean found.*lean the trunk") as info:
        estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="trunk")
    assert "leg" not in str(info.value)
    acc, gyr = stand_and_swing(np.eye(3), rng, amp_deg=-8.0, swing_s=0.5)  # a quick, small lean
    rec = through_sensor(acc, gyr, SensorErrors(), rng)
    with pytest.raises(CalibrationError, match="forward lean was too small") as info:
        estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="trunk")
    assert "leg" not in str(info.value)
    with pytest.raises(CalibrationError, match=r"swing was too small.*swing the leg"):
        estimate_mounting(rec.t_s, rec.acc_g, rec.gyr_dps, side="left", placement="shank")
