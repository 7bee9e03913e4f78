"""The dashboard gives the sync jump its own step (issue 14 follow-up): with several sensors the
drill's banner asks for the jump and the countdown waits; "Skip the jump" (or Space) goes on at
once; the simulated person's landing is seen and the drill then starts by itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.trainer.ui.conftest import wait_until
from tests.trainer.ui.test_multi_connect import LEFT, RIGHT, TRUNK, choose, factory  # noqa: F401
from trainer.ui.settings import DrillSettings


def _jump_event(path: Path) -> dict[str, Any]:
    lines = [json.loads(x) for x in (Path(path) / "events.jsonl").open()]
    (jump,) = [e for e in lines if e["type"] == "sync_jump"]
    return jump


def test_the_drill_waits_for_the_jump_and_space_skips_it(
        qtbot: Any, window: Any, factory: Any) -> None:  # noqa: F811
    choose(window, [("left-shank", LEFT), ("right-shank", RIGHT), ("trunk", TRUNK)])
    window.device_panel.several.connect_button.click()
    wait_until(qtbot, lambda: window.sources.sensors is not None, 10)
    window.start_drill(DrillSettings(duration_s=1.0, sets=1))
    skip = window.drill_panel.skip_jump_button
    # the scripted sensors never jump: the banner asks, the countdown does not begin
    wait_until(qtbot, lambda: window.cue.text().startswith("Jump once on both feet"), 10)
    assert skip.isVisible() and window.drill_state() == "ready"
    assert window.drill.sync_waiting
    assert "waiting for the sync jump" in window.drill_panel.progress.format()
    window.space_pressed()  # Space skips the jump (it does not stop the drill)
    assert window.drills.active and not window.drill.sync_waiting
    wait_until(qtbot, lambda: window.drill_state() in ("countdown", "active"), 10)
    assert not skip.isVisible()
    wait_until(qtbot, lambda: window.drill_state() == "pain", 30)
    window.drills.rate_pain(0)
    jump = _jump_event(window.recording_path)
    assert jump["outcome"] == "skipped" and jump["landing_seen"] is False


def test_the_simulated_persons_landing_starts_the_drill(qtbot: Any, window: Any) -> None:
    choose(window, [("left-shank", ""), ("right-foot", ""), ("trunk", "")])
    window.device_panel.simulate_button.click()
    wait_until(qtbot, lambda: window.sources.sensors is not None, 10)
    window.start_drill(DrillSettings(duration_s=1.0, sets=1))
    wait_until(qtbot, lambda: window.drill_panel.skip_jump_button.isVisible(), 10)
    wait_until(qtbot, lambda: window.drill_state() in ("countdown", "active"), 15)
    assert not window.drill_panel.skip_jump_button.isVisible()
    wait_until(qtbot, lambda: window.drill_state() == "pain", 30)
    window.drills.rate_pain(0)
    jump = _jump_event(window.recording_path)
    assert jump["landing_seen"] is True and jump["outcome"] == "landed"
    lines = [json.loads(x) for x in (Path(window.recording_path) / "events.jsonl").open()]
    (start,) = [e for e in lines if e["type"] == "drill_start"]
    assert start["t_s"] >= jump["landing_t_s"] + 1.0  # after the landing and settling


def test_the_traces_stream_during_the_wait_and_the_jump_stays_drawn(
        qtbot: Any, window: Any) -> None:
    """Uncalibrated sensors know no tilt before a quiet second, which comes only after the
    landing: the traces (primary and extra sensors) stream during the wait all the same, the
    landing is marked on both plots, and the sway view shows no jump."""
    import numpy as np

    choose(window, [("left-shank", ""), ("right-foot", ""), ("trunk", "")])
    window.device_panel.simulate_button.click()
    wait_until(qtbot, lambda: window.sources.sensors is not None, 10)
    window.start_drill(DrillSettings(duration_s=8.0, sets=1))
    drill = window.drill
    wait_until(qtbot, lambda: drill.sync_waiting and (window.live.latest_t_s or 0) > 0.8, 10)
    # during the wait: the primary's and the extra sensors' tilt are drawn
    rows = window.live.ring.view()
    assert drill.sync_waiting and np.isfinite(rows[:, 1]).sum() >= 50
    tracks = window.sensor_plots.tracks
    for role in ("right-foot", "trunk"):
        assert np.isfinite(tracks.tracks[role].ring.view()[:, 1]).sum() >= 50
    x, _ = window.view.sway.trace.getData()
    assert x is None or len(x) == 0  # the sway view waits for the drill
    wait_until(qtbot, lambda: window.drill_state() in ("countdown", "active"), 15)
    landing = drill.sync.landing_t_s
    wait_until(qtbot, lambda: (window.live.latest_t_s or 0) > drill.sync.t_end_s + 0.5, 10)
    wait_until(qtbot, lambda: all(t.backfill.done for t in tracks.tracks.values()), 10)
    # after it: every row from the first sample has a tilt, the landing is marked on both plots
    rows = window.live.ring.view()
    assert rows[0, 0] < landing - 1.0 and np.isfinite(rows[:, 1]).all()
    for role in ("right-foot", "trunk"):
        view = tracks.tracks[role].ring.view()
        assert view[0, 0] < landing - 1.0 and np.isfinite(view[:, 1]).all()
    now = window.live.latest_t_s
    assert abs(window.view.time_plots.jump_mark.x - (landing - now)) < 0.5
    assert abs(window.sensor_plots.jump_mark.x - (landing - now)) < 0.5
    x, _ = window.view.sway.trace.getData()
    assert 0 < len(x) <= round((now - drill.sync.t_end_s) * 100) + 2  # only from the guide's start
