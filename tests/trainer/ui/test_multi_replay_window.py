"""`dashboard --replay` of a session with several sensors (issue 14): every sensor plays on the
session clock and the extra sensors' traces show as live; a seek moves them all; each sensor's
recorded calibration is applied to its trace."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.trainer.recording.test_multi_replay import three_sensor_session
from tests.trainer.ui.conftest import wait_until
from trainer.ui.multi_live import T


@pytest.fixture
def three(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"  # the window's isolated home stays the same
    path = three_sensor_session(tmp_path / "three", monkeypatch)
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(home))
    return path


def test_replay_plays_every_sensor_and_seeks_them_all(qtbot: Any, window: Any,
                                                      three: Path) -> None:
    assert window.open_replay(str(three), 4.0)
    plots = window.sensor_plots
    wait_until(qtbot, lambda: set(plots.roles) == {"right-foot", "trunk"}, 10)
    assert "left-shank (analysed)" in window.time_plots.tilt.getPlotItem().titleLabel.text
    tracks = plots.tracks
    wait_until(qtbot, lambda: window.live.latest_t_s is not None
               and tracks.tracks["trunk"].ring.count > 300, 20)
    # on the session clock: the extras' newest samples are where the primary's is
    t_primary = window.live.latest_t_s
    for role in ("right-foot", "trunk"):
        assert abs(tracks.tracks[role].ring.latest()[T] - t_primary) < 0.1, role
    assert window.device_panel.several.isChecked()
    wait_until(qtbot, lambda: sum(lab.isVisible() for lab in window.device_panel.several.links)
               == 3, 5)

    def rates() -> list[float]:  # each row's "… · 100/100 Hz · …": the measured part
        return [float(lab.text().split(" Hz")[0].split(" · ")[-1].split("/")[0])
                for lab in window.device_panel.several.links if lab.isVisible()]

    # at 4x each sensor delivers ~400 samples a wall second; the rows give the session's rate
    wait_until(qtbot, lambda: len(rates()) == 3 and all(r > 0 for r in rates()), 10)
    assert all(r < 200 for r in rates()), rates()

    t0 = window.sources.session.start_t_s
    window.seek(15.0)  # forward: every sensor jumps, the extras with their history
    wait_until(qtbot, lambda: tracks.tracks["trunk"].ring.count > 0
               and tracks.tracks["trunk"].ring.latest()[T] > t0 + 15.0, 10)
    rows = tracks.tracks["trunk"].ring.view()
    assert rows[0, T] < t0 + 6.0  # the 10 s before the position, as the primary's keyframes
    assert not np.any(rows[:, T] < t0 + 4.9)
    wait_until(qtbot, lambda: np.isfinite(tracks.tracks["trunk"].ring.latest()[1]), 10)
    window.seek(2.0)  # and back
    wait_until(qtbot, lambda: tracks.tracks["right-foot"].ring.count > 0
               and tracks.tracks["right-foot"].ring.latest()[T] < t0 + 6.0, 10)
    assert window.live.latest_t_s is not None and window.live.latest_t_s < t0 + 6.0


def test_each_sensors_recorded_calibration_reaches_its_trace(qtbot: Any, window: Any,
                                                             three: Path) -> None:
    import json

    meta = json.loads((three / "session.json").read_text())
    for entry in meta["sensors"]:
        if entry["role"] == "trunk":
            entry["calibration"]["gyro_bias_dps"] = [0.5, -0.25, 0.125]
    (three / "session.json").write_text(json.dumps(meta))
    assert window.open_replay(str(three))
    wait_until(qtbot, lambda: window.sensor_plots.tracks is not None, 10)
    cal = window.sensor_plots.tracks.tracks["trunk"].pipeline.config.calibration
    assert cal is not None and list(cal.gyro_bias_dps) == [0.5, -0.25, 0.125]
