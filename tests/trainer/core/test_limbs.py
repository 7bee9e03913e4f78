"""Extra sensors' measures: touchdown on a model written apart from the simulator's, trunk sway
with analytic answers, limb symmetry."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.limbs import (
    G,
    detect_touchdowns,
    leg_symmetry,
    lsi_pct,
    stance_masks,
    trunk_sway,
    trunk_sway_windows,
)


def foot_model(fs: float, events: list[tuple[str, float]], rng: np.random.Generator,
               duration_s: float = 30.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A lifted foot (pitched 25 deg toe-down, wobbling) that is put down at "down" times
    (a 0.4 s linear swing to flat, then a 40 Hz damped ring of 1.5 g), kicks at "kick" times (a
    ring while still in the air, orientation unchanged) and is lifted 2 s after each touchdown.
    Not the simulator's shapes: ramps and rings instead of smoothsteps and exponentials."""
    t = np.arange(0, duration_s, 1 / fs)
    pitch = np.full(t.size, 25.0) + 1.5 * np.sin(2 * np.pi * 0.7 * t)
    ring = np.zeros(t.size)
    for kind, te in events:
        if kind == "down":
            ramp = np.clip((t - (te - 0.4)) / 0.4, 0, 1)
            lift = np.clip((t - (te + 2.0)) / 0.5, 0, 1)
            pitch = pitch * (1 - ramp * (1 - lift)) + 0.0
        dt = t - te
        on = dt >= 0
        ring[on] += 1.5 * np.exp(-dt[on] / 0.03) * np.cos(2 * np.pi * 40 * dt[on])
    p = np.radians(pitch)
    acc = np.column_stack([np.sin(p), np.zeros(t.size), np.cos(p)])
    acc[:, 2] += ring
    acc += rng.normal(0, 0.01, acc.shape)
    gyr = np.column_stack([np.zeros(t.size), np.gradient(pitch, t), np.zeros(t.size)])
    gyr += rng.normal(0, 0.5, gyr.shape)
    return t, acc, gyr


@pytest.mark.parametrize("fs", [100.0, 200.0])
def test_touchdowns_on_an_independent_model(fs: float) -> None:
    rng = np.random.default_rng(4)
    truth = [6.0, 15.3, 24.8]
    t, acc, gyr = foot_model(fs, [("down", x) for x in truth] + [("kick", 11.0)], rng)
    found = detect_touchdowns(t, acc, gyr)
    assert [round(f["t_s"], 2) for f in found] == pytest.approx(truth, abs=0.015)
    assert all(f["turn_deg"] > 20 for f in found)


def test_no_touchdown_without_a_change_of_orientation() -> None:
    rng = np.random.default_rng(5)
    t, acc, gyr = foot_model(100.0, [("kick", 5.0), ("kick", 12.0)], rng, 20.0)
    assert detect_touchdowns(t, acc, gyr) == []


def test_trunk_sway_analytic() -> None:
    fs, f, a_g, dur = 100.0, 0.8, 0.02, 40.0
    t = np.arange(0, dur, 1 / fs)
    acc = np.column_stack([a_g * np.sin(2 * np.pi * f * t), np.zeros(t.size),
                           np.ones(t.size)])
    m = trunk_sway(t, acc, fs)
    amp = a_g * G  # m/s²
    assert m["rms_ap_m_s2"] == pytest.approx(amp / np.sqrt(2), rel=0.02)
    assert m["rms_ml_m_s2"] == pytest.approx(0.0, abs=1e-6)
    assert m["jerk_m2_s5"] == pytest.approx(0.5 * (amp * 2 * np.pi * f) ** 2 * dur / 2,
                                            rel=0.03)
    assert m["mean_velocity_m_s"] == pytest.approx(amp / (2 * np.pi * f) * 2 / np.pi, rel=0.03)
    assert m["ellipse_area_m2_s4"] == pytest.approx(0.0, abs=1e-6)  # a line has no area
    w = trunk_sway_windows(t, acc, fs, [(0.0, 20.0), (20.0, 40.0)])
    assert w["n_trials"] == 2 and w["rms_ap_m_s2"] == pytest.approx(amp / np.sqrt(2), rel=0.03)
    assert "Mancini" in w["source"]


def test_tilted_sensor_is_tilt_corrected() -> None:
    fs = 100.0
    t = np.arange(0, 20, 1 / fs)
    tilt = np.radians(20)
    horiz = 0.02 * np.sin(2 * np.pi * 0.5 * t)
    acc = np.column_stack([horiz * np.cos(tilt) + np.sin(tilt),
                           np.zeros(t.size), np.cos(tilt) - horiz * np.sin(tilt)])
    assert trunk_sway(t, acc, fs)["rms_ap_m_s2"] == pytest.approx(0.02 * G / np.sqrt(2),
                                                                  rel=0.03)


def test_symmetry_index() -> None:
    assert lsi_pct(20.0, 25.0, True) == pytest.approx(80.0)
    assert lsi_pct(4.0, 2.0, False) == pytest.approx(50.0)
    assert lsi_pct(None, 2.0, False) is None
    left = np.r_[np.zeros(50), np.zeros(50) + 30]  # left stands, then is lifted
    right = np.r_[np.zeros(50) + 30, np.zeros(50)]
    sl, sr = stance_masks(left, right)
    assert sl[:50].all() and not sl[50:].any() and sr[50:].all()
    out = leg_symmetry({"left": {"stance_s": 10.0, "ellipse_area": 4.0},
                        "right": {"stance_s": 20.0, "ellipse_area": 2.0}}, "left")
    assert out["lsi_pct"]["stance_s"] == pytest.approx(50.0)
    assert out["lsi_pct"]["ellipse_area"] == pytest.approx(50.0)
