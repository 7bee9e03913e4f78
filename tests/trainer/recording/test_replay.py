from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.trainer.recording.conftest import make_batch
from trainer.recording import SessionWriter, open_session
from trainer.recording.replay import ReplaySource
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import Source


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    with SessionWriter(tmp_path / "s", sample_rate_hz=100, device={"name": "WT", "address": "A"},
                       simulated=True) as w:
        w.append(make_batch(1000, t0=5.0))  # 10 s starting at t_s = 5
        w.event(7.005, "link_lost", message="link lost")
        w.event(7.5, "link_restored")
        w.event(8.0, "rep", n=1)  # not a link event: not replayed as status
    return tmp_path / "s"


def test_is_a_source_paced_by_the_clock(session_dir: Path) -> None:
    clock = Clock()
    src = ReplaySource(session_dir, clock=clock)
    assert isinstance(src, Source)
    assert src.info.simulated and src.info.name == "WT" and src.info.sample_rate_hz == 100
    assert len(src.read()) == 0  # not started
    src.start()
    assert len(src.read()) == 0
    clock.now += 1.0
    b = src.read()
    assert len(b) == 100 and b.t_s[0] == 5.0 and b.t_s[-1] == pytest.approx(5.99)
    assert src.position_s == pytest.approx(1.0)
    src.set_speed(2.0)
    clock.now += 0.5
    assert len(src.read()) == 100
    with pytest.raises(ValueError):
        src.set_speed(8)
    with pytest.raises(ValueError):
        src.set_speed(0.1)


def test_plays_everything_once_then_finishes(session_dir: Path) -> None:
    clock = Clock()
    src = ReplaySource(session_dir, speed=4.0, clock=clock)
    src.start()
    parts: list[SampleBatch] = []
    for _ in range(40):
        clock.now += 0.137
        parts.append(src.read())
    got = SampleBatch.concat(parts)
    ref = open_session(session_dir).batch()
    np.testing.assert_array_equal(got.t_s, ref.t_s)
    np.testing.assert_array_equal(got.acc_g, ref.acc_g)
    assert src.finished and src.position_s == pytest.approx(src.duration_s)
    kinds = [s.kind for s in src.drain_status()]
    assert kinds == ["streaming", "lost", "restored", "stopped"]


def test_link_statuses_at_their_time(session_dir: Path) -> None:
    clock = Clock()
    src = ReplaySource(session_dir, clock=clock)
    src.start()
    src.drain_status()
    clock.now += 2.0  # play head at t_s = 7.0: the loss at 7.005 has not happened yet
    src.read()
    assert src.drain_status() == []
    clock.now += 0.01
    src.read()
    (lost,) = src.drain_status()
    assert lost.kind == "lost" and lost.t_s == pytest.approx(7.005) and lost.message == "link lost"


def test_pause_resume(session_dir: Path) -> None:
    clock = Clock()
    src = ReplaySource(session_dir, clock=clock)
    src.start()
    clock.now += 1.0
    src.read()
    src.pause()
    clock.now += 5.0
    assert len(src.read()) == 0 and src.position_s == pytest.approx(1.0) and src.paused
    src.resume()
    clock.now += 0.5
    b = src.read()
    assert len(b) == 50 and b.t_s[0] == pytest.approx(6.0)


def test_seek_status_comes_before_the_new_data(session_dir: Path) -> None:
    clock = Clock()
    src = ReplaySource(session_dir, clock=clock)
    src.start()
    clock.now += 3.0
    src.read()
    src.drain_status()
    src.seek(1.0)
    assert src.position_s == pytest.approx(1.0)
    clock.now += 0.2
    assert len(src.read()) == 0  # barrier: whatever the consumer's order, it sees the seek first
    (seek,) = src.drain_status()
    assert seek.kind == "seek" and seek.data["position_s"] == 1.0 and seek.t_s == 6.0
    clock.now += 0.1
    b = src.read()
    assert b.t_s[0] == pytest.approx(6.0) and b.t_s[-1] < 6.3 + 1e-9
    src.seek(-5)
    assert src.position_s == 0.0
    src.seek(1e9)
    assert src.position_s == pytest.approx(src.duration_s)
    # replaying the lost/restored statuses again after seeking back
    src.seek(0.0)
    clock.now += 3.0
    src.read()
    src.read()
    assert [s.kind for s in src.drain_status()] == ["seek", "seek", "seek", "lost", "restored"]


def test_loop_wraps_with_a_seek_status(session_dir: Path) -> None:
    clock = Clock()
    src = ReplaySource(session_dir, speed=4.0, loop=True, clock=clock)
    src.start()
    clock.now += 2.6  # 10.4 s of play: past the end
    first = src.read()
    assert len(first) == 1000 and not src.finished
    assert [s.kind for s in src.drain_status()][-1] == "seek"
    clock.now += 0.0
    again = src.read()  # the 0.4 s left over, from the start
    assert again.t_s[0] == 5.0 and len(again) == pytest.approx(40, abs=1)


def test_stop_is_idempotent_and_ends_reading(session_dir: Path) -> None:
    clock = Clock()
    src = ReplaySource(open_session(session_dir), clock=clock)
    src.start()
    src.stop()
    src.stop()
    clock.now += 1
    assert len(src.read()) == 0
    assert [s.kind for s in src.drain_status()] == ["streaming", "stopped"]
