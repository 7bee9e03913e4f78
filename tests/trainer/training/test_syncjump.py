"""The sync jump is a step of its own (issue 14 follow-up): with several live sensors the guided
drill cues the jump, waits until every sensor saw the landing (or a timeout, or a skip), then
starts its first countdown; the ``sync_jump`` event says whether a landing was seen."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmware_bridge.sensorset import PrimaryView
from firmware_bridge.simulator import SimConfig, SimulatedSource
from firmware_bridge.simulator.multi import MultiSimulatedSource
from trainer.training.sensors import Sensors
from trainer.training.session import TrainingPlan, TrainingSession, drill_guide, follow_guide
from trainer.training.syncjump import SyncJumpStep, simulated_start_s
from trainer.vocab.batch import SampleBatch
from trainer.vocab.sync import SYNC_CONFIRM_S, SYNC_SETTLE_S, SYNC_WAIT_S

ROLES = ("left-shank", "right-foot", "trunk")
READ_S = 0.05  # the front end's polling, on the simulator's clock


class CannotJump(MultiSimulatedSource):
    """A person with an acute sprain: asked for the jump, does not jump."""

    def ask_sync_jump(self, t_s: float) -> None:
        return None


def _session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, jumps: bool = True,
             guided: bool = True) -> tuple[TrainingSession, list[float]]:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    plan = TrainingPlan(drill_id="single-leg-balance", side="left", out=tmp_path / "s",
                        guided=guided, choices={"sets": 1, "hold_s": 5.0}, duration_s=30.0)
    guide = drill_guide(plan, 100.0) if guided else None
    now = [0.0]
    person = SimulatedSource(SimConfig(seed=4, side="left", duration_s=40.0),
                             clock=lambda: now[0])
    person = follow_guide(person, guide, start_s=simulated_start_s(jumps))  # type: ignore[assignment]
    multi = (MultiSimulatedSource if jumps else CannotJump)(person, ROLES)  # type: ignore[arg-type]
    sensors = Sensors(multi, PrimaryView(multi), ROLES, ROLES[0])
    session = TrainingSession(sensors.view, plan, guide=guide,
                              writer_factory=sensors.writer_factory())
    return session, now


def _run(session: TrainingSession, now: list[float], *, until_s: float | None = None
         ) -> list[Any]:
    """Pump like a front end until the drill is done (or ``until_s`` of simulated time)."""
    events: list[Any] = []
    if session.writer is None:
        session.start()
    while until_s is None or now[0] < until_s:
        now[0] += READ_S
        step = session.pump()
        events += step.drill_events
        if step.done:
            break
    return events


def _lines(session: TrainingSession) -> list[dict[str, Any]]:
    path = session.path
    assert path is not None
    return [json.loads(x) for x in (path / "events.jsonl").read_text().splitlines()]


def test_the_guide_waits_for_the_landing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    from trainer.drills.multisensor import session_alignment
    from trainer.recording import open_session
    from trainer.recording.sensors import open_sensors, sensor_batch

    session, now = _session(tmp_path, monkeypatch)
    shown = _run(session, now, until_s=1.0)
    assert session.sync_waiting and session.phase == "ready"  # cued, the guide has not started
    assert shown[0].data.get("sync_jump")
    shown += _run(session, now)
    session.finish("drill done")
    cues = [e.data["text"] for e in shown if e.type == "cue"]
    assert cues[0].startswith("Jump once on both feet")
    assert cues[1].startswith("Landing seen")  # then the drill's own "Get ready"
    lines = _lines(session)
    (jump,) = [e for e in lines if e["type"] == "sync_jump"]
    assert jump["t_s"] == pytest.approx(0.0, abs=0.02)
    assert jump["landing_seen"] is True and jump["outcome"] == "landed"
    assert jump["landing_t_s"] == pytest.approx(1.5, abs=0.02)  # the simulated landing
    (start,) = [e for e in lines if e["type"] == "drill_start"]
    # the first countdown begins once the landing is seen and the person settled, not before
    assert jump["landing_t_s"] + SYNC_SETTLE_S <= start["t_s"] < \
        jump["landing_t_s"] + SYNC_SETTLE_S + 0.11
    assert jump["waited_s"] == pytest.approx(jump["landing_t_s"] + SYNC_SETTLE_S, abs=1e-3)
    assert any(e["type"] == "set_end" for e in lines)  # and the drill ran to its end
    sensors = open_sensors(session.path)
    al, why = session_alignment(open_session(session.path),
                                {r: (b.t_s, b.acc_g) for r, b in
                                 ((r, sensor_batch(s)) for r, s in sensors.items())})
    assert why is None and al.max_abs_ms <= 1.0


def test_no_landing_the_guide_goes_on_after_the_timeout(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session, now = _session(tmp_path, monkeypatch, jumps=False)
    shown = _run(session, now)
    session.finish("drill done")
    lines = _lines(session)
    (jump,) = [e for e in lines if e["type"] == "sync_jump"]
    assert jump["landing_seen"] is False and jump["outcome"] == "no landing seen"
    assert "landing_t_s" not in jump and jump["waited_s"] == pytest.approx(SYNC_WAIT_S)
    (start,) = [e for e in lines if e["type"] == "drill_start"]
    assert SYNC_WAIT_S <= start["t_s"] < SYNC_WAIT_S + 0.11
    assert any("No jump seen" in e.data.get("text", "") for e in shown if e.type == "cue")


def test_the_person_skips_the_jump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session, now = _session(tmp_path, monkeypatch, jumps=False)
    _run(session, now, until_s=0.5)
    assert session.sync_waiting
    assert session.skip_sync_jump()
    assert not session.skip_sync_jump()  # once
    _run(session, now, until_s=1.5)
    session.finish("stopped")
    lines = _lines(session)
    (jump,) = [e for e in lines if e["type"] == "sync_jump"]
    assert jump["landing_seen"] is False and jump["outcome"] == "skipped"
    (start,) = [e for e in lines if e["type"] == "drill_start"]
    assert start["t_s"] < 0.7  # at once, not after the timeout


def _first_go_and_hold(session: TrainingSession) -> tuple[float, float]:
    """The guide's first "Go" (``set_start``) and when the simulated person lifted its foot."""
    from firmware_bridge.simulator.guide import REACTION_S

    go = min(e["t_s"] for e in _lines(session) if e["type"] == "set_start")
    multi = session.source.sensors  # type: ignore[attr-defined]
    holds = [float(e["t_s"]) for e in multi.events if e["type"] == "hold"]
    return go, min(holds) - REACTION_S


