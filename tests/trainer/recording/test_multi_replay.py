"""A recorded multi-sensor session played back (issue 14): every sensor on the session clock as
the player advances, pause and speed for all, a seek moving every sensor (the extras with their
lead), an extra sensor's recorded link events played as its statuses, every sample delivered
once and unchanged."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trainer.cli.main import main
from trainer.recording import open_session
from trainer.recording.multi_replay import MultiReplaySource, ReplayView, replay_sources
from trainer.recording.replay import ReplaySource
from trainer.recording.sensors import open_sensors, sensor_batch
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import ReplayControl


class ManualClock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def three_sensor_session(path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """20 s of the simulated person with three sensors, plus a recorded link drop of the trunk
    sensor at 6 s (as `record` writes it)."""
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(path.parent / "home"))
    assert main(["record", "--simulate", "--roles", "left-shank,right-foot,trunk", "--sim-speed",
                 "50", "--quiet", "--no-guide", "--duration", "20", "--sim-losses", "3",
                 "--out", str(path)]) == 0
    t0 = open_session(path).start_t_s
    with (path / "events.jsonl").open("a") as f:
        f.write(json.dumps({"t_s": t0 + 6.0, "type": "sensor_link_lost", "role": "trunk",
                            "message": "link lost"}) + "\n")
        f.write(json.dumps({"t_s": t0 + 7.0, "type": "sensor_link_restored", "role": "trunk",
                            "message": "back"}) + "\n")
    return path


@pytest.fixture(scope="module")
def session_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = pytest.MonkeyPatch()
    try:
        return three_sensor_session(tmp_path_factory.mktemp("multi") / "three", mp)
    finally:
        mp.undo()


def play(src: MultiReplaySource, clock: ManualClock, until_s: float, step_s: float = 0.05
         ) -> tuple[dict[str, list[SampleBatch]], dict[str, list[object]]]:
    batches: dict[str, list[SampleBatch]] = {r: [] for r in src.roles}
    statuses: dict[str, list[object]] = {r: [] for r in src.roles}
    while src.player.position_s < until_s and not src.finished:
        clock.t += step_s
        for role, b in src.read_all().items():
            if len(b):
                batches[role].append(b)
        for role, sts in src.drain_status_all().items():
            statuses[role] += sts
    return batches, statuses


def test_every_sensor_plays_on_the_session_clock(session_path: Path) -> None:
    session = open_session(session_path)
    clock = ManualClock()
    view = replay_sources(session, 2.0, clock=clock)
    assert isinstance(view, ReplayView) and isinstance(view, ReplayControl)
    src = view.sensors
    assert src.roles == ("left-shank", "right-foot", "trunk")
    assert set(src.sensor_info()) == set(src.roles)
    assert src.sensor_info()["trunk"].address != src.sensor_info()["left-shank"].address
    view.start()
    batches, statuses = play(src, clock, 5.0)
    t0 = session.start_t_s
    pos = src.player.position_s
    for role in src.roles:  # every sensor up to the play position, none beyond
        t = np.concatenate([b.t_s for b in batches[role]])
        assert t[-1] < t0 + pos + 1e-9 and t[-1] > t0 + pos - 0.05, role
    view.pause()  # paused: nothing more from any sensor
    clock.t += 3.0
    assert all(len(b) == 0 for b in src.read_all().values())
    view.resume()
    more, statuses2 = play(src, clock, 1e9)
    assert src.finished
    recorded = open_sensors(session_path)
    for role in src.roles:  # every sample once, unchanged
        got = SampleBatch.concat(batches[role] + more[role])
        want = sensor_batch(recorded[role])
        np.testing.assert_array_equal(got.t_s, want.t_s)
        np.testing.assert_array_equal(got.acc_g, want.acc_g)
    kinds = [getattr(s, "kind", None) for s in statuses["trunk"] + statuses2["trunk"]]
    assert kinds == ["streaming", "lost", "restored"]  # the trunk's recorded link drop
    lost = next(s for s in statuses2["trunk"] if getattr(s, "kind", "") == "lost")
    assert abs(lost.t_s - (t0 + 6.0)) < 1e-9  # type: ignore[attr-defined]
    assert "lost" not in [getattr(s, "kind", None) for s in statuses2["left-shank"]]


def test_a_seek_moves_every_sensor(session_path: Path) -> None:
    session = open_session(session_path)
    clock = ManualClock()
    src = MultiReplaySource(session, clock=clock, lead_s=3.0)
    src.start()
    play(src, clock, 12.0)
    src.seek(4.0)
    statuses = src.drain_status_all()
    for role in src.roles:  # every consumer learns of the jump
        assert [s.kind for s in statuses[role]][-1] == "seek", role
    clock.t += 0.5
    out = src.read_all()
    t0 = session.start_t_s
    assert len(out["left-shank"]) == 0  # the primary: ReplaySource's barrier read
    for role in ("right-foot", "trunk"):  # the extras: from the lead before the position
        t = out[role].t_s
        assert abs(t[0] - (t0 + 1.0)) < 0.011 and t[-1] < t0 + 4.5 + 1e-9, role
    clock.t += 0.5
    primary = src.read_all()["left-shank"]
    assert abs(primary.t_s[0] - (t0 + 4.0)) < 0.011
    src.seek(1e6)  # clamped: the end
    assert src.player.position_s == pytest.approx(session.duration_s)


def test_one_sensor_sessions_replay_as_before(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    assert main(["record", "--simulate", "--sim-speed", "50", "--quiet", "--no-guide",
                 "--duration", "2", "--out", str(tmp_path / "one")]) == 0
    assert type(replay_sources(open_session(tmp_path / "one"))) is ReplaySource
