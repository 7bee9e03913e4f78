"""The lifted-foot touchdown detector and the trunk sway measures on the IPOL gait data set
(Voisard et al. 2023, see ``realgait``): 110 walks of 19 healthy adults, IMUs on both feet and
the lower back, 3866 reference heel strikes. Skips without a local clone in ``IPOL_GAIT_DIR``
(AGPL-3.0: not copied here). The figures are in docs/multi-sensor.md."""

from __future__ import annotations

import pytest

from tests.external.realgait import evaluate_ipol, ipol_dir

pytestmark = pytest.mark.external


@pytest.fixture(scope="module")
def figures() -> dict[str, float]:
    root = ipol_dir()
    if root is None:
        pytest.skip("IPOL_GAIT_DIR not set to a clone of CyrilVoisard/ipol_dataset_1")
    return evaluate_ipol(root)


def test_touchdown_time_at_real_heel_strikes(figures: dict[str, float]) -> None:
    assert figures["heel_strikes"] > 3500
    # measured: a front at 80 % of heel strikes (the others: the swing before is as
    # jerky as the impact), median +15 ms, 95th percentile of |error| 75 ms
    assert figures["heel_strikes_with_front"] >= 0.7 * figures["heel_strikes"]
    assert 0.0 <= figures["front_error_median_ms"] <= 40.0
    assert figures["front_error_p95_abs_ms"] <= 100.0


def test_detector_settings_keep_walking_out(figures: dict[str, float]) -> None:
    # measured: 121 of 3646 heel strikes in mid-walk (3.3 %, most at the U-turn or in slow
    # walking with a long foot-flat) and 37 detections at no reference (18 an hour of foot
    # recording), in 1.9 h of walking
    assert figures["mid_walk_detected"] <= 0.05 * figures["mid_walk_heel_strikes"]
    assert figures["detections_elsewhere"] <= 30 * figures["foot_recording_h"]


def test_stopping_steps_are_not_lifted_long_enough(figures: dict[str, float]) -> None:
    # measured: 35 of 220 final steps (16 %): a walking foot is off the floor ~0.4 s, so its
    # orientation 1.0-0.35 s before the step is the foot flat on the floor again (median
    # change 4.7 deg < 12 deg). Documented scope, not a defect: the detector is for a foot
    # held lifted and then set down.
    assert 0.05 * figures["final_steps"] <= figures["final_steps_detected"] \
        <= 0.4 * figures["final_steps"]


def test_trunk_sway_standing_before_the_walk(figures: dict[str, float]) -> None:
    # 3.5-5.3 s of standing before each walk (not a quiet-stance protocol): the measures are of
    # the order published for quiet stance (RMS a few hundredths of m/s²)
    assert figures["trunk_standing_windows"] >= 100
    assert 0.02 <= figures["trunk_rms_m_s2_median"] <= 0.2
    assert 0.005 <= figures["trunk_mean_velocity_m_s_median"] <= 0.1
