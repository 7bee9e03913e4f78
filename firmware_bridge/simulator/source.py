"""SimulatedSource: the simulator behind the ``trainer.vocab.source.Source`` protocol, paced by
the wall clock (no thread: ``read()`` computes what is due from ``time.monotonic``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from firmware_bridge.simulator.config import SimConfig
from firmware_bridge.simulator.stream import SensorStream, Truth
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus

#: Simulated battery: full at start, this many percent per hour of (simulated) streaming.
BATTERY_DRAIN_PCT_PER_H = 8.0
BATTERY_REPORT_S = 30.0


class SimulatedSource:
    """A simulated sensor streaming in (scaled) real time.

    ``speed`` > 1 runs faster than real time (tests, demos); ``clock`` can be replaced (tests).
    Concatenating every ``read()`` gives exactly ``simulate(config).batch``. Status: connecting,
    connected, streaming at start; ``gap`` for each run of lost samples; ``battery`` every 30 s;
    ``stopped`` at the end or on ``stop()``.
    """

    def __init__(
        self,
        config: SimConfig,
        speed: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not speed > 0:
            raise ValueError("speed must be positive")
        self.config = config
        self.speed = speed
        self.clock = clock  # what paces ``read`` (a follower built from this one keeps it)
        self._clock = clock
        self._stream = SensorStream(config)
        self.info: SourceInfo = self._stream.info
        self._t0: float | None = None
        self._stopped = False
        self._status: list[SourceStatus] = []
        self._last_seq: int | None = None
        self._next_battery_s = 0.0
        self._t_first: float | None = None
        self.last_truth: Truth | None = None
        self._t_delivered = -np.inf
        self._t_true_delivered = -np.inf

    def start(self) -> None:
        if self._t0 is not None:
            return
        self._t0 = self._clock()
        self._status += [
            SourceStatus("connecting", f"simulated sensor {self.info.name}"),
            SourceStatus("connected", self.info.address),
            SourceStatus("streaming", f"{self.config.sample_rate_hz:g} Hz"),
        ]

    def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            self._status.append(SourceStatus("stopped", "stopped"))

    def read(self) -> SampleBatch:
        if self._t0 is None or self._stopped:
            return SampleBatch.empty()
        elapsed = (self._clock() - self._t0) * self.speed
        batch, truth = self._stream.until_true_time(elapsed)
        self.last_truth = truth
        if len(truth):
            self._t_true_delivered = float(truth.t_true_s[-1])
        self._note(batch, elapsed)
        if self._stream.exhausted:
            self.stop()
        return batch

    def reschedule(self, start_s: float) -> bool:
        """The person's drill guide starts at session time ``start_s`` from now on (it was
        fixed when the source was built: e.g. after a sync jump the person skipped). The samples
        not delivered yet are made again with the moved schedule; those delivered stay (the
        schedule must not change anything before them: only sets after ``start_s`` move).
        False: no guide, or it starts there already."""
        guide = self.config.guide
        if guide is None or abs(guide.start_s - float(start_s)) < 1e-9:
            return False
        self.config = replace(self.config, guide=replace(guide, start_s=max(0.0, float(start_s))))
        stream = SensorStream(self.config)
        if np.isfinite(self._t_true_delivered):
            stream.until_true_time(self._t_true_delivered)  # already delivered: dropped
        self._stream = stream
        return True

    def drain_status(self) -> list[SourceStatus]:
        out, self._status = self._status, []
        return out

    @property
    def finished(self) -> bool:
        return self._stream.exhausted

    @property
    def events(self) -> list[dict[str, object]]:
        """Truth events so far (balance losses, reps, …) on the session clock."""
        if self._stream.exhausted:
            return list(self._stream.events)
        return self._stream.events_until(self._t_delivered)

    def _note(self, batch: SampleBatch, elapsed_s: float) -> None:
        if len(batch):
            seq = batch.seq.astype(np.int64)
            prev = self._last_seq if self._last_seq is not None else int(seq[0]) - 1
            steps = np.diff(np.concatenate([[prev], seq]))
            for i in np.flatnonzero(steps > 1).tolist():
                missing = int(steps[i] - 1)
                self._status.append(
                    SourceStatus("gap", f"{missing} samples lost", float(batch.t_s[i]),
                                 {"missing": missing})
                )
            self._last_seq = int(seq[-1])
            self._t_delivered = float(batch.t_s[-1])
            if self._t_first is None:
                self._t_first = float(batch.t_s[0])
        while elapsed_s >= self._next_battery_s:
            pct = max(0.0, 100.0 - BATTERY_DRAIN_PCT_PER_H * self._next_battery_s / 3600.0)
            # on the session clock (a report every 30 s of data), whatever the polling rate
            t = None if self._t_first is None else self._t_first + self._next_battery_s
            self._status.append(SourceStatus("battery", f"{pct:.0f}%", t, {"percent": pct}))
            self._next_battery_s += BATTERY_REPORT_S
