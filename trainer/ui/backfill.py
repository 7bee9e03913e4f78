"""The tilt of the samples read before a sensor's tilt was known, drawn once it is (no Qt).

An uncalibrated sensor has no tilt (NaN) until its pipeline found the vertical reference in a
quiet second. With several sensors the drill begins with the sync jump, so that quiet second
comes only after the landing: the live traces would start ~1 s after the landing, and the jump —
what the person just did and what lines the sensors' clocks up — would never be drawn.

:class:`TiltBackfill` keeps the raw samples read while the tilt is unknown (at most ``keep_s``)
and analyses them non-causally (``analyze(offline=True)``: the vertical reference from the first
quiet second anywhere, else the mean of all samples, so every sample has a tilt): every
``REFRESH_S`` of data while the pipeline knows no tilt (a provisional trace, streaming during the
wait), and a last time when it first knows one. The owner writes that tilt into the rows of its
ring buffer (:func:`fill_ring`). Only the drawing changes: the live metrics, the in-target counts
and the drill's analysis are the pipeline's, untouched. One vectorised analysis of a few seconds
of data (~1 ms) at most ten times per second of data per sensor, only until the tilt is known;
it never raises.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trainer.core.pipeline import PipelineConfig, analyze
from trainer.ui.ring import RingBuffer
from trainer.vocab.batch import SampleBatch

#: Fewer samples than this are not worth an analysis (the first samples of a block).
MIN_SAMPLES = 8
#: While no tilt is known, the kept samples are analysed again after this much new data.
REFRESH_S = 0.1

Filled = tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]


class TiltBackfill:
    """See the module doc. ``config``: the pipeline's (sample rate, placement, side,
    calibration); None: the owner's pipeline is a test double, nothing is back-filled."""

    def __init__(self, config: PipelineConfig | None, keep_s: float) -> None:
        self.config = config
        self.keep_s = float(keep_s)
        self.done = config is None
        self._parts: list[SampleBatch] = []
        self._analysed_to_s = -math.inf

    def reset(self) -> None:
        """Start again (a fresh pipeline: a seek, a new drill)."""
        self.done = self.config is None
        self._parts = []
        self._analysed_to_s = -math.inf

    def feed(self, raw: SampleBatch, tilt_ap_deg: Any) -> Filled | None:
        """``raw``: the samples the pipeline just processed, ``tilt_ap_deg`` its output for them.
        Returns (t_s, AP, ML) for the samples kept whose tilt the pipeline does not know: while
        it knows none (at most every ``REFRESH_S`` of data, a provisional reference), and once,
        finally, when it first knows one; else None."""
        if self.done or not len(raw):
            return None
        ok = np.isfinite(np.asarray(tilt_ap_deg, dtype=np.float64))
        if ok.size and ok[0] and not self._parts:  # known from the start: nothing to draw
            self.done = True
            return None
        self._parts.append(raw)
        t_last = float(raw.t_s[-1])
        while len(self._parts) > 1 and float(self._parts[0].t_s[-1]) < t_last - self.keep_s:
            self._parts.pop(0)
        known = np.flatnonzero(ok)
        if known.size:
            self.done = True
            t_known = float(raw.t_s[int(known[0])])
        elif t_last - self._analysed_to_s < REFRESH_S:
            return None
        else:
            t_known = math.inf
        self._analysed_to_s = t_last
        parts = self._parts
        if self.done:
            self._parts = []
        batch = parts[0] if len(parts) == 1 else SampleBatch.concat(parts)
        if len(batch) < MIN_SAMPLES:
            return None
        assert self.config is not None
        try:
            res = analyze(batch, self.config, offline=True)
        except Exception:  # the traces just start later, as before
            return None
        t = np.asarray(res.t_s, dtype=np.float64)
        sel = t < t_known
        return (t[sel], np.asarray(res.tilt_ap_deg, dtype=np.float64)[sel],
                np.asarray(res.tilt_ml_deg, dtype=np.float64)[sel])


def fill_ring(ring: RingBuffer, filled: Filled, t_col: int, ap_col: int, ml_col: int) -> int:
    """Write back-filled tilt into the ring's rows of the same times; returns how many rows
    were filled."""
    t, ap, ml = filled
    rows = ring.view()
    if rows.shape[0] == 0 or t.size == 0:
        return 0
    rt = rows[:, t_col]
    idx = np.clip(np.searchsorted(rt, t), 0, rows.shape[0] - 1)
    sel = (rt[idx] == t) & np.isfinite(ap) & np.isfinite(ml)
    idx = idx[sel]
    ring.overwrite(idx, ap_col, ap[sel])
    ring.overwrite(idx, ml_col, ml[sel])
    return int(idx.size)


def keep_s_for(window_s: float) -> float:
    """Raw samples kept while the tilt is unknown: what the plots can show."""
    return math.ceil(window_s * 1.2)
