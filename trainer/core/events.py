"""Balance-loss detection on the stance leg, stateful over batches (same events for any batching).

A loss of balance on one leg ends in one of three ways, each a trigger here:

* **touchdown** — the lifted foot hits the floor: an impact transient in the accelerometer
  (| |a| − 1 g | > ``impact_g``) after the segment has tilted away from its posture by at least
  ``excursion_min_deg`` within the last second;
* **hop** — the stance foot leaves the floor: free fall (|a| < ``free_fall_g`` for
  ``free_fall_s``) followed by a landing impact;
* **excursion** — the tilt leaves the posture by more than ``loss_tilt_deg`` (the limit).

"Posture" is a slow baseline of the tilt (exponential average, ``baseline_tau_s``), frozen while
a loss is under way so the loss itself does not drag it. After a trigger the detector waits until
the tilt is back within ``recover_deg`` of the pre-loss posture for ``recover_s`` (and at least
``refractory_s`` has passed) before it can fire again.

The reported time ``t_s`` is the estimated *onset* of the loss (when the segment started to fall),
not the moment of detection (``t_detected_s``): the tilt rate toward the fall direction ramps up
during the fall; a line fitted to that ramp, extrapolated back to zero rate, gives the onset.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.signal import lfilter

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class EventConfig:
    """Detection thresholds (defaults tuned on the simulator across 50–400 Hz, eyes open/closed)."""

    impact_g: float = 0.9
    excursion_min_deg: float = 4.0
    loss_tilt_deg: float = 10.0
    free_fall_g: float = 0.4
    free_fall_s: float = 0.04
    baseline_tau_s: float = 5.0
    recover_deg: float = 4.0
    recover_s: float = 0.5
    refractory_s: float = 1.0
    lookback_s: float = 1.5


#: The tilt-rate ramp is fitted where the rate exceeds this fraction of its peak (the loss
#: dominates there; lower parts mix with ordinary sway).
RAMP_FRACTION = 0.6
HINGE_WINDOW_S = 0.8

_COLS = ("t", "ap", "ml", "bap", "bml", "acc")


@dataclass
class _History:
    """The last few seconds of what the detector saw (to look back across batch boundaries)."""

    arrays: dict[str, FloatArray] = field(
        default_factory=lambda: {k: np.empty(0) for k in _COLS}
    )


class BalanceLossDetector:
    """Feed ``update(t_s, acc_g, tilt_ap_deg, tilt_ml_deg)`` batch by batch; get event dicts."""

    def __init__(self, sample_rate_hz: float, config: EventConfig | None = None) -> None:
        self.cfg = config or EventConfig()
        self.fs = float(sample_rate_hz)
        a = math.exp(-1.0 / (self.fs * self.cfg.baseline_tau_s))
        self._b = np.array([1.0 - a])
        self._a = np.array([1.0, -a])
        self._zi: FloatArray | None = None  # EMA state (2,1) once the tilt is finite
        self._keep = math.ceil((self.cfg.lookback_s + 0.5) * self.fs) + 2
        self._hist = _History()
        self._in_loss = False
        self._base0 = np.zeros(2)
        self._t_detect = -math.inf
        self._recover_run = 0
        self.events: list[dict[str, Any]] = []

    # ------------------------------------------------------------------------------------------
    def update(
        self, t_s: FloatArray, acc_g: FloatArray, tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray
    ) -> list[dict[str, Any]]:
        n = t_s.shape[0]
        if n == 0:
            return []
        acc = np.sqrt(np.einsum("ij,ij->i", acc_g, acc_g))
        h = self._hist.arrays
        off = h["t"].shape[0]
        t = np.concatenate((h["t"], t_s))
        ap = np.concatenate((h["ap"], tilt_ap_deg))
        ml = np.concatenate((h["ml"], tilt_ml_deg))
        accn = np.concatenate((h["acc"], acc))
        bap = np.concatenate((h["bap"], np.full(n, np.nan)))
        bml = np.concatenate((h["bml"], np.full(n, np.nan)))
        new: list[dict[str, Any]] = []
        i = off
        end = off + n
        while i < end:
            if self._in_loss:
                i = self._recover(t, ap, ml, bap, bml, i, end)
            else:
                k, kind = self._normal(t, ap, ml, accn, bap, bml, i, end)
                if k is None:
                    break
                new.append(self._make_event(t, ap, ml, bap, bml, accn, k, kind))
                i = k + 1
        keep = slice(max(0, t.shape[0] - self._keep), None)
        self._hist.arrays = {
            "t": t[keep], "ap": ap[keep], "ml": ml[keep], "bap": bap[keep], "bml": bml[keep],
            "acc": accn[keep],
        }
        self.events.extend(new)
        return new

    # ------------------------------------------------------------------------------------------
    def _normal(
        self,
        t: FloatArray,
        ap: FloatArray,
        ml: FloatArray,
        accn: FloatArray,
        bap: FloatArray,
        bml: FloatArray,
        i: int,
        end: int,
    ) -> tuple[int | None, str]:
        """Run the baseline over [i, end); return the first trigger (index, kind) or (None, "")."""
        cfg = self.cfg
        seg_ap = ap[i:end]
        seg_ml = ml[i:end]
        finite = np.isfinite(seg_ap) & np.isfinite(seg_ml)
        start = 0
        if self._zi is None:
            idx = np.flatnonzero(finite)
            if idx.size == 0:
                return None, ""
            start = int(idx[0])
            x0 = np.array([seg_ap[start], seg_ml[start]])
            self._zi = (x0 * (1.0 - float(self._b[0])))[:, None]
        # baseline (EMA) of the finite part; NaN tilt after the start is held as the last value
        xs = np.stack((seg_ap[start:], seg_ml[start:]))
        xs = np.where(np.isfinite(xs), xs, np.nan)
        if not np.all(np.isfinite(xs)):
            xs = _hold_last(xs, self._zi[:, 0] / (1.0 - float(self._b[0])))
        base, zf = lfilter(self._b, self._a, xs, axis=1, zi=self._zi)
        bap[i + start : end] = base[0]
        bml[i + start : end] = base[1]
        dev = np.hypot(ap[i + start : end] - base[0], ml[i + start : end] - base[1])
        # candidates: impact samples and limit crossings, in time order
        impact = np.abs(accn[i + start : end] - 1.0) > cfg.impact_g
        over = dev > cfg.loss_tilt_deg
        cand = np.flatnonzero(impact | over)
        for c_np in cand:
            c = int(c_np)
            k = i + start + c
            if over[c]:
                return self._trigger(k, zf, base, c), "excursion"
            if self._hop_before(t, accn, k):
                return self._trigger(k, zf, base, c), "hop"
            lo = int(np.searchsorted(t, t[k] - 1.0))
            d_ap = ap[lo : k + 1] - bap[lo : k + 1]
            d_ml = ml[lo : k + 1] - bml[lo : k + 1]
            recent = np.hypot(d_ap, d_ml)
            if np.nanmax(recent, initial=0.0) >= cfg.excursion_min_deg:
                return self._trigger(k, zf, base, c), "touchdown"
        self._zi = zf
        return None, ""

    def _trigger(self, k: int, zf: FloatArray, base: FloatArray, c: int) -> int:
        """Enter the loss state at sample k: freeze the pre-loss posture."""
        self._in_loss = True
        self._base0 = np.array([base[0, c], base[1, c]])
        self._recover_run = 0
        return k

    def _recover(
        self,
        t: FloatArray,
        ap: FloatArray,
        ml: FloatArray,
        bap: FloatArray,
        bml: FloatArray,
        i: int,
        end: int,
    ) -> int:
        """Hold the baseline at the pre-loss posture until the tilt is back; return next index."""
        cfg = self.cfg
        bap[i:end] = self._base0[0]
        bml[i:end] = self._base0[1]
        dev = np.hypot(ap[i:end] - self._base0[0], ml[i:end] - self._base0[1])
        ok = (dev < cfg.recover_deg) & (t[i:end] >= self._t_detect + cfg.refractory_s)
        runs = _run_lengths(ok, self._recover_run)
        need = max(1, round(cfg.recover_s * self.fs))
        hit = np.flatnonzero(runs >= need)
        if hit.size == 0:
            self._recover_run = int(runs[-1])
            return end
        j = i + int(hit[0])
        self._in_loss = False
        a = float(-self._a[1])
        self._zi = (self._base0 * a)[:, None]  # EMA continues from the pre-loss posture
        return j + 1

    # ------------------------------------------------------------------------------------------
    def _hop_before(self, t: FloatArray, accn: FloatArray, k: int) -> bool:
        """A long-enough free fall ended within 0.6 s before sample k."""
        lo = int(np.searchsorted(t, t[k] - 0.6))
        ff = accn[lo : k + 1] < self.cfg.free_fall_g
        need = max(2, round(self.cfg.free_fall_s * self.fs))
        return bool(ff.size and _run_lengths(ff, 0).max() >= need)

    def _make_event(
        self,
        t: FloatArray,
        ap: FloatArray,
        ml: FloatArray,
        bap: FloatArray,
        bml: FloatArray,
        accn: FloatArray,
        k: int,
        kind: str,
    ) -> dict[str, Any]:
        self._t_detect = float(t[k])
        lo = int(np.searchsorted(t, t[k] - self.cfg.lookback_s))
        onset = _onset(t[lo : k + 1], ap[lo : k + 1] - self._base0[0],
                       ml[lo : k + 1] - self._base0[1], self.fs)
        if kind == "hop":
            ff = np.flatnonzero(accn[lo : k + 1] < self.cfg.free_fall_g)
            if ff.size:
                onset = float(t[lo + int(ff[0])])
        d_ap = ap[lo : k + 1] - self._base0[0]
        d_ml = ml[lo : k + 1] - self._base0[1]
        dev = np.nan_to_num(np.hypot(d_ap, d_ml))
        m = int(np.argmax(dev))
        return {
            "t_s": onset,
            "type": "balance_loss",
            "kind": kind,
            "t_detected_s": float(t[k]),
            "peak_tilt_deg": float(dev[m]),
            "direction_deg": float(np.degrees(np.arctan2(d_ml[m], d_ap[m]))),
        }


def _onset(t: FloatArray, d_ap: FloatArray, d_ml: FloatArray, fs: float) -> float:
    """Onset of a fall: extrapolate the tilt-rate ramp (toward the fall direction) to zero."""
    dev = np.nan_to_num(np.hypot(d_ap, d_ml))
    if t.shape[0] < 5 or not np.any(dev > 0):
        return float(t[-1])
    m = int(np.argmax(dev))
    direction = np.array([d_ap[m], d_ml[m]]) / max(dev[m], 1e-12)
    proj = np.nan_to_num(d_ap * direction[0] + d_ml * direction[1])
    # smooth over ~25 ms, differentiate
    w = max(1, round(0.025 * fs))
    if w > 1:  # centred moving average, edges padded with the edge values (no artefacts)
        padded = np.pad(proj, (w // 2, w - 1 - w // 2), mode="edge")
        proj = np.convolve(padded, np.ones(w) / w, mode="valid")
    rate = np.gradient(proj, t) if t.shape[0] > 1 else np.zeros(1)
    # the last rise toward the fall direction, ending at the largest deviation
    rise0 = int(np.argmin(proj[: m + 1]))
    seg_rate = rate[: m + 1]
    if m + 1 - rise0 < 3:
        return float(t[min(rise0, m)])
    p = rise0 + int(np.argmax(seg_rate[rise0:]))
    lo = max(rise0, int(np.searchsorted(t, t[p] - HINGE_WINDOW_S)))
    t0 = _hinge_onset(t[lo : p + 1], proj[lo : p + 1])
    if t0 is not None:
        return t0
    # fallback: last time the deviation was below 1.5° before the peak
    below = np.flatnonzero(dev[: m + 1] < 1.5)
    return float(t[int(below[-1])]) if below.size else float(t[0])


def _hinge_onset(t: FloatArray, y: FloatArray) -> float | None:
    """Change point of a fall: y ≈ a + v·t + ½·B·max(0, t − t0)² (steady sway, then a constant
    angular acceleration away); t0 by least squares over the candidate samples."""
    n = t.shape[0]
    if n < 5:
        return None
    tt = t - t[0]
    cand = tt[1:-2]
    h = np.maximum(0.0, tt[None, :] - cand[:, None]) ** 2  # (n_cand, n)
    base = np.stack((np.ones(n), tt))  # (2, n)
    # residual of y and of each h after projecting out [1, t]
    q, _ = np.linalg.qr(base.T)
    y_r = y - q @ (q.T @ y)
    h_r = h - (h @ q) @ q.T
    hh = np.einsum("ij,ij->i", h_r, h_r)
    hy = h_r @ y_r
    ok = hh > 1e-18
    gain = np.where(ok, hy * hy / np.where(ok, hh, 1.0), -np.inf)
    gain = np.where(hy > 0, gain, -np.inf)  # accelerating toward the fall
    best = int(np.argmax(gain))
    if not np.isfinite(gain[best]):
        return None
    return float(t[0] + cand[best])


def _hold_last(xs: FloatArray, init: FloatArray) -> FloatArray:
    """Replace NaN columns by the last finite value (or ``init``)."""
    out = xs.copy()
    for r in range(out.shape[0]):
        row = out[r]
        bad = ~np.isfinite(row)
        if bad.any():
            idx = np.where(~bad, np.arange(row.shape[0]), -1)
            np.maximum.accumulate(idx, out=idx)
            filled = np.where(idx >= 0, row[np.maximum(idx, 0)], init[r])
            out[r] = filled
    return out


def _run_lengths(mask: NDArray[np.bool_], carry: int) -> NDArray[np.int64]:
    """Length of the run of True ending at each sample; ``carry`` continues a previous run."""
    n = mask.shape[0]
    idx = np.arange(1, n + 1, dtype=np.int64)
    last_reset = np.maximum.accumulate(np.where(mask, 0, idx))
    runs = idx - last_reset
    if carry:
        runs = np.where(last_reset == 0, runs + carry, runs)
    out: NDArray[np.int64] = np.where(mask, runs, 0)
    return out


@dataclass(frozen=True)
class LossSummary:
    """Balance-loss summary for ``analyze`` and reports."""

    balance_losses_t_s: list[float]
    time_to_first_loss_s: float | None
    n_losses: int
    time_in_target_pct: float
    target_radius_deg: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "balance_losses_t_s": list(self.balance_losses_t_s),
            "time_to_first_loss_s": self.time_to_first_loss_s,
            "n_balance_losses": self.n_losses,
            "time_in_target_pct": self.time_in_target_pct,
            "target_radius_deg": self.target_radius_deg,
        }


def summarize(
    events: list[dict[str, Any]], t0_s: float, in_target: NDArray[np.bool_],
    valid: NDArray[np.bool_], target_radius_deg: float,
) -> LossSummary:
    """Losses (onset times), time from ``t0_s`` to the first, share of valid samples in target."""
    times = [float(e["t_s"]) for e in events if e.get("type") == "balance_loss"]
    n_valid = int(valid.sum())
    pct = 100.0 * float((in_target & valid).sum()) / n_valid if n_valid else 0.0
    return LossSummary(
        balance_losses_t_s=times,
        time_to_first_loss_s=(times[0] - t0_s) if times else None,
        n_losses=len(times),
        time_in_target_pct=pct,
        target_radius_deg=float(target_radius_deg),
    )
