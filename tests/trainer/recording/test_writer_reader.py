from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.trainer.recording.conftest import make_batch
from trainer.recording import SessionError, SessionWriter, open_session, recover_session
from trainer.recording import format as fmt
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.source import SourceInfo, SourceStatus

INFO = SourceInfo("WT901", "AA:BB:CC:DD:EE:FF", "witmotion", 100.0, firmware="1.2")


def write_session(path: Path, batch: SampleBatch, **kw) -> dict:  # type: ignore[no-untyped-def,type-arg]
    kw.setdefault("sample_rate_hz", 100.0)
    with SessionWriter(path, device=INFO, **kw) as w:
        for part in batch.split([137] * (len(batch) // 137)):
            w.append(part)
        w.event(1.0, "marker", label="x")
    return w.meta


def test_round_trip_meta_samples_events(tmp_path: Path) -> None:
    b = make_batch(1000)
    cal = CalibrationProfile.neutral("AA:BB:CC:DD:EE:FF", "WT901")
    cal.gyro_bias_dps = np.array([0.1, -0.2, 0.3])
    cal.steps_done = ["gyro"]
    write_session(tmp_path / "s", b, drill_id="calf-raise", drill_parameters={"reps": 10},
                  side="right", placement="shank", calibration=cal)
    s = open_session(tmp_path / "s")
    assert s.status == "complete" and s.n_samples == 1000
    assert s.meta["device"]["name"] == "WT901" and s.meta["device"]["firmware"] == "1.2"
    assert s.meta["drill"] == {"id": "calf-raise", "parameters": {"reps": 10}}
    assert s.meta["side"] == "right" and s.meta["placement"] == "shank"
    assert s.meta["start_time"].endswith("Z") and s.meta["simulated"] is False
    assert set(fmt.REQUIRED_META) <= set(s.meta)
    assert s.meta["units"]["acc_g"].startswith("g")
    np.testing.assert_array_equal(s.calibration.gyro_bias_dps, [0.1, -0.2, 0.3])
    got = s.batch()
    np.testing.assert_array_equal(got.t_s, b.t_s)
    np.testing.assert_array_equal(got.acc_g, b.acc_g)  # float32-exact inputs
    np.testing.assert_array_equal(got.gyr_dps, b.gyr_dps)
    np.testing.assert_array_equal(got.seq, b.seq)
    assert got.mag_ut is None
    assert s.events == [{"t_s": 1.0, "type": "marker", "label": "x"}]
    assert s.duration_s == pytest.approx(10.0)


def test_window_is_half_open_on_t_s(tmp_path: Path) -> None:
    write_session(tmp_path / "s", make_batch(1000))
    s = open_session(tmp_path / "s")
    w = s.batch(2.0, 3.0)
    assert len(w) == 100 and w.t_s[0] == 2.0 and w.t_s[-1] == pytest.approx(2.99)
    assert len(s.batch(None, 0.5)) == 50 and len(s.batch(9.5)) == 50
    assert len(s.batch(5.0, 4.0)) == 0


def test_files_are_private(tmp_path: Path) -> None:
    write_session(tmp_path / "s", make_batch(10))
    assert stat.S_IMODE(os.stat(tmp_path / "s").st_mode) == 0o700
    for f in (tmp_path / "s").iterdir():
        assert stat.S_IMODE(f.stat().st_mode) == 0o600, f


def test_magnetometer_side_file(tmp_path: Path) -> None:
    b = make_batch(300, mag=True)
    write_session(tmp_path / "s", b)
    assert (tmp_path / "s" / "mag.bin").stat().st_size == 300 * 20
    s = open_session(tmp_path / "s")
    np.testing.assert_array_equal(s.batch().mag_ut, b.mag_ut)
    assert s.meta["has_mag"] is True


def test_refuses_non_empty_dir(tmp_path: Path) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "x").write_text("keep me")
    with pytest.raises(SessionError, match="not empty"):
        SessionWriter(tmp_path / "s", sample_rate_hz=100)
    assert (tmp_path / "s" / "x").read_text() == "keep me"


def test_backwards_and_nan_time_is_dropped_and_counted(tmp_path: Path) -> None:
    b = make_batch(10)
    t = b.t_s.copy()
    t[3] = np.nan
    t[6] = 0.0  # backwards
    bad = SampleBatch(t, b.acc_g, b.gyr_dps, b.seq)
    with SessionWriter(tmp_path / "s", sample_rate_hz=100) as w:
        assert w.append(bad) == 8
        assert w.append(b.slice(0, 2)) == 0  # all before what was written
    s = open_session(tmp_path / "s")
    assert s.n_samples == 8 and s.meta["dropped_samples"] == 4


def test_status_events(tmp_path: Path) -> None:
    with SessionWriter(tmp_path / "s", sample_rate_hz=100) as w:
        w.append(make_batch(100))
        assert w.status_event(SourceStatus("lost", "link lost", 0.5))
        assert w.status_event(SourceStatus("restored", "", None))  # time of the last sample
        assert w.status_event(SourceStatus("gap", "3 samples lost", 0.7, {"missing": 3}))
        assert not w.status_event(SourceStatus("rssi", "", None, {"rssi": -60}))
    ev = open_session(tmp_path / "s").events
    assert [e["type"] for e in ev] == ["link_lost", "link_restored", "gap"]
    assert ev[1]["t_s"] == pytest.approx(0.99) and ev[2]["missing"] == 3


def test_data_is_fsynced_within_a_second_without_close(tmp_path: Path) -> None:
    """The flusher thread writes through even when the caller goes quiet (no close)."""
    w = SessionWriter(tmp_path / "s", sample_rate_hz=100, flush_interval_s=0.05)
    calls: list[int] = []
    real = os.fsync
    try:
        os.fsync = lambda fd: (calls.append(fd), real(fd))[1]  # type: ignore[assignment]
        w.append(make_batch(10))
        deadline = time.monotonic() + 5
        while w._imu_fd not in calls and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        os.fsync = real
        w.close()
    assert calls, "nothing was fsync'd"


# -- crash safety / garbage ------------------------------------------------------------------
def _kill(w: SessionWriter) -> None:
    """What SIGKILL does to a writer: no close(), session.json keeps status "recording"."""
    w._stop.set()
    w._flusher.join()
    w._closed = True
    for fd in (w._imu_fd, w._mag_fd, w._events_fd):
        if fd is not None:
            os.close(fd)


def _killed_session(tmp_path: Path, n: int = 500, tail: bytes = b"") -> Path:
    """A session as a killed writer leaves it: status recording, maybe a partial record."""
    path = tmp_path / "s"
    w = SessionWriter(path, sample_rate_hz=100)
    w.append(make_batch(n))
    w.event(0.2, "marker")
    w.flush()
    _kill(w)
    with open(path / "imu.bin", "ab") as f:
        f.write(tail)
    with open(path / "events.jsonl", "ab") as f:
        f.write(b'{"t_s": 0.3, "ty')
    return path


def test_partial_record_dropped_everything_else_kept(tmp_path: Path) -> None:
    b = make_batch(500)
    path = _killed_session(tmp_path, tail=b"\x01" * 17)
    s = open_session(path)
    assert s.status == "recovered" and s.meta["status"] == "recording"
    assert s.n_samples == 500 and s.dropped_tail_bytes == 17
    np.testing.assert_array_equal(s.batch().t_s, b.t_s)
    np.testing.assert_array_equal(s.batch().acc_g, b.acc_g)
    assert [e["type"] for e in s.events] == ["marker"] and s.dropped_event_lines == 1


def test_recover_rewrites_status_and_cuts_tail(tmp_path: Path) -> None:
    path = _killed_session(tmp_path, tail=b"\x01" * 5)
    s = recover_session(path)
    assert s.meta["status"] == "recovered" and s.meta["n_samples"] == 500
    assert (path / "imu.bin").stat().st_size == 500 * fmt.IMU_DTYPE.itemsize
    assert open_session(path).status == "recovered"


def _corrupt(path: Path, name: str, data: bytes | None) -> None:
    if data is None:
        (path / name).unlink()
    else:
        (path / name).write_bytes(data)


@pytest.mark.parametrize(
    ("name", "data", "match"),
    [
        ("session.json", None, "no session.json"),
        ("session.json", b"", "not valid JSON"),
        ("session.json", b'{"format_version": 1, "sess', "not valid JSON"),
        ("session.json", b"\xff\xfe garbage", "not valid JSON"),
        ("session.json", b"[1, 2]", "JSON object"),
        ("session.json", b'{"format_version": 2}', "format_version 2"),
        ("session.json", b'{"format_version": 1, "status": "complete"}', "missing fields"),
        ("imu.bin", None, "missing"),
    ],
)
def test_garbage_meta_is_one_line_error(tmp_path: Path, name: str, data: bytes | None,
                                        match: str) -> None:
    write_session(tmp_path / "s", make_batch(100))
    _corrupt(tmp_path / "s", name, data)
    with pytest.raises(SessionError, match=match) as info:
        open_session(tmp_path / "s")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"side": "middle"}, "side must be one of left, right, got 'middle'"),
        ({"side": 3}, "side must be one of"),
        ({"placement": "knee"}, "placement must be one of shank, foot, got 'knee'"),
    ],
)
def test_side_and_placement_are_checked(tmp_path: Path, change: dict, match: str) -> None:  # type: ignore[type-arg]
    meta = write_session(tmp_path / "s", make_batch(100))
    (tmp_path / "s" / "session.json").write_text(json.dumps({**meta, **change}))
    with pytest.raises(SessionError, match=match):
        open_session(tmp_path / "s")


