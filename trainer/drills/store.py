"""Drill user data: safety screenings, progression levels, the user's age (the file I/O is here).

Files live in ``trainer.paths.data_dir()/drills/`` (owner-only: this is health data) and are
written atomically (temp file + rename). A damaged file never unblocks training: a screening that
cannot be read counts as "not answered" (the questions are asked again), damaged progression
restarts at the drill's start level.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from trainer import paths
from trainer.drills.catalog import DrillSpec, SafetySpec
from trainer.drills.progression import Decision, Outcome, Progress, decide, session_outcome
from trainer.drills.safety import Gate, SafetyError, Screening, gate
from trainer.fsutil import replace_atomically

SEXES = ("female", "male")


def spec_scale() -> Any:
    from trainer.drills.catalog import load_catalog

    return load_catalog().safety.pain_scale


def _atomic_write_json(path: Path, data: Any) -> None:
    paths.ensure_private_dir(path.parent)
    with replace_atomically(path) as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")


def _read_json(path: Path) -> Any | None:
    """Decoded JSON, or None when missing or unreadable (callers fall back to safe defaults).
    Only a regular file of bounded size and nesting is read (``trainer.safeio``)."""
    from trainer import safeio

    try:
        return safeio.read_json(path)
    except safeio.UnsafeInput:
        return None


class DrillStore:
    """Reads and writes the drill user data under one directory."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else paths.data_dir() / "drills"

    # ------------------------------------------------------------------ safety
    @property
    def safety_path(self) -> Path:
        return self.root / "safety.json"

    def _safety_doc(self) -> dict[str, Any]:
        doc = _read_json(self.safety_path)
        return doc if isinstance(doc, dict) else {}

    def screening(self) -> Screening | None:
        """The latest screening (None when never answered or the file is damaged)."""
        hist = self._safety_doc().get("screenings")
        if not isinstance(hist, list) or not hist:
            return None
        try:
            return Screening.from_dict(hist[-1])
        except (SafetyError, TypeError, AttributeError):
            return None

    def save_screening(self, screening: Screening) -> None:
        doc = self._safety_doc()
        old = doc.get("screenings")
        hist = old if isinstance(old, list) else []
        doc["screenings"] = [*hist, screening.to_dict()][-50:]
        _atomic_write_json(self.safety_path, doc)

    def record_severe_pain(self, when: datetime | None = None) -> None:
        doc = self._safety_doc()
        doc["severe_pain_at"] = (when or datetime.now(UTC)).isoformat(timespec="seconds")
        _atomic_write_json(self.safety_path, doc)

    def severe_pain_at(self) -> datetime | None:
        value = self._safety_doc().get("severe_pain_at")
        try:
            return datetime.fromisoformat(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def gate(self, now: datetime | None = None, spec: SafetySpec | None = None) -> Gate:
        """May the user train now (reads the stored screening)."""
        return gate(self.screening(), now, spec, self.severe_pain_at())

    # ------------------------------------------------------------- progression
    @property
    def progress_path(self) -> Path:
        return self.root / "progress.json"

    def _progress_doc(self) -> dict[str, Any]:
        doc = _read_json(self.progress_path)
        return doc if isinstance(doc, dict) else {}

    def progress(self, spec: DrillSpec, side: str) -> Progress:
        entry = self._progress_doc().get(f"{spec.id}|{side}")
        if isinstance(entry, dict):
            try:
                return Progress.from_dict(entry)
            except (KeyError, TypeError, ValueError):
                pass
        return Progress.start(spec, side)

    def all_progress(self) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self._progress_doc().items() if isinstance(v, dict)}

    def apply_session(self, spec: DrillSpec, side: str, outcome: Outcome,
                      session_id: str | None = None,
                      when: datetime | None = None) -> tuple[Progress, Decision]:
        """Run the progression rules on a finished session and store the new level."""
        new, decision = decide(self.progress(spec, side), outcome, spec)
        doc = self._progress_doc()
        entry = new.to_dict()
        entry["last_decision"] = decision.to_dict()
        entry["last_session"] = session_id
        entry["updated"] = (when or datetime.now(UTC)).isoformat(timespec="seconds")
        doc[f"{spec.id}|{side}"] = entry
        _atomic_write_json(self.progress_path, doc)
        return new, decision

    def rom_reference(self, spec: DrillSpec, side: str, placement: str | None
                      ) -> float | None:
        """The person's own range of motion for this drill, side and sensor placement (the
        mean of their first sessions), or None."""
        return self.progress(spec, side).rom_reference(placement)

    def level_for(self, spec: DrillSpec, side: str) -> int | None:
        """The level to run this drill at on this side (None for drills without levels)."""
        return self.progress(spec, side).level if spec.progression else None

    def record_result(self, spec: DrillSpec, side: str, params: dict[str, Any],
                      result: dict[str, Any], session_id: str | None = None,
                      when: datetime | None = None) -> Decision:
        """After a drill (pain rated): apply the progression rules and remember strong pain
        (which asks the safety questions again before the next session)."""
        pain = result.get("pain")
        pain = int(pain) if isinstance(pain, int) else None
        scale = spec_scale()
        if pain is not None and pain >= scale.see_doctor_at:
            self.record_severe_pain(when)
        where = result.get("placement")
        outcome = session_outcome(spec, params, result, pain, self.progress(
            spec, side).rom_reference(str(where) if where else None))
        if result.get("stopped") and outcome.met_targets:
            outcome = Outcome(False, pain, "stopped early")
        _, decision = self.apply_session(spec, side, outcome, session_id, when)
        return decision

    # ----------------------------------------------------------------- profile
    @property
    def profile_path(self) -> Path:
        return self.root / "profile.json"

    def profile(self) -> dict[str, Any]:
        doc = _read_json(self.profile_path)
        if not isinstance(doc, dict):
            return {}
        out: dict[str, Any] = {}
        age = doc.get("age")
        if isinstance(age, int | float) and not isinstance(age, bool) and 5 <= age <= 120:
            out["age"] = int(age)
        if doc.get("sex") in SEXES:
            out["sex"] = doc["sex"]
        if doc.get("injured_side") in ("left", "right"):
            out["injured_side"] = doc["injured_side"]
        return out

    def save_profile(self, age: int | None = None, sex: str | None = None,
                     injured_side: str | None = None) -> dict[str, Any]:
        doc = self.profile()
        if injured_side is not None:
            if injured_side not in ("left", "right"):
                raise ValueError(f"injured side must be left or right, got {injured_side!r}")
            doc["injured_side"] = injured_side
        if age is not None:
            if not 5 <= int(age) <= 120:
                raise ValueError(f"age must be 5-120, got {age}")
            doc["age"] = int(age)
        if sex is not None:
            if sex not in SEXES:
                raise ValueError(f"sex must be female or male, got {sex!r}")
            doc["sex"] = sex
        _atomic_write_json(self.profile_path, doc)
        return doc
