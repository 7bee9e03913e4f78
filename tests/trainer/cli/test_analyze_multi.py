"""`analyze` of sessions with several sensors: the lifted foot's touchdowns as balance losses,
trunk sway beside the ankle's, the alignment, limb symmetry from one session; one-sensor
sessions analyse exactly as before."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.cli.main import main
from trainer.recording.sensors import MultiSessionWriter
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo


def _analyze(path: Path, capsys: pytest.CaptureFixture[str]) -> dict:  # type: ignore[type-arg]
    capsys.readouterr()
    assert main(["analyze", str(path), "--json"]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_three_sensor_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "s"
    assert main(["record", "--simulate", "--roles", "left-shank,right-foot,trunk",
                 "--sim-losses", "3", "--seed", "2", "--side", "left", "--no-guide",
                 "--duration", "60", "--sim-speed", "50", "--quiet", "--out", str(out)]) == 0
    truth = simulate(SimConfig(seed=2, duration_s=60.0, side="left",
                               balance_loss_rate_per_min=3.0)).truth
    touchdowns = [e["t_touchdown_s"] for e in truth.balance_losses]
    report = _analyze(out, capsys)
    s = report["sensors"]
    assert s["roles"] == ["left-shank", "right-foot", "trunk"]
    found = [td["t_s"] for td in s["touchdown"]["touchdowns"]]
    assert len(touchdowns) >= 2
    assert found == pytest.approx(touchdowns, abs=0.02)  # the simulated person's touchdowns
    ev = report["events"]
    assert ev["balance_losses_t_s"] == pytest.approx(found)
    assert ev["balance_loss_source"] == "right-foot sensor touchdown"
    assert ev["time_to_first_loss_s"] == pytest.approx(found[0], abs=0.02)
    assert len(s["balance_losses_stance_sensor_t_s"]) >= 1
    trunk = s["trunk_sway"]
    for key in ("rms_m_s2", "jerk_m2_s5", "ellipse_area_m2_s4", "mean_velocity_m_s"):
        assert trunk[key] > 0, key
    assert "Mancini" in trunk["source"]
    # one simulated clock: asked for the sync jump at the start, the person jumps; every sensor
    # sees the landing at the same instant
    (cue,) = [e for e in _lines(out) if e["type"] == "sync_jump"]
    assert cue["t_s"] == pytest.approx(0.0, abs=0.05) and "Jump once" in cue["cue"]
    al = s["alignment"]
    assert al["event"].startswith("sync jump") and "alignment_note" not in s
    assert al["max_abs_ms"] <= 1.0
    assert al["event_t_s"]["trunk"] == pytest.approx(cue["t_s"] + 1.5, abs=0.02)
    assert report["sway"]["units"] == "deg"


def _lines(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(x) for x in (path / "events.jsonl").read_text().splitlines()]


def test_no_shared_event_no_alignment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Three simulated sensors, no sync jump asked for: the sharpest event is the lifted foot's
    touchdown, which the trunk barely feels — no alignment is made up from it, and why."""
    from firmware_bridge.simulator import SimulatedSource
    from firmware_bridge.simulator.multi import MultiSimulatedSource, touchdown_times

    now = [0.0]
    src = SimulatedSource(SimConfig(seed=2, duration_s=30.0, side="left",
                                    balance_loss_rate_per_min=3.0), clock=lambda: now[0])
    multi = MultiSimulatedSource(src, ("left-shank", "right-foot", "trunk"))
    multi.start()
    infos = multi.sensor_info()
    w = MultiSessionWriter(tmp_path / "s", sensors={r: (i, None) for r, i in infos.items()},
                           primary="left-shank", sample_rate_hz=100.0,
                           device=infos["left-shank"], side="left", placement="shank")
    while not multi.finished:
        now[0] += 1.0
        got = multi.read_all()
        w.append(got["left-shank"])
        for role in ("right-foot", "trunk"):
            w.append_sensor(role, got[role])
    w.close()
    assert touchdown_times(multi)
    s = _analyze(tmp_path / "s", capsys)["sensors"]
    assert s["touchdown"]["touchdowns"]
    assert s["alignment"] is None
    assert s["alignment_note"] == "no shared tap or jump found: tap or jump once with all " \
                                  "sensors on"


def _legs_session(path: Path) -> None:
    """Left leg stands 0-30 s (sway 1 deg), right leg 30-60 s (sway 2 deg); the other lifted."""
    fs = 100.0
    t = np.arange(0, 60, 1 / fs)
    rng = np.random.default_rng(1)

    def shank(stands: np.ndarray, sway_deg: float) -> SampleBatch:
        ap = np.where(stands, sway_deg * np.sin(2 * np.pi * 0.3 * t + rng.uniform(0, 6)),
                      -35.0)
        ml = np.where(stands, sway_deg * 0.5 * np.sin(2 * np.pi * 0.2 * t), 0.0)
        a, m = np.radians(ap), np.radians(ml)
        acc = np.column_stack([-np.sin(a), -np.sin(m), np.cos(a) * np.cos(m)])
        return SampleBatch.from_arrays(t, acc + rng.normal(0, 0.002, acc.shape),
                                       rng.normal(0, 0.3, (t.size, 3)))

    left_stands = t < 30
    infos = {r: SourceInfo(f"IMU {r}", f"C4:7C:8D:6A:30:0{i}", "reference", fs)
             for i, r in enumerate(("left-shank", "right-shank"))}
    w = MultiSessionWriter(path, sensors={r: (i, None) for r, i in infos.items()},
                           primary="left-shank", sample_rate_hz=fs,
                           device=infos["left-shank"], side="left", placement="shank")
    w.append(shank(left_stands, 1.0))
    w.append_sensor("right-shank", shank(~left_stands, 2.0))
    w.close()


def test_limb_symmetry_from_one_session(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    _legs_session(tmp_path / "legs")
    sym = _analyze(tmp_path / "legs", capsys)["sensors"]["symmetry"]
    legs = sym["legs"]
    assert legs["left"]["stance_s"] == pytest.approx(30, abs=1.5)
    assert legs["right"]["stance_s"] == pytest.approx(30, abs=1.5)
    # the right leg sways twice as far: 4x the area; the involved (left) leg does better
    assert legs["right"]["ellipse_area"] / legs["left"]["ellipse_area"] == pytest.approx(4, rel=0.3)
    assert sym["lsi_pct"]["ellipse_area"] == pytest.approx(400, rel=0.3)
    assert sym["involved"] == "left"


def test_one_sensor_sessions_have_no_sensors_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "one"
    assert main(["record", "--simulate", "--duration", "5", "--sim-speed", "50", "--quiet",
                 "--no-guide", "--out", str(out)]) == 0
    report = _analyze(out, capsys)
    assert "sensors" not in report and "balance_loss_source" not in report["events"]
