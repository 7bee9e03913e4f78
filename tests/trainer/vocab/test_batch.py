from __future__ import annotations

import threading

import numpy as np
import pytest

from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import BatchBuffer


def make(n: int, start: int = 0) -> SampleBatch:
    idx = np.arange(start, start + n)
    return SampleBatch.from_arrays(idx / 100.0, np.ones((n, 3)) * idx[:, None],
                                   np.zeros((n, 3)), seq=idx)


def test_split_and_concat_round_trip() -> None:
    b = make(103)
    parts = b.split([10, 0, 50, 7])
    assert [len(p) for p in parts] == [10, 0, 50, 7, 36]
    joined = SampleBatch.concat(parts)
    np.testing.assert_array_equal(joined.t_s, b.t_s)
    np.testing.assert_array_equal(joined.acc_g, b.acc_g)
    np.testing.assert_array_equal(joined.seq, b.seq)


def test_shape_mismatch_is_rejected() -> None:
    with pytest.raises(ValueError, match="acc_g"):
        SampleBatch(np.zeros(3), np.zeros((2, 3)), np.zeros((3, 3)), np.zeros(3, np.uint32))


def test_buffer_is_thread_safe_and_ordered() -> None:
    buf = BatchBuffer(max_samples=10**7)

    def produce() -> None:
        for i in range(200):
            buf.put(make(10, start=i * 10))

    t = threading.Thread(target=produce)
    t.start()
    got = []
    while t.is_alive() or len(buf):
        got.append(buf.take())
    t.join()
    got.append(buf.take())
    seq = SampleBatch.concat([g for g in got if len(g)]).seq
    np.testing.assert_array_equal(seq, np.arange(2000))


def test_buffer_drops_oldest_when_consumer_stalls() -> None:
    buf = BatchBuffer(max_samples=100)
    for i in range(50):
        buf.put(make(10, start=i * 10))
    out = buf.take()
    assert len(out) <= 100
    assert buf.dropped_samples == 500 - len(out)
    assert out.seq[-1] == 499
