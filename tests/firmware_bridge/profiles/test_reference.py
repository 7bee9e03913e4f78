"""The open reference profile: round trip, sequence gaps, device time, control, fuzz."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from firmware_bridge.profiles.base import ProfileError
from firmware_bridge.profiles.reference import (
    CONTROL_UUID,
    DATA_UUID,
    ControlState,
    ReferenceDecoder,
    ReferenceProfile,
    encode_packet,
)
from tests.firmware_bridge.profiles.helpers import FakeIO, collect

# The worked example in docs/reference-gatt-profile.md
DOC_EXAMPLE = bytes.fromhex(
    "02 0a 00 40 42 0f 00"  # 2 samples, layout 0, seq 10, t 1 000 000 us
    "00 00 00 10 00 f0 64 00 00 00 f0 ff"  # acc (0, 4096, -4096), gyr (100, 0, -16)
    "00 02 00 04 e0 ff 64 00 c8 00 9c ff"  # acc (512, 1024, -32), gyr (100, 200, -100)
)


def test_documented_example_packet() -> None:
    d = ReferenceDecoder(ControlState(True, 100, 16, 0, 2000))
    b = d.feed(DATA_UUID, DOC_EXAMPLE, 0.0).batch
    assert b is not None and len(b) == 2
    np.testing.assert_array_equal(b.seq, [10, 11])
    np.testing.assert_allclose(b.t_s, [0.0, 0.01])
    np.testing.assert_allclose(b.acc_g, [[0, 2.0, -2.0], [0.25, 0.5, -0.015625]])
    np.testing.assert_allclose(b.gyr_dps, [[6.103515625, 0, -0.9765625],
                                           [6.103515625, 12.20703125, -6.103515625]])


def _stream(n: int, per: int, rate: int = 200, t0_us: int = 0, seq0: int = 0,
            skip: range = range(0)) -> tuple[list[bytes], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    acc = rng.integers(-32768, 32767, (n, 3))
    gyr = rng.integers(-32768, 32767, (n, 3))
    pkts = [encode_packet(seq0 + i, t0_us + i * 1_000_000 // rate, acc[i:i + per], gyr[i:i + per])
            for i in range(0, n, per) if i not in skip]
    return pkts, acc, gyr


def test_round_trip_with_seq_and_timestamp_wrap() -> None:
    d = ReferenceDecoder(ControlState(True, 200, 8, 0, 1000))
    pkts, acc, gyr = _stream(3000, 5, t0_us=2**32 - 1_000_000, seq0=65000)
    b, events = collect([d.feed(DATA_UUID, p, 0.025 * i) for i, p in enumerate(pkts)])
    assert not events and len(b) == 3000
    np.testing.assert_allclose(b.acc_g, acc * 8 / 32768)
    np.testing.assert_allclose(b.gyr_dps, gyr * 1000 / 32768)
    np.testing.assert_array_equal(b.seq, 65000 + np.arange(3000))
    np.testing.assert_allclose(b.t_s, np.arange(3000) / 200, atol=1e-6)


def test_sequence_jump_is_a_gap_with_exact_count() -> None:
    d = ReferenceDecoder(ControlState(True, 200, 8, 0, 1000))
    pkts, _, _ = _stream(1000, 5, skip=range(500, 550))
    b, events = collect([d.feed(DATA_UUID, p, 0.025 * i) for i, p in enumerate(pkts)])
    (gap,) = events
    assert gap.kind == "gap" and gap.data["missing_samples"] == 50
    assert gap.t_s == pytest.approx(2.5) and gap.data["duration_s"] == pytest.approx(0.25)
    assert len(b) == 950 and d.stats.missing_samples == 50


def test_duplicates_are_dropped_and_a_device_reset_reanchors() -> None:
    d = ReferenceDecoder(ControlState(True, 100, 8, 0, 1000))
    pkts, _, _ = _stream(100, 10, rate=100, t0_us=50_000_000, seq0=4000)
    outs = [d.feed(DATA_UUID, p, 0.1 * i) for i, p in enumerate(pkts)]
    outs.append(d.feed(DATA_UUID, pkts[-1], 1.0))  # duplicate
    assert d.stats.skipped_samples == 10
    d.mark_discontinuity()
    reset, _, _ = _stream(20, 10, rate=100, t0_us=3_000, seq0=0)
    outs += [d.feed(DATA_UUID, p, 4.0 + 0.1 * i) for i, p in enumerate(reset)]
    b, events = collect(outs)
    assert len(b) == 120 and np.all(np.diff(b.seq.astype(np.int64)) >= 1)
    assert np.all(np.diff(b.t_s) > 0) and b.t_s[100] == pytest.approx(0.9 + 3.1)  # arrival-anchored
    assert events[-1].kind == "gap"


def test_control_roundtrip_and_start_sequence() -> None:
    assert ControlState.from_bytes(ControlState(True, 400, 4, 1, 500).to_bytes()) == ControlState(
        True, 400, 4, 1, 500)
    assert ControlState.from_bytes(b"\x02" + bytes(7)) is None
    io = FakeIO({CONTROL_UUID, DATA_UUID})
    p = ReferenceProfile(400.0)
    d = p.make_decoder()
    asyncio.run(p.start(io, d))
    assert [ControlState.from_bytes(w).streaming for _, w in io.writes] == [False, True]
    assert io.notifying == [DATA_UUID] and d.interval_s == 1 / 400
    with pytest.raises(ProfileError):
        ReferenceProfile(0.5)
