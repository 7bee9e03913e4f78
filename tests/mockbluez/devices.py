"""GATT layouts of the supported sensors for the mock, and the notifications each one sends.

``make_stream(profile, n, …)`` returns the notifications a device would send for ``n`` samples of
known int16 values, and the acc/gyro those values mean, so tests can check that what bleak
delivers decodes to exactly what the mock sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from firmware_bridge.profiles import metawear, reference, thingy52, witmotion
from firmware_bridge.profiles.base import BATTERY_LEVEL_UUID, BATTERY_SERVICE_UUID


@dataclass
class DeviceSpec:
    profile: str
    name: str
    services: list[dict[str, Any]]
    data_uuid: str  # characteristic the samples are notified on
    adv_uuids: list[str] = field(default_factory=list)
    rssi: int = -58
    auto_replies: list[tuple[str, bytes, str, bytes]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"rssi": self.rssi, "adv_uuids": self.adv_uuids, "services": self.services}


def _char(uuid: str, flags: list[str], value: bytes = b"") -> dict[str, Any]:
    return {"uuid": uuid, "flags": flags, "value": value.hex()}


BATTERY = {"uuid": BATTERY_SERVICE_UUID,
           "chars": [_char(BATTERY_LEVEL_UUID, ["read", "notify"], bytes([85]))]}


def witmotion_spec(name: str = "WT901BLE68") -> DeviceSpec:
    battery_reply = witmotion.register_reply(witmotion.REG_BATTERY, (395,))
    return DeviceSpec(
        "witmotion", name,
        [{"uuid": witmotion.SERVICE_UUID, "chars": [
            _char(witmotion.NOTIFY_UUID, ["notify"]),
            _char(witmotion.WRITE_UUID, ["write-without-response", "write"]),
        ]}],
        data_uuid=witmotion.NOTIFY_UUID,
        adv_uuids=[witmotion.SERVICE_UUID],
        auto_replies=[(witmotion.WRITE_UUID, witmotion.READ_BATTERY, witmotion.NOTIFY_UUID,
                       battery_reply)],
    )


def metawear_spec(name: str = "MetaWear") -> DeviceSpec:
    mw = metawear
    return DeviceSpec(
        "metawear", name,
        [{"uuid": mw.SERVICE_UUID, "chars": [
            _char(mw.COMMAND_UUID, ["write-without-response", "write"]),
            _char(mw.NOTIFY_UUID, ["notify"]),
        ]}],
        data_uuid=mw.NOTIFY_UUID,
        adv_uuids=[mw.SERVICE_UUID],
        auto_replies=[
            (mw.COMMAND_UUID, b"\x03\x80", mw.NOTIFY_UUID, b"\x03\x80\x01\x03"),  # BMI160 acc
            (mw.COMMAND_UUID, b"\x13\x80", mw.NOTIFY_UUID, b"\x13\x80\x00\x01"),  # BMI160 gyro
            (mw.COMMAND_UUID, b"\x11\x8c", mw.NOTIFY_UUID, b"\x11\x8c\x5a\x68\x10"),  # 90 %
        ],
    )


def thingy_spec(name: str = "Thingy") -> DeviceSpec:
    return DeviceSpec(
        "thingy52", name,
        [{"uuid": thingy52.SERVICE_UUID, "chars": [
            _char(thingy52.CONFIG_UUID, ["read", "write"],
                  thingy52.config_bytes(thingy52.DEFAULT_CONFIG[3])),
            _char(thingy52.RAW_UUID, ["notify"]),
        ]}, BATTERY],
        data_uuid=thingy52.RAW_UUID,
        adv_uuids=[thingy52.ADV_UUID],
    )


def reference_spec(name: str = "DIY-IMU") -> DeviceSpec:
    return DeviceSpec(
        "reference", name,
        [{"uuid": reference.SERVICE_UUID, "chars": [
            _char(reference.DATA_UUID, ["notify"]),
            _char(reference.CONTROL_UUID, ["read", "write"], reference.ControlState().to_bytes()),
        ]}, BATTERY],
        data_uuid=reference.DATA_UUID,
        adv_uuids=[reference.SERVICE_UUID],
    )


SPECS = {"witmotion": witmotion_spec, "metawear": metawear_spec, "thingy52": thingy_spec,
         "reference": reference_spec}


@dataclass
class Stream:
    packets: list[bytes]
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    samples_per_packet: list[int]  # samples completed by each notification
    mag_ut: np.ndarray | None = None


def make_stream(profile: str, n: int, rate_hz: float = 100.0, seed: int = 0,
                per_packet: int | None = None, seq0: int = 0) -> Stream:
    """``n`` samples (a multiple of the packet size) as the device would notify them; ``seq0``
    is the device's sample counter at the first one (reference profile: seq and timestamp)."""
    rng = np.random.default_rng(seed)
    acc = rng.integers(-20000, 20000, (n, 3)).astype(np.int16)
    gyr = rng.integers(-20000, 20000, (n, 3)).astype(np.int16)
    if profile == "witmotion":
        data = witmotion.encode_frames(acc, gyr)
        chunk = 50 if per_packet is None else 20 * per_packet  # 2.5 frames: splits frames
        packets = [data[i:i + chunk] for i in range(0, len(data), chunk)]
        ends = [min((i + chunk) // 20, n) for i in range(0, len(data), chunk)]
        per = list(np.diff([0, *ends]))
        return Stream(packets, acc * witmotion.ACC_SCALE_G, gyr * witmotion.GYR_SCALE_DPS, per)
    if profile == "metawear":
        assert n % 3 == 0
        packets = []
        for i in range(0, n, 3):
            packets.append(b"\x03\x1c" + acc[i:i + 3].astype("<i2").tobytes())
            packets.append(b"\x13\x07" + gyr[i:i + 3].astype("<i2").tobytes())
        return Stream(packets, acc / metawear.acc_lsb_per_g(metawear.ACC_RANGE_G),
                      gyr / metawear.gyr_lsb_per_dps(metawear.GYR_RANGE_DPS), [0, 3] * (n // 3))
    if profile == "thingy52":
        mag = rng.integers(-2000, 2000, (n, 3)).astype(np.int16)
        packets = [thingy52.encode_raw(acc[i], gyr[i], mag[i]) for i in range(n)]
        return Stream(packets, acc * thingy52.ACC_SCALE_G, gyr * thingy52.GYR_SCALE_DPS,
                      [1] * n, mag * thingy52.MAG_SCALE_UT)
    if profile == "reference":
        per = per_packet or 4
        assert n % per == 0
        dt_us = round(1e6 / rate_hz)
        packets = [reference.encode_packet(seq0 + i, 5_000_000 + (seq0 + i) * dt_us,
                                           acc[i:i + per], gyr[i:i + per])
                   for i in range(0, n, per)]
        # the profile asks for 8 g / 1000 dps and the mock applies what it is asked
        return Stream(packets, acc * (8 / 32768), gyr * (1000 / 32768), [per] * (n // per))
    raise ValueError(profile)
