"""One check's result and how a list of them prints (one line each, or JSON for support)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"
_LABEL = {OK: "ok  ", WARN: "warn", FAIL: "FAIL", SKIP: "skip"}


@dataclass
class Check:
    """``id`` is stable (for scripts and support), ``title`` is for people; ``fix`` says what to
    do on this platform (None when nothing needs doing)."""

    id: str
    title: str
    status: str
    summary: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        text = f"{_LABEL[self.status]}  {self.title}: {self.summary}"
        return f"{text} — fix: {self.fix}" if self.fix else text


def worst(checks: list[Check]) -> str:
    for status in (FAIL, WARN):
        if any(c.status == status for c in checks):
            return status
    return OK


def render_text(header: str, checks: list[Check]) -> str:
    counts = {s: sum(c.status == s for c in checks) for s in (OK, WARN, FAIL, SKIP)}
    tail = (f"{counts[FAIL]} problem(s), {counts[WARN]} warning(s), {counts[OK]} ok"
            + (f", {counts[SKIP]} skipped" if counts[SKIP] else ""))
    return "\n".join([header, *(c.line() for c in checks), tail])


def render_json(info: dict[str, Any], checks: list[Check]) -> str:
    return json.dumps({**info, "status": worst(checks), "checks": [asdict(c) for c in checks]},
                      ensure_ascii=False, indent=1)
