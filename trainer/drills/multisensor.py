"""`analyze` of a session with several sensors (issue 14): what the extra sensors add.

- **Touchdown of the lifted foot** from its own sensor (a foot or shank sensor on the leg that is
  not the stance leg; the foot preferred): :func:`trainer.core.limbs.detect_touchdowns`. When
  present it is the balance-loss time — the moment the single-leg stance really ended — for the
  ``events`` summary and for the end of each sway trial; the stance sensor's own estimates stay
  under ``events.balance_losses_stance_sensor_t_s``.
- **Trunk sway** (ISway measures of the trunk acceleration, Mancini et al. 2012) over the same
  steady-stance windows as the ankle sway, beside it.
- **Limb symmetry from one session** (both shanks): each leg's stance time and ankle sway while
  it stands alone, from its own sensor; the LSI of the session's leg against the other.
- **Alignment**: the sensors' time offsets at a shared event — the sync jump asked for at the
  start (``sync_jump`` event), else the sharpest front every sensor sees clearly and comparably
  sharply (a tap or a jump; not a lifted foot's touchdown, which the trunk barely feels): the
  measured alignment error of the session clock. None, with ``alignment_note`` saying why,
  when there is no such event.

Heavy imports (scipy.signal) happen only for sessions with several sensors: a one-sensor
``analyze`` stays as light as before.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from trainer.recording.reader import Session
from trainer.recording.sensors import open_sensor, sensor_batch, session_sensors
from trainer.vocab.roles import Role
from trainer.vocab.sync import SYNC_AFTER_S, SYNC_BEFORE_S, SYNC_JUMP_EVENT

#: A touchdown this close to a set's end is the planned set-down, not a loss.
SET_END_MARGIN_S = 0.5
#: A stance-sensor loss onset this long before a touchdown belongs to it (the fall).
ONSET_BEFORE_TOUCHDOWN_S = 1.5


@dataclasses.dataclass
class Lifted:
    """The touchdowns seen by the lifted leg's own sensor."""

    role: Role
    touchdowns: list[dict[str, float]]
    sway_ends_t_s: list[float] = dataclasses.field(default_factory=list)

    def for_sway(self, result: Any) -> Any:
        """``result`` whose losses end the sway windows at the loss onset the stance sensor
        saw before each touchdown (the fall itself is not stance sway), else the touchdown."""
        if not self.touchdowns:
            return result
        summary = dataclasses.replace(result.summary, balance_losses_t_s=self.sway_ends_t_s)
        return dataclasses.replace(result, summary=summary)


def lifted_leg_role(roles: list[Role], stance_side: str) -> Role | None:
    """The sensor on the leg that is lifted: its foot, else its shank."""
    other = "right" if stance_side == "left" else "left"
    for name in (f"{other}-foot", f"{other}-shank"):
        if name in roles:
            return name  # type: ignore[return-value]
    return None


def with_touchdowns(session: Session, result: Any) -> tuple[Any, Lifted | None]:
    """``result`` whose balance losses are the lifted foot's touchdowns (when a sensor on the
    lifted leg sees any), and those touchdowns; ``result`` unchanged otherwise."""
    entries = session_sensors(session)
    if len(entries) < 2:
        return result, None
    role = lifted_leg_role([e.role for e in entries], session.side)
    if role is None:
        return result, None
    from trainer.core.limbs import detect_touchdowns
    from trainer.core.trials import set_windows

    s = open_sensor(session, role)
    b = sensor_batch(s)
    acc, gyr = s.calibration.apply(b.acc_g, b.gyr_dps)
    tds = detect_touchdowns(b.t_s, acc, gyr)
    windows = set_windows(session.events)
    if windows:  # guided: only touchdowns during a set end it early (not the set-down after)
        tds = [td for td in tds
               if any(go <= td["t_s"] <= end - SET_END_MARGIN_S for _, go, end in windows)]
    stance = [float(x) for x in result.summary.balance_losses_t_s]
    ends = []
    for td in tds:
        before = [x for x in stance if td["t_s"] - ONSET_BEFORE_TOUCHDOWN_S <= x <= td["t_s"]]
        ends.append(min(before) if before else td["t_s"])
    lifted = Lifted(role, tds, ends)
    if not tds:
        return result, lifted
    times = [td["t_s"] for td in tds]
    summary = result.summary
    t0 = float(result.t_s[0]) if len(result.t_s) else 0.0
    summary = dataclasses.replace(summary, balance_losses_t_s=times, n_losses=len(times),
                                  time_to_first_loss_s=times[0] - t0)
    return dataclasses.replace(result, summary=summary), lifted


