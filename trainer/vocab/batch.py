"""SampleBatch: the unit of data every source yields and every stage consumes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
SeqArray = NDArray[np.uint32]


@dataclass(frozen=True, slots=True)
class SampleBatch:
    """A run of IMU samples on the session clock.

    ``t_s`` comes from the device's counters/timestamps (never arrival time alone); ``acc_g`` and
    ``gyr_dps`` are n×3 in g and °/s, as read from the device (before calibration); ``seq`` is the
    device sequence number (or a running sample index where the device has none).
    """

    t_s: FloatArray
    acc_g: FloatArray
    gyr_dps: FloatArray
    seq: SeqArray
    mag_ut: FloatArray | None = None

    def __post_init__(self) -> None:
        n = self.t_s.shape[0]
        if self.t_s.ndim != 1:
            raise ValueError("t_s must be 1-D")
        for name in ("acc_g", "gyr_dps") + (("mag_ut",) if self.mag_ut is not None else ()):
            arr = getattr(self, name)
            if arr.shape != (n, 3):
                raise ValueError(f"{name} must be {n}x3, got {arr.shape}")
        if self.seq.shape != (n,):
            raise ValueError(f"seq must have {n} entries, got {self.seq.shape}")

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def from_arrays(
        cls,
        t_s: object,
        acc_g: object,
        gyr_dps: object,
        seq: object | None = None,
        mag_ut: object | None = None,
    ) -> SampleBatch:
        """Build a batch with the canonical dtypes (float64, uint32), copying only when needed."""
        t = np.ascontiguousarray(t_s, dtype=np.float64)
        s = (
            np.arange(t.shape[0], dtype=np.uint32)
            if seq is None
            else np.ascontiguousarray(seq, dtype=np.uint32)
        )
        return cls(
            t_s=t,
            acc_g=np.ascontiguousarray(acc_g, dtype=np.float64).reshape(-1, 3),
            gyr_dps=np.ascontiguousarray(gyr_dps, dtype=np.float64).reshape(-1, 3),
            seq=s,
            mag_ut=None if mag_ut is None else np.ascontiguousarray(mag_ut, dtype=np.float64),
        )

    @classmethod
    def empty(cls, with_mag: bool = False) -> SampleBatch:
        z3 = np.empty((0, 3))
        mag = z3.copy() if with_mag else None
        return cls(np.empty(0), z3, z3.copy(), np.empty(0, np.uint32), mag)

    @classmethod
    def concat(cls, batches: Sequence[SampleBatch]) -> SampleBatch:
        """Join batches in order (magnetometer kept only if every batch has it)."""
        if not batches:
            return cls.empty()
        mags = [b.mag_ut for b in batches]
        return cls(
            t_s=np.concatenate([b.t_s for b in batches]),
            acc_g=np.concatenate([b.acc_g for b in batches]),
            gyr_dps=np.concatenate([b.gyr_dps for b in batches]),
            seq=np.concatenate([b.seq for b in batches]),
            mag_ut=None if any(m is None for m in mags) else np.concatenate(mags),  # type: ignore[arg-type]
        )

    def slice(self, start: int, stop: int | None = None) -> SampleBatch:
        """Samples ``start:stop`` (views, no copy)."""
        sl = slice(start, stop)
        return SampleBatch(
            self.t_s[sl],
            self.acc_g[sl],
            self.gyr_dps[sl],
            self.seq[sl],
            None if self.mag_ut is None else self.mag_ut[sl],
        )

    def split(self, sizes: Sequence[int]) -> list[SampleBatch]:
        """Cut into consecutive batches of the given sizes (the rest forms a last batch)."""
        out: list[SampleBatch] = []
        i = 0
        for size in sizes:
            if i >= len(self):
                break
            out.append(self.slice(i, i + size))
            i += size
        if i < len(self):
            out.append(self.slice(i))
        return out
