"""What to simulate: the scenario, the person's condition, and the sensor's errors (one frozen
dataclass, so a seed plus a config reproduces a recording exactly)."""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from firmware_bridge.simulator.guide import (
    REACTION_S,
    Guide,
    GuideSchedule,
    positive_number,
    schedule_from_plan,
)
from trainer.vocab.drills import drill_facts
from trainer.vocab.ids import DRILL_IDS

#: Calibration scenarios: a still sensor, six still faces, standing still then a forward leg swing.
CALIBRATION_SCENARIOS = ("still", "six-face", "mount-swing")
SCENARIOS = DRILL_IDS + CALIBRATION_SCENARIOS

#: Where the sensor sits when the config does not say: the drill's placement in the catalog
#: (rotations about the foot's long axis are invisible on the shank); calibration: the shank.
DEFAULT_PLACEMENT = {**{d: drill_facts(d).placement for d in DRILL_IDS},
                     **dict.fromkeys(CALIBRATION_SCENARIOS, "shank")}
#: Drills whose guided sets are reps (the others' are timed holds): the catalog's kinds.
REP_SCENARIOS = tuple(d for d in DRILL_IDS if drill_facts(d).counts_reps)

Vec3 = tuple[float, float, float]


@dataclass(frozen=True)
class SimConfig:
    """Everything that determines a simulated recording (same config → same samples).

    Times in ``balance_loss_times_s`` are on the session (device) clock. Drill parameters left at
    ``None`` take the drill's defaults (see ``firmware_bridge.simulator.drills``). ``guide``: the
    person follows a drill guide's plan (``firmware_bridge.simulator.guide``; its sets replace
    ``reps``, ``hold_s`` and ``rest_s``); None (default): the scenario's own endless schedule.
    A mapping (e.g. read back from JSON) is accepted for ``guide``.
    """

    seed: int = 0
    sample_rate_hz: float = 100.0
    duration_s: float | None = 60.0  # None: endless
    scenario: str = "single-leg-balance"
    eyes: str = "open"  # open | closed
    surface: str = "firm"  # firm | foam
    side: str = "left"  # left | right
    placement: str | None = None  # shank | foot; None: the scenario's default
    posture: str | None = None  # drills: long-sit | chair | standing; None: the drill's default
    mount_quat_wxyz: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 0.0)
    sway_scale: float = 1.0  # multiplies the stance noise (person-to-person variation)
    # sensor errors (WitMotion-like defaults)
    gyro_bias_dps: Vec3 = (0.4, -0.25, 0.15)
    gyro_bias_rw_dps_per_sqrt_s: float = 0.002  # bias random walk (drift)
    gyro_noise_dps: float = 0.05  # white noise, std per sample
    acc_noise_g: float = 0.002
    acc_offset_g: Vec3 = (0.0, 0.0, 0.0)
    acc_scale: Vec3 = (1.0, 1.0, 1.0)
    acc_misalignment_rad: Vec3 = (0.0, 0.0, 0.0)  # non-orthogonality (yx, zx, zy), lower triangle
    acc_range_g: float = 16.0
    gyr_range_dps: float = 2000.0
    quantize: bool = True  # int16 over ±range, like WitMotion frames
    # timing and link
    clock_drift_ppm: float = 0.0  # device oscillator error: true rate = nominal·(1 + ppm·1e-6)
    jitter_s: float = 0.0  # std of timestamp jitter (clipped to ±0.45 sample)
    packet_loss: float = 0.0  # expected fraction of samples lost, in runs
    loss_run_mean_samples: float = 4.0
    # balance losses (single-leg balance)
    balance_loss_times_s: tuple[float, ...] = ()
    balance_loss_rate_per_min: float = 0.0
    # drill parameters (None: drill default)
    reps: int | None = None
    tempo_s: float | None = None  # duration of one repetition
    amplitude_deg: float | None = None
    hold_s: float | None = None
    rest_s: float | None = None
    hold_disturbance: bool = False  # one movement during a hold (isometric drills)
    guide: GuideSchedule | None = None  # follow a drill guide's sets (see guide.py)
    # identity reported in SourceInfo
    name: str = "SimIMU"
    address: str = "SIM:00:00:00:00:01"

    def __post_init__(self) -> None:
        errors: list[str] = []

        def check(ok: bool, msg: str) -> None:
            if not ok:
                errors.append(msg)

        check(isinstance(self.seed, numbers.Integral) and 0 <= int(self.seed) < 2**63,
              "seed must be an integer >= 0")
        check(self.scenario in SCENARIOS, f"unknown scenario {self.scenario!r}")
        check(self.eyes in ("open", "closed"), "eyes must be 'open' or 'closed'")
        check(self.surface in ("firm", "foam"), "surface must be 'firm' or 'foam'")
        check(self.side in ("left", "right"), "side must be 'left' or 'right'")
        check(self.placement in (None, "shank", "foot"), "placement must be 'shank' or 'foot'")
        check(self.posture in (None, "long-sit", "chair", "standing"),
              "posture must be 'long-sit', 'chair' or 'standing'")
        check(_finite(self.sample_rate_hz) and 10.0 <= self.sample_rate_hz <= 2000.0,
              "sample_rate_hz must be within 10..2000")
        check(self.duration_s is None or (_finite(self.duration_s) and self.duration_s > 0),
              "duration_s must be positive (or None for endless)")
        q = np.asarray(self.mount_quat_wxyz, dtype=float)
        check(q.shape == (4,) and bool(np.all(np.isfinite(q))) and float(np.linalg.norm(q)) > 1e-6,
              "mount_quat_wxyz must be 4 finite numbers, not all zero")
        check(0.0 <= self.packet_loss < 0.9, "packet_loss must be within 0..0.9")
        check(self.loss_run_mean_samples >= 1.0, "loss_run_mean_samples must be >= 1")
        check(abs(self.clock_drift_ppm) < 1e5, "clock_drift_ppm out of range")
        check(self.jitter_s >= 0.0 and self.balance_loss_rate_per_min >= 0.0,
              "jitter_s and balance_loss_rate_per_min must be >= 0")
        check(self.sway_scale >= 0.0, "sway_scale must be >= 0")
        check(self.acc_range_g > 0 and self.gyr_range_dps > 0, "ranges must be positive")
        check(all(s > 0 for s in self.acc_scale), "acc_scale must be positive")
        check(self.reps is None or self.reps >= 0, "reps must be >= 0")
        for name in ("tempo_s", "amplitude_deg", "hold_s", "rest_s"):
            val = getattr(self, name)
            check(val is None or (_finite(val) and val > 0), f"{name} must be positive")
        if isinstance(self.guide, Mapping):
            try:
                object.__setattr__(self, "guide", GuideSchedule.from_dict(self.guide))
            except ValueError as exc:
                errors.append(str(exc))
        if isinstance(self.guide, GuideSchedule):
            errors += self.guide.errors()
            work = "reps" if self.scenario in REP_SCENARIOS else "hold"
            check(self.scenario in DRILL_IDS, "a guide needs a drill scenario")
            check(all(s.work == work for s in self.guide.sets),
                  f"the guide of {self.scenario} must have {work} sets")
        else:
            check(self.guide is None, "guide must be a GuideSchedule (or its dict)")
        if errors:
            raise ValueError("; ".join(errors))

    # derived values -------------------------------------------------------------------------
    @property
    def effective_placement(self) -> str:
        return self.placement or DEFAULT_PLACEMENT[self.scenario]

    @property
    def lateral_sign(self) -> float:
        """+1 when the person's left (+y) is lateral for the instrumented leg (left leg)."""
        return 1.0 if self.side == "left" else -1.0

    @property
    def true_rate_hz(self) -> float:
        """The rate at which the device really samples (its oscillator is off by the drift)."""
        return self.sample_rate_hz * (1.0 + self.clock_drift_ppm * 1e-6)

    @property
    def n_samples(self) -> int | None:
        """Samples produced by the device (before packet loss), or None when endless."""
        if self.duration_s is None:
            return None
        return round(self.duration_s * self.sample_rate_hz)

    def mount_quat(self) -> NDArray[np.float64]:
        q = np.asarray(self.mount_quat_wxyz, dtype=np.float64)
        out: NDArray[np.float64] = q / np.linalg.norm(q)
        return out

    def acc_error_matrix(self) -> NDArray[np.float64]:
        """``E`` in raw = E·true + offset: diag(scale) × unit lower-triangular misalignment."""
        a, b, c = self.acc_misalignment_rad
        mis = np.array([[1.0, 0.0, 0.0], [a, 1.0, 0.0], [b, c, 1.0]])
        out: NDArray[np.float64] = np.diag(np.asarray(self.acc_scale, dtype=np.float64)) @ mis
        return out

    def true_acc_matrix(self) -> NDArray[np.float64]:
        """The contract's ``acc_matrix`` a perfect 6-face calibration would find (E⁻¹)."""
        out: NDArray[np.float64] = np.asarray(np.linalg.inv(self.acc_error_matrix()), np.float64)
        return out


def follow_guide(config: SimConfig, guide: Guide, *, start_s: float = 0.0,
                 reaction_s: float = REACTION_S) -> SimConfig:
    """``config`` with the simulated person following ``guide`` (started at session time
    ``start_s``): its sets, reps, holds, rests and countdowns, and its tempo unless the config
    sets one. The config's scenario must be the guide's drill."""
    params = guide.params
    tempo = params.get("tempo_s")
    if config.tempo_s is None and isinstance(tempo, int | float) and positive_number(tempo):
        config = replace(config, tempo_s=float(tempo))
    return replace(config, guide=schedule_from_plan(guide.plan, params, start_s=start_s,
                                                    reaction_s=reaction_s))


def _finite(x: float) -> bool:
    return isinstance(x, int | float) and math.isfinite(x)
