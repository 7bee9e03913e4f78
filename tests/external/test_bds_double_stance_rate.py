"""How quiet real two-foot stance is, against the balance-loss detector's settle test: after a
loss the person stands on both feet, and the detector asks for 2 s whose tilt-rate RMS is below
``settle_max_quiet_dps`` (3 °/s; ``trainer/core/events.py``). Real two-foot stance (BDS, Santos &
Duarte 2016, force plate; every trial, firm and foam, eyes open and closed): the body's tilt rate
from the centre of pressure low-passed at 1 Hz (a centre-of-mass stand-in) over a 0.9 m
pendulum. Measured: quietest 2 s 0.06-0.34 °/s, busiest 2 s at most 3.2 °/s (foam) — the fixed
limit is an order of magnitude above real quiet two-foot stance, so it was kept when a busier
model of the stance after a loss (2.4-4 °/s at its quietest, README "busy falls") argued for
dropping it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from trainer.core.events import EventConfig

pytestmark = pytest.mark.external

FS_HZ = 100.0
PENDULUM_M = 0.9
WINDOW_S = 2.0


def tilt_rate_rms_2s(cop_cm: np.ndarray) -> np.ndarray:
    """RMS over each 2 s window of the body's tilt rate (°/s) from the centre of pressure."""
    sos = butter(2, 1.0, fs=FS_HZ, output="sos")
    com_m = sosfiltfilt(sos, cop_cm / 100.0, axis=0)
    v_ms = np.gradient(com_m, 1.0 / FS_HZ, axis=0)
    rate_dps = np.degrees(np.hypot(v_ms[:, 0], v_ms[:, 1]) / PENDULUM_M)
    n = int(WINDOW_S * FS_HZ)
    return np.sqrt(np.convolve(rate_dps**2, np.ones(n) / n, mode="valid"))


def test_real_two_foot_stance_is_far_quieter_than_the_settle_limit(shared_data: Path) -> None:
    trials = sorted((shared_data / "bds").glob("BDS*.txt"))
    assert len(trials) >= 10
    limit = EventConfig().settle_max_quiet_dps
    quietest, busiest = [], []
    for path in trials:
        rms = tilt_rate_rms_2s(np.loadtxt(path, skiprows=1)[:, 7:9])
        quietest.append(rms.min())
        busiest.append(rms.max())
    # measured: quietest 0.06-0.34 °/s, busiest <= 3.2 °/s (one foam trial)
    assert max(quietest) < limit / 5
    assert np.median(busiest) < limit / 2
