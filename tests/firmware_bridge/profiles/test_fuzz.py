"""Every decoder fuzzed with hypothesis: 10 000 generated inputs, each fed to all four decoders
(one generated input per example keeps hypothesis' per-example overhead paid once). Decoders
never raise; batches are well formed; skipped bytes and malformed packets are counted."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from firmware_bridge.profiles.base import Decoder
from firmware_bridge.profiles.metawear import NOTIFY_UUID as MW_UUID
from firmware_bridge.profiles.metawear import MetaWearDecoder
from firmware_bridge.profiles.reference import DATA_UUID, ReferenceDecoder
from firmware_bridge.profiles.thingy52 import RAW_UUID, ThingyDecoder
from firmware_bridge.profiles.witmotion import NOTIFY_UUID as WIT_UUID
from firmware_bridge.profiles.witmotion import WitMotionDecoder
from tests.firmware_bridge.profiles.helpers import check_batch, fuzz_chunks


def _wit_invariants(d: Decoder, chunks: list[bytes]) -> None:
    assert isinstance(d, WitMotionDecoder)
    s = d.stats
    # every byte is a decoded frame, a register reply, skipped, or still pending
    assert (s.samples + s.other) * 20 + s.skipped_bytes + d.framer.pending == s.bytes


def _mw_invariants(d: Decoder, chunks: list[bytes]) -> None:
    s = d.stats
    assert s.malformed + s.other + s.samples + s.skipped_samples <= 3 * s.notifications


def _thingy_invariants(d: Decoder, chunks: list[bytes]) -> None:
    s = d.stats
    assert s.samples + s.malformed == len(chunks)
    assert s.skipped_bytes == sum(len(c) for c in chunks if len(c) != 18)


def _ref_invariants(d: Decoder, chunks: list[bytes]) -> None:
    s = d.stats
    assert s.malformed + s.skipped_samples + s.samples // 31 <= len(chunks)
    assert s.skipped_bytes <= s.bytes


@dataclass(frozen=True)
class Case:
    make: Callable[[], Decoder]
    uuid: str
    tokens: dict[int, bytes]  # byte -> protocol fragment, so random input is often near-valid
    invariants: Callable[[Decoder, list[bytes]], None]


CASES = {
    "witmotion": Case(lambda: WitMotionDecoder(100.0), WIT_UUID,
                      {0xF0: b"\x55\x61", 0xF1: b"\x55\x71", 0xF3: bytes(18)}, _wit_invariants),
    "metawear": Case(lambda: MetaWearDecoder(100.0), MW_UUID,
                     {0xF0: b"\x03\x1c", 0xF1: b"\x13\x07", 0xF3: b"\x11\x8c", 0xF4: b"\x03\x80",
                      0xF5: bytes(6), 0xF6: b"\x13\x05", 0xF7: b"\x03\x04"}, _mw_invariants),
    "thingy52": Case(lambda: ThingyDecoder(100.0), RAW_UUID,
                     {0xF0: bytes(16), 0xF1: b"\x7f\xff" * 4}, _thingy_invariants),
    "reference": Case(ReferenceDecoder, DATA_UUID,
                      {0xF0: b"\x01", 0xF1: b"\x02", 0xF3: bytes(12), 0xF4: b"\x21"},
                      _ref_invariants),
}


@settings(max_examples=10000, deadline=None)
@given(st.binary(max_size=120))
def test_fuzz_every_decoder_never_raises(data: bytes) -> None:
    for name, case in CASES.items():
        chunks = fuzz_chunks(data, case.tokens)
        d = case.make()
        for i, c in enumerate(chunks):
            check_batch(d.feed(case.uuid, c, 0.01 * i))
            if i == 3:
                check_batch(d.mark_discontinuity())
            check_batch(d.poll(0.01 * i + 0.005))
        check_batch(d.flush())
        assert d.stats.notifications == len(chunks), name
        assert d.stats.bytes == sum(map(len, chunks)), name
        case.invariants(d, chunks)
