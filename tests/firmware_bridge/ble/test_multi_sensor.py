"""Several sensors at once on bleak's real BlueZ backend against the mock BlueZ (issue 14):
different profiles, device clocks ±100 ppm off, different connection intervals, one session
clock; one sensor dropping and reconnecting while the others go on."""

from __future__ import annotations

import os
import time

import numpy as np

from firmware_bridge.ble.source import BleSource
from firmware_bridge.sensorset import SensorSet
from tests.mockbluez import SPECS, MockBluez, make_stream, wait_until
from tests.mockbluez.timed import TimedStream, timed_stream
from trainer.core.sessionclock import SessionClock, measure_alignment
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role

ADDRS = {"left-shank": "C4:7C:8D:6A:10:01", "right-shank": "C4:7C:8D:6A:10:02",
         "trunk": "C4:7C:8D:6A:10:03"}
PROFILES: dict[Role, str] = {"left-shank": "witmotion", "right-shank": "reference",
                             "trunk": "witmotion"}


def _sensor_set(mock_bluez: MockBluez) -> tuple[SensorSet, dict[Role, object]]:
    devs = {}
    for role, addr in ADDRS.items():
        spec = SPECS[PROFILES[role]](name=f"{PROFILES[role][:3].upper()}-{role}")  # type: ignore[index]
        devs[role] = mock_bluez.add_device(addr, spec)
    sset = SensorSet({r: BleSource(a, scan_timeout_s=10.0) for r, a in ADDRS.items()},  # type: ignore[misc]
                     "left-shank")
    sset.start()
    for role, src in sset.sources.items():
        assert src.wait_connected(40), (role, getattr(src, "error", None))  # type: ignore[attr-defined]
    return sset, devs  # type: ignore[return-value]


def _collect(sset: SensorSet, want: dict[Role, int], timeout_s: float
             ) -> dict[Role, SampleBatch]:
    got: dict[Role, list[SampleBatch]] = {r: [] for r in sset.roles}

    def enough() -> bool:
        for role, batch in sset.read_all().items():
            got[role].append(batch)
        return all(sum(map(len, got[r])) >= n for r, n in want.items())

    wait_until(enough, timeout_s, f"samples {want}")
    return {r: SampleBatch.concat(b) for r, b in got.items()}


