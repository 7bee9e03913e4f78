"""The live view with real parts: simulator or a scripted source, the pipeline, the recorder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from tests.trainer.ui.conftest import DeviceSources, ScriptedSource, use_scripted, wait_until
from trainer.feedback import ZONE_COLOURS, Zone
from trainer.recording import open_session
from trainer.ui.live import AP
from trainer.ui.settings import DrillSettings
from trainer.vocab.source import SourceStatus


def wait_tilt(qtbot: Any, window: Any) -> None:
    wait_until(qtbot, lambda: window.live.ring.count > 0
               and np.isfinite(window.live.ring.latest()[AP]))


def brush_rgb(window: Any) -> tuple[int, int, int] | None:
    return window.sway.dot_rgb()


def test_simulator_streams_into_plots_and_big_numbers(qtbot: Any, window: Any) -> None:
    window.start_simulator(200.0)
    wait_until(qtbot, lambda: window.live.ring.count > 300)
    wait_until(qtbot, lambda: window.metrics.text_of("ellipse_area") != "–")
    x, _y = window.time_plots.ap.getData()
    assert x is not None and len(x) > 300 and x[-1] == 0.0 and x[0] < 0
    assert window.view.frames > 5
    assert "simulated" in window.device_panel.state.text()
    wait_until(qtbot, lambda: window.device_panel.rate.text().startswith(("1", "2")))
    assert window.device_panel.battery.text() == "100 %"
    # fixed ranges: streaming never autoranges
    assert window.time_plots.tilt.getPlotItem().viewRange()[0] == [-10.0, 0.0]


def test_dot_colour_follows_the_target_zone(qtbot: Any, window: Any) -> None:
    src = ScriptedSource(amp_deg=0.2)
    use_scripted(window, src)
    wait_tilt(qtbot, window)  # the vertical reference (first quiet second) is found
    wait_until(qtbot, lambda: brush_rgb(window) == ZONE_COLOURS[Zone.INSIDE])
    src.offset_deg = (2.6, 0.0)  # inside the 3° target but in the outer band
    wait_until(qtbot, lambda: brush_rgb(window) == ZONE_COLOURS[Zone.NEAR])
    src.offset_deg = (0.0, 5.0)
    wait_until(qtbot, lambda: brush_rgb(window) == ZONE_COLOURS[Zone.OUTSIDE])
    # the dot is drawn where the user leans: +ML (left) is screen-left
    x, y = window.sway.dot_position()
    assert x < -4 and abs(y) < 1
    # switching the colour off keeps the dot but neutral
    window.feedback_panel.visual.setChecked(False)
    wait_until(qtbot, lambda: brush_rgb(window) == (150, 150, 150))


def test_feedback_fading_bandwidth_hides_colour_inside(qtbot: Any, window: Any) -> None:
    src = ScriptedSource(amp_deg=0.2)
    use_scripted(window, src)
    wait_tilt(qtbot, window)
    window.feedback_panel.mode.setCurrentIndex(window.feedback_panel.mode.findData("bandwidth"))
    window.start_drill(DrillSettings(duration_s=30, record=False, sets=1))
    wait_until(qtbot, lambda: window.drill_state() == "active")
    wait_until(qtbot, lambda: brush_rgb(window) == (150, 150, 150))
    src.offset_deg = (5.0, 0.0)
    wait_until(qtbot, lambda: brush_rgb(window) == ZONE_COLOURS[Zone.OUTSIDE])
    window.drills.stop()


def test_guided_drill_countdown_recording_pain_and_summary(qtbot: Any, window: Any,
                                                          isolated_home: Path) -> None:
    window.start_simulator(100.0)
    wait_until(qtbot, lambda: window.live.latest_t_s is not None)
    window.start_drill(DrillSettings(duration_s=1.0, side="right", sets=1))
    assert window.drill_panel.start_button.text() == "Stop"
    assert "Get ready" in window.cue.text()
    assert window.rec.recording and "REC" in window.rec.label.text()
    path = window.recording_path
    assert path is not None and path.is_dir()
    wait_until(qtbot, lambda: window.drill_state() == "active")
    wait_until(qtbot, lambda: window.drill_state() == "pain", 6)
    assert window.drill_panel.pain.isVisible()
    assert not window.drill_panel.start_button.isEnabled()
    window.drill_panel.pain.buttons[2].click()
    assert window.drill_state() == "done"
    assert not window.rec.recording and not window.drill_panel.pain.isVisible()
    assert window.drill_panel.start_button.text() == "Start"
    assert window.cue.text().startswith("Done!")
    s = open_session(path)
    assert s.status == "complete" and s.side == "right" and s.n_samples > 50
    types = [e["type"] for e in s.events]
    for t in ("drill_start", "set_start", "set_end", "pain_rating", "drill_end"):
        assert t in types
    summary = s.meta["summary"]
    # a 1 s trial has no steady state (sway from 3 s after Go): no sway metrics, by definition
    assert summary["losses"] == 0 and "ellipse_area" not in summary
    assert [tr["trial"] for tr in summary["sway_trials"]] == [1]
    assert summary["result"]["pain"] == 2
    assert path.parent == isolated_home / "data" / "sessions"


def test_drill_panel_takes_the_drill_defaults(qtbot: Any, window: Any) -> None:
    dp = window.drill_panel
    dp.drill.setCurrentIndex(dp.drill.findData("calf-raise"))
    # the user's level (a fresh home: calf raise level 0, 2 sets), as `record` runs it
    assert not dp.duration.isEnabled() and not dp.eyes.isEnabled() and dp.sets.value() == 2
    assert not dp.form.isRowVisible(dp.duration)  # reps: no "Hold" field at all
    dp.drill.setCurrentIndex(dp.drill.findData("single-leg-balance"))
    assert dp.duration.isEnabled() and dp.eyes.isEnabled() and dp.duration.value() == 30
    assert dp.form.isRowVisible(dp.duration)
    assert dp.settings().sets == 3


def test_device_panel_shows_link_states(qtbot: Any, window: Any) -> None:
    src = ScriptedSource()
    use_scripted(window, src)
    wait_until(qtbot, lambda: "streaming" in window.device_panel.state.text())
    src.pending += [SourceStatus("battery", "", None, {"percent": 42.0}),
                    SourceStatus("rssi", "", None, {"rssi": -71})]
    wait_until(qtbot, lambda: window.device_panel.battery.text() == "42 %")
    assert window.device_panel.rssi.text() == "-71 dBm"
    src.pending.append(SourceStatus("reconnecting", "link lost, retrying"))
    wait_until(qtbot, lambda: "reconnecting" in window.device_panel.state.text())
    assert "reconnecting" in window.statusBar().currentMessage()
    src.pending.append(SourceStatus("restored", "after 1.2 s"))
    wait_until(qtbot, lambda: "streaming" in window.device_panel.state.text())
    window.disconnect_source()
    assert src.stopped and window.device_panel.state.text() == "disconnected"


def test_a_failing_sensor_never_freezes_and_the_recording_keeps_its_data(
        qtbot: Any, window: Any) -> None:
    src = ScriptedSource()
    use_scripted(window, src)
    window.start_drill(DrillSettings(duration_s=60, sets=1))
    wait_until(qtbot, lambda: window.rec.recording)
    path = window.recording_path
    wait_until(qtbot, lambda: window.live.recorder is not None
               and window.live.recorder.n_samples > 50)
    src.fail_with = RuntimeError("BLE adapter error")
    wait_until(qtbot, lambda: "BLE adapter error" in window.statusBar().currentMessage())
    frames = window.view.frames
    window.drills.stop()  # the user stops: pain rating, then the recording keeps what it has
    assert window.drill_state() == "pain"
    window.drills.rate_pain(0)
    assert not window.rec.recording
    s = open_session(path)
    assert s.status == "complete" and s.n_samples > 50
    qtbot.wait(100)
    window.redraw()
    assert window.view.frames > frames  # still alive
    assert window.device_panel.state.text().startswith("error")


def test_bad_device_and_scan_without_bluetooth_are_messages(qtbot: Any, window: Any) -> None:
    window.connect_device("not-an-address")
    assert "connecting" in window.device_panel.state.text()  # did not block
    wait_until(qtbot, lambda: window.device_panel.state.text().startswith("error"), 20)
    assert "not a Bluetooth address" in window.statusBar().currentMessage()
    window.device_panel.scan_button.click()
    wait_until(qtbot, lambda: window.device_panel.scan_button.isEnabled(), 20)
    assert window.statusBar().currentMessage()


def test_connect_streams_the_device_with_its_link_statistics(
        qtbot: Any, window: Any) -> None:
    src = ScriptedSource()
    window.sources.factory = DeviceSources(lambda address: src)
    window.connect_device("C4:7C:8D:6A:01:23")
    wait_until(qtbot, lambda: window.sources.kind == "device" and window.live is not None)
    assert "C4:7C:8D:6A:01:23" in window.source_label.text()
    src.pending.append(SourceStatus("link", "", None, {"rssi_dbm": -58, "battery_pct": 77,
                                                        "loss_pct": 2.5}))
    wait_until(qtbot, lambda: window.device_panel.rssi.text() == "-58 dBm")
    assert window.device_panel.battery.text() == "77 %"
    wait_until(qtbot, lambda: window.device_panel.loss.text() == "2.5 %")


def test_audio_unavailable_is_said_and_disabled(qtbot: Any) -> None:
    from trainer.ui.main_window import MainWindow

    w = MainWindow(audio=True)
    qtbot.addWidget(w)
    if w.audio is not None and w.audio.available:  # a machine with a sound card
        assert w.feedback_panel.audio.isEnabled()
    else:
        assert not w.feedback_panel.audio.isEnabled()
        assert "no sound" in w.feedback_panel.audio.toolTip()
    w.close()


def test_target_and_scale_settings_apply(qtbot: Any, window: Any) -> None:
    window.feedback_panel.radius.setValue(5.0)
    x, _y = window.sway.target.getData()
    assert max(x) == 5.0
    window.feedback_panel.scale.setCurrentIndex(window.feedback_panel.scale.findData(15.0))
    assert window.sway.range_deg == 15.0
    assert window.time_plots.tilt.getPlotItem().viewRange()[1] == [-15.0, 15.0]


def test_a_drill_on_the_other_leg_restarts_the_pipeline_for_it(qtbot: Any, window: Any) -> None:
    window.start_simulator(100.0)  # left shank
    wait_until(qtbot, lambda: window.live.latest_t_s is not None)
    assert window.live.pipeline.config.side == "left"
    window.start_drill(DrillSettings(side="right", duration_s=5, record=False, sets=1))
    assert window.live.pipeline.config.side == "right"
    assert window.sway.ml_screen_sign == 1.0 and window.view.sonify.ml_sign == 1.0
    window.drills.stop()
    window.drills.rate_pain(0)
    window.start_drill(DrillSettings(drill_id="calf-raise", side="right", record=False, sets=1))
    assert window.live.pipeline.config.placement == "foot"


def test_tools_menu_opens_the_calibration_wizard(qtbot: Any, window: Any) -> None:
    window.calibrate_action.trigger()
    wizard = window._wizard
    assert wizard.isVisible() and wizard.side == "left" and wizard.address is None
    wizard.close()


def test_m_adds_a_marker_to_the_recording(qtbot: Any, window: Any) -> None:
    from PySide6.QtCore import Qt

    window.drills.user_event("marker")
    assert "start a drill" in window.statusBar().currentMessage()
    use_scripted(window, ScriptedSource())
    window.start_drill(DrillSettings(duration_s=30, sets=1))
    wait_until(qtbot, lambda: window.live.latest_t_s is not None)
    path = window.recording_path
    qtbot.keyClick(window, Qt.Key.Key_M)
    assert "marker 1" in window.statusBar().currentMessage()
    window.drills.stop()
    window.drills.rate_pain(0)
    markers = [e for e in open_session(path).events if e["type"] == "marker"]
    assert len(markers) == 1 and markers[0]["label"] == "marker 1"


def test_touchdown_key_marks_a_user_touchdown(qtbot: Any, window: Any,
                                              isolated_home: Path) -> None:
    window.start_simulator(100.0)
    wait_until(qtbot, lambda: window.live.latest_t_s is not None)
    window.start_drill(DrillSettings(duration_s=2.0, side="left", sets=1))
    path = window.recording_path
    wait_until(qtbot, lambda: window.drill_state() == "active")
    window.touchdown_action.trigger()  # the T key
    wait_until(qtbot, lambda: window.drill_state() == "pain", 8)
    window.drill_panel.pain.buttons[1].click()
    s = open_session(path)
    marks = [e for e in s.events if e["type"] == "user_touchdown"]
    assert len(marks) == 1
    starts = [e["t_s"] for e in s.events if e["type"] == "set_start"]
    assert marks[0]["t_s"] >= starts[0]
    trials = s.meta["summary"]["sway_trials"]
    assert trials[0]["ended_by"] == "user_touchdown"


def test_a_drill_that_does_not_start_leaves_no_session_folder(qtbot: Any, window: Any,
                                                                isolated_home: Path) -> None:
    """The folder is reserved when its name is chosen (two sessions in one second each get
    their own); a drill the pre-start checks stop gives it back."""
    window.start_simulator(100.0)
    wait_until(qtbot, lambda: window.live.latest_t_s is not None)
    window.drills.settle_checks = lambda *a, **k: False  # e.g. the red flags answered "yes"
    window.start_drill(DrillSettings(duration_s=1.0, sets=1))
    assert window.drills.drill is None
    sessions = isolated_home / "data" / "sessions"
    assert not sessions.exists() or list(sessions.iterdir()) == []
