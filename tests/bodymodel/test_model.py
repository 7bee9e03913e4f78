"""The independent motion model itself: its readings obey the physics it claims."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from tests.bodymodel import drills as bm
from tests.bodymodel.model import SensorErrors

EXACT = SensorErrors(gyro_noise_dps=0.0, acc_noise_g=0.0)


def test_still_sensor_reads_one_g_and_its_bias() -> None:
    rng = np.random.default_rng(3)
    rec = bm.calf_raise(rng, "left", "shank", 3, 100.0, errors=SensorErrors(
        gyro_noise_dps=0.0, acc_noise_g=0.0, gyro_bias_dps=(1.0, -2.0, 0.5)))
    first = rec.reps[0].t_start_s
    still = rec.t_s < first - 0.5
    # standing (some sway): gravity dominates, the rate is the bias plus slow sway
    assert np.allclose(np.linalg.norm(rec.acc_g[still], axis=1), 1.0, atol=0.01)
    assert np.allclose(np.median(rec.gyr_dps[still], axis=0), (1.0, -2.0, 0.5), atol=1.5)


def test_band_rep_rotation_equals_its_amplitude_about_the_movement_axis() -> None:
    rng = np.random.default_rng(5)
    rec = bm.band_reps(rng, "ankle-inversion", "left", "foot", 4, 200.0,
                       strap=Rotation.identity(), errors=EXACT)
    rep = rec.reps[0]
    m = (rec.t_s >= rep.t_start_s - 0.2) & (rec.t_s <= rep.t_peak_s)
    turned = np.linalg.norm(np.sum(rec.gyr_dps[m], axis=0) / rec.fs_hz)
    # the leg's roll adds a little rotation about another axis
    assert abs(turned - rep.amplitude) < 0.25 * rep.amplitude


def test_any_strapping_rotates_the_readings_and_keeps_their_size() -> None:
    a = bm.calf_raise(np.random.default_rng(9), "right", "shank", 3, 100.0,
                      strap=Rotation.identity(), errors=EXACT)
    strap = Rotation.from_euler("xyz", [40, -70, 15], degrees=True)
    b = bm.calf_raise(np.random.default_rng(9), "right", "shank", 3, 100.0, strap=strap,
                      errors=EXACT)
    assert np.allclose(np.linalg.norm(a.gyr_dps, axis=1), np.linalg.norm(b.gyr_dps, axis=1),
                       atol=1e-6)
    assert np.allclose(strap.apply(b.gyr_dps), a.gyr_dps, atol=1e-6)


def test_calf_raise_partial_reps_are_below_half_the_sets_own_range() -> None:
    for seed in range(5):
        rec = bm.calf_raise(np.random.default_rng(seed), "left", "foot", 8, 100.0)
        assert len(rec.full_reps) == 8
        assert all(r.amplitude >= bm.FULL_MIN["calf-raise"] for r in rec.full_reps)
        own = float(np.median([r.amplitude for r in rec.full_reps]))
        assert all(r.amplitude < 0.5 * own for r in rec.reps if not r.full)
