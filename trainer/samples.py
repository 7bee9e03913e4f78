"""The sample sessions that ship with the app (simulated; see recordings/README.md).

In a checkout they are ``recordings/``; in an installed wheel they are package data under
``trainer/sample_recordings`` (a link to ``recordings/`` in the source tree), found through
:mod:`importlib.resources`, so ``pipx install .`` users have them too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    name: str
    path: Path
    drill: str | None
    duration_s: float | None


def samples_root() -> Path | None:
    """The folder holding the sample sessions (None when this installation has none)."""
    here = Path(__file__).resolve().parent
    for candidate in (Path(str(files("trainer") / "sample_recordings")),
                      here.parent / "recordings"):
        if candidate.is_dir() and any(candidate.glob("*/session.json")):
            return candidate.resolve()
    return None


def list_samples() -> list[Sample]:
    root = samples_root()
    if root is None:
        return []
    out = []
    for meta_path in sorted(root.glob("*/session.json")):
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        drill = meta.get("drill", {}).get("id") if isinstance(meta.get("drill"), dict) else None
        rate, n = meta.get("sample_rate_hz"), meta.get("n_samples")
        duration = n / rate if isinstance(rate, int | float) and isinstance(n, int) and rate \
            else None
        out.append(Sample(meta_path.parent.name, meta_path.parent, drill, duration))
    return out


def sample_path(name: str) -> Path | None:
    """The sample session called ``name`` (None if there is none)."""
    return next((s.path for s in list_samples() if s.name == name), None)
