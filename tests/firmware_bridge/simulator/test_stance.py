"""The stance model: plausible sway in both planes, growing with eyes closed and foam."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from firmware_bridge.simulator.stance import (
    AP_FIRM,
    AP_FOAM,
    ML_FIRM,
    ML_FOAM,
    PlaneGains,
    StancePendulum,
    condition_factor,
    pendulum_filter,
    stationary_rms,
)
from tests.firmware_bridge.simulator.conftest import ideal
from trainer.core.sway import sway_metrics


@pytest.mark.parametrize("fs", [50.0, 100.0, 400.0])
@pytest.mark.parametrize("gains", [AP_FIRM, ML_FIRM, AP_FOAM, ML_FOAM])
def test_closed_loop_is_stable(fs: float, gains: PlaneGains) -> None:
    _, a = pendulum_filter(fs, gains)
    assert np.abs(np.roots(a)).max() < 1.0


def sway_spectrum(eyes: str, surface: str, fs: float = 100.0) -> tuple[float, float, float]:
    """(mean frequency, RMS AP, RMS ML) of the stance model over 6 × 60 s."""
    out = []
    for seed in range(6):
        p = StancePendulum(fs, condition_factor(eyes, surface), surface)
        th = np.degrees(p.block(np.random.default_rng(seed), int(70 * fs)))[:, int(10 * fs):]
        m = sway_metrics(th[0], th[1], fs)
        out.append((m["mean_frequency"], m["rms_ap"], m["rms_ml"]))
    mf, ap, ml = np.mean(out, axis=0)
    return float(mf), float(ap), float(ml)


def test_condition_dependent_spectra() -> None:
    """Foam makes the sway faster (~1.5x mean frequency); eyes closed makes it larger, not
    faster; the amplitudes follow the condition factors whatever the gains."""
    firm, closed, foam = (sway_spectrum(*c) for c in (("open", "firm"), ("closed", "firm"),
                                                      ("open", "foam")))
    assert 1.3 < foam[0] / firm[0] < 1.8
    assert abs(closed[0] / firm[0] - 1.0) < 0.05
    assert 0.8 < firm[1] < 1.2  # ~1 deg AP on a firm floor, as before the spectra changed
    assert closed[1] / firm[1] == pytest.approx(1.6, rel=0.15)
    assert foam[1] / firm[1] == pytest.approx(1.35, rel=0.2)


def test_firm_open_ap_sway_is_unchanged_and_ml_is_larger() -> None:
    """Firm floor: the AP gains and amplitude are the long-standing ones; ML keeps the AP gains
    at 3.4/2.9 = 1.17x the amplitude (single-leg CoP velocity ML vs AP, Oliveira et al. 2018)."""
    fs = 100.0
    assert stationary_rms(fs, ML_FIRM) == stationary_rms(fs, AP_FIRM)
    p = StancePendulum(fs, 1.0)
    assert p.scales[0] == 0.85
    assert p.scales[1] / p.scales[0] == pytest.approx(3.4 / 2.9)


@pytest.mark.parametrize(("eyes", "surface"), [("open", "firm"), ("closed", "foam")])
def test_single_leg_sway_is_larger_medio_laterally(eyes: str, surface: str) -> None:
    """On one leg the body sways more from side to side than fore-aft: ML/AP RMS and mean
    velocity both ~1.17 (the ratio of Oliveira et al. 2018's CoP velocity cut-offs)."""
    fs = 100.0
    ratios = []
    for seed in range(4):
        p = StancePendulum(fs, condition_factor(eyes, surface), surface)
        th = np.degrees(p.block(np.random.default_rng(seed), int(70 * fs)))[:, int(10 * fs):]
        v = np.abs(np.diff(th, axis=1)).mean(axis=1)
        ratios.append((th[1].std() / th[0].std(), v[1] / v[0]))
    rms_ratio, vel_ratio = np.mean(ratios, axis=0)
    assert rms_ratio == pytest.approx(1.17, rel=0.15)
    assert vel_ratio == pytest.approx(1.17, rel=0.15)


def rms(cfg: SimConfig) -> tuple[float, float]:
    t = simulate(cfg).truth
    return float(np.std(t.tilt_ap_deg)), float(np.std(t.tilt_ml_deg))


@pytest.mark.parametrize("seed", [1, 2])
def test_tilt_rms_in_range_and_grows_with_conditions(seed: int) -> None:
    base = {"seed": seed, "duration_s": 90.0, "sample_rate_hz": 50.0}
    firm_open = rms(SimConfig(**base))  # type: ignore[arg-type]
    closed = rms(SimConfig(eyes="closed", **base))  # type: ignore[arg-type]
    foam = rms(SimConfig(surface="foam", **base))  # type: ignore[arg-type]
    both = rms(SimConfig(eyes="closed", surface="foam", **base))  # type: ignore[arg-type]
    for ap, ml in (firm_open, closed, foam, both):
        assert 0.4 < ap < 3.0 and 0.4 < ml < 3.0
        assert 0.5 < ml / ap < 2.0  # single-leg stance: ML comparable with AP
    for plane in (0, 1):
        assert firm_open[plane] < foam[plane] < both[plane]
        assert firm_open[plane] < closed[plane] < both[plane]


def test_sway_rms_does_not_depend_much_on_rate() -> None:
    r50 = rms(SimConfig(seed=4, duration_s=120.0, sample_rate_hz=50.0))
    r400 = rms(SimConfig(seed=4, duration_s=120.0, sample_rate_hz=400.0))
    assert 0.5 < r400[0] / r50[0] < 2.0


def test_gravity_magnitude_is_one_g_when_standing() -> None:
    rec = simulate(ideal(seed=5, duration_s=30.0))
    norm = np.linalg.norm(rec.batch.acc_g, axis=1)
    assert abs(float(np.mean(norm)) - 1.0) < 1e-3
    assert float(np.max(np.abs(norm - 1.0))) < 0.02  # sway accelerations are small


def test_gyro_follows_the_tilt_rate() -> None:
    rec = simulate(ideal(seed=6, duration_s=30.0))
    rate_ap = np.gradient(rec.truth.tilt_ap_deg, rec.truth.t_true_s)
    # identity mounting, upright segment: AP tilt is rotation about +y
    corr = np.corrcoef(rate_ap, rec.batch.gyr_dps[:, 1])[0, 1]
    assert corr > 0.95