@pytest.mark.parametrize("t_s", ['"abc"', "true", "NaN", "Infinity", "[1]"])
def test_event_time_must_be_a_finite_number(tmp_path: Path, t_s: str) -> None:
    write_session(tmp_path / "s", make_batch(10))
    (tmp_path / "s" / "events.jsonl").write_text(
        '{"t_s": 0.5, "type": "set_start"}\n{"t_s": ' + t_s + ', "type": "set_end"}\n')
    with pytest.raises(SessionError, match="line 2: t_s must be a finite number"):
        open_session(tmp_path / "s")


def test_null_event_time_of_older_writers_is_dropped_and_counted(tmp_path: Path) -> None:
    write_session(tmp_path / "s", make_batch(10))
    (tmp_path / "s" / "events.jsonl").write_text(
        '{"t_s": null, "type": "battery"}\n{"t_s": 0.5, "type": "marker"}\n')
    s = open_session(tmp_path / "s")
    assert [e["type"] for e in s.events] == ["marker"] and s.dropped_event_lines == 1


def test_events_without_a_time_get_the_first_then_the_latest_sample_time(tmp_path: Path) -> None:
    """A link status that arrives before the first sample has no session time yet: it waits for
    the first sample (it used to be written with "t_s": null)."""
    with SessionWriter(tmp_path / "s", sample_rate_hz=100.0, device=INFO) as w:
        w.status_event(SourceStatus("battery", "80%", data={"percent": 80.0}))
        w.event(None, "marker", label="early")
        w.append(make_batch(10, t0=5.0))
        w.event(None, "marker", label="late")
    s = open_session(tmp_path / "s")
    assert [(e["type"], e["t_s"]) for e in s.events] == [
        ("battery", 5.0), ("marker", 5.0), ("marker", pytest.approx(5.09))]
    assert s.dropped_event_lines == 0
    with SessionWriter(tmp_path / "empty", sample_rate_hz=100.0, device=INFO) as w:
        w.status_event(SourceStatus("lost", "link lost"))
    assert [(e["type"], e["t_s"]) for e in open_session(tmp_path / "empty").events] == [
        ("link_lost", 0.0)]


