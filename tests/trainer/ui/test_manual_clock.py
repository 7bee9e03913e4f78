"""The dashboard on a manual clock (``MainWindow(clock=…)``, the window's timer off, one
``tick()`` a frame): a drill and a replay advance exactly as far as the test moves time, so what
is on screen at each moment is deterministic whatever the machine's load."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from tests.trainer.ui.conftest import record_session
from trainer.training.sources import SimSettings
from trainer.vocab.clock import ManualClock

FRAME_S = 1 / 64  # ~60 Hz, exact in binary: n frames are exactly n × FRAME_S seconds


@pytest.fixture
def clocked(qtbot: Any) -> Any:
    from trainer.ui.main_window import MainWindow

    clock = ManualClock(50.0)
    w = MainWindow(audio=False, clock=clock, sim=SimSettings(seed=2),
                   ask_screening=lambda check: True, ask_confirm=lambda check: True)
    w.timer.stop()
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    w.clock_ = clock
    yield w
    w.close()


def _run(w: Any, seconds: float) -> None:
    for _ in range(round(seconds / FRAME_S)):
        w.clock_.advance(FRAME_S)
        w.tick()


def test_a_drill_follows_the_manual_clock_frame_by_frame(clocked: Any) -> None:
    w = clocked
    w.choose_drill(drill="single-leg-balance", side="left")
    w.start_simulator(100.0)
    _run(w, 0.5)  # the preview streams half a second
    assert w.live.latest_t_s == pytest.approx(0.5, abs=0.02)
    w.drills.countdown_s = 3.0
    w.start_drill(w.drill_panel.settings())
    assert w.drill_state() == "ready" and w.recording_path is not None
    _run(w, 1.0)
    assert w.drill_state() == "countdown" and "Get ready" in w.cue.text()
    assert w.rec.recording
    _run(w, 2.5)  # past the 3 s countdown (the analysis goes in 0.1 s steps)
    assert w.drill_state() == "active"
    hold = float(w.drill.drill.params["hold_s"])
    left = w.drill.view()["remaining_s"]
    assert left == pytest.approx(hold - 0.5, abs=0.15)
    assert f"set 1/{w.drill.view()['n_sets']}" in w.drill_panel.progress.format()
    _run(w, 5.0)
    assert w.drill.view()["remaining_s"] == pytest.approx(left - 5.0, abs=0.15)
    # nothing moves while the clock stands still, however many frames are drawn
    t = w.live.latest_t_s
    for _ in range(50):
        w.tick()
    assert w.live.latest_t_s == t and w.drill.view()["remaining_s"] == pytest.approx(left - 5.0,
                                                                                      abs=0.15)
    w.drills.stop()
    assert w.drill_state() == "pain"
    w.drills.skip_pain()
    assert w.drill_state() == "done" and not w.rec.recording


def test_a_replay_plays_pauses_and_changes_speed_on_the_manual_clock(
        clocked: Any, session_dir: Path) -> None:
    w = clocked
    assert w.open_replay(str(session_dir))
    player = w.sources.player
    assert player is not None and player.duration_s > 5.0
    _run(w, 2.0)
    assert player.position_s == pytest.approx(2.0, abs=1e-6)
    w.sources.set_speed(2.0)
    _run(w, 1.0)
    assert player.position_s == pytest.approx(4.0, abs=1e-6)
    w.sources.set_playing(False)
    _run(w, 1.0)
    assert player.position_s == pytest.approx(4.0, abs=1e-6)
    assert w.replay_panel.time.text().startswith("0:04.0")
    w.seek(1.0)
    assert player.position_s == pytest.approx(1.0, abs=1e-6)
    w.sources.set_playing(True)
    _run(w, 0.5)
    assert player.position_s == pytest.approx(2.0, abs=1e-6)


def test_a_fast_replay_shows_the_sessions_sample_rate(clocked: Any, tmp_path: Path) -> None:
    """At 2x a 100 Hz replay delivers 200 samples a wall second; the sensor panel's rate is the
    session's, 100 / 100 Hz (it read "197 / 100 Hz")."""
    w = clocked
    assert w.open_replay(str(record_session(tmp_path / "long", duration_s=12.0)), speed=2.0)
    _run(w, 4.0)
    measured, nominal = w.device_panel.rate.text().removesuffix(" Hz").split(" / ")
    assert nominal == "100" and 90 <= float(measured) <= 110, w.device_panel.rate.text()


