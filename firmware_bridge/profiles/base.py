"""The interface every device profile implements, and shared decoder machinery.

A profile is data (UUIDs, advertised names, rates) + a decoder + an async ``start`` script that
configures the device through a small :class:`GattIO` facade (so the same script runs against a
real BlueZ link, the mock BlueZ in tests, or a fake in unit tests). Decoders are pure: bytes and
arrival times in, :class:`~trainer.vocab.batch.SampleBatch` es and status events out; they never
raise on bad bytes — they skip and count.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, Protocol

import numpy as np

from firmware_bridge.ble.clock import NominalRateClock, Release
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceStatus

BLE_BASE = "-0000-1000-8000-00805f9b34fb"
BATTERY_SERVICE_UUID = "0000180f" + BLE_BASE
BATTERY_LEVEL_UUID = "00002a19" + BLE_BASE


def uuid16(short: int) -> str:
    """Full 128-bit form of a 16-bit Bluetooth SIG UUID."""
    return f"{short:08x}{BLE_BASE}"


class ProfileError(ValueError):
    """A profile cannot be used as asked (unknown name, unsupported rate, unsupported board)."""


@dataclass(frozen=True, slots=True)
class Advertisement:
    """What a scan tells us about a device (enough to pick a profile)."""

    address: str
    name: str | None = None
    service_uuids: tuple[str, ...] = ()
    rssi: int | None = None
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)


class GattIO(Protocol):
    """The GATT operations a profile's start script may use (UUIDs are full 128-bit strings)."""

    async def write(
        self, char_uuid: str, data: bytes, *, response: bool | None = None
    ) -> None: ...

    async def read(self, char_uuid: str) -> bytes: ...

    async def start_notify(self, char_uuid: str) -> None: ...

    async def stop_notify(self, char_uuid: str) -> None: ...

    def has_characteristic(self, char_uuid: str) -> bool: ...

    async def sleep(self, seconds: float) -> None: ...


@dataclass(slots=True)
class DecoderStats:
    """Counters a decoder keeps for link statistics and tests."""

    notifications: int = 0
    bytes: int = 0
    samples: int = 0
    malformed: int = 0  # frames/packets rejected (wrong length, bad header, resyncs)
    skipped_bytes: int = 0
    skipped_samples: int = 0  # decoded but dropped (duplicates, unpaired MetaWear samples)
    other: int = 0  # valid messages that carry no samples (register replies, battery, info)
    gaps: int = 0
    missing_samples: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


@dataclass(slots=True)
class DecodeOutput:
    batch: SampleBatch | None = None
    events: list[SourceStatus] = field(default_factory=list)

    def extend(self, other: DecodeOutput) -> None:
        if other.batch is not None and len(other.batch):
            self.batch = (
                other.batch
                if self.batch is None or not len(self.batch)
                else SampleBatch.concat([self.batch, other.batch])
            )
        self.events.extend(other.events)


def gap_event(t_start_s: float, missing: int, period_s: float, reason: str = "") -> SourceStatus:
    duration = missing * period_s
    msg = f"{missing} samples missing ({duration:.3f} s)" + (f": {reason}" if reason else "")
    return SourceStatus(
        "gap",
        msg,
        t_s=t_start_s,
        data={"missing_samples": missing, "duration_s": duration, "t_end_s": t_start_s + duration},
    )


def battery_event(percent: int | None, voltage_v: float | None = None) -> SourceStatus:
    text = f"battery {percent} %" if percent is not None else f"battery {voltage_v:.2f} V"
    return SourceStatus("battery", text, data={"percent": percent, "voltage_v": voltage_v})


class Decoder(ABC):
    """Turns notifications into batches. ``feed`` never raises on malformed input."""

    def __init__(self) -> None:
        self.stats = DecoderStats()

    @abstractmethod
    def feed(self, char_uuid: str, data: bytes, arrival_s: float) -> DecodeOutput:
        """Decode one notification received at ``arrival_s`` (monotonic seconds)."""

    def mark_discontinuity(self) -> DecodeOutput:
        """The link dropped: forget partial frames; the next samples follow a gap."""
        return DecodeOutput()

    def flush(self) -> DecodeOutput:
        """Release anything held back (end of stream)."""
        return DecodeOutput()

    def poll(self, now_s: float) -> DecodeOutput:
        """Called periodically while connected: release samples held back too long."""
        return DecodeOutput()

    @property
    def rate_hz(self) -> float | None:
        """The rate samples are stamped at, when the decoder decides it (None: device clock)."""
        return None


