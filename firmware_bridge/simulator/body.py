"""Several sensors on one simulated person (issue 14): both legs and the trunk.

The primary sensor's simulator (``SimulatedSource``: the stance leg's shank or foot, with its
sway, balance losses and their touchdowns) sets what the body does; the other segments follow
from it, as one person's:

- **trunk** (sensor over L5, ``TRUNK_HEIGHT_M`` above the ankle): ankle strategy — the body pivots
  about the stance ankle, so the trunk tilts with the stance shank (``TRUNK_GAIN``); its
  accelerometer sees gravity tilted with it plus the tangential acceleration ``h·θ̈``; the
  touchdown's impact reaches it damped.
- **stance foot**: flat on the floor (still, small impact at touchdown).
- **lifted leg** (shank and foot of the other side): held with the knee bent (shank tilted
  ``LIFTED_SHANK_DEG`` back), swaying with the body; at a balance loss it swings down over
  ``DROP_S`` and touches the floor at the loss's touchdown time (impact spike on its own sensor),
  stays down until ``DOWN_AFTER_RECOVERY_S`` after recovery, then lifts again.

- **sync jump** (asked for at the start of a session with several sensors,
  ``trainer.vocab.sync``): the person stands on both feet (the lifted foot comes down over
  ``DROP_S``), pushes off, flies ``JUMP_FLIGHT_S`` (every accelerometer near 0 g) and lands
  ``JUMP_LAND_AFTER_S`` after the cue — every segment at the same instant, ``JUMP_PEAK_G`` over
  1 g (feet and shanks 2–4 g, the trunk less) — then lifts the foot again
  ``JUMP_UP_AFTER_S`` later (:func:`jump_readings`).

Noise comes from ``SeedSequence([seed, role, block])`` per block of sample indices, so a
segment's samples do not depend on how reads are cut.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.signal import butter, sosfilt, sosfilt_zi

from firmware_bridge.simulator.quat import from_tilt, rotate_inverse
from trainer.vocab.roles import ROLES, Role, role_segment, role_side

FloatArray = NDArray[np.float64]
G = 9.80665
TRUNK_HEIGHT_M = 1.0
TRUNK_GAIN = 0.9
TRUNK_FOLLOW_HZ = 2.5  # the body's mass filters the shank's fast motion
LIFTED_SHANK_DEG = -35.0
LIFTED_FOOT_DEG = -50.0
DROP_S = 0.25
LIFT_S = 0.5
DOWN_AFTER_RECOVERY_S = 1.0
IMPACT_TAU_S = 0.012
NOISE_BLOCK = 1024
#: The sync jump: landing this long after the cue (reaction, preparation, flight)…
JUMP_LAND_AFTER_S = 1.5
JUMP_FLIGHT_S = 0.3
JUMP_PUSH_S = 0.25  # the push-off before the flight: +JUMP_PUSH_G
JUMP_PUSH_G = 0.8
#: …peak of the landing over 1 g by segment (two-footed landing: ~2–4 g at the legs)…
JUMP_PEAK_G = {"foot": 2.5, "shank": 2.0, "trunk": 1.0}
JUMP_TAU_S = 0.015
#: …and the lifted foot up again this long after the landing.
JUMP_UP_AFTER_S = 1.0


@dataclass(frozen=True)
class Touchdown:
    """A lifted-foot touchdown (session clock): down at ``t_s``, lifted again at ``t_up_s``."""

    t_s: float
    t_up_s: float


def touchdowns_from_events(events: list[dict[str, object]]) -> list[Touchdown]:
    """The touchdowns of the simulator's balance-loss truth events."""
    out = []
    for ev in events:
        if ev.get("type") != "balance_loss":
            continue
        td = float(ev.get("t_touchdown_s", ev["t_s"]))  # type: ignore[arg-type]
        rec = float(ev.get("t_recovered_s", td + 1.0))  # type: ignore[arg-type]
        out.append(Touchdown(td, max(rec, td) + DOWN_AFTER_RECOVERY_S))
    return out


def holds_from_events(events: list[dict[str, object]]) -> list[tuple[float, float]]:
    """Single-leg holds of a guided session (the simulator's ``hold`` truth events): the other
    foot is lifted at "Go" and put down at the hold's end; outside them the person stands on
    both feet."""
    out = []
    for ev in events:
        if ev.get("type") == "hold" and ev.get("motion", "single-leg") == "single-leg":
            t0 = float(ev["t_s"])  # type: ignore[arg-type]
            out.append((t0, float(ev.get("t_end_s", t0))))  # type: ignore[arg-type]
    return out


