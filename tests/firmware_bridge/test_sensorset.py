"""SensorSet: sources by role on one session clock; PrimaryView: a SensorSet as one Source."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.sensorset import PrimaryView, SensorSet
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role, RoleError
from trainer.vocab.source import ClockedSource, MultiSource, Source, SourceInfo, SourceStatus


class FakeDevice:
    """A clocked source: device time t_dev = 0.01·k, arriving at host ``start + t_dev/(1+e)``."""

    def __init__(self, name: str, start_s: float, drift: float) -> None:
        self.info = SourceInfo(name, name, "reference", 100.0)
        self.start_s = start_s
        self.drift = drift
        self.k = 0
        self.status: list[SourceStatus] = []
        self.pairs: tuple[list[float], list[float]] = ([], [])

    def start(self) -> None:
        self.status.append(SourceStatus("connected", self.info.name))

    def stop(self) -> None:
        pass

    def produce(self, n: int) -> None:
        self.k += n

    def read(self) -> SampleBatch:
        k0 = getattr(self, "_read", 0)
        t = np.arange(k0, self.k) * 0.01
        self._read = self.k
        if len(t):
            self.pairs[0].append(float(t[-1]))
            self.pairs[1].append(self.start_s + float(t[-1]) / (1 + self.drift) + 0.001)
        return SampleBatch.from_arrays(t, np.zeros((len(t), 3)), np.zeros((len(t), 3)))

    def device_time(self, batch: SampleBatch) -> np.ndarray:
        return batch.t_s

    def take_clock_pairs(self) -> tuple[list[float], list[float]]:
        out, self.pairs = self.pairs, ([], [])
        return out

    def drain_status(self) -> list[SourceStatus]:
        out, self.status = self.status, []
        return out

    @property
    def finished(self) -> bool:
        return False


def test_protocols() -> None:
    dev = FakeDevice("a", 0.0, 0.0)
    assert isinstance(dev, ClockedSource) and isinstance(dev, Source)
    sset = SensorSet({"trunk": dev, "left-shank": FakeDevice("b", 0.0, 0.0)}, "left-shank")
    assert isinstance(sset, MultiSource)
    assert sset.roles == ("left-shank", "trunk") and sset.info.name == "b"
    assert isinstance(PrimaryView(sset), Source)
    with pytest.raises(RoleError):
        SensorSet({"trunk": dev}, "left-shank")


def test_devices_started_apart_share_one_clock() -> None:
    now = [100.0]
    a, b = FakeDevice("a", 100.5, 1e-4), FakeDevice("b", 101.25, -1e-4)
    sset = SensorSet({"left-shank": a, "trunk": b}, clock=lambda: now[0])
    sset.start()
    seen: dict[str, list[SampleBatch]] = {"left-shank": [], "trunk": []}
    for _ in range(300):
        a.produce(10)
        b.produce(10)
        for role, batch in sset.read_all().items():
            seen[role].append(batch)
    ta = SampleBatch.concat(seen["left-shank"]).t_s
    tb = SampleBatch.concat(seen["trunk"]).t_s
    # device b started 0.75 s later: its sample k is at the same session time as a's k + 75
    k = np.arange(1000, 2000)
    assert np.max(np.abs(tb[k] - (ta[k + 75] + (tb[k] - 1.25) * 1e-4 * 2))) < 2e-3
    assert tb[0] == pytest.approx(1.251, abs=2e-3) and ta[0] == pytest.approx(0.501, abs=2e-3)
    rep = sset.clock_report()
    assert rep["left-shank"]["drift_ppm"] == pytest.approx(-100, abs=15)


def test_primary_view_hands_every_read_to_listeners() -> None:
    a, b = FakeDevice("a", 0.0, 0.0), FakeDevice("b", 0.0, 0.0)
    got: list[tuple[dict[Role, SampleBatch], dict[Role, list[SourceStatus]]]] = []
    view = PrimaryView(SensorSet({"left-shank": a, "trunk": b}), [lambda x, s: got.append((x, s))])
    view.start()
    a.produce(5)
    b.produce(7)
    assert len(view.read()) == 5
    assert len(got[0][0]["trunk"]) == 7
    assert [s.kind for s in view.drain_status()] == ["connected"]  # the primary's only
    assert [s.kind for s in got[0][1]["trunk"]] == ["connected"]
