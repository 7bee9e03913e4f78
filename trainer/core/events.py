"""Balance-loss detection on the stance leg, stateful over batches (same events for any batching).

What the stance-leg sensor sees when the lifted foot comes down: the impact goes into the *other*
leg, so the stance shank gets at most a small, variable transient (we found no measurement of
it; tibial shock of the landing leg itself — Lafortune et al. 1995 — is what reaches g levels);
what it reliably sees is the fall before it (tilt and tilt rate away from the posture), the end
of single-leg sway (double-leg stance is several times quieter) and a new posture. A loss is
therefore detected by any of:

* **excursion** — the tilt leaves the posture by more than ``loss_tilt_deg`` (the limit);
* **settle** — no impact needed: the tilt left the posture by ≥ ``fall_min_deg`` and then, within
  ``settle_lookback_s``, the tilt rate stayed quiet for ``settle_quiet_s`` (RMS below
  ``settle_ratio`` × the single-leg sway before, and below ``settle_max_quiet_dps``) in a posture
  at least ``settle_posture_deg`` away from the old one and at least ``settle_shift_sd`` × the
  standard deviation of the single-leg tilt before (a chance lull in large sway sits anywhere
  within the sway's own range): single- turned into double-leg stance;
* **touchdown** — a fast path when there is an impact after all (| |a| − 1 g | > ``impact_g``
  after ≥ ``excursion_min_deg`` of tilt within the last second);
* **hop** — the stance foot leaves the floor: free fall (|a| < ``free_fall_g`` for
  ``free_fall_s``) followed by a landing impact.

A planned foot-down (the end of a trial) looks the same as a loss's touchdown to this sensor:
the drill analysis counts losses inside the trials only.

"Posture" is the mean tilt over the last ``baseline_s``; while a loss is under way its input is
the pre-loss posture, so the loss itself does not drag it. After a trigger the detector waits until
the tilt is back within ``recover_deg`` of the pre-loss posture for ``recover_s`` (and at least
``refractory_s`` has passed) before it can fire again; the settle test then needs a full reference
window of single-leg sway from after that.

The reported time ``t_s`` is the estimated *onset* of the loss (when the segment started to fall),
not the moment of detection (``t_detected_s``; settle: ~2 s after the touchdown): the tilt toward
the fall direction is fitted as steady sway followed by a constant angular acceleration away (a
hinge), and the change point of the best fit is the onset. Thresholds: chosen on the independent
loss model (tests/trainer/core/loss_model.py) and checked on the simulator; no real recording of
losses was available (README "Balance losses").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from trainer.core.quat import row_norm2

FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class EventConfig:
    """Detection thresholds (module docstring; benchmarks/bench_loss_detection.py)."""

    impact_g: float = 0.9
    excursion_min_deg: float = 4.0
    loss_tilt_deg: float = 10.0
    free_fall_g: float = 0.4
    free_fall_s: float = 0.04
    baseline_s: float = 5.0
    recover_deg: float = 4.0
    recover_s: float = 0.5
    refractory_s: float = 1.0
    lookback_s: float = 1.5
    # settle: single- to double-leg sway (no impact needed)
    fall_min_deg: float = 2.5
    settle_quiet_s: float = 2.0
    settle_lookback_s: float = 3.0
    settle_base_s: float = 5.0
    settle_ratio: float = 0.3
    settle_min_base_dps: float = 1.5
    settle_max_quiet_dps: float = 3.0
    settle_posture_deg: float = 1.0
    settle_shift_sd: float = 0.75


#: The hinge is fitted over at most this long before the peak tilt rate of the fall.
HINGE_WINDOW_S = 0.8
#: A fall ended by a touchdown lasts at most this long (settle trigger: onset search window).
FALL_WINDOW_S = 1.2

_COLS = ("t", "ap", "ml", "bap", "bml", "dev", "amax", "xap", "xml", "r2", "dv")


def acc_features(acc_g: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Per-sample (| |a| − 1 g |, |a|) — what the detector needs from the accelerometer."""
    norm = np.sqrt(row_norm2(acc_g))
    return np.abs(norm - 1.0), norm


