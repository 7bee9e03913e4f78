"""Thingy:52 raw motion decoder (firmware Q formats), config, fuzz."""

from __future__ import annotations

import asyncio
import struct

import numpy as np

from firmware_bridge.profiles.thingy52 import (
    CONFIG_UUID,
    RAW_UUID,
    Thingy52Profile,
    ThingyDecoder,
    encode_raw,
)
from tests.firmware_bridge.profiles.helpers import FakeIO


def test_q_formats_from_the_firmware() -> None:
    d = ThingyDecoder(100.0)
    d.feed(RAW_UUID, encode_raw((1024, -512, 0), (32, -3200, 1), (16, 800, -16)), 0.0)
    b = d.flush().batch  # the first second is held for the start-up rate check
    assert b is not None and b.mag_ut is not None
    np.testing.assert_allclose(b.acc_g[0], [1.0, -0.5, 0.0])
    np.testing.assert_allclose(b.gyr_dps[0], [1.0, -100.0, 1 / 32])
    np.testing.assert_allclose(b.mag_ut[0], [1.0, 50.0, -1.0])


def test_wrong_length_is_malformed() -> None:
    d = ThingyDecoder(100.0)
    assert d.feed(RAW_UUID, bytes(17), 0.0).batch is None
    assert d.stats.malformed == 1 and d.stats.skipped_bytes == 17


def test_start_keeps_other_settings_and_sets_the_rate() -> None:
    current = struct.pack("<HHHHB", 2000, 1000, 300, 10, 1)
    io = FakeIO({CONFIG_UUID, RAW_UUID}, {CONFIG_UUID: current})
    p = Thingy52Profile(200.0)
    asyncio.run(p.start(io, p.make_decoder()))
    assert io.writes == [(CONFIG_UUID, struct.pack("<HHHHB", 2000, 1000, 300, 200, 1))]
    assert io.notifying == [RAW_UUID]
