"""Calibration scenarios: still (gyro bias), six faces (accelerometer), stand + swing (mounting)."""

from __future__ import annotations

import numpy as np

from firmware_bridge.simulator import SimConfig, quat, simulate

ERRORS = {
    "acc_offset_g": (0.04, -0.03, 0.05),
    "acc_scale": (1.03, 0.97, 1.01),
    "acc_misalignment_rad": (0.01, -0.015, 0.02),
    "gyro_bias_dps": (1.2, -0.8, 0.5),
}
MOUNT = tuple(quat.from_euler_zyx(2.5, 0.3, -1.4).tolist())


def window(rec: object, ev: dict[str, float], trim: float = 0.3) -> np.ndarray:
    t = rec.batch.t_s  # type: ignore[attr-defined]
    return (t > ev["t_s"] + trim) & (t < ev["t_end_s"] - trim)


def test_still_sensor_reads_bias_and_gravity() -> None:
    rec = simulate(SimConfig(scenario="still", seed=1, duration_s=30.0, **ERRORS))  # type: ignore[arg-type]
    assert rec.truth.events == [{"type": "still", "t_s": 0.0, "t_end_s": 30.0}]
    np.testing.assert_allclose(rec.batch.gyr_dps.mean(axis=0), ERRORS["gyro_bias_dps"], atol=0.05)
    fixed = (rec.batch.acc_g.mean(axis=0) - rec.truth.acc_offset_g) @ rec.truth.acc_matrix.T
    np.testing.assert_allclose(fixed, [0.0, 0.0, 1.0], atol=0.002)
    np.testing.assert_array_equal(rec.truth.mount_quat_wxyz, [1.0, 0.0, 0.0, 0.0])


def test_six_faces_are_still_and_match_their_true_gravity() -> None:
    cfg = SimConfig(scenario="six-face", seed=2, duration_s=48.0, mount_quat_wxyz=MOUNT, **ERRORS)  # type: ignore[arg-type]
    rec = simulate(cfg)
    faces = rec.truth.events_of("face")[:6]
    assert [f["face"] for f in faces] == ["+z", "-z", "+x", "-x", "+y", "-y"]
    for f in faces:
        m = window(rec, f)
        g = np.array(f["gravity_sensor_g"])
        axis = "xyz".index(f["face"][1])
        assert g[axis] * (1 if f["face"][0] == "+" else -1) > np.cos(np.radians(4.0))
        gyr = rec.batch.gyr_dps[m] - rec.truth.gyro_bias_dps[m]
        assert float(np.abs(gyr).max()) < 0.5  # still
        raw = rec.batch.acc_g[m].mean(axis=0)
        # the raw reading carries the simulated errors ...
        assert float(np.linalg.norm(raw - g)) > 0.02
        # ... which the true calibration removes
        fixed = (raw - rec.truth.acc_offset_g) @ rec.truth.acc_matrix.T
        np.testing.assert_allclose(fixed, g, atol=0.003)
    moves = ~np.any([window(rec, f, trim=-0.5) for f in faces], axis=0)
    assert float(np.abs(rec.batch.gyr_dps[moves]).max()) > 50.0  # turned between faces


def test_stand_then_forward_swing_reveals_the_mounting() -> None:
    cfg = SimConfig(scenario="mount-swing", seed=3, duration_s=12.0, mount_quat_wxyz=MOUNT,
                    gyro_bias_dps=(0.0, 0.0, 0.0))
    rec = simulate(cfg)
    still = rec.truth.events_of("still")[0]
    swings = rec.truth.events_of("swing")
    assert len(swings) == 2 and still["t_end_s"] <= swings[0]["t_s"]
    q_m = rec.truth.mount_quat_wxyz
    acc_seg = quat.rotate(q_m, rec.batch.acc_g)
    gyr_seg = quat.rotate(q_m, rec.batch.gyr_dps)
    g = acc_seg[window(rec, still)].mean(axis=0)
    np.testing.assert_allclose(g / np.linalg.norm(g), [0.0, 0.0, 1.0], atol=0.01)
    assert float(np.mean(rec.batch.acc_g[window(rec, still), 2])) < 0.9  # rotated sensor
    for s in swings:
        m = window(rec, s, trim=0.0)
        w = gyr_seg[m]
        # a swing is a rotation about the segment's y axis; forward first: negative
        assert float(np.abs(w[:, 1]).max()) > 3 * float(np.abs(w[:, [0, 2]]).max())
        assert float(w[: len(w) // 2, 1].mean()) < -5.0
        assert abs(float(rec.truth.tilt_ap_deg[m].min()) + s["amplitude_deg"]) < 1.5