@pytest.mark.parametrize("name", ["events.jsonl", "session.json", "imu.bin"])
def test_a_directory_in_place_of_a_file_is_one_line_error(tmp_path: Path, name: str) -> None:
    write_session(tmp_path / "s", make_batch(10))
    (tmp_path / "s" / name).unlink()
    (tmp_path / "s" / name).mkdir()
    with pytest.raises(SessionError) as info:
        open_session(tmp_path / "s")
    assert "\n" not in str(info.value)


def test_truncated_imu_of_complete_session(tmp_path: Path) -> None:
    write_session(tmp_path / "s", make_batch(100))
    raw = (tmp_path / "s" / "imu.bin").read_bytes()
    (tmp_path / "s" / "imu.bin").write_bytes(raw[:-36])
    with pytest.raises(SessionError, match="n_samples=100"):
        open_session(tmp_path / "s")
    (tmp_path / "s" / "imu.bin").write_bytes(raw[:-10])
    with pytest.raises(SessionError, match="whole number"):
        open_session(tmp_path / "s")


@pytest.mark.parametrize("where", [0, 50, 99])
@pytest.mark.parametrize("value", [np.nan, np.inf, 100.0 - 1e9])
def test_garbage_time_is_one_line_error(tmp_path: Path, where: int, value: float) -> None:
    if where == 0 and value < 0:
        value = 1e9  # first sample later than the second
    write_session(tmp_path / "s", make_batch(100, t0=10.0))
    rec = np.fromfile(tmp_path / "s" / "imu.bin", fmt.IMU_DTYPE)
    rec["t_s"][where] = value
    rec.tofile(tmp_path / "s" / "imu.bin")
    with pytest.raises(SessionError, match="garbage time"):
        open_session(tmp_path / "s")


