"""Picking a profile from an advertisement, building one by name."""

from __future__ import annotations

import pytest

from firmware_bridge.profiles import (
    PROFILES,
    Advertisement,
    ProfileError,
    make_profile,
    match_profile,
)


@pytest.mark.parametrize(
    ("adv", "expected"),
    [
        (Advertisement("A", "WT901BLE68"), "witmotion"),
        (Advertisement("A", None, ("0000ffe5-0000-1000-8000-00805f9a34fb",)), "witmotion"),
        (Advertisement("A", "MetaWear"), "metawear"),
        (Advertisement("A", None, ("326A9000-85CB-9195-D9DD-464CFBBAE75A",)), "metawear"),
        (Advertisement("A", None, ("ef680100-9b35-4933-9b10-52ffa9740042",)), "thingy52"),
        (Advertisement("A", "Thingy"), "thingy52"),
        (Advertisement("A", "diy", ("1542c001-a6ec-4ed4-baa3-1d0cd009a6cc",)), "reference"),
    ],
)
def test_match_by_service_uuid_or_name(adv: Advertisement, expected: str) -> None:
    cls = match_profile(adv)
    assert cls is not None and cls.name == expected


def test_unknown_devices_do_not_match() -> None:
    a2dp = "0000110b-0000-1000-8000-00805f9b34fb"
    assert match_profile(Advertisement("A", "Headphones", (a2dp,))) is None


def test_make_profile_errors_are_one_line() -> None:
    assert set(PROFILES) == {"witmotion", "metawear", "thingy52", "reference"}
    with pytest.raises(ProfileError, match="unknown device profile"):
        make_profile("nope")
    with pytest.raises(ProfileError, match="50, 100 or 200 Hz"):
        make_profile("witmotion", 400)
