"""SensorStream (chunk-invariant generator) and simulate() (a whole recording plus its truth).

Samples are generated in fixed blocks of ``BLOCK`` device samples; block ``i`` draws its random
numbers from ``SeedSequence([seed, i])`` and the motion/sensor state carries across blocks, so the
output does not depend on how callers cut it: ``next(a)`` then ``next(b)`` equals ``next(a+b)``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from firmware_bridge.simulator import quat
from firmware_bridge.simulator.config import SimConfig
from firmware_bridge.simulator.motion import FloatArray, Motion
from firmware_bridge.simulator.sensor import SensorModel
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo

BLOCK = 1024
PROFILE = "simulated"


@dataclass(frozen=True)
class Truth:
    """What really happened, aligned with the delivered samples (lost samples have no row).

    Per sample: ``t_true_s`` (true time; the batch's ``t_s`` is the device clock),
    ``tilt_ap_deg`` (segment z axis toward anterior +x), ``tilt_ml_deg`` (toward the person's left
    +y; for a left leg that is lateral), ``quat_seg_wxyz`` (segment → Earth, z up),
    ``gyro_bias_dps`` (the true bias incl. drift), ``extra`` (scenario-specific series).
    Constant: ``mount_quat_wxyz`` (sensor → segment), ``acc_offset_g`` and ``acc_matrix`` (the
    calibration that would undo the simulated accelerometer errors, in the contract's form).
    ``events``: dicts ``{"type", "t_s", …}`` with times on the session clock (``t_s`` of the batch,
    without jitter); types: balance_loss, rep, hold, stretch, disturbance, still, face, swing, …
    """

    t_true_s: FloatArray
    tilt_ap_deg: FloatArray
    tilt_ml_deg: FloatArray
    quat_seg_wxyz: FloatArray
    gyro_bias_dps: FloatArray
    extra: dict[str, FloatArray] = field(default_factory=dict)
    mount_quat_wxyz: FloatArray = field(default_factory=lambda: np.array([1.0, 0.0, 0.0, 0.0]))
    acc_offset_g: FloatArray = field(default_factory=lambda: np.zeros(3))
    acc_matrix: FloatArray = field(default_factory=lambda: np.eye(3))
    events: list[dict[str, Any]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.t_true_s.shape[0])

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    @property
    def balance_losses(self) -> list[dict[str, Any]]:
        return self.events_of("balance_loss")

    @property
    def reps(self) -> list[dict[str, Any]]:
        return self.events_of("rep")

    @property
    def holds(self) -> list[dict[str, Any]]:
        return self.events_of("hold")

    def slice(self, start: int, stop: int | None = None) -> Truth:
        sl = slice(start, stop)
        return Truth(
            self.t_true_s[sl], self.tilt_ap_deg[sl], self.tilt_ml_deg[sl],
            self.quat_seg_wxyz[sl], self.gyro_bias_dps[sl],
            {k: v[sl] for k, v in self.extra.items()},
            self.mount_quat_wxyz, self.acc_offset_g, self.acc_matrix, self.events,
        )

    @staticmethod
    def concat(parts: list[Truth], events: list[dict[str, Any]] | None = None) -> Truth:
        """Join per-sample parts (constants and, unless given, events from the last part)."""
        if not parts:
            raise ValueError("nothing to concatenate")
        last = parts[-1]
        keys = last.extra.keys()
        return Truth(
            np.concatenate([p.t_true_s for p in parts]),
            np.concatenate([p.tilt_ap_deg for p in parts]),
            np.concatenate([p.tilt_ml_deg for p in parts]),
            np.concatenate([p.quat_seg_wxyz for p in parts]),
            np.concatenate([p.gyro_bias_dps for p in parts]),
            {k: np.concatenate([p.extra[k] for p in parts]) for k in keys},
            last.mount_quat_wxyz, last.acc_offset_g, last.acc_matrix,
            list(last.events if events is None else events),
        )


@dataclass(frozen=True)
class SimulatedRecording:
    """``batch``: raw device readings; ``truth``: aligned truth; ``info``: the simulated device."""

    batch: SampleBatch
    truth: Truth
    info: SourceInfo
    config: SimConfig


def make_motion(config: SimConfig) -> Motion:
    """The motion generator of the config's scenario."""
    from firmware_bridge.simulator.balance import BalanceMotion
    from firmware_bridge.simulator.calib import MountSwingMotion, SixFaceMotion, StillMotion
    from firmware_bridge.simulator.drills import DEFAULTS, DrillMotion

    if config.scenario == "single-leg-balance":
        return BalanceMotion(config)
    if config.scenario in DEFAULTS:
        return DrillMotion(config)
    if config.scenario in ("joint-position-sense", "lunge-test"):
        from firmware_bridge.simulator.proprio import LungeMotion, PositionSenseMotion

        return (PositionSenseMotion(config) if config.scenario == "joint-position-sense"
                else LungeMotion(config))
    if config.scenario == "still":
        return StillMotion(config)
    if config.scenario == "six-face":
        return SixFaceMotion(config)
    if config.scenario == "mount-swing":
        return MountSwingMotion(config)
    raise ValueError(f"scenario {config.scenario!r} is not simulated yet")


def source_info(config: SimConfig) -> SourceInfo:
    return SourceInfo(
        name=config.name,
        address=config.address,
        profile=PROFILE,
        sample_rate_hz=float(config.sample_rate_hz),
        firmware="simulator-1",
        simulated=True,
        extra={
            "simulator": {
                "seed": config.seed,
                "scenario": config.scenario,
                "eyes": config.eyes,
                "surface": config.surface,
                "placement": config.effective_placement,
                "side": config.side,
            }
        },
    )


class SensorStream:
    """A stateful, deterministic, chunk-invariant generator of simulated device samples."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.info = source_info(config)
        self.motion = make_motion(config)
        self.sensor = SensorModel(config, self.motion.uses_mount)
        self._block = 0
        self._k = 0  # device samples generated (incl. lost ones)
        self._t_true_end = -np.inf  # true time of the last generated sample
        self._pending: deque[tuple[SampleBatch, Truth]] = deque()
        self._n_pending = 0
        self._total = config.n_samples
        mount = (
            config.mount_quat() if self.motion.uses_mount else np.array([1.0, 0.0, 0.0, 0.0])
        )
        self._consts = (
            mount, np.asarray(config.acc_offset_g, dtype=np.float64), config.true_acc_matrix()
        )

    # ------------------------------------------------------------------ public
    @property
    def events(self) -> list[dict[str, Any]]:
        """Truth events generated so far (session clock; may run up to one block ahead of the
        delivered samples — see ``events_until``)."""
        return self.motion.events

    def events_until(self, t_s: float) -> list[dict[str, Any]]:
        """Truth events that have begun by session time ``t_s``."""
        return [e for e in self.motion.events if e["t_s"] <= t_s]

    @property
    def exhausted(self) -> bool:
        """True when a finite stream has delivered everything."""
        return self._generated_all and self._n_pending == 0

    @property
    def samples_generated(self) -> int:
        """Device samples produced so far, including lost ones (the next seq number)."""
        return self._k

    def next(self, n: int) -> SampleBatch:
        """The next ``n`` delivered samples (fewer only when a finite stream ends)."""
        return self.next_with_truth(n)[0]

    def next_with_truth(self, n: int) -> tuple[SampleBatch, Truth]:
        if n < 0:
            raise ValueError("n must be >= 0")
        while self._n_pending < n and not self._generated_all:
            self._generate_block()
        return self._take(min(n, self._n_pending))

    def until_true_time(self, t_true_s: float) -> tuple[SampleBatch, Truth]:
        """Every delivered sample whose true time is ≤ ``t_true_s`` (for wall-clock pacing)."""
        while self._t_true_end < t_true_s and not self._generated_all:
            self._generate_block()
        count = 0
        for batch, truth in self._pending:
            c = int(np.searchsorted(truth.t_true_s, t_true_s, side="right"))
            count += c
            if c < len(batch):
                break
        return self._take(count)

    # ------------------------------------------------------------------ internals
    @property
    def _generated_all(self) -> bool:
        return self._total is not None and self._k >= self._total

    def _generate_block(self) -> None:
        c = self.config
        n = BLOCK if self._total is None else min(BLOCK, self._total - self._k)
        seeds = np.random.SeedSequence([c.seed, self._block]).spawn(2)
        rng_motion, rng_sensor = (np.random.default_rng(s) for s in seeds)
        k = np.arange(self._k, self._k + n, dtype=np.float64)
        t_true = k / c.true_rate_hz
        mb = self.motion.block(t_true, rng_motion)
        out = self.sensor.process(self._k, mb, rng_sensor)
        keep = out.keep
        ap, ml = quat.tilt_of(mb.quat_seg)
        seq = np.arange(self._k, self._k + n, dtype=np.uint64).astype(np.uint32)
        batch = SampleBatch(
            out.t_s[keep], out.acc_g[keep], out.gyr_dps[keep], seq[keep]
        )
        mount, offset, matrix = self._consts
        truth = Truth(
            t_true[keep], np.degrees(ap[keep]), np.degrees(ml[keep]), mb.quat_seg[keep],
            out.bias_dps[keep], {k_: v[keep] for k_, v in mb.extra.items()},
            mount, offset, matrix, self.motion.events,
        )
        self._block += 1
        self._k += n
        self._t_true_end = float(t_true[-1]) if n else self._t_true_end
        if len(batch):
            self._pending.append((batch, truth))
            self._n_pending += len(batch)

    def _take(self, n: int) -> tuple[SampleBatch, Truth]:
        batches: list[SampleBatch] = []
        truths: list[Truth] = []
        left = n
        while left > 0:
            batch, truth = self._pending[0]
            if len(batch) <= left:
                self._pending.popleft()
                batches.append(batch)
                truths.append(truth)
                left -= len(batch)
            else:
                batches.append(batch.slice(0, left))
                truths.append(truth.slice(0, left))
                self._pending[0] = (batch.slice(left), truth.slice(left))
                left = 0
        self._n_pending -= n
        if not batches:
            return SampleBatch.empty(), self._empty_truth()
        batch = SampleBatch.concat(batches)
        events = self.events if self.exhausted else self.events_until(float(batch.t_s[-1]))
        return batch, Truth.concat(truths, events)

    def _empty_truth(self) -> Truth:
        mount, offset, matrix = self._consts
        return Truth(
            np.empty(0), np.empty(0), np.empty(0), np.empty((0, 4)), np.empty((0, 3)), {},
            mount, offset, matrix, [],
        )


def simulate(config: SimConfig) -> SimulatedRecording:
    """A whole finite recording (``duration_s`` must be set) with its truth."""
    if config.duration_s is None:
        raise ValueError("simulate() needs a finite duration_s (use SensorStream for endless)")
    stream = SensorStream(config)
    batch, truth = stream.next_with_truth(config.n_samples or 0)
    return SimulatedRecording(batch=batch, truth=truth, info=stream.info, config=config)
