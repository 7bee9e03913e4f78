"""The pipeline runs on every sample as it arrives (the dashboard shows it within the frame),
while the guide, the events and the recording still go in whole analysis steps: what is recorded
does not depend on how the samples were read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from firmware_bridge.simulator import SimConfig, simulate
from trainer.training.session import TrainingPlan, TrainingSession, cut_processed
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus


class ListSource:
    """Reads of ``per_read`` samples from a recording, then finished."""

    def __init__(self, batch: SampleBatch, info: SourceInfo, per_read: int) -> None:
        self.batch, self.info, self.per_read = batch, info, per_read
        self.i = 0

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def read(self) -> SampleBatch:
        out = self.batch.slice(self.i, self.i + self.per_read)
        self.i += len(out)
        return out

    def drain_status(self) -> list[SourceStatus]:
        return []

    @property
    def finished(self) -> bool:
        return self.i >= len(self.batch)


def _recording(rate: float = 200.0) -> tuple[SampleBatch, SourceInfo]:
    rec = simulate(SimConfig(seed=4, sample_rate_hz=rate, duration_s=14.0,
                             balance_loss_times_s=(8.0,)))
    return rec.batch, rec.info


def test_every_read_is_processed_at_once() -> None:
    batch, info = _recording()
    session = TrainingSession(ListSource(batch, info, 3), TrainingPlan(guided=False),  # type: ignore[arg-type]
                              update_progress=False)
    session.start()
    t_shown: list[float] = []
    for _ in range(50):
        step = session.pump()
        # in whole 10 ms pipeline steps (2 samples at 200 Hz): at most one sample waits
        assert step.processed is not None and len(step.processed.t_s) in (2, 4)
        t_shown += list(step.processed.t_s)
    np.testing.assert_array_equal(t_shown, batch.t_s[:150])  # each sample once, in order


def test_what_is_recorded_does_not_depend_on_the_reads(tmp_path: Path) -> None:
    batch, info = _recording()
    files = []
    for per_read in (3, 37, 500):
        out = tmp_path / f"r{per_read}"
        session = TrainingSession(ListSource(batch, info, per_read),  # type: ignore[arg-type]
                                  TrainingPlan(guided=False, out=out), update_progress=False)
        session.start()
        shown = 0
        while True:
            step = session.pump()
            shown += 0 if step.processed is None else len(step.processed.t_s)
            if step.done:
                break
        session.finish("duration")
        assert shown == len(batch)
        events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
        files.append(((out / "imu.bin").read_bytes(), events))
    assert [e["type"] for e in files[0][1]] == ["balance_loss", "recording_stop"]
    assert files[0] == files[1] == files[2]  # bit for bit (the pipeline's steps are fixed)


def test_cut_processed_keeps_each_event_with_its_detection_sample() -> None:
    from types import SimpleNamespace

    t = np.arange(10) / 100.0
    a = SimpleNamespace(t_s=t[:4], tilt_ap_deg=np.zeros(4), events=[
        {"t_s": 0.0, "t_detected_s": 0.03, "type": "balance_loss"}])
    b = SimpleNamespace(t_s=t[4:], tilt_ap_deg=np.ones(6), events=[
        {"t_s": 0.01, "t_detected_s": 0.05, "type": "balance_loss"},
        {"t_s": 0.02, "t_detected_s": 0.09, "type": "balance_loss"}])
    parts, rest = cut_processed([a, b], [5])
    assert len(parts) == 1 and len(rest) == 1
    np.testing.assert_array_equal(parts[0].t_s, t[:5])
    np.testing.assert_array_equal(parts[0].tilt_ap_deg, [0, 0, 0, 0, 1])
    assert [e["t_detected_s"] for e in parts[0].events] == [0.03]
    assert [e["t_detected_s"] for e in rest[0].events] == [0.05, 0.09]
    parts, rest = cut_processed(rest, [5])
    assert rest == [] and len(parts[0].t_s) == 5
