"""`balance-trainer record --device ADDRESS` end to end: a subprocess on bleak's BlueZ backend,
a mock sensor on a private system bus, a link drop in the middle; the session on disk holds
exactly the samples the mock sent, the gap, and the link statistics."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tests.firmware_bridge.ble.record_run import RecordRun
from tests.mockbluez import SPECS, MockBluez, make_stream, wait_until
from trainer.recording import open_session

ADDR = "C4:7C:8D:6A:01:23"


@pytest.mark.parametrize("profile", ["witmotion", "reference"])
def test_record_device_end_to_end(mock_bluez: MockBluez, tmp_path: Path, profile: str) -> None:
    spec = SPECS[profile]()
    dev = mock_bluez.add_device(ADDR, spec)
    config_char = spec.services[0]["chars"][1]["uuid"]  # WitMotion write / reference control
    n_config = {"witmotion": 4, "reference": 2}[profile]  # WitMotion: + the battery request
    with RecordRun(mock_bluez, tmp_path, "--device", ADDR, "--drill", "single-leg-balance",
                   "--side", "right") as run:
        def configured() -> bool:
            run.check_running()
            return dev.state()["connected"] and len(dev.writes(config_char)) >= n_config

        wait_until(configured, 40, "the recorder to connect and configure")
        s1 = make_stream(profile, 1200, seed=3)
        dev.wait_stream(dev.emit(spec.data_uuid, s1.packets, 0.001))
        wait_until(lambda: run.records() >= 1200, 20, "the first 1200 samples on disk")
        dev.drop_link()
        wait_until(lambda: dev.state()["connects"] == 2 and dev.state()["connected"], 30,
                   "the recorder to reconnect")
        s2 = make_stream(profile, 400, seed=4, seq0=1200 + 300)
        wait_until(lambda: len(dev.writes(config_char)) >= 2 * n_config, 10,
                   "configuration after reconnect")
        dev.wait_stream(dev.emit(spec.data_uuid, s2.packets, 0.001))
        wait_until(lambda: run.records() >= 1600, 20, "all 1600 samples on disk")
        stdout = run.stop()  # Ctrl-C: stop cleanly and keep the data
    assert "1600 samples" in stdout

    s = open_session(run.out)
    assert s.status == "complete" and s.n_samples == 1600
    assert s.meta["device"]["profile"] == profile and s.meta["device"]["address"] == ADDR
    assert s.meta["device"]["name"] == spec.name
    b = s.batch()
    np.testing.assert_allclose(b.acc_g, np.vstack([s1.acc_g, s2.acc_g]), atol=1e-6, rtol=1e-6)
    np.testing.assert_allclose(b.gyr_dps, np.vstack([s1.gyr_dps, s2.gyr_dps]), atol=1e-4,
                               rtol=1e-6)
    assert np.all(np.diff(b.t_s) > 0)
    types = [e["type"] for e in s.events]
    for t in ("link_lost", "link_restored", "gap"):
        assert t in types, (t, types)
    (gap,) = s.events_of("gap")
    assert b.t_s[1199] < gap["t_s"] < b.t_s[1200]
    assert gap["link"]["reconnects"] == 1 and gap["link"]["address"] == ADDR
    if profile == "reference":
        assert gap["missing_samples"] == 300
        np.testing.assert_array_equal(b.seq[1200:], 1500 + np.arange(400))
    assert os.environ.get("DBUS_SYSTEM_BUS_ADDRESS") == mock_bluez.address