@dataclass(frozen=True)
class SyncJump:
    """The sync jump asked for at ``t_cue_s``: the landing at ``t_land_s`` (session clock)."""

    t_cue_s: float
    t_land_s: float

    @property
    def t_up_s(self) -> float:
        """The lifted foot lifted again."""
        return self.t_land_s + JUMP_UP_AFTER_S


def jump_readings(t_s: FloatArray, acc_g: FloatArray, segment: str, jump: SyncJump
                  ) -> FloatArray:
    """``acc_g`` (n×3, the segment upright: z along it) with the sync jump: the push-off
    (+``JUMP_PUSH_G`` along z), the flight (free fall: the accelerometer reads ~0 g; 30 ms
    transitions) and the landing (``JUMP_PEAK_G`` of the segment along z, decaying over
    ``JUMP_TAU_S``, plus a 0.3 g, 0.15 s absorption), the landing at the same instant on every
    segment."""
    t = np.asarray(t_s, dtype=np.float64)
    acc = np.array(acc_g, dtype=np.float64)
    if t.size == 0:
        return acc
    take_off = jump.t_land_s - JUMP_FLIGHT_S
    ramp = 0.03
    flight = _smoothstep((t - take_off) / ramp) * (t < jump.t_land_s)
    acc *= (1.0 - flight)[:, None]
    push = _smoothstep((t - (take_off - JUMP_PUSH_S)) / ramp) \
        * (1 - _smoothstep((t - (take_off - ramp)) / ramp))
    dt = t - jump.t_land_s
    on = (dt >= 0) & (dt < 0.3)
    land = np.zeros_like(t)
    land[on] = (JUMP_PEAK_G.get(segment, 2.0) * np.exp(-dt[on] / JUMP_TAU_S)
                + 0.3 * np.exp(-dt[on] / 0.15))
    acc[:, 2] += JUMP_PUSH_G * push + land
    return acc


def _smoothstep(x: FloatArray) -> FloatArray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def down_fraction(t: FloatArray, touchdowns: list[Touchdown],
                  holds: list[tuple[float, float]] | None = None,
                  jump: SyncJump | None = None) -> FloatArray:
    """0 = foot lifted, 1 = on the floor (swinging down before, lifting after). With ``holds``
    (a guided session; ``[]`` before its first hold) the foot is down outside them: lifted at
    each hold's start, put down (gently) at its end. With ``jump``: down from its cue until
    ``SyncJump.t_up_s`` (lifted again then only when the person is not guided)."""
    frac = np.zeros_like(t)
    if holds is not None:
        up = np.zeros_like(t)
        for h0, h1 in holds:
            up = np.maximum(up, _smoothstep((t - h0) / LIFT_S)
                            * (1 - _smoothstep((t - (h1 - DROP_S)) / DROP_S)))
        frac = 1 - up
    if jump is not None:
        frac = np.maximum(frac, _smoothstep((t - jump.t_cue_s) / DROP_S)
                          * (1 - _smoothstep((t - jump.t_up_s) / LIFT_S)))
    for td in touchdowns:
        down = _smoothstep((t - (td.t_s - DROP_S)) / DROP_S)
        up = _smoothstep((t - td.t_up_s) / LIFT_S)
        frac = np.maximum(frac, down * (1 - up))
    return frac


def impacts(t: FloatArray, touchdowns: list[Touchdown], peak_g: float) -> FloatArray:
    """Touchdown impact (g, along the segment's axis): a fast exponential after each touchdown."""
    out = np.zeros_like(t)
    for td in touchdowns:
        dt = t - td.t_s
        on = (dt >= 0) & (dt < 20 * IMPACT_TAU_S)
        out[on] += peak_g * np.exp(-dt[on] / IMPACT_TAU_S)
    return out


def noise(seed: int, role: Role, k0: int, n: int, cols: int = 6) -> FloatArray:
    """Unit Gaussian noise for sample indices ``k0 … k0+n-1`` (independent of how reads cut)."""
    if n == 0:
        return np.zeros((0, cols))
    first, last = k0 // NOISE_BLOCK, (k0 + n - 1) // NOISE_BLOCK
    blocks = [np.random.default_rng([seed, ROLES.index(role) + 1, b]).standard_normal(
        (NOISE_BLOCK, cols)) for b in range(first, last + 1)]
    arr = np.concatenate(blocks)
    off = k0 - first * NOISE_BLOCK
    return arr[off: off + n]


