"""Source statuses that the recorder keeps in events.jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from trainer.recording import SessionWriter
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceStatus


def test_link_statistics_snapshots_are_recorded(tmp_path: Path) -> None:
    out = tmp_path / "s"
    with SessionWriter(out, sample_rate_hz=100.0) as writer:
        n = 10
        writer.append(SampleBatch.from_arrays(np.arange(n) / 100, np.zeros((n, 3)),
                                              np.zeros((n, 3))))
        kept = writer.status_event(SourceStatus("link", "rate 99.8 Hz, loss 0.2 %", t_s=0.09,
                                                data={"rate_hz": 99.8, "loss_pct": 0.2}))
        ignored = writer.status_event(SourceStatus("streaming", "streaming"))
    assert kept and not ignored
    lines = [json.loads(x) for x in (out / "events.jsonl").read_text().splitlines()]
    stats = [e for e in lines if e["type"] == "link_stats"]
    assert len(stats) == 1
    assert stats[0]["rate_hz"] == 99.8 and stats[0]["t_s"] == 0.09