def sensors_report(session: Session, result: Any, sway: dict[str, Any],
                   lifted: Lifted | None, stance_losses_t_s: list[float]) -> dict[str, Any] | None:
    """The ``"sensors"`` object of ``analyze --json`` (None for a one-sensor session)."""
    entries = session_sensors(session)
    if len(entries) < 2:
        return None
    from trainer.core.limbs import trunk_sway_windows
    roles = [e.role for e in entries]
    sessions = {r: open_sensor(session, r) for r in roles}
    batches = {r: sensor_batch(s) for r, s in sessions.items()}
    out: dict[str, Any] = {
        "roles": roles, "primary": roles[0],
        "clocks": {e.role: e.meta.get("clock") for e in entries if e.meta.get("clock")},
    }
    al, why = session_alignment(session, {r: (b.t_s, b.acc_g) for r, b in batches.items()
                                          if len(b) > 10})
    out["alignment"] = al.as_json() if al is not None else None
    if why is not None:
        out["alignment_note"] = why
    if lifted is not None:
        out["touchdown"] = {
            "sensor": lifted.role, "touchdowns": lifted.touchdowns,
            "used_as_balance_loss": bool(lifted.touchdowns),
            "method": "impact (| |acc| - 1 g | > 0.5 g) ending a change of the lifted "
                      "segment's orientation (> 12 deg) and followed by stillness; time = the "
                      "impact's half-maximum onset"}
        out["balance_losses_stance_sensor_t_s"] = stance_losses_t_s
    if "trunk" in batches:
        windows = [(float(t["t_from_s"]), float(t["t_to_s"]))
                   for t in sway.get("sway_trials") or []
                   if t.get("t_from_s") is not None and t.get("t_to_s") is not None]
        tb = batches["trunk"]
        if not windows and len(tb):
            end = result.summary.balance_losses_t_s[0] if result.summary.balance_losses_t_s \
                else float(tb.t_s[-1])
            windows = [(float(tb.t_s[0]), float(end))]
        acc, _ = sessions["trunk"].calibration.apply(tb.acc_g, tb.gyr_dps)
        out["trunk_sway"] = trunk_sway_windows(tb.t_s, acc, sessions["trunk"].sample_rate_hz,
                                               windows)
    if "left-shank" in batches and "right-shank" in batches:
        out["symmetry"] = _symmetry(sessions, batches, session.side)
    return out


def session_alignment(session: Session, signals: dict[str, Any]) -> tuple[Any, str | None]:
    """The alignment at the session's sync jump (``trainer.vocab.sync``: the landing looked for
    near the cue), else at the sharpest front every sensor sees; (None, why) when no shared
    event is found."""
    from trainer.core.sessionclock import find_alignment

    # the landing near the cue, over the whole time the guide waited for it (``waited_s``)
    cues = [(float(e["t_s"]), _waited_s(e)) for e in session.events_of(SYNC_JUMP_EVENT)
            if "t_s" in e]
    for cue, after_s in cues:
        al, why = find_alignment(signals, near_s=cue, before_s=SYNC_BEFORE_S, after_s=after_s)
        if al is not None:
            return al, None
    al, why2 = find_alignment(signals)
    if al is not None or not cues:
        return al, why2
    return None, f"{why}; {why2}"


def _waited_s(event: dict[str, Any]) -> float:
    """How long after a sync cue its landing is looked for: the guide's wait, at least
    ``SYNC_AFTER_S`` (an unreadable value: ``SYNC_AFTER_S``)."""
    try:
        waited = float(event.get("waited_s") or 0.0)
    except (TypeError, ValueError):
        waited = 0.0
    return max(SYNC_AFTER_S, waited) if np.isfinite(waited) else SYNC_AFTER_S


def _tilt_deg(s: Session, t: np.ndarray, acc_g: np.ndarray) -> np.ndarray:
    """Shank inclination from the accelerometer (low-passed over 0.5 s): the angle of the
    segment's long axis (sensor z) from vertical, in degrees."""
    acc, _ = s.calibration.apply(acc_g, np.zeros_like(acc_g))
    k = max(1, int(0.5 * s.sample_rate_hz))
    kernel = np.ones(k) / k
    smooth = np.column_stack([np.convolve(acc[:, i], kernel, mode="same") for i in range(3)])
    norm = np.linalg.norm(smooth, axis=1)
    return np.asarray(np.degrees(np.arccos(np.clip(smooth[:, 2] / np.maximum(norm, 1e-9),
                                                   -1.0, 1.0))), dtype=np.float64)


def _symmetry(sessions: dict[Role, Session], batches: dict[Role, Any], involved: str
              ) -> dict[str, Any]:
    from trainer.core.limbs import leg_symmetry, stance_masks
    from trainer.core.sway import sway_metrics

    left, right = batches["left-shank"], batches["right-shank"]
    n = min(len(left), len(right))
    if n < 10:
        return {"involved": involved, "legs": {}, "lsi_pct": {}, "note": "too few samples"}
    t = left.t_s[:n]
    fs = sessions["left-shank"].sample_rate_hz
    tilt_l = _tilt_deg(sessions["left-shank"], t, left.acc_g[:n])
    tilt_r = _tilt_deg(sessions["right-shank"], t, right.acc_g[:n])
    stand_l, stand_r = stance_masks(tilt_l, tilt_r)
    per_leg: dict[str, dict[str, float | None]] = {}
    for side, mask, b in (("left", stand_l, left), ("right", stand_r, right)):
        acc = b.acc_g[:n][mask]
        leg: dict[str, float | None] = {"stance_s": float(mask.sum()) / fs}
        if acc.shape[0] >= int(5 * fs):
            ap = np.degrees(np.arctan2(acc[:, 0], acc[:, 2]))
            ml = np.degrees(np.arctan2(acc[:, 1], acc[:, 2]))
            m = sway_metrics(ap, ml, fs)
            leg.update({k: float(m[k]) for k in ("ellipse_area", "rms", "mean_velocity")})
        else:
            leg.update(ellipse_area=None, rms=None, mean_velocity=None)
        per_leg[side] = leg
    out = leg_symmetry(per_leg, involved)
    out["method"] = ("each shank's accelerometer inclination while that leg stands alone (the "
                     "other shank lifted > 15 deg); sway metrics in deg, stance time in s")
    return out

