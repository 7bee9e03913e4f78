from pathlib import Path

import numpy as np
import pytest

from tests.trainer.ui.conftest import DirectTiltPipeline, ScriptedSource
from trainer.recording import SessionWriter, open_session
from trainer.ui.live import AP, LinkStats, LiveSession, T
from trainer.ui.pipeline_factory import pipeline_factory


def make_live(src: ScriptedSource) -> LiveSession:
    live = LiveSession(src, DirectTiltPipeline, window_s=2.0)
    live.start()
    return live


def test_pump_fills_the_ring_and_keeps_time_order(scripted: ScriptedSource) -> None:
    live = make_live(scripted)
    total = 0
    for _ in range(100):
        total += live.pump().n_new
    assert total == 500
    rows = live.ring.view()
    assert rows.shape[0] == live.ring.capacity
    assert np.all(np.diff(rows[:, T]) > 0)
    assert np.nanmax(np.abs(rows[:, AP])) == pytest.approx(1.0, abs=0.3)
    assert live.latest_t_s == pytest.approx(499 / 100)


def test_source_failure_becomes_one_line_and_stops(scripted: ScriptedSource) -> None:
    live = make_live(scripted)
    live.pump()
    scripted.fail_with = OSError("adapter vanished")
    res = live.pump()
    assert len(res.errors) == 1 and "adapter vanished" in res.errors[0]
    assert scripted.stopped and not live.running
    assert live.pump().n_new == 0  # stays quiet afterwards


def test_recorder_gets_samples_and_keeps_them_when_it_fails(
        scripted: ScriptedSource, tmp_path: Path) -> None:
    live = make_live(scripted)
    writer = SessionWriter(tmp_path / "s", sample_rate_hz=100.0, device=scripted.info)
    live.attach_recorder(writer)
    for _ in range(10):
        live.pump()
    # the disk "fails": the writer raises from now on
    writer.close()
    res = live.pump()
    assert any("recording stopped" in e for e in res.errors)
    assert live.recorder is None
    assert live.pump().n_new == 5  # streaming goes on
    s = open_session(tmp_path / "s")
    assert s.n_samples == 50 and s.status == "complete"


def test_link_stats_rate_and_loss() -> None:
    src = ScriptedSource(seq_step=2)  # every other sample lost
    src.start()
    stats = LinkStats()
    for i in range(5):
        stats.update(src.read(), i * 0.05)
    assert stats.loss_pct == pytest.approx(50.0, abs=3)
    assert stats.rate_hz(0.2) == pytest.approx(100.0)


def test_the_core_pipeline_on_the_simulator_gives_finite_tilt_after_the_reference() -> None:
    from firmware_bridge.simulator import SensorStream, SimConfig

    stream = SensorStream(SimConfig(seed=2, sample_rate_hz=100.0, duration_s=None))

    class Src(ScriptedSource):
        def read(self):  # type: ignore[no-untyped-def]
            return stream.next(10)

    src = Src()
    live = LiveSession(src, pipeline_factory(100.0), window_s=5.0)
    live.start()
    for _ in range(300):  # 30 s of samples
        live.pump()
    rows = live.ring.view()
    assert np.isfinite(rows[-100:, AP]).all()
    assert np.nanmax(np.abs(rows[:, AP])) < 8  # quiet single-leg stance: a few degrees
    m = live.update_metrics()
    assert m and 0 < m["ellipse_area"] < 50 and 0 < m["mean_velocity"] < 10


def test_statuses_before_the_first_sample_do_not_break_the_session(tmp_path: Path) -> None:
    from trainer.vocab.source import SourceStatus

    src = ScriptedSource()
    live = make_live(src)
    writer = SessionWriter(tmp_path / "s", sample_rate_hz=100.0, device=src.info)
    live.attach_recorder(writer)
    src.pending.append(SourceStatus("gap", "3 samples lost"))  # no time, nothing recorded yet
    src.per_read = 0
    live.pump()
    src.per_read = 5
    src.pending.append(SourceStatus("lost", "link lost"))
    live.pump()
    live.close_recorder()
    s = open_session(tmp_path / "s")  # every event line has a finite time
    assert [e["type"] for e in s.events] == ["link_lost"]
    assert s.events[0]["t_s"] == pytest.approx(0.04)
