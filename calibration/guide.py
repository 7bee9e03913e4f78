"""Guided calibration on a live stream: one collector per step, fed batch by batch.

The same collectors serve the terminal (``balance-trainer calibrate``), the dashboard wizard and
tests: feed raw samples as they arrive, show ``status()`` (prompt, progress, live stillness) and the
messages ``feed`` returns, and read ``result`` once ``done``. Stillness is judged every
``block_s`` on the last ``window_s`` of data. Moving during a step is detected and that step (the
10 s rest, the face being held, the standing posture) starts again, with a message saying so.
Pure numpy: no I/O, no threads, no clock (time comes from the samples).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from calibration.accel import (
    FACE_MAX_TILT_DEG,
    FACE_PROMPTS,
    FACE_VECTORS,
    FACES,
    AccelFit,
    Pose,
    face_of,
    fit_accel,
)
from calibration.errors import CalibrationError
from calibration.gyro import GyroBiasResult, estimate_gyro_bias
from calibration.mounting import (
    MountResult,
    analyse_swing,
    check_side_placement,
    mounting_from_vectors,
)
from calibration.rotation import quat_from_matrix
from trainer.core.stillness import STANDING, TABLE, StillnessThresholds, is_still
from trainer.vocab.calibration import CalibrationProfile

FloatArray = NDArray[np.float64]

GYRO_HOLD_S = 10.0
FACE_HOLD_S = 3.0
STAND_HOLD_S = 3.0
MOVED_AFTER_S = 0.75  # a still run at least this long that ends in movement is "moved"

STEP_TITLES = {
    "gyro": "Gyroscope bias",
    "accel": "Accelerometer: six faces",
    "mount": "Mounting on the leg",
}


@dataclass(frozen=True, slots=True)
class GuideStatus:
    """What a user interface shows for the running step."""

    step: str
    prompt: str
    progress: float        # 0..1 for the whole step
    still: bool | None     # stillness of the last window (None before a full window)
    done: bool
    detail: str = ""       # e.g. "3/6 faces", "hold 4.2/10 s"


class Collector:
    """Base: buffers samples, judges stillness per block, calls ``_on_block``."""

    step = ""

    def __init__(self, thresholds: StillnessThresholds, *, block_s: float = 0.25,
                 profile: CalibrationProfile | None = None) -> None:
        self.thresholds = thresholds
        self.block_s = block_s
        self.profile = profile  # applied to incoming data (mounting needs calibrated data)
        self._t_buf = np.zeros(0)
        self._acc_buf = np.zeros((0, 3))
        self._gyr_buf = np.zeros((0, 3))
        self._n = 0
        self.t_s = self._t_buf
        self.acc_g = self._acc_buf
        self.gyr_dps = self._gyr_buf
        self.fs: float | None = None
        self._w = 0
        self._block = 0
        self._next = 0
        self.done = False
        self.error: str | None = None
        self.repeats = 0          # how often movement restarted a part of the step
        self.last_still: bool | None = None
        self._messages: list[str] = []

    # ------------------------------------------------------------------ feeding
    def feed(self, t_s: FloatArray, acc_g: FloatArray, gyr_dps: FloatArray) -> list[str]:
        """Add raw samples; returns the messages this produced (moved, captured, …)."""
        if self.done or len(t_s) == 0:
            return []
        acc = np.asarray(acc_g, dtype=np.float64).reshape(-1, 3)
        gyr = np.asarray(gyr_dps, dtype=np.float64).reshape(-1, 3)
        if self.profile is not None:
            acc, gyr = self.profile.apply(acc, gyr)
        self._append(np.asarray(t_s, dtype=np.float64).reshape(-1), acc, gyr)
        if self.fs is None:
            if self.t_s.shape[0] < 10:
                return []
            dt = float(np.median(np.diff(self.t_s)))
            if not dt > 0:
                return []
            self.fs = 1.0 / dt
            self._w = max(2, round(self.thresholds.window_s * self.fs))
            self._block = max(1, round(self.block_s * self.fs))
            self._next = self._w
        n = self.t_s.shape[0]
        while not self.done and self._next <= n:
            e = self._next
            self.last_still = is_still(self.acc_g[e - self._w:e], self.gyr_dps[e - self._w:e],
                                       self.thresholds)
            self._on_block(e, self.last_still)
            self._next += self._block
        out, self._messages = self._messages, []
        return out

    def _append(self, t: FloatArray, acc: FloatArray, gyr: FloatArray) -> None:
        """Append to buffers that grow by doubling (a long live step stays linear in cost);
        ``t_s``/``acc_g``/``gyr_dps`` are views of the filled part."""
        n, k = self._n, t.shape[0]
        if n + k > self._t_buf.shape[0]:
            cap = max(1024, 2 * (n + k))
            for name, cols in (("_t_buf", 0), ("_acc_buf", 3), ("_gyr_buf", 3)):
                old = getattr(self, name)
                grown = np.empty((cap, cols) if cols else (cap,))
                grown[:n] = old[:n]
                setattr(self, name, grown)
        self._t_buf[n:n + k] = t
        self._acc_buf[n:n + k] = acc
        self._gyr_buf[n:n + k] = gyr
        self._n = n + k
        self.t_s = self._t_buf[:self._n]
        self.acc_g = self._acc_buf[:self._n]
        self.gyr_dps = self._gyr_buf[:self._n]

    def feed_batch(self, batch: Any) -> list[str]:
        """Feed a :class:`~trainer.vocab.batch.SampleBatch`."""
        return self.feed(batch.t_s, batch.acc_g, batch.gyr_dps)

    def _say(self, text: str) -> None:
        self._messages.append(text)

    def _seconds(self, a: int, b: int) -> float:
        return (b - a) / (self.fs or 1.0)

    def _on_block(self, e: int, still: bool) -> None:
        raise NotImplementedError

    def status(self) -> GuideStatus:
        raise NotImplementedError


class GyroCollector(Collector):
    """Ten seconds of uninterrupted rest on a table; movement restarts the count."""

    step = "gyro"

    def __init__(self, *, hold_s: float = GYRO_HOLD_S, block_s: float = 0.25) -> None:
        super().__init__(TABLE, block_s=block_s)
        self.hold_s = hold_s
        self._run: int | None = None
        self._len_s = 0.0
        self.result: GyroBiasResult | None = None

    def _on_block(self, e: int, still: bool) -> None:
        if not still:
            if self._run is not None and self._seconds(self._run, e) >= MOVED_AFTER_S + 1.0:
                self.repeats += 1
                self._say(f"moved: keep the sensor still; the {self.hold_s:.0f} s start again")
            self._run, self._len_s = None, 0.0
            return
        if self._run is None:
            self._run = e - self._w
        self._len_s = self._seconds(self._run, e)
        if self._len_s >= self.hold_s:
            sl = slice(self._run, e)
            try:
                self.result = estimate_gyro_bias(self.t_s[sl], self.acc_g[sl], self.gyr_dps[sl],
                                                 min_still_s=0.6 * self.hold_s)
            except CalibrationError as exc:
                self._say(str(exc))
                self._run, self._len_s = None, 0.0
                return
            b = self.result.bias_dps
            self._say(f"{self.hold_s:.0f} s of rest captured: bias {b[0]:+.3f} {b[1]:+.3f} "
                      f"{b[2]:+.3f} °/s")
            self.done = True

    def status(self) -> GuideStatus:
        return GuideStatus(
            step=self.step,
            prompt=f"Lay the sensor on a table and do not touch it ({self.hold_s:.0f} s)",
            progress=1.0 if self.done else min(1.0, self._len_s / self.hold_s),
            still=self.last_still, done=self.done,
            detail=f"still {min(self._len_s, self.hold_s):.1f}/{self.hold_s:.0f} s")


@dataclass(frozen=True, slots=True)
class PoseTarget:
    """One pose the accelerometer step asks for: a direction that should point up."""

    key: str
    label: str
    up_s: FloatArray
    max_angle_deg: float
    prompt: str


def _unit(v: list[float]) -> FloatArray:
    arr = np.asarray(v, dtype=np.float64)
    out: FloatArray = arr / np.linalg.norm(arr)
    return out


#: Optional refinement after the six faces: propped at about 45° between two axes. These pin the
#: three cross-axis terms through |a| = 1 g alone, so they stay right when the table is not level
#: or the case is not square (six faces alone: cross-axis about as good as the faces are square).
TILTED_TARGETS = (
    PoseTarget("+X+Y", "+X+Y", _unit([1, 1, 0]), 25.0,
               "+X+Y: prop it at about 45° so +X and +Y both point up (lean it on a book)"),
    PoseTarget("+X+Z", "+X+Z", _unit([1, 0, 1]), 25.0,
               "+X+Z: prop it at about 45° so +X and +Z both point up"),
    PoseTarget("+Y+Z", "+Y+Z", _unit([0, 1, 1]), 25.0,
               "+Y+Z: prop it at about 45° so +Y and +Z both point up"),
)


def accel_targets(*, rounds: int = 1, tilted: bool = True) -> list[PoseTarget]:
    """The poses of the accelerometer step: the six faces (``rounds`` times; each new placement
    on a slightly uneven surface adds information), then optionally the three tilted poses."""
    out = []
    for r in range(rounds):
        suffix = "" if r == 0 else f" (round {r + 1})"
        out += [PoseTarget(f + ("" if r == 0 else f"#{r + 1}"), f + " up" + suffix,
                           FACE_VECTORS[f], FACE_MAX_TILT_DEG, FACE_PROMPTS[f] + suffix)
                for f in FACES]
    if tilted:
        out += list(TILTED_TARGETS)
    return out


class FaceCollector(Collector):
    """Each target pose (six faces, optionally tilted poses) held still for ``hold_s``, in any
    order (the prompt suggests the next). Moving before a pose is captured repeats that pose."""

    step = "accel"

    def __init__(self, *, hold_s: float = FACE_HOLD_S, block_s: float = 0.25, rounds: int = 1,
                 tilted: bool = True) -> None:
        super().__init__(TABLE, block_s=block_s)
        self.hold_s = hold_s
        self.targets = accel_targets(rounds=rounds, tilted=tilted)
        self.poses: dict[str, Pose] = {}
        self._run: int | None = None
        self._handled = False
        self._len_s = 0.0
        self.result: AccelFit | None = None

    @property
    def next_target(self) -> PoseTarget | None:
        return next((t for t in self.targets if t.key not in self.poses), None)

    def _match(self, u: FloatArray) -> tuple[PoseTarget | None, PoseTarget | None, float]:
        """(first open target within its tolerance, nearest target overall, angle to it)."""
        angles = [float(np.degrees(np.arccos(np.clip(u @ t.up_s, -1.0, 1.0))))
                  for t in self.targets]
        open_match = next((t for t, a in zip(self.targets, angles, strict=True)
                           if a <= t.max_angle_deg and t.key not in self.poses), None)
        k = int(np.argmin(angles))
        return open_match, self.targets[k], angles[k]

    def _on_block(self, e: int, still: bool) -> None:
        if not still:
            if (self._run is not None and not self._handled
                    and self._seconds(self._run, e) >= MOVED_AFTER_S + 1.0):
                held = self.acc_g[self._run:e - self._w].mean(axis=0)
                _, nearest, _ = self._match(held / np.linalg.norm(held))
                self.repeats += 1
                name = nearest.label if nearest else "the pose"
                self._say(f"moved before {name} was captured: hold it still again")
            self._run, self._handled, self._len_s = None, False, 0.0
            return
        if self._run is None:
            self._run, self._handled = e - self._w, False
        if self._handled:
            return
        self._len_s = self._seconds(self._run, e)
        if self._len_s < self.hold_s:
            return
        self._handled = True
        start = self._run + round(0.25 * (self.fs or 1.0))
        block = self.acc_g[start:e]
        mean = block.mean(axis=0)
        target, nearest, angle = self._match(mean / np.linalg.norm(mean))
        if target is None:
            nxt = self.next_target
            hint = f"; next: {nxt.prompt}" if nxt else ""
            if nearest is not None and nearest.key in self.poses and angle <= nearest.max_angle_deg:
                self._say(f"{nearest.label} is done already{hint}")
            else:
                face, tilt = face_of(mean)
                self._say(f"tilted {tilt:.0f}° from {face} up: not one of the poses{hint}")
            return
        self.poses[target.key] = Pose(
            acc_g=mean, n=int(block.shape[0]), std_g=float(np.sqrt(block.var(axis=0).sum())),
            t_start_s=float(self.t_s[start]), t_stop_s=float(self.t_s[e - 1]))
        self._say(f"captured {target.label} ({len(self.poses)}/{len(self.targets)})")
        if len(self.poses) == len(self.targets):
            try:
                self.result = fit_accel(list(self.poses.values()))
            except CalibrationError as exc:
                self.error = str(exc)
                self._say(str(exc))
            self.done = True

    def status(self) -> GuideStatus:
        nxt = self.next_target
        current = 0.0 if self._handled else min(1.0, self._len_s / self.hold_s)
        n = len(self.targets)
        return GuideStatus(
            step=self.step,
            prompt=nxt.prompt if nxt else "all poses captured",
            progress=1.0 if self.done else (len(self.poses) + current) / n,
            still=self.last_still, done=self.done,
            detail=f"{len(self.poses)}/{n} poses ({', '.join(self.poses) or 'none yet'})")


class MountCollector(Collector):
    """Stand still (the vertical), then one forward leg swing (the medio-lateral axis). The
    profile's sensor calibration is applied to the data first. A swing that is too small or not
    straight is asked for again."""

    step = "mount"

    def __init__(self, *, side: str, placement: str, profile: CalibrationProfile | None = None,
                 stand_s: float = STAND_HOLD_S, block_s: float = 0.25) -> None:
        check_side_placement(placement, side)
        super().__init__(STANDING, block_s=block_s, profile=profile)
        self.side, self.placement = side, placement
        self.stand_s = stand_s
        self.phase = "stand"
        self._run: int | None = None
        self._len_s = 0.0
        self._vertical: FloatArray | None = None
        self._stand_len_s = 0.0
        self._swing_start: int | None = None
        self.result: MountResult | None = None

    def _on_block(self, e: int, still: bool) -> None:
        if still:
            if self._run is None:
                self._run = e - self._w
            self._len_s = self._seconds(self._run, e)
            if self._swing_start is not None:  # the swing just ended
                self._finish_swing(self._swing_start, e - self._w)
                self._swing_start = None
                return
            if self._len_s >= self.stand_s:
                start = self._run + round(0.25 * (self.fs or 1.0))
                self._vertical = self.acc_g[start:e].mean(axis=0)
                self._stand_len_s = self._seconds(start, e)
                if self.phase == "stand":
                    self.phase = "swing"
                    self._say("standing posture captured; now " + (
                        "lean the trunk forward and back up" if self.placement == "trunk"
                        else "swing the leg forward and back"))
            return
        # moving
        if self.phase == "stand" and self._run is not None and self._len_s >= MOVED_AFTER_S:
            self.repeats += 1
            self._say("moved: stand still on both feet again")
        if self.phase == "swing" and self._swing_start is None:
            self._swing_start = e - self._w
        self._run, self._len_s = None, 0.0

    def _finish_swing(self, a: int, b: int) -> None:
        assert self._vertical is not None and self.fs is not None
        try:
            lean = self.placement == "trunk"
            swing = analyse_swing(self.gyr_dps[a:b], self.fs, lean=lean)
            matrix, tilt = mounting_from_vectors(self._vertical, swing.axis_s, lean=lean)
        except CalibrationError as exc:
            self.repeats += 1
            self._say(f"{exc}; try again")
            return
        self.result = MountResult(
            matrix=matrix, quat_wxyz=quat_from_matrix(matrix), placement=self.placement,
            side=self.side, vertical_s=self._vertical / float(np.linalg.norm(self._vertical)),
            swing=swing, axis_tilt_deg=tilt, stand_s=self._stand_len_s)
        self._say(f"{'lean' if self.placement == 'trunk' else 'swing'} of "
                  f"{swing.excursion_deg:.0f}° captured")
        self.done = True

    def status(self) -> GuideStatus:
        trunk = self.placement == "trunk"
        if self.phase == "stand":
            where = "the lower back" if trunk else f"the {self.side} {self.placement}"
            prompt = (f"Strap the sensor on {where}; stand still on both feet "
                      f"({self.stand_s:.0f} s)")
            progress = 0.5 * min(1.0, self._len_s / self.stand_s)
        else:
            prompt = ("Lean the trunk about 30° forward from the hips and back up, then stand "
                      "still" if trunk else f"Swing the {self.side} leg about 30° forward and "
                      "back, knee straight, then stand still")
            progress = 1.0 if self.done else 0.5 + (0.25 if self._swing_start is not None else 0)
        return GuideStatus(step=self.step, prompt=prompt, progress=progress,
                           still=self.last_still, done=self.done, detail=self.phase)


def make_collector(step: str, *, side: str = "left", placement: str = "shank",
                   profile: CalibrationProfile | None = None, rounds: int = 1,
                   tilted: bool = True) -> Collector:
    """The collector of one step (``gyro``, ``accel`` or ``mount``)."""
    if step == "gyro":
        return GyroCollector()
    if step == "accel":
        return FaceCollector(rounds=rounds, tilted=tilted)
    if step == "mount":
        return MountCollector(side=side, placement=placement, profile=profile)
    raise CalibrationError(f"unknown step {step!r} (gyro, accel or mount)")
