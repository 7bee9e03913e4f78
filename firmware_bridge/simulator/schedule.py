"""Scripted motions: a lazily generated, ordered plan of smooth primitives (pulses, oscillations)
summed per channel, plus physiological wobble/tremor noise with state carried between blocks.

A plan is a Python generator that draws from its own RNG stream and yields primitives in start
order, so it is deterministic however the sample stream is cut and can be endless.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.signal import butter, lfilter

from firmware_bridge.simulator.motion import FloatArray


def smooth_step(u: FloatArray) -> FloatArray:
    """0 → 1 with zero slope at both ends (raised cosine), clipped outside [0, 1]."""
    out: FloatArray = 0.5 - 0.5 * np.cos(np.pi * np.clip(u, 0.0, 1.0))
    return out


@dataclass
class Pulse:
    """Rise over ``up`` s, stay ``top`` s, fall over ``down`` s: ``amps[channel]`` × profile."""

    t0: float
    up: float
    top: float
    down: float
    amps: dict[str, float]

    @property
    def t_end(self) -> float:
        return self.t0 + self.up + self.top + self.down

    def profile(self, t: FloatArray) -> FloatArray:
        rise = smooth_step((t - self.t0) / self.up)
        fall = smooth_step((t - self.t0 - self.up - self.top) / self.down)
        out: FloatArray = rise - fall
        return out


@dataclass
class Oscillation:
    """``amp·sin(2π·f·s + phase)`` per channel for ``duration`` s, faded in/out over ``ramp`` s."""

    t0: float
    duration: float
    freq_hz: float
    amps: dict[str, tuple[float, float]]  # channel -> (amplitude, phase rad)
    ramp: float = 0.5

    @property
    def t_end(self) -> float:
        return self.t0 + self.duration

    def channel(self, t: FloatArray, name: str) -> FloatArray:
        amp, phase = self.amps[name]
        s = t - self.t0
        env = smooth_step(s / self.ramp) * smooth_step((self.duration - s) / self.ramp)
        out: FloatArray = amp * env * np.sin(2 * np.pi * self.freq_hz * s + phase)
        return out


@dataclass
class Move:
    """A smooth change of a channel's baseline from its current value by ``delta`` over
    ``duration`` s (stays there afterwards): for held postures and moves between them."""

    t0: float
    duration: float
    deltas: dict[str, float]

    @property
    def t_end(self) -> float:
        return self.t0 + self.duration


Primitive = Pulse | Oscillation | Move
PlanItem = tuple[Primitive | None, dict[str, Any] | None]


@dataclass
class Plan:
    """Pulls primitives from a plan generator as time advances and sums them per channel."""

    items: Iterator[PlanItem]
    channels: tuple[str, ...]
    to_session: float
    active: list[Primitive] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    base: dict[str, float] = field(default_factory=dict)
    _pending: list[PlanItem] = field(default_factory=list)
    _done: bool = False

    def _extend(self, t_end: float) -> None:
        while not self._done:
            if not self._pending:
                try:
                    self._pending.append(next(self.items))
                except StopIteration:
                    self._done = True
                    return
            prim, event = self._pending[0]
            start = prim.t0 if prim is not None else float(event["t_s"]) if event else 0.0
            if start > t_end:
                return
            self._pending.pop(0)
            if prim is not None:
                self.active.append(prim)
            if event is not None:
                self.events.append(_to_session(event, self.to_session))

    def block(self, t: FloatArray) -> dict[str, FloatArray]:
        n = t.shape[0]
        out = {c: np.full(n, self.base.get(c, 0.0)) for c in self.channels}
        if n == 0:
            return out
        self._extend(float(t[-1]))
        keep: list[Primitive] = []
        for prim in self.active:
            if isinstance(prim, Pulse):
                p = prim.profile(t)
                for c, a in prim.amps.items():
                    out[c] += a * p
            elif isinstance(prim, Oscillation):
                for c in prim.amps:
                    out[c] += prim.channel(t, c)
            else:
                p = smooth_step((t - prim.t0) / prim.duration)
                for c, d in prim.deltas.items():
                    out[c] += d * p
            if prim.t_end >= t[-1]:
                keep.append(prim)
            elif isinstance(prim, Move):  # finished: fold into the baseline
                for c, d in prim.deltas.items():
                    self.base[c] = self.base.get(c, 0.0) + d
        self.active = keep
        return out


def _to_session(event: dict[str, Any], factor: float) -> dict[str, Any]:
    """Plan events carry true times in keys starting with ``t_``: scale to the session clock."""
    out = dict(event)
    for k, v in event.items():
        if k.startswith("t_") and isinstance(v, float | int):
            out[k] = float(v) * factor
        elif isinstance(v, np.floating):
            out[k] = float(v)
    return out


class Wobble:
    """Low-frequency wobble (2nd-order low-pass, ``fc`` Hz) plus a small 8–12 Hz tremor, per
    channel, with filter state carried between blocks. Amplitudes are standard deviations (deg)."""

    def __init__(self, fs: float, n_channels: int, wobble_deg: float, tremor_deg: float,
                 fc_hz: float = 1.0) -> None:
        self.n = n_channels
        self.b_lp, self.a_lp = butter(2, fc_hz / (fs / 2))
        hi = min(12.0, 0.45 * fs)
        self.b_bp, self.a_bp = butter(2, [min(8.0, 0.5 * hi) / (fs / 2), hi / (fs / 2)], "band")
        # unit-variance gains for white input
        self.g_lp = wobble_deg / _std_gain(self.b_lp, self.a_lp)
        self.g_bp = tremor_deg / _std_gain(self.b_bp, self.a_bp)
        self.zi_lp = np.zeros((n_channels, len(self.a_lp) - 1))
        self.zi_bp = np.zeros((n_channels, len(self.a_bp) - 1))

    def block(self, rng: np.random.Generator, n: int) -> tuple[FloatArray, FloatArray]:
        """(wobble, tremor), each channels × n, in degrees."""
        w = rng.standard_normal((2 * self.n, n))
        lp, self.zi_lp = lfilter(self.b_lp, self.a_lp, w[: self.n], axis=1, zi=self.zi_lp)
        bp, self.zi_bp = lfilter(self.b_bp, self.a_bp, w[self.n :], axis=1, zi=self.zi_bp)
        return self.g_lp * lp, self.g_bp * bp


def _std_gain(b: FloatArray, a: FloatArray) -> float:
    """Output std of the filter for unit white noise (from its impulse response)."""
    imp = np.zeros(4096)
    imp[0] = 1.0
    h = lfilter(b, a, imp)
    return math.sqrt(float(np.sum(h * h)))
