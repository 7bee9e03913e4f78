"""Replay like a video: open, play/pause, speed, scrub, events; same numbers as an uninterrupted
replay; corrupt sessions are a message."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.trainer.ui.conftest import wait_until
from trainer.ui.live import AP, T


def test_open_play_pause_speed_and_seek(qtbot: Any, window: Any, session_dir: Path) -> None:
    assert window.open_replay(str(session_dir))
    rp = window.replay_panel
    assert rp.play_button.isEnabled() and rp.play_button.isChecked()
    assert "Replay" in window.source_label.text()
    assert not window.drill_panel.start_button.isEnabled()  # no drills/recording over a replay
    wait_until(qtbot, lambda: window.live.ring.count > 20)
    src = window.live.source
    rp.play_button.click()  # pause
    assert src.paused and not rp.play_button.isChecked()
    pos = src.position_s
    qtbot.wait(150)
    assert src.position_s == pytest.approx(pos)
    rp.speed.setCurrentIndex(rp.speed.findData(4.0))
    assert src.speed == 4.0
    rp.play_button.click()
    assert not src.paused
    window.seek(4.0)
    assert src.position_s == pytest.approx(4.0, abs=0.3)
    t = window.live.ring.view()[:, T]
    assert t[-1] - window.sources.session.start_t_s == pytest.approx(4.0, abs=0.05)
    wait_until(qtbot, lambda: src.finished, 5)
    wait_until(qtbot, lambda: not rp.play_button.isChecked())
    assert "0:06" in rp.time.text() or "0:05" in rp.time.text()
    rp.play_button.click()  # play again from the start
    assert src.position_s < 1.0
    # the recent list remembers it
    assert rp.recent.count() == 1 and Path(rp.recent.itemData(0)) == session_dir.resolve()


def test_seek_gives_the_same_tilt_as_an_uninterrupted_replay(qtbot: Any, window: Any,
                                                             session_dir: Path) -> None:
    from trainer.core.pipeline import Pipeline, PipelineConfig
    from trainer.recording import open_session

    s = open_session(session_dir)
    ref = Pipeline(PipelineConfig.for_session(
        sample_rate_hz=s.sample_rate_hz, drill_id=s.drill_id, placement=s.placement,
        side=s.side, calibration=s.calibration)).process(s.batch())
    window.open_replay(str(session_dir))
    window.sources.set_playing(False)
    window.seek(3.0)
    rows = window.live.ring.view()
    n = rows.shape[0]
    k = int(np.searchsorted(np.asarray(ref.t_s), rows[-1, T]))
    np.testing.assert_allclose(rows[:, AP], np.asarray(ref.tilt_ap_deg)[k + 1 - n:k + 1],
                               atol=1e-9)


def test_jump_to_events(qtbot: Any, window: Any, session_dir: Path) -> None:
    window.open_replay(str(session_dir))
    window.sources.set_playing(False)
    window.seek(0.5)
    window.replay_panel.next_button.click()  # the balance loss at 2.5 s: land 1 s before it
    assert window.live.source.position_s == pytest.approx(1.5, abs=0.05)
    assert "balance_loss" in window.statusBar().currentMessage()
    window.replay_panel.next_button.click()
    assert "drill_stop" in window.statusBar().currentMessage()
    window.replay_panel.prev_button.click()
    assert window.live.source.position_s == pytest.approx(1.5, abs=0.05)
    assert len(window.live.losses_t_s) == 0  # not reached yet
    window.seek(4.0)
    assert len(window.live.losses_t_s) == 1  # marker for the loss already passed


def test_corrupt_or_missing_session_is_a_message(qtbot: Any, window: Any,
                                                 tmp_path: Path, session_dir: Path) -> None:
    assert not window.open_replay(str(tmp_path / "nope"))
    assert "cannot replay" in window.statusBar().currentMessage()
    (session_dir / "session.json").write_text("{garbage")
    assert not window.open_replay(str(session_dir))
    assert "cannot replay" in window.statusBar().currentMessage()
    assert window.live is None and window.isVisible()


def test_truncated_session_replays_as_recovered(qtbot: Any, window: Any, tmp_path: Path) -> None:
    import json

    from tests.trainer.ui.conftest import record_session

    p = record_session(tmp_path / "killed", duration_s=3.0)
    meta = json.loads((p / "session.json").read_text())
    meta["status"] = "recording"  # the writer was killed
    (p / "session.json").write_text(json.dumps(meta))
    with (p / "imu.bin").open("ab") as fh:
        fh.write(b"\x01\x02\x03")  # a partial last record
    assert window.open_replay(str(p))
    assert "recovered" in window.statusBar().currentMessage()


def test_space_toggles_play_and_arrows_jump(qtbot: Any, window: Any, session_dir: Path) -> None:
    from PySide6.QtCore import Qt

    window.open_replay(str(session_dir))
    src = window.live.source
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert src.paused
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert not src.paused
    window.sources.set_playing(False)
    window.seek(0.5)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    assert src.position_s == pytest.approx(1.5, abs=0.05)


@pytest.mark.parametrize("name", ["single-leg-balance-eyes-open", "calf-raise-set",
                                  "isometric-eversion-holds"])
def test_the_shipped_sample_sessions_replay(qtbot: Any, window: Any, name: str) -> None:
    from tests.conftest import RECORDINGS

    path = RECORDINGS / name
    if not path.is_dir():
        pytest.skip(f"{path} not present")
    assert window.open_replay(str(path))
    window.sources.set_playing(False)
    window.seek(window.sources.session.duration_s / 2)
    rows = window.live.ring.view()
    assert rows.shape[0] > 100 and np.isfinite(rows[-50:, AP]).all()
    assert window.drill_panel.drill.currentData() == window.sources.session.drill_id
    window.redraw()
    # sway numbers and the sway view for the balance drill; a calf raise or holds move on
    # purpose: blank tiles, no sway view (the tilt plot shows the movement)
    balance = name.startswith("single-leg-balance")
    assert (window.metrics.text_of("ellipse_area") != "–") == balance
    assert window.sway.isVisibleTo(window) == balance
