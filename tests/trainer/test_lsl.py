"""The Lab Streaming Layer outlet, received by real pylsl inlets: values, timestamps, metadata,
markers. Each test streams under its own prefix (other test processes on the machine may stream
at the same time) and waits with generous timeouts (a loaded machine resolves slowly)."""

from __future__ import annotations

import json
import time
import uuid
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from trainer.lsl import (
    CHANNELS,
    LslOutlet,
    LslSink,
    LslUnavailable,
    SensorMeta,
    load_pylsl,
    source_id,
    stream_name,
)
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus

TIMEOUT_S = 20.0
FS = 200.0


@pytest.fixture(scope="module")
def lsl() -> ModuleType:
    try:
        return load_pylsl()
    except LslUnavailable as exc:
        pytest.skip(f"liblsl cannot be loaded here: {exc}")


@pytest.fixture
def prefix() -> str:
    return f"BalanceTrainerTest{uuid.uuid4().hex[:10]}"


def batch(i0: int, n: int, t0: float = 12.5, seed: int = 0) -> SampleBatch:
    rng = np.random.default_rng(seed + i0)
    t = t0 + (i0 + np.arange(n)) / FS
    return SampleBatch.from_arrays(t, rng.normal(0, 1, (n, 3)), rng.normal(0, 50, (n, 3)),
                                   seq=np.arange(i0, i0 + n))


def info(address: str = "AA:BB:CC:DD:EE:01") -> SourceInfo:
    return SourceInfo(name="WT901BLE67", address=address, profile="witmotion",
                      sample_rate_hz=FS, firmware="1.2")


def open_inlet(lsl: ModuleType, name: str) -> Any:
    found = lsl.resolve_byprop("name", name, 1, TIMEOUT_S)
    assert found, f"stream {name} not found within {TIMEOUT_S} s"
    inlet = lsl.StreamInlet(found[0], max_buflen=60, processing_flags=0)
    inlet.open_stream(TIMEOUT_S)
    return inlet


def pull(inlet: Any, n: int) -> tuple[list[Any], np.ndarray]:
    """Exactly ``n`` samples (or fail after the timeout)."""
    data: list[Any] = []
    stamps: list[float] = []
    deadline = time.monotonic() + TIMEOUT_S
    while len(data) < n and time.monotonic() < deadline:
        chunk, ts = inlet.pull_chunk(timeout=0.5, max_samples=n - len(data))
        data += list(chunk)
        stamps += list(ts)
    assert len(data) == n, f"received {len(data)} of {n} samples"
    return data, np.asarray(stamps)


def children(node: Any, name: str) -> list[Any]:
    out = []
    child = node.child(name)
    while not child.empty():
        out.append(child)
        child = child.next_sibling(name)
    return out


def test_samples_and_markers_reach_an_inlet(lsl: ModuleType, prefix: str) -> None:
    outlet = LslOutlet(prefix=prefix, session_id="20261207T060000Z-test")
    sink = LslSink(outlet, SensorMeta("left-shank", info(), side="left", placement="shank"))
    first = batch(0, 20)
    before = lsl.local_clock()
    sink.append(first)  # creates the stream; the clock offset is fixed here
    after = lsl.local_clock()
    assert outlet.offset_s is not None
    # the newest sample of the first batch is "now" on LSL's clock
    assert before <= float(first.t_s[-1]) + outlet.offset_s <= after
    sink.event(12.6, "marker", note="first")  # creates the marker stream
    samples_in = open_inlet(lsl, stream_name("left-shank", prefix))
    markers_in = open_inlet(lsl, stream_name("events", prefix))

    sent = [batch(20, 17), batch(37, 1), batch(38, 45)]
    for b in sent:
        sink.append(b)
    sink.event(12.9, "balance_loss", kind="touchdown", peak_tilt_deg=11.5)
    sink.status_event(SourceStatus("gap", "3 samples lost", t_s=13.0, data={"n_missing": 3}))
    assert not sink.status_event(SourceStatus("rssi", t_s=13.0))  # not a recorded kind
    sink.event(None, "marker")  # untimed: the latest sample's time

    expected = SampleBatch.concat(sent)
    data, stamps = pull(samples_in, len(expected))
    values = np.asarray(data, dtype=np.float32)
    want = np.hstack([expected.acc_g, expected.gyr_dps]).astype(np.float32)
    np.testing.assert_array_equal(values, want)
    assert np.all(np.diff(stamps) > 0)
    np.testing.assert_allclose(stamps - outlet.offset_s, expected.t_s, rtol=0, atol=1e-6)

    lines, mstamps = pull(markers_in, 3)
    events = [json.loads(row[0]) for row in lines]
    assert events == [
        {"t_s": 12.9, "type": "balance_loss", "kind": "touchdown", "peak_tilt_deg": 11.5},
        {"t_s": 13.0, "type": "gap", "n_missing": 3, "message": "3 samples lost"},
        {"t_s": float(expected.t_s[-1]), "type": "marker"},
    ]
    np.testing.assert_allclose(mstamps - outlet.offset_s, [e["t_s"] for e in events], atol=1e-6)
    assert outlet.stats.samples == {"left-shank": 20 + len(expected)}
    outlet.close()


