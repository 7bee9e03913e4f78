"""Synthetic angle traces with known reps (varied tempo, amplitude, noise, drift) for tests."""

from __future__ import annotations

import numpy as np


def rep_trace(n_reps: int, seed: int, fs: float = 100.0, noise_deg: float = 0.5,
              sign: float = 1.0, amp_range: tuple[float, float] = (8.0, 40.0),
              tempo_range: tuple[float, float] = (1.2, 5.0), drift_deg: float = 3.0,
              wobble_deg: float = 0.0) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """t_s, angle_deg and the true peak times of ``n_reps`` reps (out fast, back slow)."""
    rng = np.random.default_rng(seed)
    parts = [np.zeros(int(2 * fs))]
    peaks: list[float] = []
    t = 2.0
    for _ in range(n_reps):
        tempo = rng.uniform(*tempo_range)
        amp = rng.uniform(*amp_range)
        n = int(tempo * fs)
        ph = np.arange(n) / n
        shape = np.where(ph < 0.35, np.sin(np.pi / 2 * ph / 0.35) ** 2,
                         np.cos(np.pi / 2 * (ph - 0.35) / 0.65) ** 2)
        if wobble_deg:
            shape = shape - wobble_deg / amp * np.exp(-(((ph - 0.45) / 0.04) ** 2))
        parts.append(sign * amp * shape)
        peaks.append(t + 0.35 * tempo)
        t += n / fs
        pause = int(rng.uniform(0.0, 1.5) * fs)
        parts.append(np.zeros(pause))
        t += pause / fs
    parts.append(np.zeros(int(2 * fs)))
    y = np.concatenate(parts)
    tt = np.arange(y.size) / fs
    y = y + rng.normal(0.0, noise_deg, y.size) + drift_deg * np.sin(2 * np.pi * 0.02 * tt)
    return tt, y, peaks