class ClockedAssembler:
    """Stamps samples of a counter-less device with a :class:`NominalRateClock`.

    ``add(values, arrival_s)`` takes an (n, 6) array (acc_g, gyr_dps) or (n, 9) (+ mag_ut) and
    returns the samples whose times are decided, with gap events. ``seq`` is the running sample
    index including inferred gaps, so loss is visible in recordings.
    """

    def __init__(self, rate_hz: float, stats: DecoderStats, *, with_mag: bool = False) -> None:
        self.clock = NominalRateClock(rate_hz)
        self.stats = stats
        self.with_mag = with_mag
        self._fifo: deque[np.ndarray] = deque()
        self._rate_reported = False

    def add(self, values: np.ndarray, arrival_s: float) -> DecodeOutput:
        if not len(values):
            return DecodeOutput()
        self._fifo.append(values)
        return self._emit(self.clock.push(len(values), arrival_s))

    def discontinuity(self) -> DecodeOutput:
        return self._emit(self.clock.mark_discontinuity())

    def flush(self) -> DecodeOutput:
        return self._emit(self.clock.flush())

    def poll(self, now_s: float) -> DecodeOutput:
        return self._emit(self.clock.poll(now_s))

    def _take(self, n: int) -> np.ndarray:
        parts: list[np.ndarray] = []
        while n > 0:
            head = self._fifo[0]
            if len(head) <= n:
                parts.append(self._fifo.popleft())
                n -= len(head)
            else:
                parts.append(head[:n])
                self._fifo[0] = head[n:]
                n = 0
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _emit(self, releases: list[Release]) -> DecodeOutput:
        out = DecodeOutput()
        if not releases:
            return out
        clock = self.clock
        if clock.rate_adopted and not self._rate_reported:
            self._rate_reported = True
            out.events.append(SourceStatus(
                "error",
                f"the sensor streams at {clock.rate_hz:.0f} Hz, not the "
                f"{clock.requested_rate_hz:.0f} Hz asked for: using its rate",
                data={"fatal": False, "measured_rate_hz": clock.rate_hz,
                      "requested_rate_hz": clock.requested_rate_hz},
            ))
        total = sum(r.count for r in releases)
        vals = self._take(total)
        if len(releases) == 1:
            r = releases[0]
            t = r.times()
            seq = np.arange(r.index_first, r.index_first + r.count, dtype=np.int64)
        else:
            t = np.concatenate([r.times() for r in releases])
            seq = np.concatenate(
                [np.arange(r.index_first, r.index_first + r.count, dtype=np.int64)
                 for r in releases]
            )
        for r in releases:
            if r.missing_before:
                self.stats.gaps += 1
                self.stats.missing_samples += r.missing_before
                start = r.t_first_s - r.missing_before * r.period_s
                out.events.append(gap_event(start, r.missing_before, r.period_s))
        self.stats.samples += total
        out.batch = SampleBatch.from_arrays(
            t,
            vals[:, 0:3],
            vals[:, 3:6],
            seq=(seq & 0xFFFFFFFF).astype(np.uint32),
            mag_ut=vals[:, 6:9] if self.with_mag else None,
        )
        return out


class ClockedDecoder(Decoder):
    """A decoder for a device without sample counters: samples go through a
    :class:`ClockedAssembler`, which also answers discontinuity, flush, poll and the rate."""

    def __init__(self, rate_hz: float, *, with_mag: bool = False) -> None:
        super().__init__()
        self.assembler = ClockedAssembler(rate_hz, self.stats, with_mag=with_mag)

    def mark_discontinuity(self) -> DecodeOutput:
        return self.assembler.discontinuity()

    def flush(self) -> DecodeOutput:
        return self.assembler.flush()

    def poll(self, now_s: float) -> DecodeOutput:
        return self.assembler.poll(now_s)

    @property
    def rate_hz(self) -> float | None:
        return self.assembler.clock.rate_hz


class DeviceProfile(ABC):
    """One supported device family."""

    name: ClassVar[str]
    title: ClassVar[str]
    service_uuid: ClassVar[str]
    adv_uuids: ClassVar[tuple[str, ...]] = ()
    name_prefixes: ClassVar[tuple[str, ...]] = ()
    default_rate_hz: ClassVar[float] = 100.0
    has_device_clock: ClassVar[bool] = False
    has_magnetometer: ClassVar[bool] = False

    def __init__(self, rate_hz: float | None = None) -> None:
        self.rate_hz = float(rate_hz if rate_hz is not None else self.default_rate_hz)
        self.check_rate(self.rate_hz)

    @classmethod
    def check_rate(cls, rate_hz: float) -> None:
        """Raise ProfileError when the device cannot stream at ``rate_hz``."""
        if not rate_hz > 0:
            raise ProfileError(f"the sample rate must be positive, not {rate_hz:g}")

    @classmethod
    def matches(cls, adv: Advertisement) -> bool:
        uuids = {u.lower() for u in adv.service_uuids}
        if any(u in uuids for u in (cls.service_uuid, *cls.adv_uuids)):
            return True
        name = adv.name or ""
        return any(name.startswith(p) for p in cls.name_prefixes)

    @abstractmethod
    def make_decoder(self) -> Decoder:
        """A fresh decoder for one connection session (kept across reconnects)."""

    @abstractmethod
    async def start(self, io: GattIO, decoder: Decoder) -> None:
        """Configure the device and enable notifications (run after every (re)connect)."""

    async def stop(self, io: GattIO) -> None:
        """Best-effort: stop streaming before a clean disconnect."""
        return None

    async def request_battery(self, io: GattIO) -> int | None:
        """Battery percent from the standard Battery Service where present; profiles whose
        battery arrives as a notification send the request here and return None."""
        if not io.has_characteristic(BATTERY_LEVEL_UUID):
            return None
        data = await io.read(BATTERY_LEVEL_UUID)
        if len(data) >= 1 and data[0] <= 100:
            return int(data[0])
        return None

    def describe(self) -> dict[str, Any]:
        return {"profile": self.name, "rate_hz": self.rate_hz}
