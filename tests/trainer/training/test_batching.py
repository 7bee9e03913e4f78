"""What a training session records depends on the data only, never on how much data each
``pump`` finds (the front end's polling, the machine's load): the same simulated drill pumped
in small and in large portions writes the same events.jsonl and the same samples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trainer.training.session import TrainingPlan, TrainingSession, drill_guide, follow_guide
from trainer.training.sources import SimSettings, simulated_source
from trainer.vocab.clock import ManualClock


def _record(tmp_path: Path, drill: str, data_per_pump_s: float) -> tuple[list[Any], int]:
    """The drill through a TrainingSession, the simulator (real time on a manual clock) pumped
    after every ``data_per_pump_s`` seconds of data."""
    clock = ManualClock()
    out = tmp_path / f"{drill}-{data_per_pump_s}"
    plan = TrainingPlan(drill_id=drill, side="right", out=out)
    guide = drill_guide(plan, 100.0)
    src = follow_guide(simulated_source(rate_hz=100.0, drill_id=drill, side="right",
                                        sim=SimSettings(seed=5, losses_per_min=1.5),
                                        clock=clock), guide)
    session = TrainingSession(src, plan, guide=guide)
    session.start()
    for _ in range(round(900 / data_per_pump_s)):
        clock.advance(data_per_pump_s)
        step = session.pump()
        if step.done:
            break
    assert step.done == "drill done"
    session.skip_pain()
    outcome = session.finish(step.done)
    lines = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    return lines, int((outcome.meta or {})["n_samples"])


@pytest.mark.slow
@pytest.mark.parametrize("drill", ["single-leg-balance", "calf-raise"])
def test_small_and_large_pumps_record_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               drill: str) -> None:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    small, n_small = _record(tmp_path, drill, 0.5)
    # 8 s a pump: `record` polling every 50 ms at --sim-speed 40 on a loaded machine (200 ms);
    # the drill's last set ends inside a pump: nothing after it may be analysed or recorded
    large, n_large = _record(tmp_path, drill, 8.0)
    assert n_small == n_large
    key = lambda e: (round(e["t_s"], 3), e["type"])  # noqa: E731
    assert sorted(small, key=key) == sorted(large, key=key)
    end = max(e["t_s"] for e in small if e["type"] == "set_end")
    assert all(e["t_s"] <= end for e in small if e["type"] == "balance_loss")
