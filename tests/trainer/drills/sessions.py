"""Simulated session directories for history/report tests: simulator → core pipeline →
DrillSession (guided events) → SessionWriter, like the dashboard records them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from firmware_bridge.simulator import SimConfig, simulate
from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.drills import get_drill
from trainer.drills.session import DrillSession
from trainer.recording.writer import SessionWriter

T0 = datetime(2025, 5, 1, 8, 0, tzinfo=UTC)


def make_session(root: Path, name: str, drill: str = "single-leg-balance", side: str = "left",
                 day: int = 0, seed: int = 0, guided: bool = True, pain: int = 2,
                 duration_s: float = 40.0, level: int | None = None,
                 **sim: Any) -> Path:
    cfg = SimConfig(seed=seed, duration_s=duration_s, scenario=drill, side=side, **sim)
    rec = simulate(cfg)
    path = root / name
    params = get_drill(drill).params(level if level is not None else
                                     get_drill(drill).start_level)
    with SessionWriter(path, sample_rate_hz=cfg.sample_rate_hz, device=rec.info, drill_id=drill,
                       drill_parameters={k: v for k, v in params.items() if k != "sides"},
                       side=side, placement=cfg.effective_placement,
                       start_time=T0 + timedelta(days=day)) as w:
        session = None
        if guided:
            session = DrillSession(get_drill(drill), side, level=level,
                                   fs_hz=cfg.sample_rate_hz, placement=cfg.effective_placement)
            for ev in session.start(float(rec.batch.t_s[0])):
                if ev.persist:
                    w.event(ev.t_s, ev.type, **ev.data)
        pipe = Pipeline(PipelineConfig(sample_rate_hz=cfg.sample_rate_hz,
                                       placement=cfg.effective_placement, side=side))
        for b in rec.batch.split([50] * (len(rec.batch) // 50)):
            w.append(b)
            if session is not None:
                for ev in session.feed(pipe.process(b)):
                    if ev.persist:
                        w.event(ev.t_s, ev.type, **ev.data)
        if session is not None:
            t_end = float(rec.batch.t_s[-1])
            evs = session.stop(t_end) if session.phase != "pain" else []
            evs += session.rate_pain(pain, t_end)
            for ev in evs:
                if ev.persist:
                    w.event(ev.t_s, ev.type, **ev.data)
    return path