@pytest.mark.parametrize(("skip_at_s", "jumped"), [(0.3, False), (0.6, False), (1.2, True)])
def test_a_skip_moves_the_simulated_person_who_then_does_not_jump(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skip_at_s: float, jumped: bool) -> None:
    """The person's schedule was fixed for a jump (sets from the landing + settling on): after a
    skip its first set follows the guide's real "Go" (issue 14 follow-up), and it does not jump
    unless its push-off (0.95 s after the cue) was already under way."""
    session, now = _session(tmp_path, monkeypatch)
    _run(session, now, until_s=skip_at_s)
    assert session.sync_waiting and session.skip_sync_jump()
    _run(session, now)
    session.finish("drill done")
    go, person_go = _first_go_and_hold(session)
    assert go < skip_at_s + 3.0 + 0.11  # the guide started at once (its 3 s countdown)
    assert abs(person_go - go) <= 0.2
    multi = session.source.sensors  # type: ignore[attr-defined]
    assert (multi.sync_jump is not None) == jumped
    from trainer.recording import open_session

    acc = open_session(session.path).batch().acc_g
    # the landing: 2 g over 1 g at the shank
    assert (np.linalg.norm(acc, axis=1).max() > 2.0) == jumped


def test_after_a_landing_the_person_follows_the_guides_real_start(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session, now = _session(tmp_path, monkeypatch)
    _run(session, now)
    session.finish("drill done")
    go, person_go = _first_go_and_hold(session)
    assert abs(person_go - go) <= 0.02  # exactly the guide's start, not its own estimate


def test_stopped_while_waiting_the_event_says_so(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    session, now = _session(tmp_path, monkeypatch, jumps=False)
    _run(session, now, until_s=1.0)
    session.finish("stopped")
    lines = _lines(session)
    (jump,) = [e for e in lines if e["type"] == "sync_jump"]
    assert jump["outcome"] == "stopped" and jump["landing_seen"] is False
    assert not [e for e in lines if e["type"] == "drill_start"]


def test_free_recording_does_not_wait_but_records_the_landing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    session, now = _session(tmp_path, monkeypatch, guided=False)
    _run(session, now, until_s=4.0)
    session.finish("stopped")
    (jump,) = [e for e in _lines(session) if e["type"] == "sync_jump"]
    assert jump["landing_seen"] is True and jump["landing_t_s"] == pytest.approx(1.5, abs=0.02)


def _jump_acc(t: np.ndarray, land_s: float) -> np.ndarray:
    """|acc| of a jump: 1 g, push-off 1.8 g, flight ~0 g, landing 3 g decaying."""
    a = np.ones_like(t)
    a[(t >= land_s - 0.55) & (t < land_s - 0.3)] = 1.8
    a[(t >= land_s - 0.3) & (t < land_s)] = 0.02
    after = t >= land_s
    a[after] = 1.0 + 2.0 * np.exp(-(t[after] - land_s) / 0.02)
    acc = np.zeros((t.size, 3))
    acc[:, 2] = a
    return acc


def test_the_landing_not_the_take_off_however_the_data_arrives() -> None:
    """The steepest shared front of the data so far can be the take-off; the step waits
    ``SYNC_CONFIRM_S`` past a front, so the landing is the one taken, in any read size."""
    fs = 200.0
    t = np.arange(0, 6, 1 / fs)
    acc = _jump_acc(t, 2.0)
    for read in (1, 7, 40):
        step = SyncJumpStep(0.0, ("a", "b"))
        for i in range(0, t.size, read):
            sl = slice(i, i + read)
            b = SampleBatch(t[sl], acc[sl], np.zeros((t[sl].size, 3)),
                            np.arange(i, i + t[sl].size, dtype=np.uint32))
            step.add({"a": b, "b": b})
            if step.update():
                break
        assert step.outcome == "landed", read
        assert step.landing_t_s == pytest.approx(2.0, abs=0.01)
        assert step.t_end_s == pytest.approx(step.landing_t_s + SYNC_SETTLE_S)
        assert step.event_fields()["landing_seen"] is True
    # one sensor that never sees it (not worn): no landing, the timeout
    step = SyncJumpStep(0.0, ("a", "b"))
    t_long = np.arange(0, SYNC_WAIT_S + 1, 1 / fs)
    acc_long = _jump_acc(t_long, 2.0)
    still = np.zeros_like(acc_long)
    still[:, 2] = 1.0
    for i in range(0, t_long.size, 20):
        sl = slice(i, i + 20)
        n = t_long[sl].size
        step.add({"a": SampleBatch(t_long[sl], acc_long[sl], np.zeros((n, 3)),
                                   np.arange(n, dtype=np.uint32)),
                  "b": SampleBatch(t_long[sl], still[sl], np.zeros((n, 3)),
                                   np.arange(n, dtype=np.uint32))})
        if step.update():
            break
    assert step.outcome == "no landing seen" and step.t_end_s == SYNC_WAIT_S
    assert SYNC_CONFIRM_S < SYNC_SETTLE_S  # the guide never starts before the landing counts


def test_a_sensor_whose_link_is_down_does_not_hold_the_drill() -> None:
    """The trunk's link drops before the jump: no landing can be seen by every sensor, and the
    step still gives up ``SYNC_WAIT_S`` after the cue (on the sensors still streaming)."""
    fs = 100.0
    t = np.arange(0, SYNC_WAIT_S + 1, 1 / fs)
    acc = _jump_acc(t, 2.0)
    step = SyncJumpStep(0.0, ("a", "trunk"))
    for i in range(0, t.size, 10):
        sl = slice(i, i + 10)
        n = t[sl].size
        b = SampleBatch(t[sl], acc[sl], np.zeros((n, 3)), np.arange(i, i + n, dtype=np.uint32))
        step.add({"a": b, "trunk": b} if t[i] < 1.0 else {"a": b, "trunk": SampleBatch.empty()})
        if step.update():
            break
    assert step.outcome == "no landing seen" and step.t_end_s == SYNC_WAIT_S
    assert step.wait_left_s() is None
