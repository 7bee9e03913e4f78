"""Session directory, format version 1: file names, record layouts, units, meta fields.

A session is a directory holding

- ``session.json`` — the meta data (see :data:`REQUIRED_META`); written first with status
  ``recording`` and rewritten atomically at stop (``complete``) or by recovery (``recovered``).
- ``imu.bin`` — append-only little-endian records of :data:`IMU_DTYPE` (36 bytes, packed):
  ``t_s f8, seq u4, acc_g f4×3, gyr_dps f4×3``, one per sample, raw device units (before
  calibration; the profile applied in the pipeline travels in ``session.json``).
- ``mag.bin`` — optional, only when the source has a magnetometer: records of
  :data:`MAG_DTYPE` (20 bytes): ``t_s f8, mag_ut f4×3``, one per ``imu.bin`` record (same index,
  same ``t_s``), so both files can be memory-mapped side by side.
- ``events.jsonl`` — one JSON object a line, ``{"t_s": …, "type": …, …}``.

Everything here is plain data so readers in other languages need nothing but this page.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np

from trainer.vocab.ids import PLACEMENTS as PLACEMENTS
from trainer.vocab.ids import SIDES as SIDES

FORMAT_VERSION: Final = 1

META_FILE: Final = "session.json"
IMU_FILE: Final = "imu.bin"
MAG_FILE: Final = "mag.bin"
EVENTS_FILE: Final = "events.jsonl"

#: One sample of ``imu.bin``: packed (no padding), little-endian, 36 bytes.
IMU_DTYPE: Final = np.dtype(
    [("t_s", "<f8"), ("seq", "<u4"), ("acc_g", "<f4", (3,)), ("gyr_dps", "<f4", (3,))]
)
#: One sample of ``mag.bin``: packed, little-endian, 20 bytes.
MAG_DTYPE: Final = np.dtype([("t_s", "<f8"), ("mag_ut", "<f4", (3,))])

#: Units of every column, stored in ``session.json`` under ``units``.
UNITS: Final[dict[str, str]] = {
    "t_s": "s (session clock, from the device's own counter/timestamps)",
    "seq": "count (device sequence number, or running sample index)",
    "acc_g": "g (standard gravity, 9.80665 m/s^2), sensor frame, before calibration",
    "gyr_dps": "deg/s, sensor frame, before calibration",
    "mag_ut": "uT, sensor frame",
}

STATUS_RECORDING: Final = "recording"
STATUS_COMPLETE: Final = "complete"
STATUS_RECOVERED: Final = "recovered"
STATUSES: Final = (STATUS_RECORDING, STATUS_COMPLETE, STATUS_RECOVERED)

#: Sane ranges of what a session may say (a reader refuses anything outside them, one line).
SAMPLE_RATE_MIN_HZ: Final = 1.0
SAMPLE_RATE_MAX_HZ: Final = 10_000.0
#: 24 h at 10 kHz; a bigger file is garbage, not a recording.
MAX_SAMPLES: Final = 864_000_000
#: Event times and durations: at most a day (a session is minutes long).
MAX_EVENT_T_S: Final = 86_400.0 * 7
#: Earliest and latest start time year a session may claim.
START_YEAR_MIN: Final = 1970
START_YEAR_MAX: Final = 2200


#: Keys every ``session.json`` must have (the contract).
REQUIRED_META: Final = (
    "format_version",
    "session_id",
    "start_time",
    "device",
    "sample_rate_hz",
    "placement",
    "side",
    "drill",
    "calibration",
    "status",
    "n_samples",
    "units",
)

# Event types written by the recorder itself (drills add rep/hold/balance_loss/… of their own).
EVENT_LINK_LOST: Final = "link_lost"
EVENT_LINK_RESTORED: Final = "link_restored"
EVENT_GAP: Final = "gap"
EVENT_MARKER: Final = "marker"
EVENT_RECORDING_START: Final = "recording_start"
EVENT_RECORDING_STOP: Final = "recording_stop"

#: ``SourceStatus.kind`` → event type in ``events.jsonl`` (kinds not listed are not recorded).
STATUS_EVENT_TYPES: Final[dict[str, str]] = {
    "lost": EVENT_LINK_LOST,
    "restored": EVENT_LINK_RESTORED,
    "gap": EVENT_GAP,
    "reconnecting": "link_reconnecting",
    "error": "source_error",
    "battery": "battery",
    "link": "link_stats",  # periodic link-statistics snapshot from BleSource
}


def file_layout() -> dict[str, Any]:
    """Self-description of the binary files, stored in ``session.json`` under ``files``."""
    return {
        IMU_FILE: {
            "record_bytes": IMU_DTYPE.itemsize,
            "byte_order": "little",
            "fields": [
                ["t_s", "f8", 1], ["seq", "u4", 1], ["acc_g", "f4", 3], ["gyr_dps", "f4", 3]
            ],
        },
        MAG_FILE: {
            "record_bytes": MAG_DTYPE.itemsize,
            "byte_order": "little",
            "fields": [["t_s", "f8", 1], ["mag_ut", "f4", 3]],
            "optional": True,
        },
        EVENTS_FILE: {"format": "one JSON object per line: {\"t_s\": …, \"type\": …, …}"},
    }
