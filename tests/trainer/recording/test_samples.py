"""The sample sessions in recordings/ open, are marked simulated, and match their simulator."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.recording import open_session

RECORDINGS = Path(__file__).resolve().parents[3] / "recordings"
SAMPLES = sorted(p for p in RECORDINGS.iterdir() if (p / "session.json").exists())


def test_there_are_small_samples() -> None:
    assert len(SAMPLES) >= 3
    total = sum(f.stat().st_size for d in SAMPLES for f in d.iterdir())
    assert total < 2 * 1024 * 1024


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_is_complete_simulated_and_regenerable(path: Path) -> None:
    s = open_session(path)
    assert s.status == "complete" and s.simulated and s.meta["simulated"] is True
    assert 30 <= s.duration_s <= 60 and s.sample_rate_hz == 100
    cfg = {k: tuple(v) if isinstance(v, list) else v for k, v in s.meta["simulation"].items()}
    ref = simulate(SimConfig(**cfg)).batch
    got = s.batch()
    np.testing.assert_array_equal(got.t_s, ref.t_s)
    np.testing.assert_array_equal(got.seq, ref.seq)
    np.testing.assert_array_equal(got.acc_g, ref.acc_g.astype(np.float32))
    np.testing.assert_array_equal(got.gyr_dps, ref.gyr_dps.astype(np.float32))
    assert s.drill_id == cfg["scenario"] and s.side == cfg["side"]
    truth = [e for e in s.events if e.get("source") == "simulator-truth"]
    if cfg["scenario"] != "single-leg-balance" or cfg["balance_loss_times_s"]:
        assert truth  # reps, holds, balance losses: known truth for detection tests
