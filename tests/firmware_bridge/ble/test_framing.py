"""Fixed-length frame reassembly: splits, several frames per notification, junk."""

from __future__ import annotations

from firmware_bridge.ble.framing import FixedFrameBuffer

TYPES = frozenset({0x61, 0x71})


def _frame(i: int) -> bytes:
    return bytes([0x55, 0x61]) + bytes([(i + k) % 256 for k in range(18)]).replace(b"\x55", b"\x54")


def test_frames_split_across_notifications_are_reassembled() -> None:
    stream = b"".join(_frame(i) for i in range(5))
    fb = FixedFrameBuffer(20, 0x55, TYPES)
    out = b"".join(fb.feed(stream[a:b]) for a, b in [(0, 7), (7, 33), (33, 60), (60, 100)])
    assert out == stream and fb.stats.malformed == 0 and fb.pending == 0


def test_junk_is_skipped_and_counted() -> None:
    fb = FixedFrameBuffer(20, 0x55, TYPES)
    out = fb.feed(b"\x01\x02\x03" + _frame(1) + b"\x99" + _frame(2))
    assert out == _frame(1) + _frame(2)
    assert fb.stats.skipped_bytes == 4 and fb.stats.malformed == 2


def test_a_truncated_frame_before_fresh_frames_is_dropped() -> None:
    fb = FixedFrameBuffer(20, 0x55, TYPES)
    assert fb.feed(_frame(1)[:9]) == b""
    assert fb.feed(_frame(2) + _frame(3)) == _frame(2) + _frame(3)
    assert fb.stats.skipped_bytes == 9 and fb.stats.malformed == 1