def test_stream_metadata(lsl: ModuleType, prefix: str) -> None:
    outlet = LslOutlet(prefix=prefix, session_id="s-1")
    outlet.sensor(SensorMeta("trunk", info("AA:BB:CC:DD:EE:07"), placement="trunk"))
    outlet.push_samples("trunk", batch(0, 4))
    inlet = open_inlet(lsl, stream_name("trunk", prefix))
    full = inlet.info(TIMEOUT_S)
    assert full.type() == "IMU"
    assert full.channel_count() == 6
    assert full.nominal_srate() == FS
    assert full.channel_format() == lsl.cf_float32
    assert full.source_id() == source_id("AA:BB:CC:DD:EE:07")
    desc = full.desc()
    chans = children(desc.child("channels"), "channel")
    got = [(c.child_value("label"), c.child_value("unit"), c.child_value("type")) for c in chans]
    assert got == list(CHANNELS)
    assert [c[0] for c in CHANNELS] == ["acc_x_g", "acc_y_g", "acc_z_g",
                                        "gyr_x_dps", "gyr_y_dps", "gyr_z_dps"]
    assert desc.child("sensor").child_value("role") == "trunk"
    assert desc.child("acquisition").child_value("address") == "AA:BB:CC:DD:EE:07"
    session = desc.child("session")
    assert session.child_value("session_id") == "s-1"
    assert float(session.child_value("clock_offset_s")) == outlet.offset_s
    outlet.close()


def test_one_stream_per_sensor_on_one_clock(lsl: ModuleType, prefix: str) -> None:
    """Two sensors: two streams with their own source ids, one offset for both."""
    outlet = LslOutlet(prefix=prefix)
    for role, addr in (("left-shank", "AA:00:00:00:00:01"), ("right-shank", "AA:00:00:00:00:02")):
        outlet.sensor(SensorMeta(role, info(addr)))
        outlet.push_samples(role, batch(0, 2, seed=len(role)))
    inlets = {r: open_inlet(lsl, stream_name(r, prefix)) for r in ("left-shank", "right-shank")}
    left, right = batch(2, 30, seed=1), batch(2, 30, seed=2)
    outlet.push_samples("left-shank", left)
    outlet.push_samples("right-shank", right)
    for role, sent in (("left-shank", left), ("right-shank", right)):
        data, stamps = pull(inlets[role], len(sent))
        assert inlets[role].info().source_id() != ""
        np.testing.assert_array_equal(np.asarray(data, np.float32)[:, :3],
                                      sent.acc_g.astype(np.float32))
        np.testing.assert_allclose(stamps - outlet.offset_s, sent.t_s, atol=1e-6)
    ids = {inlets[r].info().source_id() for r in inlets}
    assert ids == {source_id("AA:00:00:00:00:01"), source_id("AA:00:00:00:00:02")}
    outlet.close()


class FakeOutlet:
    def __init__(self, info: Any) -> None:
        self.info = info
        self.chunks: list[tuple[np.ndarray, list[float]]] = []
        self.samples: list[tuple[list[str], float]] = []

    def push_chunk(self, x: np.ndarray, stamps: list[float]) -> None:
        self.chunks.append((np.array(x), list(stamps)))

    def push_sample(self, x: list[str], stamp: float) -> None:
        self.samples.append((x, stamp))


class FakeInfo:
    def __init__(self, *args: Any) -> None:
        self.args = args

    def desc(self) -> Any:
        return FakeXml()


class FakeXml:
    def append_child(self, name: str) -> FakeXml:
        return FakeXml()

    def append_child_value(self, name: str, value: str) -> FakeXml:
        return self


def fake_pylsl(clock: list[float]) -> Any:
    class Module:
        cf_float32 = 1
        cf_string = 3
        IRREGULAR_RATE = 0.0
        StreamInfo = FakeInfo
        StreamOutlet = FakeOutlet

        @staticmethod
        def local_clock() -> float:
            return clock[0]

    return Module


def test_timestamps_never_go_back_after_a_replay_seek() -> None:
    """A replay that seeks back re-anchors the offset: LSL time goes on forward."""
    clock = [1000.0]
    outlet = LslOutlet(pylsl=fake_pylsl(clock))  # type: ignore[arg-type]
    outlet.push_samples("left-shank", batch(0, 200, t0=0.0))  # 0 … 0.995 s
    offset0 = outlet.offset_s
    assert offset0 == pytest.approx(1000.0 - 0.995)
    clock[0] = 1001.0
    outlet.push_samples("left-shank", batch(200, 200, t0=0.0))  # goes on: same offset
    assert outlet.offset_s == offset0
    clock[0] = 1002.0
    outlet.push_samples("left-shank", batch(0, 10, t0=0.0))  # seek back to 0
    assert outlet.stats.reanchored == 1
    stamps = [s for _, chunk in outlet._outlets["left-shank"].outlet.chunks for s in chunk]
    assert np.all(np.diff(stamps) > 0)


def test_events_before_the_first_sample_wait_for_the_clock() -> None:
    clock = [50.0]
    outlet = LslOutlet(pylsl=fake_pylsl(clock))  # type: ignore[arg-type]
    outlet.push_event({"t_s": 3.0, "type": "drill_start"})
    assert outlet._markers is None  # no stream, no listener yet
    outlet.push_samples("trunk", batch(0, 5, t0=3.0))
    sent = outlet._markers.samples
    assert [json.loads(x[0])["type"] for x, _ in sent] == ["drill_start"]
    assert sent[0][1] == pytest.approx(3.0 + outlet.offset_s)


def test_nothing_is_opened_until_samples_flow() -> None:
    outlet = LslOutlet(pylsl=fake_pylsl([0.0]))  # type: ignore[arg-type]
    outlet.sensor(SensorMeta("left-shank", info()))
    assert outlet.stream_names == []
    outlet.push_samples("left-shank", SampleBatch.empty())
    assert outlet.stream_names == []


def test_missing_pylsl_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pylsl", None)
    with pytest.raises(LslUnavailable, match="pylsl"):
        load_pylsl()
