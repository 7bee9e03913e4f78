"""Determinism and chunk invariance: what the recorder crash test and the endless demo rely on."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firmware_bridge.simulator import SensorStream, SimConfig, simulate
from firmware_bridge.simulator.stream import BLOCK
from tests.firmware_bridge.simulator.conftest import assert_batches_equal
from trainer.cli.common import DRILL_IDS as CLI_DRILL_IDS
from trainer.vocab.batch import SampleBatch

CFG = SimConfig(seed=7, duration_s=25.0, sample_rate_hz=100.0)
REFERENCE = simulate(CFG)


def test_drill_ids_match_the_contract() -> None:
    from firmware_bridge.simulator import DRILL_IDS

    assert DRILL_IDS == CLI_DRILL_IDS


def test_same_seed_same_samples_other_seed_differs() -> None:
    again = simulate(CFG)
    assert_batches_equal(REFERENCE.batch, again.batch)
    other = simulate(SimConfig(seed=8, duration_s=25.0))
    assert not np.array_equal(REFERENCE.batch.acc_g, other.batch.acc_g)


def test_length_rate_and_units() -> None:
    b = REFERENCE.batch
    assert len(b) == 2500
    assert b.seq[0] == 0 and b.seq[-1] == 2499
    np.testing.assert_allclose(np.diff(b.t_s), 0.01, atol=1e-12)
    assert REFERENCE.info.simulated and REFERENCE.info.profile == "simulated"
    assert len(REFERENCE.truth) == len(b)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(0, 3 * BLOCK), min_size=1, max_size=8))
def test_chunk_invariance(sizes: list[int]) -> None:
    cfg = SimConfig(seed=3, duration_s=None, packet_loss=0.02, jitter_s=0.002,
                    balance_loss_times_s=(5.0,), clock_drift_ppm=50.0)
    total = sum(sizes)
    whole = SensorStream(cfg).next(total)
    stream = SensorStream(cfg)
    parts = [stream.next(n) for n in sizes]
    assert_batches_equal(SampleBatch.concat(parts), whole)
    assert len(whole) == total


def test_truth_is_chunk_invariant_too() -> None:
    stream = SensorStream(CFG)
    parts = [stream.next_with_truth(n)[1] for n in (1, 999, 37, 5000)]
    tilt = np.concatenate([p.tilt_ap_deg for p in parts])
    np.testing.assert_array_equal(tilt, REFERENCE.truth.tilt_ap_deg)
    assert stream.exhausted


def test_until_true_time_gives_the_same_samples() -> None:
    stream = SensorStream(CFG)
    parts = [stream.until_true_time(t)[0] for t in (0.0, 0.333, 0.334, 7.2, 7.2, 100.0)]
    assert_batches_equal(SampleBatch.concat(parts), REFERENCE.batch)


def test_finite_stream_stops() -> None:
    stream = SensorStream(SimConfig(seed=1, duration_s=1.0))
    assert len(stream.next(150)) == 100
    assert len(stream.next(10)) == 0
    assert stream.exhausted


def test_bad_config_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="unknown scenario"):
        SimConfig(scenario="juggling")
    with pytest.raises(ValueError, match="sample_rate_hz"):
        SimConfig(sample_rate_hz=0.0)
    with pytest.raises(ValueError, match="needs a finite duration"):
        simulate(SimConfig(duration_s=None))


def test_seed_must_be_a_non_negative_integer() -> None:
    assert len(simulate(SimConfig(seed=np.int64(3), duration_s=0.5)).batch) == 50
    for bad in (-1, 1.5, "3"):
        with pytest.raises(ValueError, match="seed"):
            SimConfig(seed=bad)  # type: ignore[arg-type]
