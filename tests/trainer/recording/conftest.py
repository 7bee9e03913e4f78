from __future__ import annotations

import numpy as np
import pytest

from trainer.vocab.batch import SampleBatch


def make_batch(n: int = 1000, fs: float = 100.0, seed: int = 0, t0: float = 0.0,
               mag: bool = False) -> SampleBatch:
    """Random but realistic-ish samples (values exactly representable after float32 rounding)."""
    rng = np.random.default_rng(seed)
    t = t0 + np.arange(n) / fs
    acc = (rng.normal(0, 0.05, (n, 3)) + np.array([0.0, 0.0, 1.0])).astype(np.float32)
    gyr = rng.normal(0, 5, (n, 3)).astype(np.float32)
    m = rng.normal(0, 40, (n, 3)).astype(np.float32) if mag else None
    seq = np.arange(n) + 7
    return SampleBatch.from_arrays(t, acc, gyr, seq, m)


@pytest.fixture(autouse=True)
def _private_home(tmp_path, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
