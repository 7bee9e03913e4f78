"""One training session behind both front ends: the same simulated input (seed, drill, side,
rate) through `balance-trainer record` and through the dashboard's path (MainWindow, simulator,
Start, pain skipped) gives the same events.jsonl and the same drill result."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from trainer.cli.main import main

SEED = 5
RATE = 100.0
SPEED = 40.0  # the simulator's clock, both paths: a ~2-minute drill in a few seconds


def _events(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (path / "events.jsonl").read_text().splitlines()]


def _rounded(value: Any) -> Any:
    """Times to 1 ms, other floats to 1e-9 (relative), recursively."""
    if isinstance(value, float):
        return value if not math.isfinite(value) else float(f"{value:.9g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def _comparable(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each line with its time in ms, in time order. (Lines are written as they are known: a
    rep confirmed a second after its start may come after a battery report that arrived with
    the batch before — which depends on how often the front end polls. In time order, the two
    files must be the same line for line.)"""
    out = []
    for e in events:
        d = {k: _rounded(v) for k, v in e.items() if k != "t_s"}
        d["t_ms"] = round(float(e["t_s"]) * 1000)
        out.append(d)
    return sorted(out, key=lambda d: d["t_ms"])


FRAME_S = 0.016  # the dashboard's frame period, on the manual clock


def _dashboard(qtbot: Any, drill: str, side: str) -> Path:
    """The dashboard's path frame by frame on a manual clock (the window's timer is off): the
    same frames whatever the machine's load."""
    from trainer.training.sources import SimSettings
    from trainer.ui.main_window import MainWindow
    from trainer.vocab.clock import ManualClock

    clock = ManualClock(100.0)
    w = MainWindow(audio=False, sim=SimSettings(seed=SEED, losses_per_min=1.5, speed=SPEED),
                   clock=clock)
    w.timer.stop()
    qtbot.addWidget(w)
    w.show()
    try:
        w.choose_drill(drill=drill, side=side)
        w.start_simulator(RATE)
        w.start_drill(w.drill_panel.settings())
        assert w.drill_state() == "ready" and w.recording_path is not None
        for _ in range(round(600 / SPEED / FRAME_S)):  # at most 10 simulated minutes
            clock.advance(FRAME_S)
            w.tick()
            if w.drill_state() == "pain":
                break
        assert w.drill_state() == "pain"
        w.drill_panel.pain.skip_button.click()  # as `record` off a terminal: no rating
        assert w.drill_state() == "done"
        return Path(w.recording_path)
    finally:
        w.close()


@pytest.mark.slow
@pytest.mark.parametrize(("drill", "side"), [("single-leg-balance", "right"),
                                             ("calf-raise", "left")])
def test_record_and_the_dashboard_write_the_same_events_and_result(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, qtbot: Any, drill: str,
        side: str) -> None:
    from trainer.recording import open_session

    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "recorded"
    assert main(["record", "--simulate", "--seed", str(SEED), "--sim-losses", "1.5",
                 "--sim-speed", str(SPEED), "--rate", str(RATE), "--drill", drill, "--side",
                 side, "--out", str(out), "--quiet"]) == 0
    shown = _dashboard(qtbot, drill, side)

    rec, dash = _events(out), _events(shown)
    types = [e["type"] for e in rec]
    assert types[0] == "drill_start" and "set_end" in types and types[-1] == "drill_end"
    assert _comparable(dash) == _comparable(rec)
    (end_rec,), (end_dash,) = (open_session(p).events_of("drill_end") for p in (out, shown))
    assert end_dash["result"] == end_rec["result"] and end_rec["pain_skipped"] is True
    if drill == "single-leg-balance":  # losses are detected (and only in balance drills)
        assert "balance_loss" in types
    else:
        assert "balance_loss" not in types and end_rec["result"]["reps"] > 0
    s_rec, s_dash = open_session(out), open_session(shown)
    assert s_rec.status == s_dash.status == "complete"
    assert s_rec.n_samples == s_dash.n_samples
    assert s_dash.meta["drill"] == s_rec.meta["drill"]
    # running sums over differently sized batches: equal to rounding
    assert _rounded(s_dash.meta["summary"]) == _rounded(s_rec.meta["summary"])
