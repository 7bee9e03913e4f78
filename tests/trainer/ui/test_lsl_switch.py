"""The dashboard's LSL switch: off by default; on, the live view and then a recorded drill stream
samples and events to a real pylsl inlet, one stream across the drill; off again, the stream is
gone. Own stream prefix per test (other tests may stream on this machine)."""

from __future__ import annotations

import json
import time
from typing import Any

import numpy as np
import pytest

from tests.trainer.ui.conftest import ScriptedSource, use_scripted, wait_until
from trainer.lsl import LslUnavailable
from trainer.ui.settings import DrillSettings

TIMEOUT_S = 20.0


def pull_until(qtbot: Any, inlet: Any, cond: Any, timeout_s: float = TIMEOUT_S
               ) -> tuple[list[Any], list[float]]:
    """Pull while the window runs until ``cond(rows)`` holds."""
    rows: list[Any] = []
    stamps: list[float] = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        chunk, ts = inlet.pull_chunk(timeout=0.0)
        rows += chunk
        stamps += ts
        if cond(rows):
            return rows, stamps
        qtbot.wait(30)
    raise AssertionError(f"only {len(rows)} rows received")


def test_lsl_switch_streams_the_live_view_and_the_drill(qtbot: Any, window: Any,
                                                        lsl_prefix: tuple[Any, str]) -> None:
    lsl, prefix = lsl_prefix
    src = ScriptedSource(amp_deg=0.5)
    use_scripted(window, src)
    wait_until(qtbot, lambda: window.live.ring.count > 20)
    assert not window.lsl.action.isChecked() and window.lsl.sink is None  # off by default

    window.lsl.checkbox.setChecked(True)  # the checkbox and the menu action are one switch
    assert window.lsl.action.isChecked()
    wait_until(qtbot, lambda: window.lsl.sink is not None
               and bool(window.lsl.sink.outlet.stream_names))
    found = lsl.resolve_byprop("name", f"{prefix}-left-shank", 1, TIMEOUT_S)
    assert found
    inlet = lsl.StreamInlet(found[0], max_buflen=60, processing_flags=0)
    inlet.open_stream(TIMEOUT_S)
    offset = window.lsl.sink.outlet.offset_s
    rows, stamps = pull_until(qtbot, inlet, lambda r: len(r) >= 30)
    # the scripted sensor's samples, on its clock: sample k at t = k / rate
    t = np.asarray(stamps) - offset
    k = np.round(t * src.rate).astype(int)
    np.testing.assert_allclose(t, k / src.rate, atol=1e-6)
    assert np.all(np.diff(k) == 1)
    ap = np.radians(src.amp_deg * np.sin(2 * np.pi * 0.5 * t))
    np.testing.assert_allclose(np.asarray(rows)[:, 0], np.sin(ap), atol=1e-6)
    assert "LSL" in window.lsl.status_text()

    # a recorded drill: the same stream goes on; its events arrive as markers
    window.start_drill(DrillSettings(duration_s=30, record=True, sets=1))
    wait_until(qtbot, lambda: window.drill_state() == "active")
    found = lsl.resolve_byprop("name", f"{prefix}-events", 1, TIMEOUT_S)
    assert found
    markers = lsl.StreamInlet(found[0], max_buflen=60, processing_flags=0)
    markers.open_stream(TIMEOUT_S)
    qtbot.wait(100)
    window.drills.user_event("marker")
    lines, _ = pull_until(qtbot, markers,
                          lambda r: any(json.loads(x[0])["type"] == "marker" for x in r))
    marker = next(json.loads(x[0]) for x in lines if json.loads(x[0])["type"] == "marker")
    assert marker["label"] == "marker 1"
    pull_until(qtbot, inlet, lambda r: len(r) >= 20)  # samples go on during the drill
    assert window.lsl.sink in window.live.session.sinks
    window.drills.stop()

    window.lsl.action.setChecked(False)  # off: the outlets are closed
    assert window.lsl.sink is None and not window.lsl.checkbox.isChecked()
    assert window.lsl.sink not in window.live.session.sinks


def test_without_liblsl_the_switch_is_greyed_out_with_the_reason(
        qtbot: Any, window: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import trainer.lsl

    def broken() -> None:
        raise LslUnavailable("liblsl could not be loaded (test)")

    monkeypatch.setattr(trainer.lsl, "load_pylsl", broken)
    window.lsl.action.setChecked(True)
    assert not window.lsl.action.isChecked() and not window.lsl.action.isEnabled()
    assert not window.lsl.checkbox.isEnabled()
    assert "liblsl could not be loaded" in window.lsl.checkbox.toolTip()
    assert window.lsl.sink is None
