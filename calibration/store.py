"""Per-sensor calibration profiles in the user config directory (the only file I/O here).

One versioned JSON file per sensor address in :func:`trainer.paths.profiles_dir` (platformdirs;
``BALANCE_TRAINER_HOME`` overrides it), written atomically (temp file, fsync, rename), mode 0600.

Policy when a sensor connects (:func:`profile_for_sensor`, called by the CLI, the dashboard and any
live source): the stored profile is applied unless it is *flagged*, i.e. older than
``max_age_days`` (default :data:`DEFAULT_MAX_AGE_DAYS`, counted from its oldest step) or made with
another firmware than the sensor now reports. A flagged profile is **not applied unless the user
accepts it** (``accept_flagged=True``: a CLI flag or a dashboard button): a stale calibration gives
plausible-looking but wrong sway, while the neutral profile is visibly uncalibrated (its steps are
listed as missing). Either way the reason comes back as a warning to show. A mounting made for
another side or placement than the session's is dropped (the sensor calibration still applies).
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trainer import safeio
from trainer.fsutil import replace_atomically
from trainer.paths import ensure_private_dir, profiles_dir
from trainer.vocab.calibration import CalibrationProfile, ProfileError

DEFAULT_MAX_AGE_DAYS = 90.0
#: A profile is ~1 kB; anything this large is not one.
MAX_PROFILE_BYTES = 256 * 1024
#: Keys every profile file has (contract; ``CalibrationProfile.to_dict`` writes them all).
PROFILE_VALUE_KEYS = ("gyro_bias_dps", "acc_offset_g", "acc_matrix", "mounting")


def _safe_name(address: str) -> str:
    name = re.sub(r"[^A-Za-z0-9]+", "-", address.strip()).strip("-").upper()
    if not name:
        raise ProfileError(f"not a usable sensor address: {address!r}")
    return name


def profile_path(address: str) -> Path:
    """Where the profile of the sensor with this address lives."""
    return profiles_dir() / f"{_safe_name(address)}.json"


def write_profile_file(profile: CalibrationProfile, path: str | os.PathLike[str]) -> Path:
    """Write a profile as JSON, atomically, readable by the owner only."""
    target = Path(path)
    with replace_atomically(target) as f:
        f.write(json.dumps(profile.to_dict(), indent=2) + "\n")
    return target


def read_profile_file(path: str | os.PathLike[str]) -> CalibrationProfile:
    """Read a profile file; any problem is a one-line :class:`ProfileError`."""
    p = Path(path)
    try:  # a regular file of bounded size and nesting: /dev/zero or a FIFO must not hang us
        data = safeio.read_json(p, MAX_PROFILE_BYTES)
    except safeio.UnsafeInput as exc:
        if not p.exists() and not p.is_symlink():
            raise ProfileError(f"{p}: no such profile file") from None
        raise ProfileError(str(exc)) from None
    # a file always holds every value (neutral ones for steps not done); without them any JSON
    # with format_version 1 (e.g. a session.json) would load as a silently neutral profile
    missing = [k for k in PROFILE_VALUE_KEYS if k not in data] if isinstance(data, dict) else []
    if missing:
        hint = (" (this is a session's session.json; `balance-trainer calibrate --from SESSION "
                "--out PROFILE.json` makes a profile)" if "session_id" in data else "")
        raise ProfileError(f"{p}: not a calibration profile: no {', '.join(missing)}{hint}")
    try:
        return CalibrationProfile.from_dict(data)
    except ProfileError as exc:
        raise ProfileError(f"{p}: {exc}") from None


def save(profile: CalibrationProfile, address: str | None = None) -> Path:
    """Store the profile for its sensor (``address`` defaults to ``profile.sensor['address']``)."""
    addr = address or profile.sensor.get("address")
    if not addr:
        raise ProfileError("the profile has no sensor address to store it under")
    ensure_private_dir(profiles_dir())
    return write_profile_file(profile, profile_path(str(addr)))


def load(address: str) -> CalibrationProfile | None:
    """The stored profile of a sensor, or None; a corrupt file raises :class:`ProfileError`."""
    path = profile_path(address)
    if not path.exists():
        return None
    return read_profile_file(path)


def list_profiles() -> list[tuple[Path, CalibrationProfile | None]]:
    """Every stored profile file (None where the file is unreadable)."""
    root = profiles_dir()
    out: list[tuple[Path, CalibrationProfile | None]] = []
    if not root.is_dir():
        return out
    for path in sorted(root.glob("*.json")):
        try:
            out.append((path, read_profile_file(path)))
        except ProfileError:
            out.append((path, None))
    return out


def _parse_utc(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def profile_age_days(profile: CalibrationProfile, now: datetime | None = None) -> float | None:
    """Age in days of the oldest step done (None when no step is done or times are unreadable)."""
    moments = [_parse_utc(profile.step_time(s)) for s in profile.steps_done]
    known = [m for m in moments if m is not None]
    if not known:
        return None
    current = now or datetime.now(UTC)
    return (current - min(known)).total_seconds() / 86400.0


def check_profile(profile: CalibrationProfile, *, firmware: str | None = None,
                  max_age_days: float = DEFAULT_MAX_AGE_DAYS, now: datetime | None = None
                  ) -> list[str]:
    """Reasons to flag a profile (empty: fine to use)."""
    reasons = []
    age = profile_age_days(profile, now)
    if age is not None and age > max_age_days:
        reasons.append(f"the calibration is {age:.0f} days old (limit {max_age_days:.0f})")
    if firmware and profile.firmware and firmware != profile.firmware:
        reasons.append(
            f"it was made with firmware {profile.firmware}, the sensor now runs {firmware}")
    return reasons


def load_for_sensor(address: str, firmware: str | None = None, *,
                    max_age_days: float = DEFAULT_MAX_AGE_DAYS, now: datetime | None = None
                    ) -> tuple[CalibrationProfile | None, list[str]]:
    """The stored profile (or None) and the reasons it is flagged; a corrupt file gives None and
    a warning, never an exception (a bad file must not stop a sensor from connecting)."""
    try:
        profile = load(address)
    except ProfileError as exc:
        return None, [f"stored calibration unusable ({exc}); recalibrate"]
    if profile is None:
        return None, []
    return profile, check_profile(profile, firmware=firmware, max_age_days=max_age_days, now=now)


@dataclass
class ProfileChoice:
    """What to apply for a connecting sensor, and what to tell the user."""

    profile: CalibrationProfile       # the profile to apply (neutral when none is usable)
    stored: CalibrationProfile | None  # the stored profile, applied or not
    applied: bool
    flagged: bool
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One line for a status bar or the terminal."""
        if self.stored is None:
            return "no calibration for this sensor (run `balance-trainer calibrate`)"
        done = ", ".join(self.profile.steps_done) or "nothing"
        head = (f"calibration applied ({done})" if self.applied
                else "stored calibration NOT applied")
        return "; ".join([head, *self.warnings])