class BalanceLossDetector:
    """Feed batches in order; get event dicts (also kept in ``events``).

    ``update(t_s, acc_g, tilt_ap_deg, tilt_ml_deg)`` takes per-sample data;
    ``update_features(t_s, acc_dev_g, acc_max_g, ap, ml)`` takes rows that may summarise several
    samples (the pipeline's blocks): the largest | |a| − 1 g | and the largest |a| of each row.
    """

    def __init__(self, sample_rate_hz: float, config: EventConfig | None = None) -> None:
        self.cfg = config or EventConfig()
        self.fs = float(sample_rate_hz)
        self._w = max(1, round(self.cfg.baseline_s * self.fs))
        c = self.cfg
        self._nq = max(2, round(c.settle_quiet_s * self.fs))
        self._nl = max(1, round(c.settle_lookback_s * self.fs))
        self._nb = max(2, round(c.settle_base_s * self.fs))
        self._keep = max(self._w, math.ceil(self.cfg.lookback_s * self.fs),
                         self._nq + self._nl + self._nb) + 4
        self._chunk = max(4096, round(10.0 * self.fs))
        self._hist: dict[str, FloatArray] = {k: np.empty(0) for k in _COLS}
        self._in_loss = False
        self._base0 = np.zeros(2)
        self._t_detect = -math.inf
        self._recover_run = 0
        self._n_seen = 0  # rows fed so far (the settle test needs a full history)
        self._t_recovered = -math.inf
        self._r2_cumsum = np.zeros(1)
        self.events: list[dict[str, Any]] = []

    # ------------------------------------------------------------------------------------------
    def update(
        self, t_s: FloatArray, acc_g: FloatArray, tilt_ap_deg: FloatArray, tilt_ml_deg: FloatArray
    ) -> list[dict[str, Any]]:
        dev, norm = acc_features(acc_g)
        return self.update_features(t_s, dev, norm, tilt_ap_deg, tilt_ml_deg)

    def update_features(
        self,
        t_s: FloatArray,
        acc_dev_g: FloatArray,
        acc_max_g: FloatArray,
        tilt_ap_deg: FloatArray,
        tilt_ml_deg: FloatArray,
    ) -> list[dict[str, Any]]:
        n = t_s.shape[0]
        if n == 0:
            return []
        h = self._hist
        off = h["t"].shape[0]
        nan = np.full(n, np.nan)
        a: dict[str, FloatArray] = {
            "t": np.concatenate((h["t"], t_s)),
            "ap": np.concatenate((h["ap"], tilt_ap_deg)),
            "ml": np.concatenate((h["ml"], tilt_ml_deg)),
            "dev": np.concatenate((h["dev"], acc_dev_g)),
            "amax": np.concatenate((h["amax"], acc_max_g)),
            "bap": np.concatenate((h["bap"], nan)),
            "bml": np.concatenate((h["bml"], nan)),
            "xap": np.concatenate((h["xap"], nan)),
            "xml": np.concatenate((h["xml"], nan)),
        }
        # squared tilt rate per row (°/s)², every row whatever the state (NaN: 0)
        prev = (h["ap"][-1:], h["ml"][-1:]) if off else (tilt_ap_deg[:1], tilt_ml_deg[:1])
        d_ap = np.diff(np.concatenate((prev[0], tilt_ap_deg)))
        d_ml = np.diff(np.concatenate((prev[1], tilt_ml_deg)))
        a["r2"] = np.concatenate((h["r2"], np.nan_to_num((d_ap * d_ap + d_ml * d_ml)
                                                         * (self.fs * self.fs))))
        a["dv"] = np.concatenate((h["dv"], nan))
        self._r2_cumsum = np.concatenate(([0.0], np.cumsum(a["r2"])))
        self._n_seen += n
        new: list[dict[str, Any]] = []
        i = off
        end = off + n
        while i < end:
            # bounded chunks: work after an event is not redone over the rest of a long batch
            stop = min(end, i + self._chunk)
            if self._in_loss:
                i = self._recover(a, i, stop)
                continue
            k, kind = self._normal(a, i, stop)
            if k is None:
                i = stop
                continue
            new.append(self._make_event(a, k, kind))
            i = k + 1
        keep = max(0, a["t"].shape[0] - self._keep)
        self._hist = {k: v[keep:] for k, v in a.items()}
        self.events.extend(new)
        return new

    # ------------------------------------------------------------------------------------------
    def _baseline(self, a: dict[str, FloatArray], i: int, stop: int) -> None:
        """Posture = mean of the baseline input over the last ``baseline_s`` (finite values)."""
        lo0 = max(0, i - self._w + 1)
        j0, j1 = i - lo0, stop - lo0  # rows i..stop-1 within the segment lo0..stop-1
        if j0 >= self._w - 1:  # every window is full: window starts are a plain slice
            starts: slice | NDArray[np.int64] = slice(j0 - self._w + 1, j1 - self._w + 1)
            cnt_full: NDArray[np.int64] | int = self._w
        else:
            starts = np.maximum(0, np.arange(j0, j1) - self._w + 1)
            cnt_full = np.arange(j0 + 1, j1 + 1) - starts
        for x, b in (("xap", "bap"), ("xml", "bml")):
            seg = a[x][lo0:stop]
            ok = np.isfinite(seg)
            if ok.all():  # the usual case: the same sums and counts without the masking
                cs = np.concatenate(([0.0], np.cumsum(seg)))
                a[b][i:stop] = (cs[j0 + 1 : j1 + 1] - cs[starts]) / cnt_full
                continue
            cs = np.concatenate(([0.0], np.cumsum(np.where(ok, seg, 0.0))))
            cc = np.concatenate(([0], np.cumsum(ok)))
            cnt = cc[j0 + 1 : j1 + 1] - cc[starts]
            with np.errstate(invalid="ignore", divide="ignore"):
                a[b][i:stop] = np.where(cnt > 0, (cs[j0 + 1 : j1 + 1] - cs[starts]) / cnt,
                                        np.nan)

    def _normal(self, a: dict[str, FloatArray], i: int, stop: int) -> tuple[int | None, str]:
        """Baseline over [i, stop); return the first trigger (index, kind) or (None, "")."""
        cfg = self.cfg
        t, ap, ml = a["t"], a["ap"], a["ml"]
        a["xap"][i:stop] = ap[i:stop]
        a["xml"][i:stop] = ml[i:stop]
        self._baseline(a, i, stop)
        bap, bml = a["bap"], a["bml"]
        dev = np.hypot(ap[i:stop] - bap[i:stop], ml[i:stop] - bml[i:stop])
        with np.errstate(invalid="ignore"):
            over = dev > cfg.loss_tilt_deg  # NaN tilt: False
        a["dv"][i:stop] = dev
        impact = a["dev"][i:stop] > cfg.impact_g
        settle = self._settle_candidates(a, i, stop)
        for c_np in np.flatnonzero(impact | over | settle):
            c = int(c_np)
            k = i + c
            if not np.isfinite(dev[c]):
                continue
            if over[c]:
                return self._trigger(a, k), "excursion"
            if settle[c] and not impact[c]:
                posture_row = k - self._nq - self._nl
                if self._excursion_before(a, k):
                    return self._trigger(a, k, posture_row), "settle"
                continue
            if self._hop_before(a, k):
                return self._trigger(a, k), "hop"
            lo = int(np.searchsorted(t, t[k] - 1.0))
            recent = np.hypot(ap[lo : k + 1] - bap[lo : k + 1], ml[lo : k + 1] - bml[lo : k + 1])
            if np.nanmax(recent, initial=0.0) >= cfg.excursion_min_deg:
                return self._trigger(a, k), "touchdown"
        return None, ""

    def _settle_candidates(self, a: dict[str, FloatArray], i: int, stop: int
                           ) -> NDArray[np.bool_]:
        """Rows whose last ``settle_quiet_s`` of tilt rate are much quieter (RMS below
        ``settle_ratio``) than the ``settle_base_s`` before the ``settle_lookback_s`` that
        preceded them — single-leg sway turned into double-leg sway."""
        nq, nl, nb = self._nq, self._nl, self._nb
        out = np.zeros(stop - i, dtype=bool)
        first = self._n_seen - (a["t"].shape[0] - i)  # global index of row i
        need = nq + nl + nb
        lo = max(i, i + (need - first))  # rows with a full history
        if lo >= stop:
            return out
        cs = self._r2_cumsum  # of a["r2"], which stays fixed during one update
        q = (cs[lo + 1 : stop + 1] - cs[lo + 1 - nq : stop + 1 - nq]) / nq
        b0 = slice(lo + 1 - nq - nl, stop + 1 - nq - nl)  # start of each lookback
        bb = slice(b0.start - nb, b0.stop - nb)
        base = (cs[b0] - cs[bb]) / nb
        cfg = self.cfg
        ok = ((base >= cfg.settle_min_base_dps**2) & (q < cfg.settle_ratio**2 * base)
              & (q <= cfg.settle_max_quiet_dps**2))
        # the reference sway is single-leg sway from after the last loss had recovered
        ok &= a["t"][bb] > max(self._t_detect, self._t_recovered)
        out[lo - i:] = ok
        return out

    def _excursion_before(self, a: dict[str, FloatArray], k: int) -> bool:
        """The tilt left the posture by ≥ ``fall_min_deg`` in the lookback before the quiet
        window ending at row k, and the quiet window holds a new posture (its mean tilt at least
        ``settle_posture_deg`` from the posture before the excursion)."""
        hi = k - self._nq + 1
        seg = a["dv"][max(0, hi - self._nl):hi]
        if not bool(np.nanmax(seg, initial=0.0) >= self.cfg.fall_min_deg):
            return False
        pr = max(0, hi - self._nl)
        with np.errstate(invalid="ignore"):
            m_ap = float(np.nanmean(a["ap"][hi:k + 1])) - float(a["bap"][pr])
            m_ml = float(np.nanmean(a["ml"][hi:k + 1])) - float(a["bml"][pr])
        shift = math.hypot(m_ap, m_ml)
        if shift < self.cfg.settle_posture_deg:
            return False
        # ... and stands out from the single-leg sway before: a lull in large sway (the rate
        # quiet for 2 s by chance, the tilt anywhere within its range) is not a new posture
        ref_ap, ref_ml = a["ap"][max(0, pr - self._nb):pr], a["ml"][max(0, pr - self._nb):pr]
        ok = np.isfinite(ref_ap) & np.isfinite(ref_ml)
        if int(ok.sum()) < 2:
            return True
        sd = math.sqrt(float(np.var(ref_ap[ok])) + float(np.var(ref_ml[ok])))
        return not (shift < self.cfg.settle_shift_sd * sd)

    def _trigger(self, a: dict[str, FloatArray], k: int, posture_row: int | None = None) -> int:
        """Enter the loss state at row k: freeze the pre-loss posture (at ``posture_row``)."""
        self._in_loss = True
        pr = k if posture_row is None else max(0, posture_row)
        self._base0 = np.array([a["bap"][pr], a["bml"][pr]])
        if not np.all(np.isfinite(self._base0)):
            self._base0 = np.array([a["bap"][k], a["bml"][k]])
        self._recover_run = 0
        a["xap"][k] = self._base0[0]
        a["xml"][k] = self._base0[1]
        return k

    def _recover(self, a: dict[str, FloatArray], i: int, stop: int) -> int:
        """Hold the posture at its pre-loss value until the tilt is back; return the next row."""
        cfg = self.cfg
        t = a["t"]
        for x, b, v in (("xap", "bap", self._base0[0]), ("xml", "bml", self._base0[1])):
            a[x][i:stop] = v
            a[b][i:stop] = v
        dev = np.hypot(a["ap"][i:stop] - self._base0[0], a["ml"][i:stop] - self._base0[1])
        with np.errstate(invalid="ignore"):
            ok = (dev < cfg.recover_deg) & (t[i:stop] >= self._t_detect + cfg.refractory_s)
        runs = _run_lengths(ok, self._recover_run)
        need = max(1, round(cfg.recover_s * self.fs))
        hit = np.flatnonzero(runs >= need)
        if hit.size == 0:
            self._recover_run = int(runs[-1])
            return stop
        self._in_loss = False
        self._t_recovered = float(t[i + int(hit[0])])
        return i + int(hit[0]) + 1

    # ------------------------------------------------------------------------------------------
    def _hop_before(self, a: dict[str, FloatArray], k: int) -> bool:
        """A long-enough free fall ended within 0.6 s before row k."""
        t = a["t"]
        lo = int(np.searchsorted(t, t[k] - 0.6))
        ff = a["amax"][lo : k + 1] < self.cfg.free_fall_g
        need = max(2, round(self.cfg.free_fall_s * self.fs))
        return bool(ff.size and _run_lengths(ff, 0).max() >= need)

    def _make_event(self, a: dict[str, FloatArray], k: int, kind: str) -> dict[str, Any]:
        t, ap, ml = a["t"], a["ap"], a["ml"]
        self._t_detect = float(t[k])
        hi = k
        if kind == "settle":  # the fall came before the quiet window and ended at its peak
            end = max(1, k - self._nq + 1)
            start = max(0, end - self._nl)
            d = np.hypot(ap[start:end] - self._base0[0], ml[start:end] - self._base0[1])
            hi = start + int(np.argmax(np.nan_to_num(d)))
            lo = max(0, hi - round(FALL_WINDOW_S * self.fs))
        else:
            lo = int(np.searchsorted(t, t[k] - self.cfg.lookback_s))
        d_ap = ap[lo : hi + 1] - self._base0[0]
        d_ml = ml[lo : hi + 1] - self._base0[1]
        onset = _onset(t[lo : hi + 1], d_ap, d_ml, self.fs)
        if kind == "hop":
            ff = np.flatnonzero(a["amax"][lo : k + 1] < self.cfg.free_fall_g)
            if ff.size:
                onset = float(t[lo + int(ff[0])])
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
    """Onset of a fall: the change point of a hinge fit to the tilt toward the fall direction,
    over the last rise before the largest deviation, up to the peak tilt rate."""
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
    return summarize_counts(events, t0_s, int((in_target & valid).sum()), int(valid.sum()),
                            target_radius_deg)


def summarize_counts(
    events: list[dict[str, Any]], t0_s: float, n_in_target: int, n_valid: int,
    target_radius_deg: float,
) -> LossSummary:
    """``summarize`` from counts: ``n_in_target`` of the ``n_valid`` samples with a tilt were
    inside the target zone."""
    times = [float(e["t_s"]) for e in events if e.get("type") == "balance_loss"]
    pct = 100.0 * float(n_in_target) / n_valid if n_valid else 0.0
    return LossSummary(
        balance_losses_t_s=times,
        time_to_first_loss_s=(times[0] - t0_s) if times else None,
        n_losses=len(times),
        time_in_target_pct=pct,
        target_radius_deg=float(target_radius_deg),
    )