def test_random_bytes_imu(tmp_path: Path) -> None:
    write_session(tmp_path / "s", make_batch(100))
    rng = np.random.default_rng(1)
    (tmp_path / "s" / "imu.bin").write_bytes(rng.bytes(3600))
    with pytest.raises(SessionError):
        open_session(tmp_path / "s")


def test_garbage_events_line(tmp_path: Path) -> None:
    write_session(tmp_path / "s", make_batch(10))
    (tmp_path / "s" / "events.jsonl").write_bytes(b'not json\n{"t_s": 1, "type": "x"}\n')
    with pytest.raises(SessionError, match="line 1"):
        open_session(tmp_path / "s")


def test_sampled_check_of_big_file_and_window_check(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trainer.recording import reader

    monkeypatch.setattr(reader, "FULL_CHECK_MAX_SAMPLES", 100)
    monkeypatch.setattr(reader, "SAMPLED_CHECK_POINTS", 10)
    write_session(tmp_path / "s", make_batch(1000))
    rec = np.fromfile(tmp_path / "s" / "imu.bin", fmt.IMU_DTYPE)
    rec["t_s"][501] = np.nan  # between the sampled points
    rec.tofile(tmp_path / "s" / "imu.bin")
    s = open_session(tmp_path / "s")  # not seen by the sampled check …
    assert len(s.batch(0.0, 4.0)) == 400  # … windows away from it are fine …
    with pytest.raises(SessionError, match="garbage time"):
        s.batch(4.0, 6.0)  # … and the window that holds it is refused
    with pytest.raises(SessionError, match="garbage time"):
        open_session(tmp_path / "s", verify=True)


def test_empty_recording(tmp_path: Path) -> None:
    with SessionWriter(tmp_path / "s", sample_rate_hz=50):
        pass
    s = open_session(tmp_path / "s")
    assert s.n_samples == 0 and s.duration_s == 0 and len(s.batch()) == 0


def test_session_json_rewrite_is_atomic(tmp_path: Path) -> None:
    w = SessionWriter(tmp_path / "s", sample_rate_hz=50)
    first = json.loads((tmp_path / "s" / "session.json").read_text())
    assert first["status"] == "recording"
    w.close()
    names = sorted(p.name for p in (tmp_path / "s").iterdir())
    assert names == ["events.jsonl", "imu.bin", "session.json"]  # no temp files left


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 50 * 36), mag=st.booleans(), mag_cut=st.integers(0, 50 * 20))
def test_any_truncation_keeps_every_complete_record(tmp_path: Path, cut: int, mag: bool,
                                                    mag_cut: int) -> None:
    """Whatever byte a killed writer stopped at, the reader returns exactly the whole records."""
    path = tmp_path / os.urandom(6).hex()
    b = make_batch(50, mag=mag)
    w = SessionWriter(path, sample_rate_hz=100)
    w.append(b)
    _kill(w)
    os.truncate(path / "imu.bin", cut)
    if mag:
        os.truncate(path / "mag.bin", mag_cut)
    s = open_session(path)
    n = cut // 36
    assert s.status == "recovered" and s.n_samples == n and s.dropped_tail_bytes == cut % 36
    got = s.batch()
    np.testing.assert_array_equal(got.t_s, b.t_s[:n])
    np.testing.assert_array_equal(got.gyr_dps, b.gyr_dps[:n])
    if mag:
        k = min(n, mag_cut // 20)
        np.testing.assert_array_equal(got.mag_ut[:k], b.mag_ut[:k])  # type: ignore[index]
        assert np.isnan(got.mag_ut[k:]).all()  # type: ignore[index]
