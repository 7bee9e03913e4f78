"""MbientLab MetaMotion (RL / C / R with BMI160, S with BMI270): accelerometer + gyroscope packed
streams over the MetaWear protocol.

GATT: service ``326a9000-85cb-9195-d9dd-464cfbbae75a``, commands written to ``…9001…``, responses
and data notified on ``…9006…``. Every message is ``[module, register, payload…]``; module 0x03 is
the accelerometer, 0x13 the gyroscope, 0x11 settings (battery). Register ids, config bytes and
scales follow the MetaWear C++ SDK (its unit tests are our test vectors):

* acc config ``03 03 <odr | bwp<<4 | (perf<<7 on BMI270)> <range>``; range codes BMI160
  2/4/8/16 g → 3/5/8/12, BMI270 → 0/1/2/3; LSB/g 16384/8192/4096/2048.
* gyro config ``13 03 <odr | bwp<<4> <range>``; range 2000…125 °/s → 0…4, LSB/°/s
  16.4·2^range.
* packed data (3 samples of 3 × int16 per notification): acc ``03 1C`` (BMI160) / ``03 05``
  (BMI270), gyro ``13 07`` (BMI160) / ``13 05`` (BMI270). Single samples: ``03 04``, gyro
  ``13 05`` (BMI160) / ``13 04`` (BMI270). Single and packed differ in length, which is how we tell
  them apart.
* module info: write ``MM 80`` → ``MM 80 impl rev``;
  battery: write ``11 8C`` → ``11 8C pct mV_lo mV_hi``.

Streaming data carries no device timestamps, so the acc and gyro streams are paired in order and
stamped by the drift-tracking nominal-rate clock.
"""

from __future__ import annotations

from collections import deque
from typing import ClassVar

import numpy as np

from firmware_bridge.profiles.base import (
    ClockedDecoder,
    DecodeOutput,
    Decoder,
    DeviceProfile,
    GattIO,
    ProfileError,
    battery_event,
)

_BASE = "-85cb-9195-d9dd-464cfbbae75a"
SERVICE_UUID = "326a9000" + _BASE
COMMAND_UUID = "326a9001" + _BASE
NOTIFY_UUID = "326a9006" + _BASE

MOD_ACC = 0x03
MOD_GYRO = 0x13
MOD_SETTINGS = 0x11
REG_INFO = 0x80
REG_BATTERY_READ = 0x8C

ACC_BMI160 = 1
ACC_BMI270 = 4
GYRO_BMI160 = 0
GYRO_BMI270 = 1

ODR_CODES: dict[float, int] = {25.0: 6, 50.0: 7, 100.0: 8, 200.0: 9, 400.0: 10, 800.0: 11}
ACC_RANGE_G = 8.0
GYR_RANGE_DPS = 1000.0
_ACC_RANGE_CODE_BMI160 = {2.0: 0x03, 4.0: 0x05, 8.0: 0x08, 16.0: 0x0C}
_ACC_RANGE_CODE_BMI270 = {2.0: 0, 4.0: 1, 8.0: 2, 16.0: 3}
_GYR_RANGE_CODE = {2000.0: 0, 1000.0: 1, 500.0: 2, 250.0: 3, 125.0: 4}


def acc_lsb_per_g(range_g: float) -> float:
    return 32768.0 / range_g


def gyr_lsb_per_dps(range_dps: float) -> float:
    return 16.4 * float(2 ** _GYR_RANGE_CODE[range_dps])


