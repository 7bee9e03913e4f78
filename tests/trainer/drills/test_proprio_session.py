"""The guided proprioception drills end to end: ``record --simulate --drill …`` (the simulated
person follows the guide), the live result in ``drill_end``, ``analyze --json`` of the recording
and the simulator's truth agree; the guide's parts (plan, cues, "there", fading feedback)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, follow_guide, simulate
from trainer.core.pipeline import Pipeline, PipelineConfig, analyze
from trainer.drills import get_drill
from trainer.drills.analysis import analyze_drill
from trainer.drills.catalog import feedback_for_set
from trainer.drills.session import DrillSession, persisted

ROOT = Path(__file__).resolve().parents[3]


def cli(*argv: str, home: Path) -> str:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-m", "trainer.cli.main", *argv], env=env,
                         capture_output=True, text=True, timeout=300, check=False,
                         stdin=subprocess.DEVNULL)
    assert out.returncode == 0, out.stderr
    return out.stdout


def events(session: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (session / "events.jsonl").read_text().splitlines()]


def guided(drill: str, side: str, seed: int, level: int | None = None
           ) -> tuple[DrillSession, list[Any], Any]:
    """A DrillSession fed by the simulated person following it, through the core pipeline."""
    spec = get_drill(drill)
    ds = DrillSession(spec, side, level=level, fs_hz=100.0)
    cfg = follow_guide(SimConfig(scenario=drill, side=side, seed=seed, duration_s=None), ds)
    total = sum((p.hold_s or 0) + p.rest_after_s + ds.params["countdown_s"] for p in ds.plan)
    cfg = SimConfig(**{**cfg.__dict__, "duration_s": total + 4.0})
    rec = simulate(cfg)
    pipe = Pipeline(PipelineConfig(100.0, placement=spec.placement, side=side))
    out: list[Any] = []
    b = rec.batch
    for a in range(0, len(b), 37):
        pb = pipe.process(b.slice(a, a + 37) if hasattr(b, "slice") else b[a:a + 37])
        if ds.phase == "ready":
            out += ds.start(float(pb.t_s[0]))
        out += ds.feed(pb)
    return ds, out, rec


@pytest.mark.parametrize("side", ["left", "right"])
def test_guided_lunges_match_truth(side: str) -> None:
    ds, evs, rec = guided("lunge-test", side, seed=3)
    truth = [e["depth_deg"] for e in rec.truth.events if e["type"] == "lunge"]
    live = [e.data["depth_deg"] for e in evs if e.type == "lunge"]
    assert len(truth) == 3 and len(live) == 3
    assert np.max(np.abs(np.array(live) - truth)) < 1.0
    res = ds.result()
    assert res["lunges_deg"] == pytest.approx(live, abs=0.01)
    assert res["max_lunge_deg"] == max(res["lunges_deg"])


@pytest.mark.parametrize("side", ["left", "right"])
def test_guided_position_sense_matches_truth(side: str) -> None:
    ds, evs, rec = guided("joint-position-sense", side, seed=5)
    truth = [e for e in rec.truth.events if e["type"] == "trial"]
    live = [e.data for e in evs if e.type == "jps_trial"]
    assert len(live) == len(truth) == 9
    for got, want in zip(live, truth, strict=True):
        assert got["target_deg"] == want["target_deg"]
        assert abs(got["reproduced_deg"] - want["reproduced_deg"]) < 1.0, (got, want)
        assert got["how"] in ("still", "hold")
        assert abs(got["presented_deg"] - want["presented_deg"]) < 1.0, (got, want)
    cues = [e.data["text"] for e in evs if e.type == "cue"]
    assert any("Eyes closed: find 10° inversion" in c for c in cues)
    res = ds.result()
    assert len(res["trials"]) == 9 and res["absolute_error_deg"] is not None
    # offline, from the recording and its set events: the same trials, as accurate
    off = analyze_drill("joint-position-sense",
                        analyze(rec.batch, PipelineConfig(100.0, placement="foot", side=side)),
                        {"side": side, "placement": "foot", "events": persisted(evs)})
    assert off["source"] == "events" and len(off["trials"]) == 9
    for got, want in zip(off["trials"], truth, strict=True):
        assert abs(got["reproduced_deg"] - want["reproduced_deg"]) < 1.0, (got, want)
        assert abs(got["presented_deg"] - want["presented_deg"]) < 1.0, (got, want)
    assert {r["target"] for r in res["errors_by_target"]} == {
        "10° inversion", "20° inversion", "15° plantarflexion"}


def test_there_key_captures_the_reproduction() -> None:
    spec = get_drill("joint-position-sense")
    ds = DrillSession(spec, "left", fs_hz=100.0)
    assert ds.there(0.0) == []  # nothing to capture before the drill
    ds.start(0.0)
    n = 100
    t = 0.0
    while ds.current is None or ds.current.stage != "reproduce" or ds.phase != "active":
        ds.feed({"t_s": t + np.arange(n) / 100.0, "tilt_ap_deg": np.zeros(n),
                 "tilt_ml_deg": np.zeros(n), "gyr_dps": np.zeros((n, 3)), "events": []})
        t += 1.0
    out = ds.there(t)
    assert [e.type for e in out][:1] == ["there"]
    assert ds.there(t + 0.5) == []  # once per reproduction


def test_fading_feedback_and_progression_ladder() -> None:
    assert [feedback_for_set("fading", k, 9) for k in range(9)] == (
        ["always"] * 3 + ["far"] * 3 + ["none"] * 3)
    spec = get_drill("joint-position-sense")
    tols = [lv.params["tolerance_deg"] for lv in spec.progression[1:]]
    n_targets = [len(lv.params["targets"]) for lv in spec.progression[1:]]
    assert tols == sorted(tols, reverse=True) and tols[-1] < tols[0]
    assert n_targets == sorted(n_targets) and n_targets[-1] > n_targets[0]
    plan = spec.plan(spec.params(2))
    repro = [p.feedback for p in plan if p.stage == "reproduce"]
    assert repro[0] == "always" and repro[-1] == "none" and "far" in repro


def test_record_simulate_then_analyze(tmp_path: Path) -> None:
    """The real commands: the live drill_end result and analyze --json agree."""
    out = tmp_path / "lunge"
    cli("record", "--simulate", "--drill", "lunge-test", "--side", "right", "--sim-speed",
        "1000", "--out", str(out), "--quiet", home=tmp_path)
    end = [e for e in events(out) if e["type"] == "drill_end"][-1]["result"]
    report = json.loads(cli("analyze", str(out), "--json", home=tmp_path))
    assert report["drill"]["source"] == "events"
    assert len(report["drill"]["lunges_deg"]) == 3
    assert np.allclose(report["drill"]["lunges_deg"], end["lunges_deg"], atol=1.0)
