"""The session clock on a synthetic BLE link: device clocks ±100 ppm off, samples delivered in
bursts at connection events of different intervals, arrival jitter. Ground truth is the host
time each sample was taken."""

from __future__ import annotations

import numpy as np
import pytest

from trainer.core.sessionclock import (
    NO_SHARED_EVENT,
    DeviceClock,
    SessionClock,
    envelope_line,
    event_onset_s,
    find_alignment,
    lower_hull,
    measure_alignment,
)


def ble_link(rng: np.random.Generator, *, fs: float, drift_ppm: float, start_s: float,
             ci_s: float, duration_s: float, per_packet: int = 2, per_event: int = 6,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(t_dev of every sample, its true host time, notification t_dev_last, arrival).

    Connection intervals are multiples of 1.25 ms (the BLE unit). When the notification period
    and the interval share a large common divisor q the link "locks" and the offset is only
    known to within q until drift sweeps the phase (see trainer/core/sessionclock.py).

    The device queues a notification every ``per_packet`` samples; the radio sends queued
    notifications at connection events every ``ci_s`` (at most ``per_event`` each, the rest
    waits); the host sees them after a floor plus exponential jitter."""
    e = drift_ppm * 1e-6
    n = int(duration_s * fs) // per_packet * per_packet
    t_dev = np.arange(n) / fs
    t_true = start_s + t_dev / (1 + e)  # the device's crystal runs (1+e) fast
    queued = t_true[per_packet - 1 :: per_packet]
    phase = rng.uniform(0, ci_s)
    sent = np.empty_like(queued)
    free_from = -(10**9)  # earliest connection event with room (index)
    counts: dict[int, int] = {}
    for i, tq in enumerate(queued):
        k = max(int(np.ceil((tq - phase) / ci_s)), int(free_from))
        while counts.get(k, 0) >= per_event:
            k += 1
        counts[k] = counts.get(k, 0) + 1
        free_from = k
        sent[i] = phase + k * ci_s
    arrival = sent + 0.0008 + rng.exponential(0.002, sent.size)
    return t_dev, t_true, t_dev[per_packet - 1 :: per_packet], arrival


def test_hull_and_envelope_line() -> None:
    x = np.array([0.0, 1, 2, 3, 4])
    y = np.array([1.0, 0.2, 0.5, 0.1, 1.0])
    assert lower_hull(x, y) == [0, 1, 3, 4]
    rng = np.random.default_rng(0)
    xs = np.linspace(0, 100, 200)
    ys = 0.5 + 1e-4 * xs + rng.exponential(0.01, xs.size)
    slope, intercept = envelope_line(xs, ys, 1e-3)
    assert slope == pytest.approx(1e-4, abs=3e-6)
    assert intercept == pytest.approx(0.5, abs=1e-3)
    assert np.all(ys >= intercept + slope * xs - 1e-12)


def three_links(rng: np.random.Generator
                ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Three sensors, 120 s: clocks +100 / -100 / +40 ppm off, 100 / 200 / 100 Hz, connection
    intervals 7.5 / 28.75 / 48.75 ms, notifications of 2 / 2 / 1 samples (also the benchmark's
    links: benchmarks/bench_sessionclock.py)."""
    return [
        ble_link(rng, fs=100.0, drift_ppm=+100, start_s=10.3, ci_s=0.0075, duration_s=120),
        ble_link(rng, fs=200.0, drift_ppm=-100, start_s=10.9, ci_s=0.02875, duration_s=120),
        ble_link(rng, fs=100.0, drift_ppm=+40, start_s=11.4, ci_s=0.04875, duration_s=120,
                 per_packet=1),
    ]


def map_in_pieces(clock: SessionClock, role: str, t_dev: np.ndarray, nt: np.ndarray,
                  na: np.ndarray) -> np.ndarray:
    """The link observed and its samples mapped 50 notifications at a time, as a live session
    reads them."""
    mapped = []
    for lo in range(0, len(nt), 50):
        hi = lo + 50
        clock.observe(role, nt[lo:hi], na[lo:hi])
        upto = nt[min(hi, len(nt)) - 1]
        sel = (t_dev <= upto) & (t_dev > (nt[lo - 1] if lo else -1))
        mapped.append(clock.map(role, t_dev[sel]))
    return np.concatenate(mapped)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_three_devices_align_within_5_ms(seed: int) -> None:
    links = three_links(np.random.default_rng(seed))
    clock = SessionClock(origin_s=10.0)
    errors = []
    for role, (t_dev, t_true, nt, na) in zip(("a", "b", "c"), links, strict=True):
        m = map_in_pieces(clock, role, t_dev, nt, na)
        assert np.all(np.diff(m) >= 0)
        true_s = t_true[: len(m)] - 10.0
        errors.append((true_s, m - true_s))
    # the alignment error between sensors: at the same true moment, how far apart they put it
    grid = np.arange(12.0, 120.0, 0.01)  # after the first ~10 s
    at = [np.interp(grid, t, e) for t, e in errors]
    pairwise = max(float(np.max(np.abs(x - y))) for i, x in enumerate(at) for y in at[i + 1:])
    assert pairwise < 0.005, pairwise
    grid0 = np.arange(1.5, 12.0, 0.01)
    at0 = [np.interp(grid0, t, e) for t, e in errors]
    first = max(float(np.max(np.abs(x - y))) for i, x in enumerate(at0) for y in at0[i + 1:])
    assert first < 0.05  # at once within a connection interval, before drift is known
    rep = clock.report()
    assert rep["a"]["drift_ppm"] == pytest.approx(-100, abs=15)  # host = dev/(1+e)
    assert rep["b"]["drift_ppm"] == pytest.approx(+100, abs=15)


def test_device_restart_resets_the_fit() -> None:
    dev = DeviceClock()
    dev.observe(np.arange(0, 20, 0.1), 100 + np.arange(0, 20, 0.1))
    dev.observe([0.0], [130.0])
    fit = dev.fit
    assert fit is not None and float(dev.to_host(0.0)) == pytest.approx(130.0)


def tap(t: np.ndarray, t_tap: float, rng: np.random.Generator) -> np.ndarray:
    acc = np.zeros((t.size, 3))
    acc[:, 2] = 1.0 + rng.normal(0, 0.005, t.size)
    w = 0.04
    x = (t - t_tap) / w
    pulse = np.where((x >= 0) & (x <= 1), 0.5 - 0.5 * np.cos(2 * np.pi * x), 0.0)
    acc[:, 2] += 2.0 * pulse
    return acc


def test_alignment_from_a_shared_tap() -> None:
    rng = np.random.default_rng(3)
    t1 = np.arange(0, 5, 1 / 100) + 0.0031
    t2 = np.arange(0, 5, 1 / 200) + 0.0017
    t3 = np.arange(0, 5, 1 / 100) + 0.0077
    sig = {"left-shank": (t1, tap(t1, 2.5, rng)), "trunk": (t2, tap(t2, 2.5 + 0.003, rng)),
           "right-shank": (t3, tap(t3, 2.5, rng))}
    al = measure_alignment(sig)
    assert al is not None
    assert al.offsets_ms["trunk"] == pytest.approx(3.0, abs=1.0)
    assert abs(al.offsets_ms["right-shank"]) < 1.0
    assert al.max_abs_ms == pytest.approx(3.0, abs=1.0)
    assert event_onset_s(t1, np.tile([0, 0, 1.0], (t1.size, 1))) is None  # nothing happens


def test_an_event_only_one_sensor_feels_is_no_reference() -> None:
    """A lifted foot's touchdown: 2.5 g on that foot, 0.2 g on the trunk (and later). It is the
    sharpest event of the recording but not a shared one: no alignment, and why. A tap that
    every sensor feels, elsewhere, is found instead; near a given time only that time counts."""
    rng = np.random.default_rng(5)
    t = np.arange(0, 20, 1 / 100)

    def pulse(t_at: float, g: float) -> np.ndarray:
        acc = tap(t, t_at, rng)
        acc[:, 2] = 1.0 + (acc[:, 2] - 1.0) * g / 2.0
        return acc

    foot, trunk = pulse(5.0, 2.5), pulse(5.04, 0.2)
    al, why = find_alignment({"right-foot": (t, foot), "trunk": (t, trunk)})
    assert al is None and why == NO_SHARED_EVENT
    assert measure_alignment({"right-foot": (t, foot), "trunk": (t, trunk)}) is None
    foot += pulse(12.0, 1.5) - [0, 0, 1.0]
    trunk += pulse(12.02, 1.2) - [0, 0, 1.0]
    al, why = find_alignment({"right-foot": (t, foot), "trunk": (t, trunk)})
    assert why is None and al is not None
    assert al.offsets_ms["trunk"] == pytest.approx(20.0, abs=1.0)
    al, why = find_alignment({"right-foot": (t, foot), "trunk": (t, trunk)}, near_s=4.5)
    assert al is None and why is not None and "sync cue at 4.5 s" in why


@pytest.mark.parametrize("jump_s", [0.13, -0.13])
def test_a_counter_that_counts_a_false_gap_is_put_right(jump_s: float) -> None:
    """A counter-less sensor's decoder once infers 13 missing samples that were not missing
    (a host stall), or misses 13 that were: its device time jumps. Latency cannot be negative,
    so the envelope shows the step and the fit starts again; the samples keep their times."""
    rng = np.random.default_rng(7)
    t_dev, t_true, nt, na = ble_link(rng, fs=100.0, drift_ppm=50, start_s=5.0, ci_s=0.0075,
                                     duration_s=60, per_packet=1)
    after = t_dev >= 30.0
    t_dev = t_dev + np.where(after, jump_s, 0.0)
    nt = nt + np.where(nt >= 30.0, jump_s, 0.0)
    clock = SessionClock(origin_s=5.0)
    mapped = []
    for lo in range(0, len(nt), 20):
        hi = lo + 20
        clock.observe("a", nt[lo:hi], na[lo:hi])
        sel = (t_dev <= nt[min(hi, len(nt)) - 1]) & (t_dev > (nt[lo - 1] if lo else -1))
        mapped.append(clock.map("a", t_dev[sel]))
    err = np.concatenate(mapped) - (t_true - 5.0)
    late = err[(t_true - 5.0) > 40.0]  # 10 s after the jump
    assert np.max(np.abs(late - np.median(err[(t_true - 5.0) < 29.0]))) < 0.005
    assert clock.devices["a"].steps == 1
