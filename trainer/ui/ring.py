"""Ring buffer written twice (at ``i`` and ``i + N``) so the newest ``N`` samples are always one
contiguous slice — the plots get a view, never a copy or a concatenation (DESIGN.md, Live plotting).
Pure numpy."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


class RingBuffer:
    """``capacity`` rows of ``n_channels`` float64 columns."""

    def __init__(self, capacity: int, n_channels: int) -> None:
        if capacity < 1 or n_channels < 1:
            raise ValueError("capacity and n_channels must be >= 1")
        self.capacity = int(capacity)
        self._buf = np.full((2 * self.capacity, n_channels), np.nan)
        self._pos = 0  # next write index in [0, capacity)
        self.count = 0  # valid rows (<= capacity)
        self.total = 0  # rows ever written

    def clear(self) -> None:
        self._buf[:] = np.nan
        self._pos = 0
        self.count = 0
        self.total = 0

    def write(self, rows: NDArray[np.float64]) -> None:
        """Append rows (n × n_channels); only the newest ``capacity`` rows are kept."""
        rows = np.asarray(rows, dtype=np.float64)
        if rows.ndim == 1:
            rows = rows[:, None]
        n = rows.shape[0]
        if n == 0:
            return
        self.total += n
        if n > self.capacity:
            rows = rows[-self.capacity :]
            self._pos = (self._pos + n - self.capacity) % self.capacity
            n = self.capacity
        idx = (self._pos + np.arange(n)) % self.capacity
        self._buf[idx] = rows
        self._buf[idx + self.capacity] = rows
        self._pos = (self._pos + n) % self.capacity
        self.count = min(self.capacity, self.count + n)

    def view(self, last: int | None = None) -> NDArray[np.float64]:
        """The newest ``last`` rows (default: all valid), oldest first, as a view."""
        k = self.count if last is None else max(0, min(int(last), self.count))
        end = self._pos + self.capacity
        return self._buf[end - k : end]

    def overwrite(self, rows: NDArray[np.intp], column: int, values: NDArray[np.float64]) -> None:
        """Set ``column`` of the valid rows at ``rows`` (indices into :meth:`view`, oldest 0)."""
        rows = np.asarray(rows, dtype=np.intp)
        if rows.size == 0:
            return
        if rows.min() < 0 or rows.max() >= self.count:
            raise IndexError("row outside the valid rows")
        idx = (self._pos - self.count + rows) % self.capacity
        self._buf[idx, column] = values
        self._buf[idx + self.capacity, column] = values

    def latest(self) -> NDArray[np.float64] | None:
        """The newest row, or None when empty."""
        if self.count == 0:
            return None
        row: NDArray[np.float64] = self._buf[self._pos + self.capacity - 1]
        return row
