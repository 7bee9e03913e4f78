import pytest

from trainer.feedback import FadingSchedule, Zone


def test_concurrent_always_and_summary_never() -> None:
    c, s = FadingSchedule("concurrent"), FadingSchedule("summary")
    for z in Zone:
        assert c.show(5.0, z)
        assert not s.show(5.0, z)


def test_bandwidth_only_outside() -> None:
    b = FadingSchedule("bandwidth")
    assert b.show(1.0, Zone.OUTSIDE)
    assert not b.show(1.0, Zone.INSIDE) and not b.show(1.0, Zone.NEAR)


def test_fading_goes_concurrent_then_bandwidth_then_none() -> None:
    f = FadingSchedule("fading", duration_s=30)
    assert [f.phase_at(t) for t in (0, 9.9, 10.1, 19.9, 20.1, 40)] == [
        "concurrent", "concurrent", "bandwidth", "bandwidth", "summary", "summary"]
    assert f.show(5, Zone.INSIDE) and not f.show(15, Zone.INSIDE) and f.show(15, Zone.OUTSIDE)
    assert not f.show(25, Zone.OUTSIDE)


def test_unknown_mode() -> None:
    with pytest.raises(ValueError, match="unknown feedback mode"):
        FadingSchedule("loud")
