"""BleSource on bleak's real BlueZ backend against the mock BlueZ, for every profile:
scan → connect → configuration writes arrive → ≥ 2000 notifications decode to what was sent →
link drop → automatic reconnect (gap marked) → stop without leaks."""

from __future__ import annotations

import time

import numpy as np
import pytest

from firmware_bridge.ble.source import BleSource
from firmware_bridge.profiles import metawear, reference, thingy52, witmotion
from tests.firmware_bridge.ble.conftest import resources
from tests.mockbluez import SPECS, MockBluez, MockDevice, make_stream, wait_until
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceStatus

ADDR = "F1:E2:D3:C4:B5:A6"
# samples per stream giving >= 2000 notifications: 2.5 WitMotion frames, 2 MetaWear messages per
# 3 samples, 1 Thingy sample, 4 reference samples per notification
FIRST = {"witmotion": 5000, "metawear": 3000, "thingy52": 2000, "reference": 8000}
SECOND = {"witmotion": 500, "metawear": 300, "thingy52": 300, "reference": 400}


def _config_writes(profile: str, dev: MockDevice) -> list[bytes]:
    """The configuration the profile must have written, checked against the spec."""
    if profile == "witmotion":
        w = dev.writes(witmotion.WRITE_UUID)
        assert w[:3] == [witmotion.UNLOCK, witmotion.rate_command(100.0), witmotion.SAVE]
        return w
    if profile == "metawear":
        w = dev.writes(metawear.COMMAND_UUID)
        p = metawear.MetaWearProfile(100.0)
        assert w[:2] == p.info_requests()
        assert w[2:2 + len(p.config_commands())] == p.config_commands()
        return w
    if profile == "thingy52":
        w = dev.writes(thingy52.CONFIG_UUID)
        assert w[0][6:8] == (100).to_bytes(2, "little")
        return w
    w = dev.writes(reference.CONTROL_UUID)
    states = [reference.ControlState.from_bytes(x) for x in w]
    assert [s.streaming for s in states[:2]] == [False, True]  # type: ignore[union-attr]
    return w


def _read(src: BleSource, n: int, timeout_s: float = 20.0) -> SampleBatch:
    got: list[SampleBatch] = []
    wait_until(lambda: (got.append(src.read()) or sum(map(len, got)) >= n), timeout_s,
               f"{n} samples")
    return SampleBatch.concat(got)


def _check(batch: SampleBatch, stream: object) -> None:
    np.testing.assert_allclose(batch.acc_g, stream.acc_g, rtol=0, atol=1e-9)  # type: ignore[attr-defined]
    np.testing.assert_allclose(batch.gyr_dps, stream.gyr_dps, rtol=0, atol=1e-9)  # type: ignore[attr-defined]
    assert np.all(np.diff(batch.t_s) > 0)
    assert np.all(np.diff(batch.seq.astype(np.int64)) == 1)


@pytest.mark.parametrize("profile", ["witmotion", "metawear", "thingy52", "reference"])
def test_full_flow_on_bleak_bluez_backend(mock_bluez: MockBluez, profile: str) -> None:
    spec = SPECS[profile]()
    dev = mock_bluez.add_device(ADDR, spec)
    threads0, fds0 = resources()
    src = BleSource(ADDR, scan_timeout_s=5.0)  # profile picked from the advertisement
    statuses: list[SourceStatus] = []
    try:
        src.start()
        assert src.wait_connected(20), src.error
        assert src.info.profile == profile and src.info.name == spec.name
        writes_1 = _config_writes(profile, dev)

        s1 = make_stream(profile, FIRST[profile], seed=1)
        state = dev.wait_stream(dev.emit(spec.data_uuid, s1.packets, 0.0005))
        assert state.delivered == len(s1.packets) >= 2000
        b1 = _read(src, len(s1.acc_g))
        assert len(b1) == len(s1.acc_g)
        _check(b1, s1)
        if profile == "reference":  # device timestamps: exact times
            np.testing.assert_allclose(b1.t_s, np.arange(len(b1)) / 100.0, atol=1e-6)

        dev.drop_link()
        wait_until(lambda: dev.state()["connects"] == 2 and src.link_stats().connected, 20,
                   "automatic reconnect")
        wait_until(lambda: len(_config_writes(profile, dev)) >= 2 * len(writes_1) - 2, 5,
                   "configuration re-sent")

        time.sleep(0.3)  # the device keeps sampling while the central reconnects
        skipped = 500
        s2 = make_stream(profile, SECOND[profile], seed=2, seq0=len(s1.acc_g) + skipped)
        dev.wait_stream(dev.emit(spec.data_uuid, s2.packets, 0.0005))
        b2 = _read(src, len(s2.acc_g))
        assert len(b2) == len(s2.acc_g)
        _check(b2, s2)
        assert b2.t_s[0] > b1.t_s[-1] and int(b2.seq[0]) > int(b1.seq[-1]) + 1
    finally:
        src.stop()
        statuses = src.drain_status()
    kinds = [s.kind for s in statuses]
    for kind in ("connecting", "connected", "streaming", "lost", "reconnecting", "restored",
                 "gap", "battery", "link", "stopped"):
        assert kind in kinds, kind
    gaps = [s for s in statuses if s.kind == "gap"]
    assert len(gaps) == 1 and b1.t_s[-1] < gaps[0].t_s < b2.t_s[0]
    if profile == "reference":  # sequence numbers count the loss exactly
        assert gaps[0].data["missing_samples"] == skipped
    stats = src.link_stats()
    assert (stats.reconnects, stats.gaps, stats.samples) == (1, 1, len(b1) + len(b2))
    assert stats.state == "stopped" and not stats.connected and stats.rssi_dbm == spec.rssi
    assert src.error is None and src.callback_errors == 0
    threads1, fds1 = resources()
    assert threads1 == threads0, "leaked threads"
    assert fds1 == fds0, "leaked file descriptors (D-Bus connections)"
