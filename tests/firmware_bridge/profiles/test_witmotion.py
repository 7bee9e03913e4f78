"""WitMotion decoder and config: published frames, framing, clock, fuzz."""

from __future__ import annotations

import asyncio

import numpy as np

from firmware_bridge.profiles.witmotion import (
    NOTIFY_UUID,
    WRITE_UUID,
    WitMotionDecoder,
    WitMotionProfile,
    encode_frame,
    encode_frames,
    register_reply,
)
from tests.firmware_bridge.profiles.helpers import FakeIO, collect

# WT901BLECL datasheet §6.1.2.1: reply to "read magnetic field" (FF AA 27 3A 00)
MAG_REPLY = bytes.fromhex("55713A00680169007A0000000000000000000000")


def test_published_register_reply_decodes_to_the_documented_values() -> None:
    d = WitMotionDecoder(100.0)
    out = d.feed(NOTIFY_UUID, MAG_REPLY, 0.0)
    assert out.batch is None and out.events == []
    assert (d.registers[0x3A], d.registers[0x3B], d.registers[0x3C]) == (360, 105, 122)
    assert d.stats.other == 1 and d.stats.malformed == 0


def test_data_frame_scales_follow_the_datasheet() -> None:
    d = WitMotionDecoder(100.0)
    frame = encode_frame((2048, -2048, 32767), (16384, -32768, 164), (16384, -8192, 1))
    d.feed(NOTIFY_UUID, frame, 0.0)
    b = d.flush().batch  # the first second is held for the start-up rate check
    assert b is not None and len(b) == 1
    np.testing.assert_allclose(b.acc_g[0], [1.0, -1.0, 32767 * 16 / 32768])
    np.testing.assert_allclose(b.gyr_dps[0], [1000.0, -2000.0, 164 * 2000 / 32768])
    np.testing.assert_allclose(d.last_angles_deg, [90.0, -45.0, 180 / 32768])


def test_split_and_multi_frame_notifications_decode_in_order() -> None:
    rng = np.random.default_rng(0)
    acc = rng.integers(-32768, 32767, (200, 3))
    gyr = rng.integers(-32768, 32767, (200, 3))
    stream = encode_frames(acc, gyr)
    cuts = np.sort(rng.choice(np.arange(1, len(stream)), 150, replace=False))
    d = WitMotionDecoder(100.0)
    pieces = np.split(np.frombuffer(stream, np.uint8), cuts)
    # arrivals at the stream's pace: 200 samples in 2 s
    outs = [d.feed(NOTIFY_UUID, p.tobytes(), 2.0 * i / len(pieces)) for i, p in enumerate(pieces)]
    outs.append(d.flush())
    batch, events = collect(outs)
    assert len(batch) == 200 and not events
    np.testing.assert_allclose(batch.acc_g * 32768 / 16, acc)
    np.testing.assert_allclose(batch.gyr_dps * 32768 / 2000, gyr)
    np.testing.assert_array_equal(batch.seq, np.arange(200))
    np.testing.assert_allclose(np.diff(batch.t_s), 0.01)  # nominal rate, not arrival times


def test_battery_reply_becomes_a_battery_event() -> None:
    d = WitMotionDecoder(100.0)
    (event,) = d.feed(NOTIFY_UUID, register_reply(0x64, (395,)), 0.0).events
    assert event.kind == "battery" and event.data == {"percent": 90, "voltage_v": 3.95}


def test_start_writes_unlock_rate_save() -> None:
    io = FakeIO({NOTIFY_UUID, WRITE_UUID})
    profile = WitMotionProfile(200.0)
    asyncio.run(profile.start(io, profile.make_decoder()))
    assert io.notifying == [NOTIFY_UUID]
    assert [w for _, w in io.writes] == [
        bytes.fromhex("FFAA6988B5"), bytes.fromhex("FFAA030B00"), bytes.fromhex("FFAA000000")
    ]
    assert WitMotionProfile(100.0).config_commands()[1] == bytes.fromhex("FFAA030900")
