"""`balance-trainer dashboard`: the dashboard (live sensor, simulation or replay).

``--drill/--side/--placement/--eyes/--surface`` choose the drill as in `record`;
``--start-drill`` starts it right away (``dashboard --simulate --drill calf-raise --start-drill``).
``--device`` asks the red-flag questions (a dialog) before the sensor's samples are used. Ctrl-C,
SIGTERM or closing the window during a drill finish the recording (``complete``, with its
summary) and exit with status 0.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trainer.cli.common import duration_s, fail, positive_float, rate_hz
from trainer.cli.sensor_options import add_device_option, add_roles_option
from trainer.vocab.ids import DRILL_IDS, PLACEMENTS, SIDES


def add_window_options(p: argparse.ArgumentParser) -> None:
    """Options shared by `demo` and `dashboard` (tests, screenshots, benchmarks)."""
    p.add_argument("--quit-after", type=duration_s, metavar="S", default=None,
                   help="close the window after S seconds")
    p.add_argument("--screenshot", type=Path, metavar="FILE", default=None,
                   help="save a PNG of the window when closing (with --quit-after) or after 5 s")
    p.add_argument("--no-audio", action="store_true", help="never open an audio device")
    p.add_argument("--start-drill", action="store_true",
                   help="start the selected drill right away (countdown, then recording)")
    p.add_argument("--rate", type=rate_hz, default=100.0, metavar="HZ",
                   help="simulated sensor rate (default 100)")
    p.add_argument("--lsl", action="store_true",
                   help="start with the Lab Streaming Layer switch on (docs/LSL.md)")


def register(sub: Any) -> None:
    p = sub.add_parser("dashboard", help="the dashboard (live sensor, simulation or replay)",
                       description="The Qt dashboard. Without a source option it opens idle "
                       "(scan/connect from the window).")
    g = p.add_mutually_exclusive_group()
    add_device_option(g)  # as in record: ADDRESS, or ADDRESS:ROLE once per sensor
    g.add_argument("--simulate", action="store_true", help="stream the simulated sensor")
    g.add_argument("--replay", metavar="SESSION", help="replay a recorded session directory")
    p.add_argument("--speed", type=positive_float, default=1.0, help="replay speed (0.25–4)")
    drill = p.add_argument_group("drill (as in record; --start-drill starts it)")
    drill.add_argument("--drill", choices=DRILL_IDS, default=None,
                       help="drill id (default: single-leg-balance)")
    drill.add_argument("--side", choices=SIDES, default=None,
                       help="leg the sensor is on (default: left)")
    drill.add_argument("--placement", choices=PLACEMENTS, default=None,
                       help="where the sensor is strapped (default: the drill's placement)")
    drill.add_argument("--eyes", choices=("open", "closed"), default=None,
                       help="balance drills: eyes open or closed (default: the level's)")
    drill.add_argument("--surface", choices=("firm", "foam"), default=None,
                       help="balance drills: firm floor or foam pad (default: the level's)")
    add_roles_option(p)
    add_window_options(p)
    p.set_defaults(func=run)


DRILL_FLAGS = ("drill", "side", "placement", "eyes", "surface")


def check_display(command: str, args: argparse.Namespace | None = None) -> None:
    import shlex

    from trainer.ui.display import no_display_reason

    options = []
    for address, role in getattr(args, "devices", None) or []:
        options.append(f"--device {shlex.quote(address + (f':{role}' if role else ''))}")
    value = getattr(args, "replay", None)
    if value:
        options.append(f"--replay {shlex.quote(str(value))}")
    if getattr(args, "simulate", False):
        options.append("--simulate")
    reason = no_display_reason(command, " ".join(options))
    if reason:
        fail(reason)


def check_screenshot(path: Path | None, replay: str | None) -> None:
    """``--screenshot``: an existing folder, not a session, not over another kind of file."""
    from trainer.outputs import OutputError, check_output_file

    if path is None:
        return
    try:
        check_output_file(path, option="--screenshot", kind="png",
                          inputs=[replay] if replay else [])
    except OutputError as exc:
        fail(str(exc))


def launch(args: argparse.Namespace, command: str) -> int:
    check_display(command, args)
    if args.rate > 2000 or args.rate < 10:
        fail("--rate must be within 10..2000 Hz")
    speed = getattr(args, "speed", 1.0)
    if not 0.25 <= speed <= 4:
        fail("--speed must be within 0.25..4")
    replay = getattr(args, "replay", None)
    chosen = {k: getattr(args, k, None) for k in DRILL_FLAGS if getattr(args, k, None)}
    if replay is not None and (chosen or args.start_drill):
        given = ", ".join(f"--{k}" for k in chosen) or "--start-drill"
        fail(f"{given}: a replay shows the drill as it was recorded (its own conditions)")
    check_screenshot(args.screenshot, replay)
    sensors = _sensor_plan(args)
    if replay is not None:
        # open it before the window appears: a bad path is a one-line error, exit 2
        from trainer.ui.sources import SourceError, replay_source

        try:
            src, _ = replay_source(replay, speed)
            src.stop()
        except SourceError as exc:
            fail(str(exc))
    from trainer.ui.app import LaunchOptions, run_dashboard

    def setup(window: Any) -> None:
        if args.lsl:
            window.lsl.action.setChecked(True)
        if chosen:
            window.choose_drill(**chosen)
        if command == "demo" or getattr(args, "simulate", False):
            window.start_simulator(args.rate, roles=tuple(r for _, r in sensors or ()))
        elif replay is not None:
            window.open_replay(replay, speed)
        elif sensors:
            window.connect_sensors(sensors)
        elif getattr(args, "device", None):
            window.connect_device(args.device)

    options = LaunchOptions(quit_after_s=args.quit_after, screenshot=args.screenshot,
                            audio=not args.no_audio, start_drill=args.start_drill)
    return run_dashboard(setup, options)


def _sensor_plan(args: argparse.Namespace) -> list[tuple[str | None, Any]] | None:
    """Several sensors (``--device ADDR:ROLE …``, ``--simulate --roles …``) checked as `record`
    checks them (one-line errors before the window opens); None: one plain sensor."""
    from trainer.cli.sensors import wanted_roles
    from trainer.drills.catalog import get_drill

    side = getattr(args, "side", None) or "left"
    placement = getattr(args, "placement", None) or get_drill(
        getattr(args, "drill", None) or "single-leg-balance").placement
    return wanted_roles(args, side, str(placement))


def run(args: argparse.Namespace) -> int:
    return launch(args, "dashboard")