class MetaWearDecoder(ClockedDecoder):
    """Decodes MetaWear responses; pairs acc and gyro samples in order."""

    def __init__(
        self, rate_hz: float, acc_range_g: float = ACC_RANGE_G, gyr_range_dps: float = GYR_RANGE_DPS
    ) -> None:
        super().__init__(rate_hz)
        self.acc_scale = 1.0 / acc_lsb_per_g(acc_range_g)
        self.gyr_scale = 1.0 / gyr_lsb_per_dps(gyr_range_dps)
        self.module_info: dict[int, tuple[int, int] | None] = {}
        self._acc: deque[np.ndarray] = deque()
        self._gyr: deque[np.ndarray] = deque()
        self._n_acc = 0
        self._n_gyr = 0
        # if one stream runs ahead by more than this, the other lost packets: re-align
        self.max_imbalance = max(6, int(0.1 * rate_hz))

    def set_ranges(self, acc_range_g: float, gyr_range_dps: float) -> None:
        self.acc_scale = 1.0 / acc_lsb_per_g(acc_range_g)
        self.gyr_scale = 1.0 / gyr_lsb_per_dps(gyr_range_dps)

    def feed(self, char_uuid: str, data: bytes, arrival_s: float) -> DecodeOutput:
        st = self.stats
        st.notifications += 1
        st.bytes += len(data)
        n = len(data)
        if n < 2:
            st.malformed += 1
            st.skipped_bytes += n
            return DecodeOutput()
        module, register = data[0], data[1]
        if module in (MOD_ACC, MOD_GYRO) and register & 0x80 == 0 and n in (8, 20):
            raw = np.frombuffer(data, dtype="<i2", offset=2).reshape(-1, 3).astype(np.float64)
            if module == MOD_ACC and register in (0x04, 0x1C, 0x05):
                self._acc.append(raw * self.acc_scale)
                self._n_acc += len(raw)
            elif module == MOD_GYRO and register in (0x04, 0x05, 0x07):
                self._gyr.append(raw * self.gyr_scale)
                self._n_gyr += len(raw)
            else:
                st.other += 1
                return DecodeOutput()
            return self._pair(arrival_s)
        if register == REG_INFO:
            st.other += 1
            self.module_info[module] = (data[2], data[3]) if n >= 4 else None
            return DecodeOutput()
        if module == MOD_SETTINGS and register == REG_BATTERY_READ:
            if n < 5:
                st.malformed += 1
                st.skipped_bytes += n
                return DecodeOutput()
            st.other += 1
            pct = data[2]
            volts = int.from_bytes(data[3:5], "little") / 1000.0
            return DecodeOutput(events=[battery_event(pct if pct <= 100 else None, volts)])
        if module in (MOD_ACC, MOD_GYRO) and register & 0x80 == 0 and register in (4, 5, 7, 0x1C):
            st.malformed += 1  # a data register with the wrong length
            st.skipped_bytes += n
            return DecodeOutput()
        st.other += 1
        return DecodeOutput()

    @staticmethod
    def _pop(q: deque[np.ndarray], n: int) -> np.ndarray:
        parts: list[np.ndarray] = []
        while n > 0:
            head = q[0]
            if len(head) <= n:
                parts.append(q.popleft())
                n -= len(head)
            else:
                parts.append(head[:n])
                q[0] = head[n:]
                n = 0
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _pair(self, arrival_s: float) -> DecodeOutput:
        excess = self._n_acc - self._n_gyr
        if abs(excess) > self.max_imbalance:
            # one stream lost packets: drop the other's surplus down to one packet's worth
            drop = abs(excess) - 3
            if excess > 0:
                self._pop(self._acc, drop)
                self._n_acc -= drop
            else:
                self._pop(self._gyr, drop)
                self._n_gyr -= drop
            self.stats.skipped_samples += drop
        n = min(self._n_acc, self._n_gyr)
        if n == 0:
            return DecodeOutput()
        vals = np.empty((n, 6))
        vals[:, 0:3] = self._pop(self._acc, n)
        vals[:, 3:6] = self._pop(self._gyr, n)
        self._n_acc -= n
        self._n_gyr -= n
        return self.assembler.add(vals, arrival_s)

    def _drop_unpaired(self) -> None:
        self.stats.skipped_samples += self._n_acc + self._n_gyr
        self._acc.clear()
        self._gyr.clear()
        self._n_acc = self._n_gyr = 0

    def mark_discontinuity(self) -> DecodeOutput:
        self._drop_unpaired()
        return super().mark_discontinuity()


