"""The sample clocks: drift tracking, gap detection vs latency bursts, counter unwrap."""

from __future__ import annotations

import numpy as np

from firmware_bridge.ble.clock import CounterClock, NominalRateClock, Release


def _run(clock: NominalRateClock, arrivals: list[tuple[int, float]]) -> list[Release]:
    out: list[Release] = []
    for count, a in arrivals:
        out.extend(clock.push(count, a))
    out.extend(clock.flush())
    return out


def _device(rate_hz: float, n: int, per_packet: int, seed: int, drop: slice | None = None,
            delay: tuple[float, float] | None = None) -> tuple[list[tuple[int, float]], np.ndarray]:
    """Packets of a device sampling at ``rate_hz`` with BLE-like latency (>= 7.5 ms, jittery).

    Returns (count, arrival) pairs and the true time of every sample that was delivered."""
    rng = np.random.default_rng(seed)
    t_true = np.arange(n) / rate_hz
    keep = np.ones(n, bool)
    if drop is not None:
        keep[drop] = False
    packets: list[tuple[int, float]] = []
    delivered: list[int] = []
    for start in range(0, n, per_packet):
        idx = [i for i in range(start, min(start + per_packet, n)) if keep[i]]
        if not idx:
            continue
        arrival = t_true[idx[-1]] + 0.0075 + rng.exponential(0.008) + 100.0
        if delay is not None and delay[0] <= t_true[idx[-1]] < delay[1]:
            arrival = max(arrival, delay[1] + 100.01)  # held by the link, then a burst
        packets.append((len(idx), arrival))
        delivered.extend(idx)
    packets.sort(key=lambda p: p[1])
    return packets, t_true[delivered]


def test_tracks_a_drifting_device_clock_without_false_gaps() -> None:
    true_rate = 100.0 * 1.03  # firmware promises 100 Hz, delivers 103
    packets, t_true = _device(true_rate, 6000, 2, seed=1)
    clock = NominalRateClock(100.0)
    rel = _run(clock, packets)
    assert sum(r.missing_before for r in rel) == 0
    t = np.concatenate([r.times() for r in rel])
    assert len(t) == len(t_true) and np.all(np.diff(t) > 0)
    assert abs(clock.period_s * true_rate - 1) < 0.002
    # after convergence, elapsed times agree with the device's to 0.2 %
    i, j = 3000, 5999
    assert abs((t[j] - t[i]) / (t_true[j] - t_true[i]) - 1) < 0.002


def test_lost_samples_become_a_gap_of_the_right_length() -> None:
    packets, _ = _device(100.0, 6000, 2, seed=2, drop=slice(3000, 3100))
    rel = _run(NominalRateClock(100.0), packets)
    gaps = [r for r in rel if r.missing_before]
    assert len(gaps) == 1
    assert abs(gaps[0].missing_before - 100) <= 2
    idx = np.concatenate([np.arange(r.index_first, r.index_first + r.count) for r in rel])
    assert len(idx) == 5900 and np.all(np.diff(idx) > 0)


def test_a_latency_burst_is_not_a_gap() -> None:
    packets, _ = _device(100.0, 4000, 2, seed=3, delay=(20.0, 20.4))
    rel = _run(NominalRateClock(100.0), packets)
    assert sum(r.missing_before for r in rel) == 0
    t = np.concatenate([r.times() for r in rel])
    np.testing.assert_allclose(np.diff(t), 0.01, rtol=1e-3)


def test_after_a_reconnect_the_outage_is_a_gap_at_once() -> None:
    clock = NominalRateClock(100.0)
    for k in range(200):
        clock.push(2, 0.02 * k + 0.02 + 0.01)
    assert clock.mark_discontinuity() == []
    rel = clock.push(2, 0.02 * 199 + 3.0 + 0.03)  # 3 s later
    assert len(rel) == 1 and abs(rel[0].missing_before - 300) <= 2


def test_counter_clock_unwraps_and_survives_a_reconnect() -> None:
    clock = CounterClock(1e-6, 32)
    start = 2**32 - 500_000  # wraps after 0.5 s
    times = [clock.stamp(start + k * 10_000, 50.0 + k * 0.01)[0] for k in range(100)]
    np.testing.assert_allclose(np.diff(times), 0.01)
    clock.mark_discontinuity()
    t, reanchored = clock.stamp(start + 99 * 10_000 + 2_000_000, 50.99 + 2.0)
    assert not reanchored and abs(t - (times[-1] + 2.0)) < 1e-9


def test_counter_clock_reanchors_on_a_device_reset() -> None:
    clock = CounterClock(1e-6, 32)
    for k in range(100):
        clock.stamp(7_000_000 + k * 10_000, 10.0 + k * 0.01)
    clock.mark_discontinuity()
    t, reanchored = clock.stamp(1_000, 10.99 + 5.0)  # rebooted: counter near zero
    assert reanchored and abs(t - (0.99 + 5.0)) < 1e-9


def test_samples_held_as_a_possible_gap_are_released_when_the_stream_pauses() -> None:
    clock = NominalRateClock(100.0, warmup_s=0)
    for k in range(100):
        clock.push(1, 0.01 * k + 0.01)
    assert clock.push(1, 0.99 + 0.6) == []  # late: a gap or a stalled link? held
    assert clock.poll(0.99 + 0.7) == []
    (rel,) = clock.poll(0.99 + 0.6 + 0.31)  # nothing followed: no evidence of loss
    assert rel.missing_before == 0 and rel.index_first == 100


def test_a_sensor_streaming_at_another_rate_than_asked_is_detected_and_followed() -> None:
    packets, t_true = _device(50.0, 1000, 1, seed=4)  # asked 100 Hz, streams 50 Hz (BLE 4.0)
    clock = NominalRateClock(100.0)
    rel = _run(clock, packets)
    assert clock.rate_adopted and abs(clock.rate_hz - 50) < 2.5
    assert sum(r.missing_before for r in rel) == 0
    t = np.concatenate([r.times() for r in rel])
    assert abs((t[-1] - t[200]) / (t_true[-1] - t_true[200]) - 1) < 0.01


def test_bursts_are_not_mistaken_for_a_rate() -> None:
    clock = NominalRateClock(100.0)
    rel = _run(clock, [(3, 0.001 * k) for k in range(3000)])  # a test harness at 3000 Hz
    assert not clock.rate_adopted and clock.rate_hz == 100.0
    assert sum(r.count for r in rel) == 9000
