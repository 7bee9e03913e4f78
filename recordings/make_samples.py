"""Regenerate the sample sessions in this folder from the simulator (deterministic).

    .venv/bin/python recordings/make_samples.py [--out DIR]

Each sample is streamed through ``SimulatedSource`` (on a simulated clock, so the live path —
gap statuses from packet loss, battery reports — is what gets recorded) into ``SessionWriter``.
``session.json`` says ``"simulated": true`` and holds the simulator config under ``simulation``
(so tests can regenerate the samples and compare); the simulator's truth events (balance losses,
reps, holds) are in ``events.jsonl`` with ``"source": "simulator-truth"``. The sessions carry the
calibration a perfect calibration would find (true gyro bias at start and true mounting), except
``single-leg-balance-eyes-open`` which is uncalibrated (neutral profile), as a fresh sensor is.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

from firmware_bridge.simulator import SimConfig, SimulatedSource  # noqa: E402
from firmware_bridge.simulator.quat import from_axis_angle, multiply  # noqa: E402
from trainer.recording import SessionWriter  # noqa: E402
from trainer.vocab.calibration import CalibrationProfile  # noqa: E402

STEP_S = 0.05  # simulated poll interval (like the recorder's loop)


def _mount(yaw_deg: float, roll_deg: float) -> tuple[float, float, float, float]:
    """A plausible strap: turned about the segment's long axis, slightly tilted."""
    q = multiply(from_axis_angle([0, 0, 1], np.radians(yaw_deg)),
                 from_axis_angle([1, 0, 0], np.radians(roll_deg)))
    return tuple(float(v) for v in q)  # type: ignore[return-value]


#: name → (simulator config, calibrated?, drill parameters)
SAMPLES: dict[str, tuple[SimConfig, bool, dict[str, Any]]] = {
    "single-leg-balance-eyes-open": (
        SimConfig(seed=101, sample_rate_hz=100.0, duration_s=45.0, side="left", eyes="open",
                  mount_quat_wxyz=_mount(12.0, 4.0), clock_drift_ppm=40.0, jitter_s=0.0005,
                  packet_loss=0.004),
        False,
        {"eyes": "open", "surface": "firm", "hold_s": 45},
    ),
    "single-leg-balance-eyes-closed-loss": (
        SimConfig(seed=102, sample_rate_hz=100.0, duration_s=45.0, side="right", eyes="closed",
                  mount_quat_wxyz=_mount(-8.0, -3.0), balance_loss_times_s=(27.5,)),
        True,
        {"eyes": "closed", "surface": "firm", "hold_s": 45},
    ),
    "calf-raise-set": (
        SimConfig(seed=103, sample_rate_hz=100.0, duration_s=40.0, scenario="calf-raise",
                  side="left", mount_quat_wxyz=_mount(5.0, 2.0), reps=10),
        True,
        {"reps": 10},
    ),
    "isometric-eversion-holds": (
        SimConfig(seed=104, sample_rate_hz=100.0, duration_s=40.0,
                  scenario="isometric-eversion", side="right", mount_quat_wxyz=_mount(0.0, 6.0),
                  hold_s=10.0, rest_s=8.0),
        True,
        {"hold_s": 10, "rest_s": 8},
    ),
}

START = datetime(2025, 1, 6, 9, 0, 0, tzinfo=UTC)


def make(name: str, out_root: Path, index: int) -> Path:
    config, calibrated, params = SAMPLES[name]
    now = [0.0]
    source = SimulatedSource(config, clock=lambda: now[0])
    info = source.info
    start = START.replace(hour=9 + index)
    created = start.isoformat().replace("+00:00", "Z")
    cal = CalibrationProfile.neutral(info.address, info.name)
    cal.created = created
    if calibrated:
        cal.gyro_bias_dps = np.asarray(config.gyro_bias_dps, dtype=np.float64)
        cal.mount_quat_wxyz = config.mount_quat()
        cal.placement = config.effective_placement
        cal.side = config.side
        cal.steps_done = ["gyro", "accel", "mount"]
        cal.quality = {"source": "simulator truth"}
    out = out_root / name
    if out.exists():
        shutil.rmtree(out)
    writer = SessionWriter(
        out,
        sample_rate_hz=config.sample_rate_hz,
        device=info,
        drill_id=config.scenario,
        drill_parameters=params,
        side=config.side,
        placement=config.effective_placement,
        calibration=cal,
        session_id=f"sample-{name}",
        start_time=start,
        extra={"simulation": _jsonable(asdict(config)), "sample": True},
    )
    source.start()
    while not source.finished:
        now[0] += STEP_S
        writer.append(source.read())
        for status in source.drain_status():
            writer.status_event(status)
    for event in source.events:
        writer.event(event["t_s"], event["type"], source="simulator-truth",
                     **{k: v for k, v in event.items() if k not in ("t_s", "type")})
    source.stop()
    stop = datetime.fromtimestamp(start.timestamp() + (writer.last_t_s or 0.0), UTC)
    writer.close(stop_time=stop.isoformat(timespec="milliseconds").replace("+00:00", "Z"))
    return out


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    return obj


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT, help="folder (default: recordings/)")
    parser.add_argument("names", nargs="*", help=f"samples to make (default: all of "
                        f"{', '.join(SAMPLES)})")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SAMPLES]
    if unknown:
        parser.error(f"unknown sample(s): {', '.join(unknown)}")
    for i, name in enumerate(SAMPLES):
        if args.names and name not in args.names:
            continue
        path = make(name, args.out, i)
        size = sum(f.stat().st_size for f in path.iterdir())
        print(f"{path}  {size / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
