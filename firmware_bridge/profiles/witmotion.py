"""WitMotion WT901BLECL / BWT901BLECL5.0 (and the WT9011 BLE family).

GATT: service ``0000ffe5-0000-1000-8000-00805f9a34fb``, notify ``…ffe4…``, write ``…ffe9…``
(note the vendor base ``…9a34fb``, not the SIG ``…9b34fb``).

Stream: 20-byte frames ``55 61`` + 9 × int16 LE — acc (raw/32768·16 g), gyro (raw/32768·2000 °/s),
angles (raw/32768·180°). Several frames may share a notification and a frame may be split across
two. Register replies are ``55 71`` + start register (u16) + 8 registers; the battery voltage is
register 0x64 in 0.01 V (read with ``FF AA 27 64 00``).

Config on connect: unlock ``FF AA 69 88 B5``, rate ``FF AA 03 RR 00`` (RR 0x09 = 100 Hz,
0x0B = 200 Hz; 0x08 = 50 Hz), save ``FF AA 00 00 00``. The device has no sample counter, so times
come from the nominal rate through the drift-tracking clock.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from firmware_bridge.ble.framing import FixedFrameBuffer
from firmware_bridge.profiles.base import (
    ClockedDecoder,
    DecodeOutput,
    Decoder,
    DeviceProfile,
    GattIO,
    ProfileError,
    battery_event,
)
from trainer.vocab.source import SourceStatus

_BASE = "-0000-1000-8000-00805f9a34fb"
SERVICE_UUID = "0000ffe5" + _BASE
NOTIFY_UUID = "0000ffe4" + _BASE
WRITE_UUID = "0000ffe9" + _BASE

FRAME_LEN = 20
HEADER = 0x55
FLAG_DATA = 0x61
FLAG_REGISTER = 0x71
REG_BATTERY = 0x64

ACC_SCALE_G = 16.0 / 32768.0
GYR_SCALE_DPS = 2000.0 / 32768.0
ANGLE_SCALE_DEG = 180.0 / 32768.0

RATE_CODES: dict[float, int] = {50.0: 0x08, 100.0: 0x09, 200.0: 0x0B}

UNLOCK = bytes([0xFF, 0xAA, 0x69, 0x88, 0xB5])
SAVE = bytes([0xFF, 0xAA, 0x00, 0x00, 0x00])
READ_BATTERY = bytes([0xFF, 0xAA, 0x27, REG_BATTERY, 0x00])

# Li-ion cell voltage → charge, from WitMotion's app (coarse; a cell's curve is not linear).
_BATTERY_CURVE_V = (
    (3.96, 100), (3.93, 90), (3.87, 75), (3.82, 60), (3.79, 50),
    (3.77, 40), (3.73, 30), (3.71, 20), (3.69, 15), (3.61, 10), (3.55, 5),
)  # fmt: skip


def rate_command(rate_hz: float) -> bytes:
    return bytes([0xFF, 0xAA, 0x03, RATE_CODES[rate_hz], 0x00])


def battery_percent(voltage_v: float) -> int:
    for threshold, pct in _BATTERY_CURVE_V:
        if voltage_v >= threshold:
            return pct
    return 0


def encode_frame(acc_raw: object, gyr_raw: object, angle_raw: object = (0, 0, 0)) -> bytes:
    """One ``55 61`` frame from int16 raw values (used by tests, the mock and the benchmark)."""
    parts = (acc_raw, gyr_raw, angle_raw)
    vals = np.concatenate([np.asarray(v, dtype="<i2").reshape(3) for v in parts])
    return bytes([HEADER, FLAG_DATA]) + vals.astype("<i2").tobytes()


def encode_frames(acc_raw: np.ndarray, gyr_raw: np.ndarray) -> bytes:
    """Many frames at once: (n,3) int16 acc and gyro, angles zero."""
    n = len(acc_raw)
    arr = np.zeros((n, 10), dtype="<i2")
    arr[:, 0] = np.int16(HEADER | (FLAG_DATA << 8))  # bytes 55 61 as one LE int16
    arr[:, 1:4] = acc_raw
    arr[:, 4:7] = gyr_raw
    return arr.tobytes()


def register_reply(register: int, values: tuple[int, ...]) -> bytes:
    regs = np.zeros(8, dtype="<i2")
    regs[: len(values)] = values
    return bytes([HEADER, FLAG_REGISTER, register & 0xFF, register >> 8]) + regs.tobytes()


class WitMotionDecoder(ClockedDecoder):
    def __init__(self, rate_hz: float) -> None:
        super().__init__(rate_hz)
        self.framer = FixedFrameBuffer(FRAME_LEN, HEADER, frozenset({FLAG_DATA, FLAG_REGISTER}))
        self.last_angles_deg: np.ndarray | None = None
        self.registers: dict[int, int] = {}

    def _sync_framing_stats(self) -> None:
        fs = self.framer.stats
        self.stats.malformed = fs.malformed
        self.stats.skipped_bytes = fs.skipped_bytes

    def feed(self, char_uuid: str, data: bytes, arrival_s: float) -> DecodeOutput:
        self.stats.notifications += 1
        self.stats.bytes += len(data)
        frames = self.framer.feed(data)
        self._sync_framing_stats()
        if not frames:
            return DecodeOutput()
        words = np.frombuffer(frames, dtype="<i2").reshape(-1, FRAME_LEN // 2)
        flags = np.frombuffer(frames, dtype=np.uint8)[1::FRAME_LEN]
        events: list[SourceStatus] = []
        if (flags == FLAG_REGISTER).any():
            for row in words[flags == FLAG_REGISTER]:
                events.extend(self._register_reply(row))
            words = words[flags == FLAG_DATA]
        out = DecodeOutput(events=events)
        if len(words):
            raw = words[:, 1:10].astype(np.float64)
            vals = np.empty((len(raw), 6))
            vals[:, 0:3] = raw[:, 0:3] * ACC_SCALE_G
            vals[:, 3:6] = raw[:, 3:6] * GYR_SCALE_DPS
            self.last_angles_deg = raw[-1, 6:9] * ANGLE_SCALE_DEG
            out.extend(self.assembler.add(vals, arrival_s))
        return out

    def _register_reply(self, row: np.ndarray) -> list[SourceStatus]:
        self.stats.other += 1
        start = int(row[1]) & 0xFFFF
        for i in range(8):
            self.registers[start + i] = int(row[2 + i])
        if start == REG_BATTERY:
            volts = (int(row[2]) & 0xFFFF) / 100.0
            return [battery_event(battery_percent(volts), volts)]
        return []

    def mark_discontinuity(self) -> DecodeOutput:
        self.framer.reset()
        self._sync_framing_stats()
        return super().mark_discontinuity()


class WitMotionProfile(DeviceProfile):
    name = "witmotion"
    title = "WitMotion WT901BLECL / BWT901BLECL5.0"
    service_uuid = SERVICE_UUID
    name_prefixes = ("WT901", "BWT901", "WT9011", "BWT9011")
    default_rate_hz = 100.0
    supported_rates_hz: ClassVar[tuple[float, ...]] = tuple(RATE_CODES)

    @classmethod
    def check_rate(cls, rate_hz: float) -> None:
        if rate_hz not in RATE_CODES:
            raise ProfileError(f"WitMotion streams at 50, 100 or 200 Hz, not {rate_hz:g}")

    def make_decoder(self) -> WitMotionDecoder:
        return WitMotionDecoder(self.rate_hz)

    def config_commands(self) -> list[bytes]:
        return [UNLOCK, rate_command(self.rate_hz), SAVE]

    async def start(self, io: GattIO, decoder: Decoder) -> None:
        await io.start_notify(NOTIFY_UUID)
        for cmd in self.config_commands():
            await io.write(WRITE_UUID, cmd)
            await io.sleep(0.05)  # the module applies register writes one at a time

    async def request_battery(self, io: GattIO) -> int | None:
        await io.write(WRITE_UUID, READ_BATTERY)
        return None