def _with_prev(x: FloatArray, state: dict[str, object], key: str) -> FloatArray:
    """``x`` with the last two values of the previous call in front (continuous derivatives
    across reads); the first call repeats its first value."""
    prev = state.get(key)
    head = np.asarray(prev) if prev is not None else np.repeat(x[:1], 2)
    state[key] = x[-2:].copy() if x.size >= 2 else np.concatenate([head, x])[-2:]
    return np.concatenate([head, x])


def segment_readings(role: Role, stance_side: str, t_s: FloatArray, k0: int,
                     stance_ap_deg: FloatArray, stance_ml_deg: FloatArray,
                     touchdowns: list[Touchdown], *, seed: int = 0, fs_hz: float = 100.0,
                     state: dict[str, object] | None = None,
                     holds: list[tuple[float, float]] | None = None,
                     jump: SyncJump | None = None) -> tuple[FloatArray, FloatArray]:
    """``(acc_g, gyr_dps)`` of the sensor at ``role`` (segment frame = sensor frame: x
    anterior, y left, z up) while the stance leg's shank tilts ``stance_ap/ml_deg``.
    ``state``: one dict per role kept between calls (filters and derivatives run on across
    reads). ``jump``: the sync jump (:func:`jump_readings`)."""
    st: dict[str, object] = {} if state is None else state
    t = np.asarray(t_s, dtype=np.float64)
    n = t.size
    if n == 0:
        return np.zeros((0, 3)), np.zeros((0, 3))
    segment = role_segment(role)
    stance = role_side(role) in (None, stance_side)
    z = noise(seed, role, k0, n)
    if segment == "trunk":  # the trunk follows the body's mass: none of the shank's ringing
        if "sos" not in st:
            sos = butter(2, TRUNK_FOLLOW_HZ, fs=fs_hz, output="sos")
            st["sos"] = sos
            st["zi"] = [sosfilt_zi(sos) * float(stance_ap_deg[0]),
                        sosfilt_zi(sos) * float(stance_ml_deg[0])]
        sos = np.asarray(st["sos"])
        zi = st["zi"]
        assert isinstance(zi, list)
        ap_f, zi[0] = sosfilt(sos, stance_ap_deg, zi=zi[0])
        ml_f, zi[1] = sosfilt(sos, stance_ml_deg, zi=zi[1])
        ap = TRUNK_GAIN * ap_f
        ml = TRUNK_GAIN * ml_f
        impact = 0.4 * impacts(t, touchdowns, 1.0)
        acc_noise, gyr_noise = 0.004, 0.15
    elif stance:  # the stance foot: flat on the floor
        ap = 0.05 * stance_ap_deg
        ml = 0.05 * stance_ml_deg
        impact = 0.2 * impacts(t, touchdowns, 1.0)
        acc_noise, gyr_noise = 0.003, 0.1
    else:  # the lifted leg
        down = down_fraction(t, touchdowns, holds, jump)
        lifted = LIFTED_SHANK_DEG if segment == "shank" else LIFTED_FOOT_DEG
        ap = (1 - down) * (lifted + 0.8 * stance_ap_deg) + down * 0.05 * stance_ap_deg
        ml = (1 - down) * 0.8 * stance_ml_deg
        impact = impacts(t, touchdowns, 2.5 if segment == "foot" else 1.8)
        if holds:  # the planned set-down at a hold's end: gentle
            impact += impacts(t, [Touchdown(h1, h1) for _, h1 in holds], 0.25)
        acc_noise, gyr_noise = 0.005, 0.3
    q = from_tilt(np.radians(ap), np.radians(ml))
    acc = rotate_inverse(q, np.tile([0.0, 0.0, 1.0], (n, 1)))  # gravity's reaction, sensor frame
    dt = 1.0 / fs_hz
    ap_x = _with_prev(np.asarray(ap, dtype=np.float64), st, "ap")
    ml_x = _with_prev(np.asarray(ml, dtype=np.float64), st, "ml")
    if segment == "trunk":  # tangential acceleration of a point h above the ankle
        alpha = np.radians(np.diff(ap_x, 2)) / dt**2
        beta = np.radians(np.diff(ml_x, 2)) / dt**2
        acc[:, 0] += TRUNK_HEIGHT_M * alpha / G
        acc[:, 1] += TRUNK_HEIGHT_M * beta / G
    acc[:, 2] += impact
    if jump is not None:
        acc = jump_readings(t, acc, segment, jump)
    gyr = np.zeros((n, 3))
    gyr[:, 1] = np.diff(ap_x)[1:] / dt
    gyr[:, 0] = -np.diff(ml_x)[1:] / dt
    acc += acc_noise * z[:, :3]
    gyr += gyr_noise * z[:, 3:]
    return acc, gyr