class Recorder:
    """What a BLE source handed the SensorSet, kept for the test: its batches before mapping
    (device times) and its (device time, arrival) pairs."""

    def __init__(self, src: BleSource) -> None:
        self.src = src
        self.dev_t: list[np.ndarray] = []
        self.pairs: list[tuple[list[float], list[float]]] = []
        read, take = src.read, src.take_clock_pairs

        def read_and_keep() -> SampleBatch:
            b = read()
            if len(b):
                self.dev_t.append(np.array(src.device_time(b), dtype=np.float64))
            return b

        def take_and_keep() -> tuple[list[float], list[float]]:
            pair = take()
            self.pairs.append((list(pair[0]), list(pair[1])))
            return pair

        src.read = read_and_keep  # type: ignore[method-assign]
        src.take_clock_pairs = take_and_keep  # type: ignore[method-assign]

    def sent_pairs(self, ts: TimedStream, per_packet: int) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
        """(device time, arrival, true send time) of each notification: the send time is the
        mock's schedule of the packet that carried that sample (found by sample order)."""
        dev_all = np.concatenate(self.dev_t)
        t_dev = np.concatenate([np.asarray(p[0]) for p in self.pairs])
        arrival = np.concatenate([np.asarray(p[1]) for p in self.pairs])
        k = np.clip(np.searchsorted(dev_all, t_dev, side="left"), 0, len(dev_all) - 1)
        sent = np.asarray(ts.times_s)[np.minimum(k // per_packet, len(ts.times_s) - 1)]
        return t_dev, arrival, sent


def window_floor_s(sent: np.ndarray, delay: np.ndarray) -> float:
    """The typical lowest delivery delay: the median over 1 s windows of each window's minimum."""
    w = np.floor(sent - sent[0]).astype(int)
    return float(np.median([delay[w == i].min() for i in np.unique(w)]))


def test_three_sensors_on_one_clock_within_5_ms(mock_bluez: MockBluez) -> None:
    """Clocks +100, −100, +60 ppm; connection intervals 7.5, 48.75, 28.75 ms; a shared tap
    16 s in. The session clock's estimate from the device times the real BLE path decoded and
    the true notification times is within 5 ms on all three sensors (always asserted: no D-Bus
    delivery timing in it); end to end through D-Bus it is within 5 ms plus what the delivery
    itself lost (the spread of the sensors' delivery-delay floors, measured against the true
    send times — under a loaded machine D-Bus stalls raise one sensor's floor)."""
    sset, devs = _sensor_set(mock_bluez)
    recorders = {r: Recorder(src) for r, src in sset.sources.items()}  # type: ignore[arg-type]
    plan = {"left-shank": (100.0, 0.0075, 1), "right-shank": (-100.0, 0.04875, 2),
            "trunk": (60.0, 0.02875, 1)}
    try:
        start = time.monotonic() + 1.0
        t_tap = start + 16.0
        streams = {}
        for i, (role, (ppm, ci, per)) in enumerate(plan.items()):
            ts = timed_stream(PROFILES[role], start_s=start + 0.013 * i, duration_s=20.0,  # type: ignore[index]
                              rate_hz=100.0, drift_ppm=ppm, ci_s=ci, t_tap_s=t_tap, seed=i,
                              per_packet=per)
            spec = devs[role].spec  # type: ignore[attr-defined]
            devs[role].emit_at(spec.data_uuid, ts.packets, ts.times_s)  # type: ignore[attr-defined]
            streams[role] = ts
        got = _collect(sset, {r: len(s.t_true_s) for r, s in streams.items()}, 60.0)
    finally:
        sset.stop()
    origin = sset.session_clock.origin_s
    for role, ts in streams.items():  # every sample, intact, in order
        b = got[role]
        assert len(b) == len(ts.t_true_s), role
        np.testing.assert_allclose(b.acc_g, ts.acc_g, atol=1e-6)
        assert np.all(np.diff(b.t_s) >= 0)
    report = sset.clock_report()
    assert set(report) == set(sset.roles)  # every sensor's clock fitted (drift, offset)
    assert all(abs(r["drift_ppm"]) < 1000 for r in report.values())

    # 1. the estimate without D-Bus delivery timing: the decoded device times, and the true
    # send times plus a fixed stack latency, into a fresh session clock
    clean = SessionClock(origin)
    floors: dict[Role, float] = {}
    for role, rec in recorders.items():
        t_dev, arrival, sent = rec.sent_pairs(streams[role], plan[role][2])
        clean.observe(role, t_dev, sent + 0.002)
        floors[role] = window_floor_s(sent, arrival - sent)
    clean_err = {r: clean.map(r, np.concatenate(recorders[r].dev_t))
                 - (streams[r].t_true_s - origin) for r in sset.roles}
    clean_ms = 1e3 * _spread({r: e[-1000:] for r, e in clean_err.items()})

    # 2. end to end: at the tap and against the truth over the last 10 s
    al = measure_alignment({r: (got[r].t_s, got[r].acc_g) for r in sset.roles})
    assert al is not None
    err = {r: got[r].t_s - (streams[r].t_true_s - origin) for r in sset.roles}
    spread_ms = 1e3 * _spread({r: e[-1000:] for r, e in err.items()})
    lost_ms = 1e3 * (max(floors.values()) - min(floors.values()))
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    print(f"\nwithout D-Bus timing: median spread vs truth {clean_ms:.2f} ms\n"
          f"end to end: alignment at the tap {al.as_json()}\nmedian spread vs truth "
          f"(last 10 s) {spread_ms:.2f} ms; delivery-delay floors (ms) "
          f"{ {r: round(1e3 * f, 2) for r, f in floors.items()} }, spread {lost_ms:.2f} ms "
          f"(load {load:.1f} per core)\nclock: {report}")
    assert clean_ms <= 5.0
    assert al.max_abs_ms <= 5.0 + lost_ms, al.as_json()
    assert spread_ms <= 5.0 + lost_ms


def _spread(errors: dict[Role, np.ndarray]) -> float:
    """Largest difference between the sensors' median errors."""
    medians = [float(np.median(e)) for e in errors.values()]
    return max(medians) - min(medians)


def test_one_sensor_drops_and_reconnects_while_the_others_go_on(mock_bluez: MockBluez
                                                                ) -> None:
    sset, devs = _sensor_set(mock_bluez)
    n1, n2 = 1200, 400
    try:
        first = {r: make_stream(PROFILES[r], n1, seed=i) for i, r in enumerate(ADDRS)}  # type: ignore[index]
        sids = {r: devs[r].emit(devs[r].spec.data_uuid, s.packets, 0.004)  # type: ignore[attr-defined]
                for r, s in first.items()}
        time.sleep(1.0)
        devs["trunk"].drop_link()  # type: ignore[attr-defined]
        for r in ("left-shank", "right-shank"):
            devs[r].wait_stream(sids[r], 60)  # type: ignore[attr-defined]
        wait_until(lambda: devs["trunk"].state()["connects"] == 2  # type: ignore[attr-defined]
                   and sset.sources["trunk"].link_stats().connected, 40, "trunk reconnect")  # type: ignore[attr-defined]
        delivered = len(devs["trunk"].delivered(sids["trunk"]))  # type: ignore[attr-defined]
        second = make_stream("witmotion", n2, seed=9)
        time.sleep(0.5)
        devs["trunk"].wait_stream(devs["trunk"].emit(  # type: ignore[attr-defined]
            devs["trunk"].spec.data_uuid, second.packets, 0.002), 60)  # type: ignore[attr-defined]
        got = _collect(sset, {"left-shank": n1, "right-shank": n1}, 60.0)
        time.sleep(1.0)
        rest = sset.read_all()
        statuses = sset.drain_status_all()
    finally:
        sset.stop()
    for r in ("left-shank", "right-shank"):  # nothing lost on the others
        b = SampleBatch.concat([got[r], rest[r]])
        assert len(b) == n1, r
        np.testing.assert_allclose(b.acc_g, first[r].acc_g, atol=1e-9)
        assert not [s for s in statuses[r] if s.kind in ("lost", "gap")]
    trunk = SampleBatch.concat([got["trunk"], rest["trunk"]])
    kinds = [s.kind for s in statuses["trunk"]]
    assert "lost" in kinds and "restored" in kinds
    assert len(trunk) >= n2 and np.allclose(trunk.acc_g[-n2:], second.acc_g, atol=1e-9)
    assert delivered < len(first["trunk"].packets)  # the drop really cut the first stream
