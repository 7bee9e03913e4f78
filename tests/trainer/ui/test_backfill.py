"""The tilt read before an uncalibrated sensor's vertical reference was known (the sync jump's
wait): a provisional trace while it is unknown, the final one when it is, written into the ring
buffer rows of the same times (trainer.ui.backfill, no Qt)."""

from __future__ import annotations

import numpy as np

from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.ui.backfill import TiltBackfill, fill_ring
from trainer.ui.ring import RingBuffer
from trainer.vocab.batch import SampleBatch

FS = 100.0


def _person(n: int, tilt_deg: float, moving_s: float) -> SampleBatch:
    """A shank tilted ``tilt_deg`` forward, shaking for ``moving_s`` (no quiet second), then
    still."""
    t = np.arange(n) / FS
    a = np.radians(tilt_deg)
    acc = np.tile([np.sin(a), 0.0, np.cos(a)], (n, 1))
    gyr = np.zeros((n, 3))
    shaking = t < moving_s
    gyr[shaking, 1] = 40.0 * np.sin(2 * np.pi * 3 * t[shaking])
    acc[shaking, 2] += 0.3 * np.sin(2 * np.pi * 5 * t[shaking])
    return SampleBatch(t, acc, gyr, np.arange(n, dtype=np.uint32))


def test_the_wait_is_drawn_provisionally_then_finally_and_only_the_unknown_rows() -> None:
    config = PipelineConfig(sample_rate_hz=FS, placement="shank", side="left")
    pipe = Pipeline(config)
    ring = RingBuffer(2000, 3)
    fill = TiltBackfill(config, keep_s=12.0)
    raw = _person(500, 4.0, moving_s=2.0)
    provisional = final = 0
    first_known = None
    for part in raw.split([10] * 49):  # a frame's few samples at a time
        out = pipe.process(part)
        rows = np.column_stack([out.t_s, out.tilt_ap_deg, out.tilt_ml_deg])
        ring.write(rows)
        if first_known is None and np.isfinite(out.tilt_ap_deg).any():
            first_known = float(out.t_s[np.isfinite(out.tilt_ap_deg)][0])
            known_rows = ring.view()[ring.view()[:, 0] >= first_known].copy()
        filled = fill.feed(part, out.tilt_ap_deg)
        if filled is not None:
            n = fill_ring(ring, filled, 0, 1, 2)
            if fill.done:
                final += 1
            else:
                provisional += 1
                # streaming during the wait: every row so far but the last step's has a tilt
                view = ring.view()
                assert n > 0 and np.isfinite(view[view[:, 0] <= filled[0][-1], 1]).all()
    assert first_known is not None and first_known > 2.0  # the pipeline needs a quiet second
    assert provisional >= 10 and final == 1 and fill.done
    view = ring.view()
    assert np.isfinite(view[:, 1]).all() and np.isfinite(view[:, 2]).all()
    # the pipeline's own tilt is left as it was; the back-filled tilt is the offline one
    kept = view[np.isin(view[:, 0], known_rows[:, 0])]
    np.testing.assert_array_equal(kept, known_rows)
    still = view[(view[:, 0] > 2.3) & (view[:, 0] < first_known)]
    assert still.size and np.abs(still[:, 1]).max() < 1.0  # still and upright, as after


def test_nothing_is_back_filled_when_the_tilt_is_known_from_the_start() -> None:
    fill = TiltBackfill(PipelineConfig(sample_rate_hz=FS), keep_s=12.0)
    raw = _person(100, 0.0, moving_s=0.0)
    assert fill.feed(raw, np.zeros(100)) is None and fill.done
    assert TiltBackfill(None, 12.0).feed(raw, np.full(100, np.nan)) is None  # a test double


def test_ring_overwrite_keeps_both_copies() -> None:
    ring = RingBuffer(5, 2)
    ring.write(np.arange(14, dtype=float).reshape(7, 2))  # wrapped: rows 2..6 kept
    ring.overwrite(np.array([0, 4]), 1, np.array([-1.0, -2.0]))
    np.testing.assert_array_equal(ring.view()[:, 1], [-1.0, 7.0, 9.0, 11.0, -2.0])
    ring.write(np.array([[20.0, 21.0]]))
    np.testing.assert_array_equal(ring.view()[:, 1], [7.0, 9.0, 11.0, -2.0, 21.0])
    np.testing.assert_array_equal(ring.latest(), [20.0, 21.0])
