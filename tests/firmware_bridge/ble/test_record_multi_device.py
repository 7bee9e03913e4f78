"""`balance-trainer record --device ADDR:ROLE --device ADDR:ROLE` end to end: a subprocess on
bleak's BlueZ backend, two mock sensors of different profiles on a private system bus, the trunk
sensor's link dropping in the middle while the shank goes on; on disk: every sample of each
sensor in its own file, the trunk's link events with its role, the sensor list and clocks."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from tests.firmware_bridge.ble.record_run import RecordRun
from tests.mockbluez import SPECS, MockBluez, make_stream, wait_until
from trainer.recording.sensors import open_sensors

SHANK, TRUNK = "C4:7C:8D:6A:20:01", "C4:7C:8D:6A:20:02"


def test_record_two_sensors_one_drops(mock_bluez: MockBluez, tmp_path: Path) -> None:
    shank = mock_bluez.add_device(SHANK, SPECS["witmotion"]())
    trunk = mock_bluez.add_device(TRUNK, SPECS["reference"]())
    run = RecordRun(mock_bluez, tmp_path, "--device", f"{SHANK}:left-shank", "--device",
                    f"{TRUNK}:trunk", "--drill", "single-leg-balance", "--side", "left",
                    "--no-guide")
    out, records = run.out, run.records

    def ready() -> bool:
        run.check_running()
        return (shank.state()["connected"] and trunk.state()["connected"]
                and (out / "imu-trunk.bin").exists())

    s1 = make_stream("witmotion", 1500, seed=1)
    t1 = make_stream("reference", 600, seed=2)
    with run:
        wait_until(ready, 60, "both sensors connected and the recording open")
        sid = shank.emit(shank.spec.data_uuid, s1.packets, 0.025)  # real time: 100 Hz
        t1_start = time.monotonic()  # the trunk's first sample (device time 0) is sent now
        trunk.wait_stream(trunk.emit(trunk.spec.data_uuid, t1.packets, 0.04), 30)
        wait_until(lambda: records("imu-trunk.bin") >= 600, 30, "the trunk's first samples")
        trunk.drop_link()  # the shank goes on streaming meanwhile
        wait_until(lambda: trunk.state()["connects"] == 2 and trunk.state()["connected"], 40,
                   "the trunk sensor to reconnect")
        wait_until(lambda: len(trunk.writes(trunk.spec.services[0]["chars"][1]["uuid"])) >= 4,
                   10, "the trunk configured again")
        # the trunk sensor kept sampling while its link was down: its counter says how long
        # (at least 40 samples: under load the mock's schedule can start before emit() returns,
        # and a counter that resumes at 600 would be no outage at all — seen in CI)
        seq0 = max(int((time.monotonic() - t1_start) * 100) // 4 * 4, 640)
        t2 = make_stream("reference", 400, seed=3, seq0=seq0)
        trunk.wait_stream(trunk.emit(trunk.spec.data_uuid, t2.packets, 0.04), 30)
        shank.wait_stream(sid, 60)
        wait_until(lambda: records("imu.bin") >= 1500 and records("imu-trunk.bin") >= 1000, 30,
                   "every sample on disk")
        stdout = run.stop()
    sensors = open_sensors(out)
    left, tr = sensors["left-shank"], sensors["trunk"]
    assert left.status == "complete" and left.n_samples == 1500  # nothing lost on the shank
    np.testing.assert_allclose(left.batch().acc_g, s1.acc_g, atol=1e-6)
    assert tr.n_samples == 1000
    np.testing.assert_allclose(np.asarray(tr.imu["acc_g"], dtype=float),
                               np.vstack([t1.acc_g, t2.acc_g]), atol=1e-6)
    np.testing.assert_array_equal(tr.imu["seq"][600:], seq0 + np.arange(400))
    types = [(e["type"], e.get("role")) for e in left.events]
    assert ("sensor_link_lost", "trunk") in types and ("sensor_gap", "trunk") in types
    assert ("link_lost", None) not in types  # the shank's own link never dropped
    meta = json.loads((out / "session.json").read_text())
    assert [(s["role"], s["device"]["profile"], s["n_samples"]) for s in meta["sensors"]] == [
        ("left-shank", "witmotion", 1500), ("trunk", "reference", 1000)]
    assert {"drift_ppm", "offset_s"} <= set(meta["sensors"][1]["clock"])
    gap = next(e for e in left.events if e["type"] == "sensor_gap")
    assert gap["missing_samples"] == seq0 - 600
    assert tr.t_s[599] < gap["t_s"] < tr.t_s[600]
    assert "1500 samples" in stdout
