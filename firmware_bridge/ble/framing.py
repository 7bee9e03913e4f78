"""Reassembly of fixed-length frames from a notification stream.

Devices such as WitMotion pack several 20-byte frames into one notification and may split a frame
across two. :class:`FixedFrameBuffer` keeps the partial tail between notifications,
resynchronises on the header after junk, and counts what it had to skip — it never raises.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FramingStats:
    frames: int = 0
    skipped_bytes: int = 0
    malformed: int = 0  # resynchronisations and dropped partial frames


class FixedFrameBuffer:
    """Frames are ``frame_len`` bytes starting with ``header`` then a type byte in ``types``."""

    def __init__(self, frame_len: int, header: int, types: frozenset[int]) -> None:
        self.frame_len = frame_len
        self.header = header
        self.types = types
        self._pending = b""
        self.stats = FramingStats()

    def _aligned(self, data: bytes) -> bool:
        n = self.frame_len
        if not data or len(data) % n:
            return False
        h, types = self.header, self.types
        return all(data[i] == h and data[i + 1] in types for i in range(0, len(data), n))

    def feed(self, data: bytes) -> bytes:
        """Append a notification; return the complete frames it finishes, concatenated."""
        st = self.stats
        if self._aligned(data):
            if self._pending:  # a truncated frame followed by fresh, self-aligned frames
                st.skipped_bytes += len(self._pending)
                st.malformed += 1
                self._pending = b""
            st.frames += len(data) // self.frame_len
            return bytes(data)
        buf = self._pending + bytes(data)
        self._pending = b""
        out = bytearray()
        n, length, h, types = len(buf), self.frame_len, self.header, self.types
        p = 0
        while p < n:
            if buf[p] == h and (p + 1 >= n or buf[p + 1] in types):
                if p + length <= n:
                    out += buf[p : p + length]
                    st.frames += 1
                    p += length
                    continue
                self._pending = buf[p:]
                break
            q = buf.find(h, p + 1)
            if q < 0:
                q = n
            st.skipped_bytes += q - p
            st.malformed += 1
            p = q
        return bytes(out)

    def reset(self) -> None:
        """Drop a partial frame (e.g. after a reconnect: its tail will never arrive)."""
        if self._pending:
            self.stats.skipped_bytes += len(self._pending)
            self.stats.malformed += 1
            self._pending = b""

    @property
    def pending(self) -> int:
        return len(self._pending)
