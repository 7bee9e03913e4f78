"""The open reference IMU profile (``docs/reference-gatt-profile.md``) for DIY nRF52 / ESP32 boards.

Service ``1542c001-a6ec-4ed4-baa3-1d0cd009a6cc``; data ``…c002…`` (notify), control ``…c003…``
(read/write). Each data notification holds 1-31 samples with the sequence number and the device
timestamp (µs) of its first sample, so loss is counted exactly and times come from the device clock.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from firmware_bridge.ble.clock import CounterClock
from firmware_bridge.profiles.base import (
    DecodeOutput,
    Decoder,
    DeviceProfile,
    GattIO,
    ProfileError,
)
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceStatus

_BASE = "-a6ec-4ed4-baa3-1d0cd009a6cc"
SERVICE_UUID = "1542c001" + _BASE
DATA_UUID = "1542c002" + _BASE
CONTROL_UUID = "1542c003" + _BASE

VERSION = 1
HEADER = struct.Struct("<BHI")  # hdr (count | layout << 5), seq u16, t_us u32
# version, streaming, rate_hz, acc_range_g, layout, gyr_range_dps
CONTROL = struct.Struct("<BBHBBH")
LAYOUT_ACC_GYR = 0
LAYOUT_ACC_GYR_MAG = 1
SAMPLE_BYTES = {LAYOUT_ACC_GYR: 12, LAYOUT_ACC_GYR_MAG: 18}
MAX_COUNT = 31
MAG_LSB_UT = 0.1
ACC_RANGES_G = (2, 4, 8, 16)
GYR_RANGES_DPS = (125, 250, 500, 1000, 2000, 4000)
_DUPLICATE_WINDOW = 1000  # a sequence number this far behind is a duplicate, farther a reset


@dataclass(frozen=True, slots=True)
class ControlState:
    """The control characteristic: what the central asks for / what the device applied."""

    streaming: bool = False
    rate_hz: int = 100
    acc_range_g: int = 16
    layout: int = LAYOUT_ACC_GYR
    gyr_range_dps: int = 2000
    version: int = VERSION

    def to_bytes(self) -> bytes:
        return CONTROL.pack(
            self.version,
            int(self.streaming),
            self.rate_hz,
            self.acc_range_g,
            self.layout,
            self.gyr_range_dps,
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> ControlState | None:
        """Parse; None when the bytes are not a valid version-1 control value."""
        if len(data) != CONTROL.size:
            return None
        version, streaming, rate, acc, layout, gyr = CONTROL.unpack(data)
        if (
            version != VERSION
            or streaming > 1
            or not 1 <= rate <= 4000
            or acc not in ACC_RANGES_G
            or layout not in SAMPLE_BYTES
            or gyr not in GYR_RANGES_DPS
        ):
            return None
        return cls(bool(streaming), rate, acc, layout, gyr, version)


def encode_packet(
    seq: int,
    t_us: int,
    acc_raw: np.ndarray,
    gyr_raw: np.ndarray,
    mag_raw: np.ndarray | None = None,
) -> bytes:
    """One data notification (firmware side; used by tests, the mock and the docs' example)."""
    n = len(acc_raw)
    if not 1 <= n <= MAX_COUNT:
        raise ValueError(f"a packet holds 1-{MAX_COUNT} samples")
    layout = LAYOUT_ACC_GYR if mag_raw is None else LAYOUT_ACC_GYR_MAG
    cols = [np.asarray(acc_raw), np.asarray(gyr_raw)] + ([] if mag_raw is None else [mag_raw])
    body = np.hstack(cols).astype("<i2").tobytes()
    return HEADER.pack(n | (layout << 5), seq & 0xFFFF, t_us & 0xFFFFFFFF) + body


class ReferenceDecoder(Decoder):
    def __init__(self, control: ControlState | None = None) -> None:
        super().__init__()
        self.clock = CounterClock(1e-6, 32)
        self._next_raw: int | None = None  # expected seq (16-bit) of the next sample
        self._seq = 0  # running (unwrapped) sequence number of the next sample
        self._last_t: float | None = None
        self._discontinuity = False
        self.configure(control or ControlState())

    def configure(self, control: ControlState) -> None:
        self.control = control
        self.interval_s = 1.0 / control.rate_hz
        self.acc_scale = control.acc_range_g / 32768.0
        self.gyr_scale = control.gyr_range_dps / 32768.0
        self.sample_bytes = SAMPLE_BYTES[control.layout]

    def _reject(self, n: int) -> DecodeOutput:
        self.stats.malformed += 1
        self.stats.skipped_bytes += n
        return DecodeOutput()

    def feed(self, char_uuid: str, data: bytes, arrival_s: float) -> DecodeOutput:
        st = self.stats
        st.notifications += 1
        st.bytes += len(data)
        if len(data) < HEADER.size:
            return self._reject(len(data))
        hdr, raw_seq, t_us = HEADER.unpack_from(data)
        count, layout = hdr & 0x1F, hdr >> 5
        if count == 0 or layout != self.control.layout:
            return self._reject(len(data))
        if len(data) != HEADER.size + count * self.sample_bytes:
            return self._reject(len(data))
        missing = 0
        reset = False
        if self._next_raw is None:
            self._seq = raw_seq  # recorded seq starts at the device's own number
        else:
            d = (raw_seq - self._next_raw) & 0xFFFF
            if d >= 0x8000:  # behind
                if 0x10000 - d <= _DUPLICATE_WINDOW and not self._discontinuity:
                    st.skipped_samples += count
                    return DecodeOutput()
                reset = True
                self.clock.force_reanchor()
            else:
                missing = d
        if self._discontinuity:
            self.clock.mark_discontinuity()
            self._discontinuity = False
        t_first, reanchored = self.clock.stamp(t_us, arrival_s)
        out = DecodeOutput()
        if self._last_t is not None:
            if reanchored or reset:
                # the device restarted: its counters say nothing about the outage, time does
                missing = max(0, round((t_first - self._last_t) / self.interval_s) - 1)
            if missing:
                st.gaps += 1
                st.missing_samples += missing
                start = self._last_t + self.interval_s
                out.events.append(
                    SourceStatus(
                        "gap",
                        f"{missing} samples missing ({t_first - start:.3f} s)",
                        t_s=start,
                        data={
                            "missing_samples": missing,
                            "duration_s": t_first - start,
                            "t_end_s": t_first,
                        },
                    )
                )
        self._seq += missing
        self._next_raw = (raw_seq + count) & 0xFFFF
        words = np.frombuffer(data, dtype="<i2", offset=HEADER.size).reshape(count, -1)
        raw = words.astype(np.float64)
        t = t_first + self.interval_s * np.arange(count)
        seq = np.arange(self._seq, self._seq + count, dtype=np.int64) & 0xFFFFFFFF
        self._seq += count
        self._last_t = float(t[-1])
        st.samples += count
        out.batch = SampleBatch.from_arrays(
            t,
            raw[:, 0:3] * self.acc_scale,
            raw[:, 3:6] * self.gyr_scale,
            seq=seq.astype(np.uint32),
            mag_ut=raw[:, 6:9] * MAG_LSB_UT if self.sample_bytes == 18 else None,
        )
        return out

    def mark_discontinuity(self) -> DecodeOutput:
        self._discontinuity = True
        return DecodeOutput()


class ReferenceProfile(DeviceProfile):
    name = "reference"
    title = "Open reference IMU profile (DIY nRF52 / ESP32)"
    service_uuid = SERVICE_UUID
    default_rate_hz = 100.0
    has_device_clock = True

    def __init__(
        self, rate_hz: float | None = None, acc_range_g: int = 8, gyr_range_dps: int = 1000
    ) -> None:
        super().__init__(rate_hz)
        self.acc_range_g = acc_range_g
        self.gyr_range_dps = gyr_range_dps
        self.applied: ControlState | None = None

    @classmethod
    def check_rate(cls, rate_hz: float) -> None:
        if not (1 <= rate_hz <= 4000 and float(rate_hz).is_integer()):
            raise ProfileError(
                f"the reference profile takes 1-4000 Hz (whole numbers), not {rate_hz:g}"
            )

    def make_decoder(self) -> ReferenceDecoder:
        return ReferenceDecoder()

    def requested(self, streaming: bool) -> ControlState:
        return ControlState(
            streaming=streaming,
            rate_hz=int(self.rate_hz),
            acc_range_g=self.acc_range_g,
            layout=LAYOUT_ACC_GYR,
            gyr_range_dps=self.gyr_range_dps,
        )

    async def start(self, io: GattIO, decoder: Decoder) -> None:
        assert isinstance(decoder, ReferenceDecoder)
        await io.write(CONTROL_UUID, self.requested(False).to_bytes())
        applied = ControlState.from_bytes(await io.read(CONTROL_UUID))
        if applied is None:
            raise ProfileError("the device's control characteristic holds an invalid value")
        self.applied = applied
        self.rate_hz = float(applied.rate_hz)
        decoder.configure(applied)
        await io.start_notify(DATA_UUID)
        on = ControlState(
            True, applied.rate_hz, applied.acc_range_g, applied.layout, applied.gyr_range_dps
        )
        await io.write(CONTROL_UUID, on.to_bytes())

    async def stop(self, io: GattIO) -> None:
        await io.write(CONTROL_UUID, self.requested(False).to_bytes())
