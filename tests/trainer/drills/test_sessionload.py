"""Opening a recorded session for the drill analysis: unusable sessions are one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from trainer.drills.sessionload import SessionLoadError, load_session
from trainer.recording import SessionWriter
from trainer.vocab.batch import SampleBatch


def _session(path: Path, n: int) -> Path:
    with SessionWriter(path, sample_rate_hz=100.0) as w:
        if n:
            w.append(SampleBatch.from_arrays(np.arange(n) * 0.01, np.tile([0.0, 0.0, 1.0], (n, 1)),
                                             np.zeros((n, 3))))
    return path


@pytest.mark.parametrize(("n", "match"), [(0, "has no samples"),
                                          (1, r"too few samples \(1\) to analyse")])
def test_empty_or_one_sample_session(tmp_path: Path, n: int, match: str) -> None:
    with pytest.raises(SessionLoadError, match=match):
        load_session(_session(tmp_path / "s", n))
