"""Timed notification schedules for the mock: a sensor whose crystal runs ``drift_ppm`` off,
sending its samples in notifications of ``per_packet`` samples over a BLE link whose connection
events come every ``ci_s`` (at most ``per_event`` notifications each) — and a tap that every
sensor feels at one true moment. Times are ``time.monotonic()`` of this machine (the mock's
clock too), so a test knows when each sample was really taken."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from firmware_bridge.profiles import reference, witmotion

TAP_WIDTH_S = 0.04
TAP_G = 2.0


@dataclass
class TimedStream:
    packets: list[bytes]
    times_s: list[float]  # host monotonic time each notification is sent
    t_true_s: np.ndarray  # host time each sample was taken
    acc_g: np.ndarray  # what the decoder yields (quantised)


def tap_signal(t_true: np.ndarray, t_tap: float, rng: np.random.Generator) -> np.ndarray:
    """1 g on z plus noise, and a raised-cosine tap of ``TAP_G`` starting at ``t_tap``."""
    acc = np.zeros((t_true.size, 3))
    acc[:, 2] = 1.0
    acc += rng.normal(0, 0.004, acc.shape)
    x = (t_true - t_tap) / TAP_WIDTH_S
    acc[:, 2] += TAP_G * np.where((x >= 0) & (x <= 1), 0.5 - 0.5 * np.cos(2 * np.pi * x), 0.0)
    return acc


def schedule(queued_s: np.ndarray, ci_s: float, phase_s: float, per_event: int = 6
             ) -> np.ndarray:
    """When each notification (queued at ``queued_s``) goes out: the next connection event
    with room."""
    sent = np.empty_like(queued_s)
    counts: dict[int, int] = {}
    free = -(10**9)
    for i, tq in enumerate(queued_s):
        k = max(int(np.ceil((tq - phase_s) / ci_s)), free)
        while counts.get(k, 0) >= per_event:
            k += 1
        counts[k] = counts.get(k, 0) + 1
        free = k
        sent[i] = phase_s + k * ci_s
    return sent


def timed_stream(profile: str, *, start_s: float, duration_s: float, rate_hz: float,
                 drift_ppm: float, ci_s: float, t_tap_s: float, seed: int,
                 per_packet: int = 1) -> TimedStream:
    """The notifications of a drifting ``profile`` sensor that taps at host time ``t_tap_s``."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate_hz) // per_packet * per_packet
    t_dev = np.arange(n) / rate_hz
    t_true = start_s + t_dev / (1 + drift_ppm * 1e-6)
    acc = tap_signal(t_true, t_tap_s, rng)
    gyr = rng.normal(0, 0.5, acc.shape)
    queued = t_true[per_packet - 1::per_packet]
    sent = schedule(queued, ci_s, float(rng.uniform(0, ci_s)))
    if profile == "witmotion":
        acc_raw = np.round(acc / witmotion.ACC_SCALE_G).astype(np.int16)
        gyr_raw = np.round(gyr / witmotion.GYR_SCALE_DPS).astype(np.int16)
        data = witmotion.encode_frames(acc_raw, gyr_raw)
        size = 20 * per_packet
        packets = [data[i:i + size] for i in range(0, len(data), size)]
        return TimedStream(packets, sent.tolist(), t_true, acc_raw * witmotion.ACC_SCALE_G)
    if profile == "reference":  # asks for 8 g / 1000 dps
        acc_raw = np.round(acc / (8 / 32768)).astype(np.int16)
        gyr_raw = np.round(gyr / (1000 / 32768)).astype(np.int16)
        dt_us = 1e6 / rate_hz
        packets = [reference.encode_packet(i, round(7_000_000 + i * dt_us),
                                           acc_raw[i:i + per_packet], gyr_raw[i:i + per_packet])
                   for i in range(0, n, per_packet)]
        return TimedStream(packets, sent.tolist(), t_true, acc_raw * (8 / 32768))
    raise ValueError(profile)
