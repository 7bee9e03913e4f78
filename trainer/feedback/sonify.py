"""Audio biofeedback (Chiari et al. 2005, Dozza et al. 2005 style), pure numpy.

Mapping: no sound inside a dead zone around the reference; beyond it the loudness grows with the
distance, the pitch rises with forward (AP +) tilt and falls with backward tilt, and the stereo pan
follows the medio-lateral tilt so the sound comes from the side the user leans to. The
:class:`Synth` turns the (frequently updated) targets into a phase-continuous, click-free stereo
signal; it is chunk-invariant (rendering 2×256 frames equals 512 frames) so the audio callback's
block size never changes the sound.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class SonificationParams:
    """How tilt becomes sound. ``ml_sign`` = +1 pans positive ML tilt to the right channel."""

    dead_zone_deg: float = 1.0
    saturation_deg: float = 6.0
    base_hz: float = 440.0
    octaves: float = 1.0
    max_gain: float = 0.25
    ml_sign: float = -1.0  # +ML = lateral: the left leg's lateral side is left (right leg: +1)

    def __post_init__(self) -> None:
        if not (0 <= self.dead_zone_deg < self.saturation_deg):
            raise ValueError("need 0 <= dead_zone_deg < saturation_deg")
        if not (self.base_hz > 0 and 0 <= self.max_gain <= 1):
            raise ValueError("base_hz must be > 0 and max_gain in [0, 1]")


def map_tilt(
    tilt_ap_deg: ArrayLike, tilt_ml_deg: ArrayLike, params: SonificationParams | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(frequency Hz, pan −1 left … +1 right, gain 0…max_gain) for each tilt pair; vectorised."""
    p = params or SonificationParams()
    ap = np.nan_to_num(np.asarray(tilt_ap_deg, dtype=np.float64))
    ml = np.nan_to_num(np.asarray(tilt_ml_deg, dtype=np.float64))
    span = p.saturation_deg - p.dead_zone_deg
    dist = np.hypot(ap, ml)
    beyond = np.clip((dist - p.dead_zone_deg) / span, 0.0, 1.0)
    gain = p.max_gain * beyond
    # Pitch and pan use the part of each axis beyond the dead zone (soft-threshold), saturated.
    ap_x = np.sign(ap) * np.clip((np.abs(ap) - p.dead_zone_deg) / span, 0.0, 1.0)
    ml_x = np.sign(ml) * np.clip((np.abs(ml) - p.dead_zone_deg) / span, 0.0, 1.0)
    freq = p.base_hz * np.power(2.0, p.octaves * ap_x)
    pan = np.clip(p.ml_sign * ml_x, -1.0, 1.0)
    return freq, pan, gain


#: Drill cue beeps (trainer.drills ``beep`` events): kind → (frequency Hz, duration s); eyes-closed
#: drills are guided by ear.
BEEPS: dict[str, tuple[float, float]] = {
    "tick": (660.0, 0.08),
    "start": (990.0, 0.25),
    "stop": (520.0, 0.35),
    "rep": (880.0, 0.06),
    "warning": (300.0, 0.30),
    "done": (1320.0, 0.45),
}
BEEP_GAIN = 0.3
BEEP_RAMP_S = 0.01  # raised-cosine attack and release: no clicks


class Synth:
    """Phase-continuous sine oscillator with one-pole smoothing of frequency, pan and gain.

    ``set_target`` is called from the GUI thread, ``render`` from the audio callback thread; the
    three targets are swapped under a lock so a block never sees a half-updated set.
    """

    def __init__(self, sample_rate_hz: float = 44100.0, smoothing_s: float = 0.03) -> None:
        if sample_rate_hz <= 0 or smoothing_s <= 0:
            raise ValueError("sample_rate_hz and smoothing_s must be positive")
        self.sample_rate_hz = float(sample_rate_hz)
        self._a = math.exp(-1.0 / (smoothing_s * sample_rate_hz))
        self._lock = threading.Lock()
        self._phase = 0.0
        self._cur = np.array([440.0, 0.0, 0.0])  # freq, pan, gain
        self._target = self._cur.copy()
        self._beeps: list[list[float]] = []  # [freq, duration in frames, frames done]

    def beep(self, kind: str) -> None:
        """Queue a short centred tone (see ``BEEPS``), mixed over the sonification."""
        freq, dur = BEEPS.get(kind, BEEPS["tick"])
        with self._lock:
            if len(self._beeps) < 8:
                self._beeps.append([freq, round(dur * self.sample_rate_hz), 0])

    def _mix_beeps(self, out: NDArray[np.float32], n_frames: int) -> None:
        with self._lock:
            beeps = list(self._beeps)
        fs = self.sample_rate_hz
        ramp = max(1, round(BEEP_RAMP_S * fs))
        for b in beeps:
            freq, total, done = b[0], int(b[1]), int(b[2])
            k = np.arange(done, min(total, done + n_frames))
            if k.size == 0:
                continue
            env = np.minimum(1.0, np.minimum(k, total - 1 - k) / ramp)
            env = 0.5 - 0.5 * np.cos(np.pi * np.clip(env, 0.0, 1.0))
            tone = (BEEP_GAIN * env * np.sin(2.0 * np.pi * freq * k / fs)).astype(np.float32)
            out[: k.size, 0] += tone
            out[: k.size, 1] += tone
            b[2] = done + k.size
        with self._lock:
            self._beeps = [b for b in self._beeps if b[2] < b[1]]

    def set_target(self, freq_hz: float, pan: float, gain: float) -> None:
        with self._lock:
            self._target = np.array([float(freq_hz), float(pan), float(gain)])

    def silence(self) -> None:
        with self._lock:
            self._target = np.array([self._target[0], self._target[1], 0.0])

    @property
    def current(self) -> tuple[float, float, float]:
        """The smoothed (frequency, pan, gain) after the last rendered frame."""
        f, p, g = self._cur
        return float(f), float(p), float(g)

    def render(self, n_frames: int) -> NDArray[np.float32]:
        """The next ``n_frames`` stereo frames, float32 (n, 2) in [−1, 1]."""
        with self._lock:
            target = self._target.copy()
        if n_frames <= 0:
            return np.zeros((0, 2), dtype=np.float32)
        # Closed form of the one-pole filter x[k] = a x[k-1] + (1-a) target, k = 1..n.
        decay = self._a ** np.arange(1, n_frames + 1, dtype=np.float64)
        params = target[None, :] + (self._cur - target)[None, :] * decay[:, None]
        freq, pan, gain = params[:, 0], params[:, 1], params[:, 2]
        step = 2.0 * np.pi * freq / self.sample_rate_hz
        phase = self._phase + np.cumsum(step)
        # Use the phase *before* each step for the sample, so block joins are seamless.
        sample_phase = phase - step
        wave = np.sin(sample_phase) * gain
        angle = (pan + 1.0) * (np.pi / 4.0)  # equal-power pan law
        out = np.empty((n_frames, 2), dtype=np.float32)
        out[:, 0] = wave * np.cos(angle)
        out[:, 1] = wave * np.sin(angle)
        self._phase = float(phase[-1] % (2.0 * np.pi))
        self._cur = params[-1].copy()
        if self._beeps:
            self._mix_beeps(out, n_frames)
        return out