@pytest.mark.parametrize("drill, sway_shown", [("calf-raise", False), ("single-leg-balance", True)])
def test_sway_tiles_only_in_balance_drills(clocked: Any, drill: str, sway_shown: bool) -> None:
    w = clocked
    w.choose_drill(drill=drill, side="left")
    w.start_simulator(100.0)
    _run(w, 5.0)
    assert w.metrics.text_of("ellipse_area") != "–"  # the free view shows sway
    assert w.sway.isVisible()
    free_width = w.time_plots.tilt.width()
    w.drills.countdown_s = 1.0
    w.start_drill(w.drill_panel.settings())
    _run(w, 8.0)
    assert w.drill_state() == "active"
    shown = [w.metrics.text_of(k) != "–" for k in ("ellipse_area", "mean_velocity", "losses")]
    assert shown == [sway_shown] * 3
    assert w.metrics.text_of("time_left_s") != "–"
    # the sway view too: no target, ellipse or trace while a calf raise moves on purpose —
    # the view is hidden (the tilt plot, the movement itself, takes its room), the tilt plot's
    # target band with it
    assert w.sway.isVisible() == sway_shown
    assert all(line.isVisible() == sway_shown for line in w.time_plots.band)
    QApplication.processEvents()  # the layout follows
    assert (w.time_plots.tilt.width() > 1.3 * free_width) == (not sway_shown)
    w.drills.stop()
    w.drills.skip_pain()
    _run(w, 0.5)
    assert w.sway.isVisible() and all(line.isVisible() for line in w.time_plots.band)


@pytest.mark.parametrize("recording, sway_shown", [("calf-raise-set", False),
                                                   ("single-leg-balance-eyes-open", True)])
def test_a_replay_shows_sway_only_for_a_balance_drill(clocked: Any, recording: str,
                                                      sway_shown: bool) -> None:
    w = clocked
    root = Path(__file__).resolve().parents[3] / "recordings" / recording
    assert w.open_replay(str(root))
    _run(w, 3.0)
    assert w.live.latest_t_s is not None and w.live.latest_t_s > 2.0
    assert w.sway.isVisible() == sway_shown
    assert (w.metrics.text_of("ellipse_area") != "–") == sway_shown
    # the tilt plot has room for the movement (a calf raise tilts the foot 20° and more)
    _lo, hi = w.time_plots.tilt.getPlotItem().vb.viewRange()[1]
    assert hi == pytest.approx(w.view.feedback.range_deg if sway_shown else 30.0)
    # live again (eyes and surface "not recorded" in the replay: the simulator takes the
    # defaults): the free view shows sway
    w.start_simulator(100.0)
    _run(w, 0.5)
    assert w.sources.kind == "simulated", w.statusBar().currentMessage()
    assert w.sway.isVisible()
    assert w.drill_panel.eyes.currentText() == "open"
    assert w.time_plots.tilt.getPlotItem().vb.viewRange()[1][1] == pytest.approx(
        w.view.feedback.range_deg)


def test_the_calf_raise_banner_shows_the_rep_count_once(clocked: Any) -> None:
    import re

    w = clocked
    w.choose_drill(drill="calf-raise", side="right")
    w.start_simulator(100.0)
    _run(w, 0.5)
    w.drills.countdown_s = 1.0
    w.start_drill(w.drill_panel.settings())
    banners: list[str] = []
    for _ in range(40):  # up to 20 s, 0.5 s at a time, until two reps are counted
        _run(w, 0.5)
        banners.append(w.cue.text())
        if w.drill.view().get("reps", 0) and w.drill.view()["reps"] >= 2:
            break
    counted = [b for b in banners if re.search(r"\d+\s*/\s*\d+", b)]
    assert counted, banners
    for b in counted:
        assert len(re.findall(r"\d+\s*/\s*\d+", b)) == 1, b
    assert re.fullmatch(r"Calf raise — [12] / \d+", counted[-1]), counted[-1]
    w.drills.stop()
    w.drills.skip_pain()


def test_the_extra_sensors_plot_has_the_primarys_range_in_a_movement_drill(clocked: Any) -> None:
    """A calf raise widens the primary's tilt plot to ±30°; the other sensors' plot (under it,
    on the same time axis) gets the same range, and both go back to the sway scale after."""
    w = clocked
    w.choose_drill(drill="calf-raise", side="left")
    w.start_simulator(100.0, roles=("left-shank", "right-shank", "trunk"))
    _run(w, 1.0)
    assert set(w.sensor_plots.plots) == {"right-shank", "trunk"}

    def ranges() -> tuple[float, float]:
        return (w.time_plots.tilt.getPlotItem().vb.viewRange()[1][1],
                w.sensor_plots.plot.getPlotItem().vb.viewRange()[1][1])

    scale = w.view.feedback.range_deg
    assert ranges() == pytest.approx((scale, scale))
    w.drills.countdown_s = 1.0
    w.start_drill(w.drill_panel.settings())
    _run(w, 3.0 + 2.5)  # several sensors: the sync jump first (the landing 1.5 s in, +1 s)
    assert w.drill_state() == "active" and not w.sway.isVisible()
    assert ranges() == pytest.approx((30.0, 30.0))
    w.drills.stop()
    w.drills.skip_pain()
    _run(w, 0.5)
    assert ranges() == pytest.approx((scale, scale))
    # the feedback panel's scale moves both
    w.feedback_panel.scale.setCurrentIndex(w.feedback_panel.scale.findData(15.0))
    assert ranges() == pytest.approx((15.0, 15.0))
