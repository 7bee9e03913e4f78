"""sway_metrics: analytic cases, input checks, and agreement with scipy's Welch."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal, stats

from trainer.core.sway import METRIC_KEYS, f_quantile_2, sway_metrics, welch_psd


def test_every_contract_key_is_a_float() -> None:
    rng = np.random.default_rng(0)
    out = sway_metrics(rng.normal(size=1000), rng.normal(size=1000), 100.0)
    assert set(out) == set(METRIC_KEYS)
    assert all(isinstance(v, float) and math.isfinite(v) for v in out.values())


def test_sinusoid_frequency_measures() -> None:
    fs, f0 = 100.0, 1.0
    t = np.arange(int(60 * fs)) / fs
    ap = 2.0 * np.sin(2 * np.pi * f0 * t)
    out = sway_metrics(ap, np.zeros_like(ap), fs)
    assert out["f50"] == pytest.approx(f0, abs=1e-9)
    assert out["centroid_frequency"] == pytest.approx(f0, rel=0.01)
    assert out["mean_frequency"] == pytest.approx(f0, rel=0.01)
    assert out["frequency_dispersion"] < 0.05
    assert out["rms_ap"] == pytest.approx(2.0 / math.sqrt(2), rel=1e-3)
    assert out["range_ap"] == pytest.approx(4.0, rel=1e-3)
    assert out["rms_ml"] == 0.0
    # path length of a sinusoid: 4·A per period
    assert out["path_length"] == pytest.approx(4 * 2.0 * f0 * 60, rel=1e-3)
    assert out["mean_velocity"] == pytest.approx(8.0, rel=1e-3)


def test_circular_sway_area_rate_and_distance() -> None:
    fs, f0, r = 50.0, 0.5, 1.5
    t = np.arange(int(40 * fs)) / fs
    ap, ml = r * np.cos(2 * np.pi * f0 * t), r * np.sin(2 * np.pi * f0 * t)
    out = sway_metrics(ap, ml, fs)
    assert out["mean_distance"] == pytest.approx(r, rel=1e-9)
    assert out["rms"] == pytest.approx(r, rel=1e-3)
    # area swept per second by the radius: π r² per period
    assert out["sway_area_rate"] == pytest.approx(math.pi * r * r * f0, rel=3e-3)
    assert out["f50"] == pytest.approx(f0, abs=0.03)


def test_gaussian_ellipse_area_within_sampling_error() -> None:
    cov = np.array([[4.0, 1.2], [1.2, 1.0]])
    rng = np.random.default_rng(7)
    n = 20000
    xy = rng.multivariate_normal([3.0, -1.0], cov, size=n)
    out = sway_metrics(xy[:, 0], xy[:, 1], 100.0)
    expected = math.pi * stats.chi2.ppf(0.95, 2) * math.sqrt(np.linalg.det(cov))
    assert out["ellipse_area"] == pytest.approx(expected, rel=0.03)
    # and ~95 % of new samples fall inside the prediction ellipse
    s = np.cov(xy.T)
    new = rng.multivariate_normal([0.0, 0.0], cov, size=n)
    d2 = np.einsum("ij,jk,ik->i", new, np.linalg.inv(s), new)
    k = f_quantile_2(0.95, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    assert np.mean(d2 <= k) == pytest.approx(0.95, abs=0.01)


def test_f_quantile_matches_scipy() -> None:
    for m in (3, 10, 598, 5998):
        assert f_quantile_2(0.95, m) == pytest.approx(stats.f.ppf(0.95, 2, m), rel=1e-12)


def test_welch_matches_scipy() -> None:
    x = np.random.default_rng(1).normal(size=(2, 1003))
    f, p = welch_psd(x, 50.0)
    f2, p2 = signal.welch(x, 50.0, "hann", nperseg=501, noverlap=250, nfft=501)
    np.testing.assert_allclose(f, f2)
    np.testing.assert_allclose(p, p2, rtol=1e-10, atol=1e-14)


def test_means_are_removed() -> None:
    rng = np.random.default_rng(3)
    ap, ml = rng.normal(size=(2, 500))
    a = sway_metrics(ap, ml, 20.0)
    b = sway_metrics(ap + 100.0, ml - 7.0, 20.0)
    for key in METRIC_KEYS:
        assert a[key] == pytest.approx(b[key], rel=1e-9, abs=1e-12)


@pytest.mark.parametrize(
    ("ap", "ml", "fs", "message"),
    [
        (np.zeros(5), np.zeros(5), 100.0, "too few samples"),
        (np.zeros(100), np.zeros(99), 100.0, "same length"),
        (np.r_[np.zeros(99), np.nan], np.zeros(100), 100.0, "NaN or infinite"),
        (np.r_[np.zeros(99), np.inf], np.zeros(100), 100.0, "NaN or infinite"),
        (np.zeros((10, 10)), np.zeros((10, 10)), 100.0, "1-D"),
        (np.zeros(100), np.zeros(100), 0.0, "sample rate"),
        (np.zeros(100), np.zeros(100), float("nan"), "sample rate"),
    ],
)
def test_bad_input_is_a_clear_value_error(ap, ml, fs, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message):
        sway_metrics(ap, ml, fs)


def test_still_input_gives_zeros_and_nan_frequencies() -> None:
    out = sway_metrics(np.ones(100), np.ones(100), 100.0)
    assert out["rms"] == 0.0 and out["ellipse_area"] == 0.0 and out["path_length"] == 0.0
    assert math.isnan(out["mean_frequency"]) and math.isnan(out["f50"])
