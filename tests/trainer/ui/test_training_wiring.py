"""Everything `record` guarantees, the dashboard guarantees: the red-flag gate before a sensor's
samples are used, levels updated after a drill on a real sensor, no balance losses outside
balance drills, the replayed session's own conditions shown read-only."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.trainer.ui.conftest import DeviceSources, ScriptedSource, wait_until
from trainer.recording import open_session
from trainer.ui.settings import DrillSettings

ROOT = Path(__file__).resolve().parents[3]


def test_connect_asks_the_red_flag_questions_before_connecting(
        qtbot: Any, window: Any) -> None:
    connected: list[str] = []
    window.sources.factory = DeviceSources(
        lambda address: connected.append(address) or ScriptedSource())
    asked: list[Any] = []
    window.drills.ask_screening = lambda check: asked.append(check) or False  # declined / red flag
    window.connect_device("C4:7C:8D:6A:01:23")
    assert [c.id for c in asked] == ["red_flags"] and not connected and window.live is None
    assert "not started" in window.statusBar().currentMessage()
    window.drills.ask_screening = lambda check: asked.append(check) or True
    window.connect_device("C4:7C:8D:6A:01:23")
    wait_until(qtbot, lambda: window.sources.kind == "device")
    assert connected == ["C4:7C:8D:6A:01:23"] and len(asked) == 2


def test_a_cleared_screening_is_not_asked_again(qtbot: Any, window: Any) -> None:
    from trainer.drills.safety import questions, screen
    from trainer.drills.store import DrillStore

    DrillStore().save_screening(screen({q["id"]: False for q in questions()}))
    window.drills.ask_screening = lambda check: (_ for _ in ()).throw(AssertionError("asked"))
    assert window.drills.settle_checks(None, real_sensor=True)


def test_a_drill_on_a_real_sensor_updates_the_level(qtbot: Any, window: Any) -> None:
    from trainer.drills.catalog import get_drill
    from trainer.drills.store import DrillStore

    src = ScriptedSource(amp_deg=0.3)
    window.sources.real_sensor = True  # as after Connect (the red flags were answered)
    window.set_source(src, "device", label="scripted")
    window.start_drill(DrillSettings(duration_s=2.0, sets=1))
    wait_until(qtbot, lambda: window.drill_state() == "pain", 20)
    window.drills.rate_pain(1)
    assert window.drill_state() == "done"
    entry = DrillStore().all_progress()["single-leg-balance|left"]
    session_id = open_session(window.recording_path).meta["session_id"]
    assert entry["last_session"] == session_id
    assert "next time" in window.statusBar().currentMessage()
    assert DrillStore().progress(get_drill("single-leg-balance"), "left") is not None


def test_a_simulated_drill_never_changes_the_level(qtbot: Any, window: Any) -> None:
    from trainer.drills.store import DrillStore

    window.start_simulator(100.0)
    window.start_drill(DrillSettings(duration_s=2.0, sets=1))
    wait_until(qtbot, lambda: window.drill_state() == "pain", 20)
    window.drills.rate_pain(0)
    assert DrillStore().all_progress() == {}
    assert "progression is not changed" in window.statusBar().currentMessage()


def test_no_balance_losses_in_a_calf_raise(qtbot: Any, window: Any) -> None:
    """The pipeline follows the drill: a calf raise moves on purpose, nothing is a loss."""
    window.start_simulator(100.0, drill="calf-raise")
    assert not window.live.pipeline.config.detect_balance_losses
    window.start_drill(DrillSettings(drill_id="calf-raise", sets=1))
    assert not window.live.pipeline.config.detect_balance_losses
    assert window.live.pipeline.config.placement == "foot"
    wait_until(qtbot, lambda: window.live.latest_t_s is not None and window.live.latest_t_s > 8,
               30)
    window.drills.stop()
    window.drills.rate_pain(0)
    events = open_session(window.recording_path).events
    assert not [e for e in events if e["type"] == "balance_loss"]
    assert "Balance lost" not in window.cue.text()


def test_replay_shows_the_sessions_own_conditions_read_only(qtbot: Any, window: Any) -> None:
    path = ROOT / "recordings" / "single-leg-balance-eyes-closed-loss"
    assert window.open_replay(str(path))
    dp = window.drill_panel
    assert dp.eyes.currentText() == "closed" and dp.duration.value() == 45
    assert dp.side.currentText() == "right" and dp.drill.currentData() == "single-leg-balance"
    for w in (dp.drill, dp.side, dp.eyes, dp.surface, dp.sets, dp.duration, dp.start_button):
        assert not w.isEnabled()
    assert "read-only" in dp.replay_note.text() and dp.replay_note.isVisible()
    window.start_drill(dp.settings())
    assert window.drill_state() == "idle" and "read-only" in window.statusBar().currentMessage()
    window.start_simulator(100.0)  # back to choosing
    assert dp.drill.isEnabled() and not dp.replay_note.isVisible()
    assert dp.duration.value() == 30 and dp.eyes.currentText() == "open"
