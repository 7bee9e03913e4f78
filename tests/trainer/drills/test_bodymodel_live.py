"""The live guide counts the independent model's reps as the analysis does (any strapping)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.bodymodel import evaluate as ev
from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.drills.catalog import get_drill
from trainer.drills.session import DrillSession
from trainer.vocab.batch import SampleBatch


@pytest.mark.parametrize(("case", "seed"), [("calf-raise-shank-any", 2),
                                            ("inversion-foot-any", 1),
                                            ("eversion-foot-any", 4)])
def test_live_session_counts_the_models_reps(case: str, seed: int) -> None:
    rec = ev.make(case, seed)
    spec = get_drill(rec.drill)
    s = DrillSession(spec, rec.side, params={"sets": 1, "reps": 40, "countdown_s": 0.0},
                     fs_hz=rec.fs_hz, placement=rec.placement)
    pipe = Pipeline(PipelineConfig(sample_rate_hz=rec.fs_hz, placement=rec.placement,
                                   side=rec.side, detect_balance_losses=False))
    batch = SampleBatch(t_s=rec.t_s, acc_g=rec.acc_g, gyr_dps=rec.gyr_dps,
                        seq=np.arange(rec.t_s.size, dtype=np.uint32))
    s.start(float(rec.t_s[0]))
    n = max(1, int(rec.fs_hz // 10))
    for b in batch.split([n] * (len(batch) // n)):
        s.feed(pipe.process(b))
    result = s.result()
    true = len(rec.full_reps)
    assert abs(result["reps"] - true) <= 1
    matched, extra = ev.match(result["rep_times_s"], rec.full_reps)
    assert matched >= true - 1 and extra <= 1
