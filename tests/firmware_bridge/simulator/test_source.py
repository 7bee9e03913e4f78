"""SimulatedSource: the Source protocol, paced by a (fake) clock, equal to simulate()."""

from __future__ import annotations

from firmware_bridge.simulator import SimConfig, SimulatedSource, simulate
from tests.firmware_bridge.simulator.conftest import assert_batches_equal
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import Source


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_reads_paced_by_the_clock_concatenate_to_simulate() -> None:
    cfg = SimConfig(seed=4, duration_s=12.0, packet_loss=0.03)
    clock = FakeClock()
    src = SimulatedSource(cfg, speed=2.0, clock=clock)
    assert isinstance(src, Source)
    assert len(src.read()) == 0  # not started
    src.start()
    kinds = [s.kind for s in src.drain_status()]
    assert kinds[:3] == ["connecting", "connected", "streaming"]
    parts = []
    first = src.read()
    assert len(first) == 1  # sample 0 at t = 0
    parts.append(first)
    clock.now += 1.0  # 2 s of data at speed 2
    b = src.read()
    assert 150 < len(b) < 201
    parts.append(b)
    while not src.finished:
        clock.now += 0.37
        parts.append(src.read())
    assert_batches_equal(SampleBatch.concat(parts), simulate(cfg).batch)
    status = src.drain_status()
    kinds = [s.kind for s in status]
    assert "gap" in kinds and "battery" in kinds and kinds[-1] == "stopped"
    assert len(src.read()) == 0


def test_stop_is_idempotent_and_ends_reading() -> None:
    clock = FakeClock()
    src = SimulatedSource(SimConfig(seed=1, duration_s=None), clock=clock)
    src.start()
    clock.now += 0.5
    assert len(src.read()) > 0
    src.stop()
    src.stop()
    clock.now += 5.0
    assert len(src.read()) == 0
    assert [s.kind for s in src.drain_status()].count("stopped") == 1
    assert not src.finished  # an endless stream never finishes on its own


def test_events_are_not_announced_before_their_time() -> None:
    cfg = SimConfig(seed=1, duration_s=30.0, balance_loss_times_s=(5.0, 20.0))
    clock = FakeClock()
    src = SimulatedSource(cfg, clock=clock)
    src.start()
    clock.now += 4.0
    src.read()
    assert src.events == []
    clock.now += 2.0
    src.read()
    assert [e["t_s"] for e in src.events] == [5.0]
    assert src.last_truth is not None and len(src.last_truth) == 200
