"""A recorded session analysed for the drills (file I/O lives here, not in the detectors).

``load_session(path)`` opens a session directory (``trainer.recording.open_session``) and runs the
core's analysis (``trainer.core.pipeline.analyze``, with the session's calibration profile,
placement and side) — the causal orientation streamed chunk by chunk, as ``analyze --json``
and the live session compute it: the numbers of a report equal ``analyze``'s, and memory stays
bounded by a chunk (the non-causal offline VQF holds ~230 bytes per processed sample, ~160 MiB
for two hours, more than the session's raw samples). ``analyze_session(path)`` returns the
session's drill result (``trainer.drills.analysis.analyze_drill``, with the guided session's
events).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class SessionLoadError(ValueError):
    """A session that cannot be loaded or analysed (one line)."""


@dataclass
class LoadedSession:
    path: Path
    meta: dict[str, Any]
    events: list[dict[str, Any]]
    analysis: Any  # trainer.core.pipeline.AnalysisResult
    status: str

    @property
    def drill_id(self) -> str:
        drill = self.meta.get("drill")
        drill_id = drill.get("id") if isinstance(drill, dict) else None
        return str(drill_id or "single-leg-balance")

    @property
    def side(self) -> str:
        return str(self.meta.get("side") or "left")

    @property
    def placement(self) -> str:
        return str(self.meta.get("placement") or "shank")

    def drill_params(self) -> dict[str, Any]:
        return drill_params(self.meta)


def drill_params(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The drill parameters of a session.json (``drill`` minus its id; ``parameters`` nested in
    it or flat)."""
    drill = meta.get("drill")
    params = {k: v for k, v in drill.items() if k != "id"} if isinstance(drill, dict) else {}
    nested = params.pop("parameters", None)
    if isinstance(nested, dict):
        params.update(nested)
    return params


def load_session(path: str | Path) -> LoadedSession:
    """Open and analyse a session directory (SessionLoadError for anything unusable)."""
    from trainer.core.pipeline import PipelineConfig, analyze
    from trainer.recording.errors import SessionError
    from trainer.recording.reader import open_session

    root = Path(path)
    try:
        session = open_session(root)
    except SessionError as exc:
        raise SessionLoadError(str(exc)) from None
    n = session.n_samples
    if n < 2:
        raise SessionLoadError(f"{root}: the session has no samples" if not n else
                               f"{root}: too few samples ({n}) to analyse")
    meta = dict(session.meta)
    try:
        config = PipelineConfig.for_session(
            sample_rate_hz=session.sample_rate_hz, drill_id=session.drill_id,
            placement=session.placement, side=session.side, calibration=session.calibration)
        # the session read in chunks (bounded memory); per-sample series expand on demand
        result = analyze(session, config)
    except SessionError as exc:
        raise SessionLoadError(str(exc)) from None
    except ValueError as exc:
        raise SessionLoadError(f"{root}: cannot analyse: {exc}") from None
    return LoadedSession(root, meta, list(session.events), result, session.status)


def analyze_session(path: str | Path | LoadedSession, age: float | None = None,
                    sex: str | None = None) -> dict[str, Any]:
    """The drill result of a recorded session (drill id, side and placement from session.json;
    the guided session's set events and pain rating when present)."""
    from trainer.drills.analysis import analyze_drill
    from trainer.drills.catalog import CatalogError

    s = path if isinstance(path, LoadedSession) else load_session(path)
    params = s.drill_params()
    params.update(side=s.side, placement=s.placement, events=s.events)
    if age is not None:
        params["age"] = age
    if sex is not None:
        params["sex"] = sex
    try:
        return analyze_drill(s.drill_id, s.analysis, params)
    except CatalogError as exc:
        raise SessionLoadError(f"{s.path}: {exc}") from None
