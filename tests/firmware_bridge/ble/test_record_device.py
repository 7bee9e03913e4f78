"""`balance-trainer record --device ADDRESS` end to end: a subprocess on bleak's BlueZ backend,
a mock sensor on a private system bus, a link drop in the middle; the session on disk holds
exactly the samples the mock sent, the gap, and the link statistics."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.mockbluez import SPECS, MockBluez, make_stream, wait_until
from trainer.recording import open_session
from trainer.recording.format import IMU_DTYPE, IMU_FILE

ROOT = Path(__file__).resolve().parents[3]
ADDR = "C4:7C:8D:6A:01:23"


@pytest.mark.parametrize("profile", ["witmotion", "reference"])
def test_record_device_end_to_end(mock_bluez: MockBluez, tmp_path: Path, profile: str) -> None:
    spec = SPECS[profile]()
    dev = mock_bluez.add_device(ADDR, spec)
    out = tmp_path / "session"
    env = {**mock_bluez.env(), "BALANCE_TRAINER_HOME": str(tmp_path / "home"),
           "PYTHONPATH": str(ROOT)}
    # recording from a real sensor needs the red-flag screening answered (the person says "no"
    # to each); harmless where the `safety` command does not exist
    subprocess.run([sys.executable, "-m", "trainer.cli.main", "safety", "--answers",
                    "no,no,no,no"], cwd=ROOT, env=env, capture_output=True, timeout=60)
    log = (tmp_path / "record.err").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer.cli.main", "record", "--device", ADDR, "--drill",
         "single-leg-balance", "--side", "right", "--out", str(out), "--quiet"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True,
    )
    config_char = spec.services[0]["chars"][1]["uuid"]  # WitMotion write / reference control
    n_config = {"witmotion": 4, "reference": 2}[profile]  # WitMotion: + the battery request
    def configured() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"record exited early: {(tmp_path / 'record.err').read_text()}")
        return dev.state()["connected"] and len(dev.writes(config_char)) >= n_config

    try:
        wait_until(configured, 40, "the recorder to connect and configure")
        s1 = make_stream(profile, 1200, seed=3)
        dev.wait_stream(dev.emit(spec.data_uuid, s1.packets, 0.001))
        imu = out / IMU_FILE

        def records() -> int:
            return imu.stat().st_size // IMU_DTYPE.itemsize if imu.exists() else 0

        wait_until(lambda: records() >= 1200, 20, "the first 1200 samples on disk")
        dev.drop_link()
        wait_until(lambda: dev.state()["connects"] == 2 and dev.state()["connected"], 30,
                   "the recorder to reconnect")
        s2 = make_stream(profile, 400, seed=4, seq0=1200 + 300)
        wait_until(lambda: len(dev.writes(config_char)) >= 2 * n_config, 10,
                   "configuration after reconnect")
        dev.wait_stream(dev.emit(spec.data_uuid, s2.packets, 0.001))
        wait_until(lambda: records() >= 1600, 20, "all 1600 samples on disk")
        proc.send_signal(signal.SIGINT)  # Ctrl-C: stop cleanly and keep the data
        stdout, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        log.close()
    err = (tmp_path / "record.err").read_text()
    assert proc.returncode == 0, err
    assert "1600 samples" in stdout

    s = open_session(out)
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