def profile_for_sensor(address: str | None, *, name: str | None = None,
                       firmware: str | None = None, side: str | None = None,
                       placement: str | None = None, accept_flagged: bool = False,
                       max_age_days: float = DEFAULT_MAX_AGE_DAYS,
                       now: datetime | None = None) -> ProfileChoice:
    """The profile to apply when the sensor ``address`` connects (policy in the module doc)."""
    neutral = CalibrationProfile.neutral(address, name)
    if not address:
        return ProfileChoice(neutral, None, False, False)
    stored, reasons = load_for_sensor(address, firmware, max_age_days=max_age_days, now=now)
    if stored is None:
        return ProfileChoice(neutral, None, False, bool(reasons), reasons)
    warnings = list(reasons)
    if reasons and not accept_flagged:
        warnings.append("not applied: recalibrate, or accept it (calibrate again or --accept-"
                        "calibration / the dashboard's Use anyway)")
        return ProfileChoice(neutral, stored, False, True, warnings)
    chosen = copy.deepcopy(stored)
    mismatch = [f"{k} {v}" for k, v, want in (("side", chosen.side, side),
                                               ("placement", chosen.placement, placement))
                if chosen.has_mounting and want and v and v != want]
    if mismatch:
        chosen.mount_quat_wxyz = None
        chosen.steps_done = [s for s in chosen.steps_done if s != "mount"]
        warnings.append(f"mounting was calibrated for {' and '.join(mismatch)}: not applied; "
                        "repeat `calibrate --step mount`")
    return ProfileChoice(chosen, stored, True, bool(reasons), warnings)


def profile_for_source(info: Any, *, side: str | None = None, placement: str | None = None,
                       accept_flagged: bool = False,
                       max_age_days: float = DEFAULT_MAX_AGE_DAYS) -> ProfileChoice:
    """:func:`profile_for_sensor` for a connecting source's ``SourceInfo`` (address, name,
    firmware). Call it when a source connects; apply ``.profile``; show ``.summary()``."""
    return profile_for_sensor(getattr(info, "address", None) or None,
                              name=getattr(info, "name", None),
                              firmware=getattr(info, "firmware", None), side=side,
                              placement=placement, accept_flagged=accept_flagged,
                              max_age_days=max_age_days)
