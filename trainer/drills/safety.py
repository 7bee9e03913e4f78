"""Safety gate: the red-flag screening before training and the 0-10 pain rating after each drill.

Pure logic (no file I/O): the answers are stored by ``trainer.drills.store``. Rules, from the
programme: any red flag ("yes") advises seeing a doctor and blocks training until the questions are
answered again with no red flag; a clear screening is re-asked after ``rescreen_days``; a pain
rating at or above the scale's ``see_doctor_at`` also asks for a new screening before the next
session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from trainer.drills.catalog import PainScale, SafetySpec, load_catalog

NEEDS_SCREENING = "needs_screening"
BLOCKED = "blocked"
CLEARED = "cleared"


class SafetyError(ValueError):
    """Incomplete or invalid answers / ratings (one-line message)."""


def _utc(ts: datetime) -> datetime:
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


@dataclass(frozen=True)
class Screening:
    """The answers to the red-flag questions, with the date they were given."""

    answered_at: datetime
    answers: Mapping[str, bool]

    @property
    def red_flags(self) -> list[str]:
        return [qid for qid, yes in self.answers.items() if yes]

    @property
    def clear(self) -> bool:
        return not self.red_flags

    def to_dict(self) -> dict[str, Any]:
        return {"answered_at": _utc(self.answered_at).isoformat(timespec="seconds"),
                "answers": dict(self.answers), "red_flags": self.red_flags}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Screening:
        try:
            when = datetime.fromisoformat(str(data["answered_at"]))
            answers = {str(k): bool(v) for k, v in dict(data["answers"]).items()}
        except (KeyError, TypeError, ValueError) as exc:
            raise SafetyError(f"stored screening is malformed: {exc}") from None
        return cls(_utc(when), answers)


@dataclass(frozen=True)
class Gate:
    """Whether training may start, and what to tell the user."""

    status: str  # cleared | blocked | needs_screening
    message: str
    red_flags: list[str] = field(default_factory=list)
    next_screening: datetime | None = None

    @property
    def may_train(self) -> bool:
        return self.status == CLEARED

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "may_train": self.may_train, "message": self.message,
                "red_flags": self.red_flags,
                "next_screening": None if self.next_screening is None
                else self.next_screening.isoformat(timespec="seconds")}


def questions(spec: SafetySpec | None = None) -> list[dict[str, str]]:
    """The red-flag questions as data (id, text) for the UI and the CLI."""
    spec = spec or load_catalog().safety
    return [{"id": q.id, "text": q.text} for q in spec.questions]


def screen(answers: Mapping[str, Any], now: datetime | None = None,
           spec: SafetySpec | None = None) -> Screening:
    """Record answers: every question must be answered yes (True) or no (False)."""
    spec = spec or load_catalog().safety
    ids = [q.id for q in spec.questions]
    unknown = sorted(set(answers) - set(ids))
    if unknown:
        raise SafetyError(f"unknown question(s): {', '.join(unknown)}")
    missing = [qid for qid in ids if qid not in answers]
    if missing:
        raise SafetyError(f"unanswered question(s): {', '.join(missing)}")
    for qid in ids:
        if not isinstance(answers[qid], bool):
            raise SafetyError(f"answer to {qid} must be yes or no")
    return Screening(_utc(now or datetime.now(UTC)), {qid: bool(answers[qid]) for qid in ids})


def gate(screening: Screening | None, now: datetime | None = None,
         spec: SafetySpec | None = None, severe_pain_at: datetime | None = None) -> Gate:
    """May the user train now? ``severe_pain_at``: when a pain rating last reached see_doctor_at."""
    spec = spec or load_catalog().safety
    now = _utc(now or datetime.now(UTC))
    if screening is None:
        return Gate(NEEDS_SCREENING, spec.intro)
    if not screening.clear:
        return Gate(BLOCKED, spec.blocked_advice, screening.red_flags)
    due = screening.answered_at + timedelta(days=spec.rescreen_days)
    if now >= due:
        return Gate(NEEDS_SCREENING,
                    f"It has been {spec.rescreen_days} days or more since you answered the safety "
                    "questions. " + spec.intro)
    if severe_pain_at is not None and _utc(severe_pain_at) > screening.answered_at:
        return Gate(NEEDS_SCREENING,
                    "You reported strong pain last time. " + spec.intro)
    return Gate(CLEARED, spec.cleared_text, next_screening=due)


def pain_scale(spec: SafetySpec | None = None) -> PainScale:
    return (spec or load_catalog().safety).pain_scale


def pain_scale_data(spec: SafetySpec | None = None) -> dict[str, Any]:
    """The 0-10 scale as plain data (value → label) for the UI."""
    s = pain_scale(spec)
    return {"name": s.name, "min": s.min, "max": s.max,
            "values": [{"value": v, "label": s.anchors[v]} for v in range(s.min, s.max + 1)],
            "acceptable_max": s.acceptable_max, "back_off_at": s.back_off_at,
            "see_doctor_at": s.see_doctor_at}


def check_pain(rating: Any, spec: SafetySpec | None = None) -> int:
    """A validated pain rating (whole number within the scale)."""
    s = pain_scale(spec)
    if isinstance(rating, bool) or not isinstance(rating, int | float) or rating != int(rating):
        raise SafetyError(f"pain rating must be a whole number {s.min}-{s.max}, got {rating!r}")
    value = int(rating)
    if not s.min <= value <= s.max:
        raise SafetyError(f"pain rating must be {s.min}-{s.max}, got {value}")
    return value


def pain_advice(rating: int, spec: SafetySpec | None = None) -> dict[str, Any]:
    """What a rating means: category (ok/caution/back_off/stop) and the text to show."""
    value = check_pain(rating, spec)
    cat, text = pain_scale(spec).advice_for(value)
    return {"rating": value, "category": cat, "advice": text}
