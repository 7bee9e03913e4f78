"""Biofeedback wiring in the window: the sound follows the tilt, fading removes live feedback."""

from __future__ import annotations

from typing import Any

import pytest

from tests.trainer.ui.conftest import ScriptedSource, use_scripted, wait_until
from tests.trainer.ui.test_main_window import wait_tilt
from trainer.feedback import SonificationParams, Synth
from trainer.ui.guided import progress
from trainer.ui.settings import DrillSettings


class SilentAudio:
    """AudioFeedback without a sound card: the real Synth, no PortAudio stream."""

    available = True
    reason = ""

    def __init__(self) -> None:
        self.synth = Synth(8000)
        self.playing = False

    def start(self) -> bool:
        self.playing = True
        return True

    def stop(self) -> None:
        self.playing = False


def test_sound_follows_tilt_and_is_silent_in_the_dead_zone(qtbot: Any, window: Any) -> None:
    window.audio = window.view.audio = SilentAudio()
    window.view.sonify = SonificationParams(dead_zone_deg=1.0, saturation_deg=6.0, ml_sign=-1)
    window.feedback_panel.audio.setEnabled(True)
    window.feedback_panel.audio.setChecked(True)
    assert window.audio.playing
    src = ScriptedSource(amp_deg=0.1)
    use_scripted(window, src)
    wait_tilt(qtbot, window)
    window.audio.synth.render(8000)
    assert window.audio.synth.current[2] == pytest.approx(0.0, abs=1e-6)  # dead zone: silent
    src.offset_deg = (4.0, 3.0)  # forward and to the left
    qtbot.wait(200)
    window.audio.synth.render(8000)
    freq, pan, gain = window.audio.synth.current
    assert freq > 440 and pan < 0 and gain > 0.05
    window.feedback_panel.audio.setChecked(False)
    assert not window.audio.playing


def test_fading_reaches_no_live_feedback(qtbot: Any, window: Any) -> None:
    src = ScriptedSource(amp_deg=0.2)
    use_scripted(window, src)
    wait_tilt(qtbot, window)
    window.feedback_panel.mode.setCurrentIndex(window.feedback_panel.mode.findData("fading"))
    window.start_drill(DrillSettings(duration_s=1.5, record=False, sets=1))
    wait_until(qtbot, lambda: window.drill_state() == "active")
    wait_until(qtbot, lambda: window.sway.dot_rgb() is not None)  # first third: shown
    wait_until(qtbot, lambda: progress(window.drill.drill) > 0.7, 5)
    wait_until(qtbot, lambda: window.sway.dot_rgb() is None)  # last third: hidden
    window.drills.stop()


def test_drill_cues_beep_when_sound_is_on(qtbot: Any, window: Any) -> None:
    window.audio = window.view.audio = SilentAudio()
    window.feedback_panel.audio.setEnabled(True)
    window.feedback_panel.audio.setChecked(True)
    use_scripted(window, ScriptedSource(amp_deg=0.2))
    wait_tilt(qtbot, window)
    window.start_drill(DrillSettings(duration_s=5, record=False, sets=1))
    wait_until(qtbot, lambda: window.drill_state() == "active")
    assert window.audio.synth._beeps  # countdown ticks / the start beep are queued
    window.drills.stop()