class MetaWearProfile(DeviceProfile):
    name = "metawear"
    title = "MbientLab MetaMotion (MetaWear)"
    service_uuid = SERVICE_UUID
    name_prefixes = ("MetaWear", "MetaMotion", "MMS", "MMRL", "MMR", "MMC")
    default_rate_hz = 100.0
    supported_rates_hz: ClassVar[tuple[float, ...]] = tuple(ODR_CODES)
    info_timeout_s = 1.0

    def __init__(self, rate_hz: float | None = None) -> None:
        super().__init__(rate_hz)
        self.acc_impl = ACC_BMI160
        self.gyro_impl = GYRO_BMI160

    @classmethod
    def check_rate(cls, rate_hz: float) -> None:
        if rate_hz not in ODR_CODES:
            rates = ", ".join(f"{r:g}" for r in ODR_CODES)
            raise ProfileError(f"MetaMotion streams at {rates} Hz, not {rate_hz:g}")

    def make_decoder(self) -> MetaWearDecoder:
        return MetaWearDecoder(self.rate_hz)

    def info_requests(self) -> list[bytes]:
        return [bytes([MOD_ACC, REG_INFO]), bytes([MOD_GYRO, REG_INFO])]

    def config_commands(self) -> list[bytes]:
        """Commands that configure and start packed acc + gyro streaming at ``rate_hz``."""
        odr = ODR_CODES[self.rate_hz]
        bmi270 = self.acc_impl == ACC_BMI270
        acc_odr = odr | (2 << 4) | ((1 << 7) if bmi270 else 0)
        acc_range = (_ACC_RANGE_CODE_BMI270 if bmi270 else _ACC_RANGE_CODE_BMI160)[ACC_RANGE_G]
        acc_packed = 0x05 if bmi270 else 0x1C
        gyr_packed = 0x05 if self.gyro_impl == GYRO_BMI270 else 0x07
        return [
            bytes([MOD_ACC, 0x03, acc_odr, acc_range]),
            bytes([MOD_GYRO, 0x03, odr | (2 << 4), _GYR_RANGE_CODE[GYR_RANGE_DPS]]),
            bytes([MOD_ACC, acc_packed, 0x01]),
            bytes([MOD_GYRO, gyr_packed, 0x01]),
            bytes([MOD_ACC, 0x02, 0x01, 0x00]),
            bytes([MOD_GYRO, 0x02, 0x01, 0x00]),
            bytes([MOD_GYRO, 0x01, 0x01]),
            bytes([MOD_ACC, 0x01, 0x01]),
        ]

    def stop_commands(self) -> list[bytes]:
        acc_packed = 0x05 if self.acc_impl == ACC_BMI270 else 0x1C
        gyr_packed = 0x05 if self.gyro_impl == GYRO_BMI270 else 0x07
        return [
            bytes([MOD_ACC, 0x01, 0x00]),
            bytes([MOD_GYRO, 0x01, 0x00]),
            bytes([MOD_ACC, 0x02, 0x00, 0x01]),
            bytes([MOD_GYRO, 0x02, 0x00, 0x01]),
            bytes([MOD_ACC, acc_packed, 0x00]),
            bytes([MOD_GYRO, gyr_packed, 0x00]),
        ]

    async def start(self, io: GattIO, decoder: Decoder) -> None:
        assert isinstance(decoder, MetaWearDecoder)
        await io.start_notify(NOTIFY_UUID)
        for cmd in self.info_requests():
            await io.write(COMMAND_UUID, cmd)
        waited = 0.0
        wanted = {MOD_ACC, MOD_GYRO}
        while waited < self.info_timeout_s and not wanted <= decoder.module_info.keys():
            await io.sleep(0.02)
            waited += 0.02
        acc = decoder.module_info.get(MOD_ACC, (ACC_BMI160, 0))
        gyro = decoder.module_info.get(MOD_GYRO, (GYRO_BMI160, 0))
        if acc is None or gyro is None or acc[0] not in (ACC_BMI160, ACC_BMI270):
            raise ProfileError("this MetaWear board has no BMI160/BMI270 accelerometer + gyroscope")
        self.acc_impl, self.gyro_impl = acc[0], gyro[0]
        decoder.set_ranges(ACC_RANGE_G, GYR_RANGE_DPS)
        for cmd in self.config_commands():
            await io.write(COMMAND_UUID, cmd)

    async def stop(self, io: GattIO) -> None:
        for cmd in self.stop_commands():
            await io.write(COMMAND_UUID, cmd)

    async def request_battery(self, io: GattIO) -> int | None:
        await io.write(COMMAND_UUID, bytes([MOD_SETTINGS, REG_BATTERY_READ]))
        return None
