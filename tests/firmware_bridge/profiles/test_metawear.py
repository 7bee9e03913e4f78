"""MetaWear decoder and config against the MetaWear C++ SDK's unit-test vectors, and fuzz."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from firmware_bridge.profiles.base import ProfileError
from firmware_bridge.profiles.metawear import (
    COMMAND_UUID,
    NOTIFY_UUID,
    MetaWearDecoder,
    MetaWearProfile,
)
from tests.firmware_bridge.profiles.helpers import FakeIO, collect

# MetaWear-SDK-Cpp test/test_accelerometer_bmi160.py, test_gyro_bmi160.py, test_settings.py
ACC_4G = bytes.fromhex("030416c494a22ad0")
ACC_4G_G = [-1.872, -2.919, -1.495]
GYR_500 = bytes.fromhex("13053e43ff7f0080")
GYR_500_DPS = [262.409, 499.497, -499.512]
PACKED_ACC_8G = bytes.fromhex("031c62b7530de9fd16d04d0e57028affa1050a01")
PACKED_ACC_8G_G = [[-4.539, 0.833, -0.131], [-2.995, 0.894, 0.146], [-0.029, 0.352, 0.065]]
PACKED_GYR_1000 = bytes.fromhex("13070915ad2608de8a1a0d2665e48d20ac2773ec")
PACKED_GYR_1000_DPS = [[164.177, 301.860, -265.122], [207.134, 296.982, -215.457],
                       [254.055, 309.634, -152.591]]
BATTERY = bytes.fromhex("118c633410")


def test_sdk_single_sample_vectors() -> None:
    d = MetaWearDecoder(100.0, acc_range_g=4, gyr_range_dps=500)
    assert d.feed(NOTIFY_UUID, ACC_4G, 0.0).batch is None  # waits for its gyro partner
    d.feed(NOTIFY_UUID, GYR_500, 0.0)
    b = d.flush().batch
    assert b is not None
    np.testing.assert_allclose(b.acc_g[0], ACC_4G_G, atol=5e-4)
    np.testing.assert_allclose(b.gyr_dps[0], GYR_500_DPS, atol=5e-4)


def test_sdk_packed_vectors_pair_into_three_samples() -> None:
    d = MetaWearDecoder(100.0, acc_range_g=8, gyr_range_dps=1000)
    outs = [d.feed(NOTIFY_UUID, PACKED_ACC_8G, 0.0), d.feed(NOTIFY_UUID, PACKED_GYR_1000, 0.0),
            d.flush()]
    b = collect(outs)[0]
    assert len(b) == 3
    np.testing.assert_allclose(b.acc_g, PACKED_ACC_8G_G, atol=5e-4)
    np.testing.assert_allclose(b.gyr_dps, PACKED_GYR_1000_DPS, atol=5e-4)
    np.testing.assert_allclose(np.diff(b.t_s), 0.01)


def test_sdk_battery_vector() -> None:
    (event,) = MetaWearDecoder(100.0).feed(NOTIFY_UUID, BATTERY, 0.0).events
    assert event.kind == "battery" and event.data == {"percent": 99, "voltage_v": 4.148}


def test_config_bytes_match_the_sdk() -> None:
    p = MetaWearProfile(200.0)
    cmds = p.config_commands()
    # SDK: acc bmi160 200 Hz/8 g -> 03 03 29 08; gyro 200 Hz -> 13 03 29 <range>, 1000 dps = 1
    assert cmds[0] == bytes.fromhex("03032908") and cmds[1] == bytes.fromhex("13032901")
    assert bytes.fromhex("031c01") in cmds and bytes.fromhex("130701") in cmds
    assert cmds[-2:] == [bytes.fromhex("130101"), bytes.fromhex("030101")]


def test_start_asks_module_info_and_uses_bmi270_registers() -> None:
    io = FakeIO({COMMAND_UUID, NOTIFY_UUID})
    p = MetaWearProfile(100.0)
    d = p.make_decoder()

    def reply(char: str, data: bytes) -> None:
        if data == b"\x03\x80":
            d.feed(NOTIFY_UUID, bytes.fromhex("03800400"), 0.0)  # acc: BMI270
        elif data == b"\x13\x80":
            d.feed(NOTIFY_UUID, bytes.fromhex("13800100"), 0.0)  # gyro: BMI270

    io.on_write = reply
    asyncio.run(p.start(io, d))
    sent = [w for _, w in io.writes]
    assert sent[:2] == [b"\x03\x80", b"\x13\x80"]
    # SDK test_accelerometer_bmi270: 100 Hz -> 0xA8, 8 g -> 0x02; packed acc register 0x05
    assert bytes.fromhex("0303a802") in sent and bytes.fromhex("030501") in sent
    assert bytes.fromhex("130501") in sent


def test_a_board_without_gyro_is_refused() -> None:
    io = FakeIO({COMMAND_UUID, NOTIFY_UUID})
    p = MetaWearProfile(100.0)
    d = p.make_decoder()
    io.on_write = lambda c, w: d.feed(NOTIFY_UUID, bytes([w[0], 0x80]), 0.0)  # not present
    with pytest.raises(ProfileError):
        asyncio.run(p.start(io, d))


def test_unsupported_rate_is_a_profile_error() -> None:
    with pytest.raises(ProfileError):
        MetaWearProfile(150.0)


def test_a_stream_that_lost_a_packet_is_realigned() -> None:
    d = MetaWearDecoder(100.0)
    outs = []
    for k in range(40):
        outs.append(d.feed(NOTIFY_UUID, PACKED_ACC_8G, 0.03 * k))
        if k not in (10, 11, 12):  # three gyro packets lost
            outs.append(d.feed(NOTIFY_UUID, PACKED_GYR_1000, 0.03 * k))
    b = collect(outs)[0]
    assert d.stats.skipped_samples > 0 and len(b) >= 40 * 3 - 9 - d.stats.skipped_samples
