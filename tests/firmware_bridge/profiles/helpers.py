"""Helpers for profile tests: a fake GATT link that records what a start script does, batch
invariants, and a cheap way to turn one fuzzed byte string into structured notifications."""

from __future__ import annotations

import numpy as np

from firmware_bridge.profiles.base import DecodeOutput
from trainer.vocab.batch import SampleBatch


class FakeIO:
    """Records writes/notify starts; answers reads from ``values`` and writes via ``replies``."""

    def __init__(self, chars: set[str], values: dict[str, bytes] | None = None) -> None:
        self.chars = chars
        self.values = dict(values or {})
        self.writes: list[tuple[str, bytes]] = []
        self.notifying: list[str] = []
        self.on_write = None

    async def write(self, char_uuid: str, data: bytes, *, response: bool | None = None) -> None:
        self.writes.append((char_uuid, bytes(data)))
        self.values[char_uuid] = bytes(data)
        if self.on_write is not None:
            self.on_write(char_uuid, bytes(data))

    async def read(self, char_uuid: str) -> bytes:
        return self.values[char_uuid]

    async def start_notify(self, char_uuid: str) -> None:
        self.notifying.append(char_uuid)

    async def stop_notify(self, char_uuid: str) -> None:
        self.notifying.remove(char_uuid)

    def has_characteristic(self, char_uuid: str) -> bool:
        return char_uuid in self.chars

    async def sleep(self, seconds: float) -> None:
        return None


def collect(outputs: list[DecodeOutput]) -> tuple[SampleBatch, list]:
    batches = [o.batch for o in outputs if o.batch is not None and len(o.batch)]
    events = [e for o in outputs for e in o.events]
    return (SampleBatch.concat(batches) if batches else SampleBatch.empty()), events


def check_batch(out: DecodeOutput) -> None:
    """Invariants every decoded batch satisfies."""
    b = out.batch
    if b is None:
        return
    assert b.t_s.dtype == np.float64 and b.seq.dtype == np.uint32
    assert np.all(np.isfinite(b.acc_g)) and np.all(np.isfinite(b.gyr_dps))
    if len(b) > 1:
        assert np.all(np.diff(b.t_s) > 0)


SPLIT = 0xF2


def fuzz_chunks(data: bytes, tokens: dict[int, bytes]) -> list[bytes]:
    """Split ``data`` into notifications at byte 0xF2 and expand token bytes into protocol
    fragments (headers, payload filler) so random input often looks almost valid. Generating one
    flat byte string keeps hypothesis fast enough for 10 000 examples per decoder."""
    chunks: list[bytes] = []
    cur = bytearray()
    for b in data:
        if b == SPLIT:
            chunks.append(bytes(cur))
            cur = bytearray()
        else:
            cur += tokens.get(b, bytes([b]))
    chunks.append(bytes(cur))
    return chunks
