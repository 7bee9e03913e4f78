import numpy as np
import pytest

from trainer.ui.ellipse import prediction_ellipse
from trainer.ui.ring import RingBuffer


def test_ring_view_is_contiguous_newest_rows_in_order() -> None:
    r = RingBuffer(5, 2)
    assert r.view().shape == (0, 2) and r.latest() is None
    r.write(np.column_stack([np.arange(3), -np.arange(3)]))
    np.testing.assert_array_equal(r.view()[:, 0], [0, 1, 2])
    r.write(np.column_stack([np.arange(3, 9), -np.arange(3, 9)]))
    v = r.view()
    np.testing.assert_array_equal(v[:, 0], [4, 5, 6, 7, 8])
    assert v.base is not None  # a view into the buffer, no copy
    assert r.view(2)[:, 0].tolist() == [7, 8] and r.latest()[0] == 8
    assert r.total == 9 and r.count == 5


def test_ring_batch_bigger_than_capacity_and_many_wraps() -> None:
    r = RingBuffer(7, 1)
    expect = np.arange(100.0)
    i = 0
    for n in (1, 3, 20, 2, 7, 6, 61):
        r.write(expect[i:i + n])
        i += n
        np.testing.assert_array_equal(r.view()[:, 0], expect[max(0, i - 7):i])
    r.clear()
    assert r.count == 0


def test_ring_rejects_bad_sizes() -> None:
    with pytest.raises(ValueError):
        RingBuffer(0, 1)


def test_ellipse_area_follows_the_contract_formula() -> None:
    from scipy.stats import f

    rng = np.random.default_rng(1)
    x = rng.normal(0, 2.0, 3000)
    y = 0.5 * x + rng.normal(0, 1.0, 3000)
    e = prediction_ellipse(x, y)
    assert e is not None
    n = x.size
    cov = np.cov(np.vstack([x, y]))
    k2 = f.ppf(0.95, 2, n - 2) * 2 * (n - 1) * (n + 1) / (n * (n - 2))
    assert e.area == pytest.approx(np.pi * k2 * np.sqrt(np.linalg.det(cov)), rel=1e-9)
    assert e.area == pytest.approx(np.pi * e.semi_axes[0] * e.semi_axes[1], rel=1e-9)
    ox, oy = e.outline(200)
    inside = np.mean(((x - e.centre[0]) * np.cos(e.angle_rad) + (y - e.centre[1])
                      * np.sin(e.angle_rad)) ** 2 / e.semi_axes[0] ** 2
                     + (-(x - e.centre[0]) * np.sin(e.angle_rad) + (y - e.centre[1])
                        * np.cos(e.angle_rad)) ** 2 / e.semi_axes[1] ** 2 <= 1)
    assert 0.93 < inside < 0.97  # it is a 95 % ellipse
    assert ox.shape == (201,) and oy.shape == (201,)
    assert prediction_ellipse(np.array([1.0, 2.0]), np.array([1.0, np.nan])) is None


def test_ellipse_matches_core_sway_metrics() -> None:
    sway = pytest.importorskip("trainer.core.sway")
    rng = np.random.default_rng(2)
    ap, ml = rng.normal(0, 1, 2000), rng.normal(0, 0.6, 2000)
    e = prediction_ellipse(ml, ap)
    assert e is not None
    assert e.area == pytest.approx(sway.sway_metrics(ap, ml, 100.0)["ellipse_area"], rel=1e-6)
