"""Detectors: reps (accuracy, no double counts, chunk invariance), stillness, balance losses."""

from __future__ import annotations

import numpy as np
import pytest

from tests.trainer.drills.synth import rep_trace
from trainer.drills.detectors import (
    RepCounter,
    StillnessMonitor,
    rep_summary,
)

FS = 100.0


def count(t: np.ndarray, y: np.ndarray, chunk: int | None = None, **kw: float) -> RepCounter:
    rc = RepCounter(FS, **kw)  # type: ignore[arg-type]
    if chunk is None:
        rc.update(t, y)
    else:
        for a in range(0, t.size, chunk):
            rc.update(t[a:a + chunk], y[a:a + chunk])
    return rc


def matched(rc: RepCounter, peaks: list[float], tol: float = 1.0) -> tuple[int, int]:
    """(true reps found, extra detections) matching each detection to one true peak."""
    free = list(peaks)
    extra = 0
    for r in rc.reps:
        d = [abs(r.t_peak_s - p) for p in free]
        if d and min(d) <= tol:
            free.pop(int(np.argmin(d)))
        else:
            extra += 1
    return len(peaks) - len(free), extra


@pytest.mark.parametrize("noise", [0.2, 1.0, 2.0])
def test_rep_accuracy_on_varied_tempo_amplitude_noise(noise: float) -> None:
    found = total = extra = 0
    for seed in range(8):
        t, y, peaks = rep_trace(15, seed, noise_deg=noise, sign=-1.0 if seed % 2 else 1.0)
        rc = count(t, y, direction=0)
        f, e = matched(rc, peaks)
        found, total, extra = found + f, total + len(peaks), extra + e
    assert found / total >= 0.95
    assert extra == 0


def test_wobble_at_the_top_does_not_double_count() -> None:
    t, y, _peaks = rep_trace(12, 5, wobble_deg=4.0, amp_range=(15.0, 30.0))
    rc = count(t, y, direction=1)
    assert rc.count == 12


def test_small_movements_are_not_reps() -> None:
    t, y, _ = rep_trace(10, 2, amp_range=(2.0, 4.0))
    assert count(t, y, direction=1, min_rom_deg=6.0).count == 0


def test_chunking_does_not_change_the_reps() -> None:
    t, y, _ = rep_trace(10, 3, noise_deg=1.0)
    whole = count(t, y, direction=1)
    pieces = count(t, y, chunk=7, direction=1)
    assert [r.t_peak_s for r in whole.reps] == [r.t_peak_s for r in pieces.reps]
    assert [r.amplitude_deg for r in whole.reps] == pytest.approx(
        [r.amplitude_deg for r in pieces.reps], abs=1e-9)


def test_max_reps_stops_at_the_confirming_sample_and_the_rest_continues() -> None:
    """Stopping after each rep and feeding the rest again equals one call (the guide stops a
    set's counter at its target within a batch)."""
    t, y, _ = rep_trace(10, 3, noise_deg=1.0)
    whole = count(t, y, direction=1)
    rc = RepCounter(FS, direction=1)
    i = 0
    while i < t.size:
        new = rc.update(t[i:], y[i:], max_reps=1)
        assert len(new) <= 1
        if new:
            assert t[i + rc.consumed - 1] == new[0].t_confirm_s  # stopped right there
        i += rc.consumed
    assert rc.update(t[:0], y[:0], max_reps=1) == [] and rc.consumed == 0
    assert [(r.t_start_s, r.t_peak_s, r.t_confirm_s, r.t_end_s) for r in rc.reps] == [
        (r.t_start_s, r.t_peak_s, r.t_confirm_s, r.t_end_s) for r in whole.reps]
    assert [r.amplitude_deg for r in rc.reps] == pytest.approx(
        [r.amplitude_deg for r in whole.reps], abs=1e-9)


def test_amplitude_and_tempo() -> None:
    t = np.arange(0, 40, 1 / FS)
    y = np.where(t < 2, 0.0, 20.0 * np.sin(np.pi * ((t - 2) % 4) / 4) ** 2)
    s = rep_summary(count(t, y, direction=1).reps)
    assert s["reps"] == 9  # the 10th has not come back down yet at the end
    assert s["rom_deg"] == pytest.approx(20.0, abs=0.5)
    # 10 % to 10 % of the excursion: 4 s × (1 − 2·asin(√0.1)/π) = 3.18 s
    assert s["tempo_s"] == pytest.approx(3.18, abs=0.15)


def test_direction_is_respected() -> None:
    t, y, _ = rep_trace(8, 4, sign=-1.0)
    rc = count(t, y, direction=-1)
    assert rc.count == 8 and all(r.amplitude_deg > 0 for r in rc.reps)


def test_min_interval_blocks_rapid_double_peaks() -> None:
    t = np.arange(0, 10, 1 / FS)
    y = 15.0 * np.sin(2 * np.pi * 2.0 * t) ** 2  # 4 reps a second
    assert count(t, y, direction=1, min_interval_s=1.0, lowpass_hz=20.0).count <= 10


