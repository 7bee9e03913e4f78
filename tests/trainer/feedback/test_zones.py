import numpy as np
import pytest

from trainer.feedback import ZONE_COLOURS, Zone, classify, zone_of


def test_zones_inside_near_outside() -> None:
    codes = classify([0.0, 3.5, 4.5, 0.0, np.nan], [0.0, 0.0, 0.0, -5.0, 0.0], 4.0)
    assert codes.tolist() == [Zone.INSIDE, Zone.NEAR, Zone.OUTSIDE, Zone.OUTSIDE, Zone.OUTSIDE]


def test_zone_of_uses_distance_from_centre() -> None:
    assert zone_of(2.0, 2.0, 1.0, centre_deg=(2.0, 2.0)) is Zone.INSIDE
    assert zone_of(0.0, 0.0, 1.0, centre_deg=(2.0, 2.0)) is Zone.OUTSIDE
    assert zone_of(0.0, 0.95, 1.0) is Zone.NEAR


def test_colours_are_distinct_green_amber_red() -> None:
    g, a, r = (ZONE_COLOURS[z] for z in (Zone.INSIDE, Zone.NEAR, Zone.OUTSIDE))
    assert g[1] > g[0] and r[0] > r[1] and a[0] > a[2] and a[1] > a[2]
    assert len({g, a, r}) == 3


def test_bad_radius() -> None:
    with pytest.raises(ValueError):
        classify(0.0, 0.0, 0.0)
