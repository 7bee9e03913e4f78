"""Nordic Thingy:52 — the raw motion characteristic of the Thingy Motion Service.

GATT (base ``ef68xxxx-9b35-4933-9b10-52ffa9740042``): motion service ``ef680400``, configuration
``ef680401`` (read/write, 9 bytes: step-counter interval ms u16, temperature-compensation
interval ms u16, magnetometer-compensation interval ms u16, motion processing frequency Hz u16,
wake-on-motion u8), raw data ``ef680406`` (notify, 18 bytes: acc, gyro, compass as int16 LE).

Fixed-point formats, from the Thingy:52 firmware (``m_motion.c``: the 16Q16 driver values are
shifted right by 6 / 11 / 12 integer bits): acc Q6.10 g (raw/1024), gyro Q11.5 °/s (raw/32),
compass Q12.4 µT (raw/16). (Nordic's Web Bluetooth demo divides by 64/2048/4096 instead; the
firmware source is authoritative.) Battery: standard Battery Service. No sample counter: times
come from the nominal rate through the drift-tracking clock.
"""

from __future__ import annotations

import struct

import numpy as np

from firmware_bridge.profiles.base import (
    ClockedDecoder,
    DecodeOutput,
    Decoder,
    DeviceProfile,
    GattIO,
    ProfileError,
)

_BASE = "-9b35-4933-9b10-52ffa9740042"
SERVICE_UUID = "ef680400" + _BASE
CONFIG_UUID = "ef680401" + _BASE
RAW_UUID = "ef680406" + _BASE
ADV_UUID = "ef680100" + _BASE  # the Thingy configuration service, in its advertisements

RAW_LEN = 18
ACC_SCALE_G = 1.0 / 1024.0
GYR_SCALE_DPS = 1.0 / 32.0
MAG_SCALE_UT = 1.0 / 16.0

_CONFIG = struct.Struct("<HHHHB")
DEFAULT_CONFIG = (1000, 500, 500, 100, 0)


def encode_raw(acc_raw: object, gyr_raw: object, mag_raw: object = (0, 0, 0)) -> bytes:
    vals = [np.asarray(v, dtype="<i2").reshape(3) for v in (acc_raw, gyr_raw, mag_raw)]
    return np.concatenate(vals).astype("<i2").tobytes()


def config_bytes(rate_hz: float, current: bytes | None = None) -> bytes:
    """The configuration with the motion frequency set, other fields kept when readable."""
    fields = list(DEFAULT_CONFIG)
    if current is not None and len(current) == _CONFIG.size:
        fields = list(_CONFIG.unpack(current))
    fields[3] = int(rate_hz)
    return _CONFIG.pack(*fields)


class ThingyDecoder(ClockedDecoder):
    def __init__(self, rate_hz: float) -> None:
        super().__init__(rate_hz, with_mag=True)

    def feed(self, char_uuid: str, data: bytes, arrival_s: float) -> DecodeOutput:
        st = self.stats
        st.notifications += 1
        st.bytes += len(data)
        if len(data) != RAW_LEN:
            st.malformed += 1
            st.skipped_bytes += len(data)
            return DecodeOutput()
        raw = np.frombuffer(data, dtype="<i2").astype(np.float64)
        vals = np.empty((1, 9))
        vals[0, 0:3] = raw[0:3] * ACC_SCALE_G
        vals[0, 3:6] = raw[3:6] * GYR_SCALE_DPS
        vals[0, 6:9] = raw[6:9] * MAG_SCALE_UT
        return self.assembler.add(vals, arrival_s)



class Thingy52Profile(DeviceProfile):
    name = "thingy52"
    title = "Nordic Thingy:52"
    service_uuid = SERVICE_UUID
    adv_uuids = (ADV_UUID,)
    name_prefixes = ("Thingy",)
    default_rate_hz = 100.0
    has_magnetometer = True

    @classmethod
    def check_rate(cls, rate_hz: float) -> None:
        if not (5 <= rate_hz <= 200 and float(rate_hz).is_integer()):
            raise ProfileError(f"Thingy:52 streams at 5-200 Hz (whole numbers), not {rate_hz:g}")

    def make_decoder(self) -> ThingyDecoder:
        return ThingyDecoder(self.rate_hz)

    async def start(self, io: GattIO, decoder: Decoder) -> None:
        current: bytes | None = None
        try:
            current = await io.read(CONFIG_UUID)
        except Exception:
            current = None
        await io.write(CONFIG_UUID, config_bytes(self.rate_hz, current))
        await io.start_notify(RAW_UUID)