def _still_trace(move_at: float | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    t = np.arange(0, 12, 1 / FS)
    ang = 3.0 + rng.normal(0, 0.2, t.size)
    gyr = rng.normal(0, 0.5, (t.size, 3))
    if move_at is not None:
        m = (t > move_at) & (t < move_at + 0.6)
        ang[m] += 10.0 * np.sin(np.pi * (t[m] - move_at) / 0.6)
        gyr[m, 0] += 60.0
    return t, ang, gyr


def test_stillness_monitor_flags_movement_during_a_hold() -> None:
    t, ang, gyr = _still_trace(6.0)
    mon = StillnessMonitor(FS)
    mon.begin(1.0)
    events = []
    for a in range(0, t.size, 13):
        events += mon.update(t[a:a + 13], ang[a:a + 13], gyr[a:a + 13])
    iv = mon.end(11.0)
    assert len(events) == 1 and 6.0 <= events[0]["t_s"] <= 6.6
    assert iv is not None and iv.movements == 1 and iv.duration_s == pytest.approx(10.0)
    assert iv.angle_deg == pytest.approx(3.3, abs=0.5)


def test_still_hold_gives_no_movement_event() -> None:
    t, ang, gyr = _still_trace(None)
    mon = StillnessMonitor(FS)
    mon.begin(1.0)
    assert mon.update(t, ang, gyr) == []


def _lean_trace(bob_at: float | None = None, reaction_s: float = 0.5,
                seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A stretch from begin at 1 s: still for ``reaction_s``, lean 14° in over 2.5 s, hold."""
    rng = np.random.default_rng(seed)
    t = np.arange(0, 30, 1 / FS)
    x = np.clip((t - 1.0 - reaction_s) / 2.5, 0, 1)
    clean = 14.0 * x * x * (3 - 2 * x)
    if bob_at is not None:
        m = (t > bob_at) & (t < bob_at + 1.0)
        clean[m] -= 7.0 * np.sin(np.pi * (t[m] - bob_at) / 1.0) ** 2
    gyr = np.zeros((t.size, 3))
    gyr[:, 1] = np.gradient(clean, t) + rng.normal(0, 0.5, t.size)
    return t, clean + rng.normal(0, 0.2, t.size), gyr


def _monitor_events(t: np.ndarray, ang: np.ndarray, gyr: np.ndarray, sizes: list[int],
                    **kw: float) -> tuple[list[dict[str, object]], StillnessMonitor]:
    mon = StillnessMonitor(FS, still_dps=15.0, move_deg=5.0, **kw)
    mon.begin(1.0)
    events: list[dict[str, object]] = []
    a, i = 0, 0
    while a < t.size:
        b = a + sizes[i % len(sizes)]
        events += mon.update(t[a:b], ang[a:b], gyr[a:b])
        a, i = b, i + 1
    return events, mon


def test_stillness_settles_once_the_stretch_position_is_reached() -> None:
    t, ang, gyr = _lean_trace(reaction_s=1.5)
    old_style, _ = _monitor_events(t, ang, gyr, [t.size])  # no entry movement expected
    assert len(old_style) == 1  # the still pause before leaning in looks like the position
    events, mon = _monitor_events(t, ang, gyr, [t.size], entry_deg=5.0)
    assert events == []
    assert mon.reference_deg == pytest.approx(14.0, abs=1.0)
    assert mon.t_settled_s is not None and 4.5 <= mon.t_settled_s <= 7.0
    iv = mon.end(30.0)
    assert iv is not None and iv.angle_deg == pytest.approx(14.0, abs=0.3)


def test_stillness_after_settling_flags_a_bob_whatever_the_batches() -> None:
    t, ang, gyr = _lean_trace(bob_at=15.0)
    ref, mon = _monitor_events(t, ang, gyr, [t.size], entry_deg=5.0)
    assert len(ref) == 1 and 15.0 <= float(ref[0]["t_s"]) <= 15.6  # type: ignore[arg-type]
    rng = np.random.default_rng(1)
    for _ in range(5):
        sizes = [int(x) for x in np.exp(rng.uniform(0, np.log(t.size), 50)).round()]
        events, other = _monitor_events(t, ang, gyr, sizes, entry_deg=5.0)
        assert events == ref and other.t_settled_s == mon.t_settled_s
        assert other.reference_deg == pytest.approx(mon.reference_deg, abs=1e-9)


def test_stillness_checks_anyway_when_the_hold_never_settles() -> None:
    t, ang, gyr = _still_trace(None)
    events, mon = _monitor_events(t, ang, gyr, [t.size], entry_deg=5.0, max_settle_s=3.0)
    assert events == [] and mon.t_settled_s == pytest.approx(4.0, abs=0.02)
    t, ang, gyr = _still_trace(6.0)
    events, _ = _monitor_events(t, ang, gyr, [37], entry_deg=5.0, max_settle_s=3.0)
    assert len(events) == 1  # the movement at 6 s is still cued


