"""Source options shared by `record` and `dashboard`, and the factory that opens them.

``--simulate`` → :class:`firmware_bridge.simulator.SimulatedSource` (:func:`follow_guide` makes
its person follow a drill guide), ``--replay SESSION`` →
:class:`trainer.recording.replay.ReplaySource`, ``--device ADDRESS`` → the BLE source (see the
marked branch in :func:`open_source`). Errors are :class:`CliError` (one line, exit 2).
"""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING, Any

from trainer.cli.common import CliError, positive_float, rate_hz
from trainer.cli.sensor_options import add_device_option, add_roles_option

if TYPE_CHECKING:  # numpy comes with it: `--help` must not pay for it
    from trainer.vocab.source import Source


def add_source_options(parser: argparse.ArgumentParser, *, replay: bool = False,
                       required: bool = True) -> None:
    """``--device ADDRESS | --simulate [| --replay SESSION]`` plus the simulator's knobs."""
    group = parser.add_mutually_exclusive_group(required=required)
    add_device_option(group)
    group.add_argument("--simulate", action="store_true", help="use the built-in simulated sensor")
    if replay:
        group.add_argument("--replay", metavar="SESSION", help="play back a recorded session")
    parser.add_argument("--rate", type=rate_hz, default=None, metavar="HZ",
                        help="sample rate (default: the device's own; 100 when simulated)")
    sim = parser.add_argument_group("simulated sensor (with --simulate)")
    sim.add_argument("--seed", type=int, default=1, help="simulator seed (default: 1)")
    add_roles_option(sim)
    sim.add_argument("--eyes", choices=("open", "closed"), default="open",
                     help="simulated condition: eyes open or closed (default: open)")
    sim.add_argument("--surface", choices=("firm", "foam"), default="firm",
                     help="simulated condition: firm floor or foam pad (default: firm)")
    sim.add_argument("--sim-losses", type=float, default=0.0, metavar="PER_MIN",
                     help="simulated balance losses per minute (default: 0)")
    sim.add_argument("--sim-packet-loss", type=float, default=0.0, metavar="FRACTION",
                     help="simulated fraction of lost samples, in runs (default: 0)")
    sim.add_argument("--sim-speed", type=positive_float, default=1.0, metavar="X",
                     help="run the simulator X times faster than real time (default: 1)")


def open_source(
    *,
    device: str | None = None,
    simulate: bool = False,
    replay: str | os.PathLike[str] | None = None,
    rate_hz: float | None = None,
    seed: int = 1,
    drill: str = "single-leg-balance",
    side: str = "left",
    placement: str | None = None,
    eyes: str = "open",
    surface: str = "firm",
    duration_s: float | None = None,
    balance_loss_rate_per_min: float = 0.0,
    packet_loss: float = 0.0,
    speed: float = 1.0,
    loop: bool = False,
) -> Source:
    """Open exactly one source. ``duration_s`` ends a simulation (None: endless); ``speed``
    scales the simulator's or the replay's clock."""
    chosen = [name for name, on in (("--device", device), ("--simulate", simulate),
                                     ("--replay", replay)) if on]
    if len(chosen) != 1:
        raise CliError("choose exactly one of --device ADDRESS, --simulate, --replay SESSION")
    if simulate:
        return _simulated(rate_hz=rate_hz, seed=seed, drill=drill, side=side,
                          placement=placement, eyes=eyes, surface=surface,
                          duration_s=duration_s, losses=balance_loss_rate_per_min,
                          packet_loss=packet_loss, speed=speed)
    if replay is not None:
        from trainer.recording import SessionError
        from trainer.recording.replay import ReplaySource

        try:
            return ReplaySource(replay, speed=speed, loop=loop)
        except SessionError as exc:
            raise CliError(str(exc)) from None
        except ValueError as exc:
            raise CliError(f"--speed: {exc}") from None
    # ---- BLE device --------------------------------------------------------------------------
    # Connects before returning, so source.info names the profile and its rate; the profile
    # comes from the advertisement; link losses are reconnected inside the source.
    from firmware_bridge.ble.source import BleConnectError, connect_source

    assert device is not None
    try:
        return connect_source(device, rate_hz=rate_hz)
    except BleConnectError as exc:
        raise CliError(str(exc)) from None


def _simulated(*, rate_hz: float | None, seed: int, drill: str, side: str,
               placement: str | None, eyes: str, surface: str, duration_s: float | None,
               losses: float, packet_loss: float, speed: float) -> Source:
    from trainer.training.session import TrainingError
    from trainer.training.sources import SimSettings, simulated_source

    try:
        return simulated_source(
            rate_hz=rate_hz, drill_id=drill, side=side, placement=placement, eyes=eyes,
            surface=surface, duration_s=duration_s,
            sim=SimSettings(seed=seed, losses_per_min=losses, packet_loss=packet_loss,
                            speed=speed))
    except TrainingError as exc:
        raise CliError(str(exc)) from None


def follow_guide(source: Source, guide: Any | None, *, start_s: float = 0.0) -> Source:
    """``trainer.training.session.follow_guide`` with a one-line CliError."""
    from trainer.training.session import TrainingError
    from trainer.training.session import follow_guide as follow

    try:
        return follow(source, guide, start_s=start_s)
    except TrainingError as exc:
        raise CliError(str(exc)) from None


def source_from_args(args: argparse.Namespace, *, duration_s: float | None = None,
                     **overrides: Any) -> Source:
    """:func:`open_source` from parsed :func:`add_source_options` (and drill) options (one
    sensor; several: :func:`trainer.cli.sensors.open_sensors`)."""
    if len(getattr(args, "devices", None) or []) > 1:
        raise CliError("several sensors: give each one a role (--device ADDRESS:ROLE)")
    kwargs: dict[str, Any] = {
        "device": getattr(args, "device", None),
        "simulate": bool(getattr(args, "simulate", False)),
        "replay": getattr(args, "replay", None),
        "rate_hz": getattr(args, "rate", None),
        "seed": getattr(args, "seed", 1),
        "drill": getattr(args, "drill", None) or "single-leg-balance",
        "side": getattr(args, "side", None) or "left",
        "placement": getattr(args, "placement", None),
        "eyes": getattr(args, "eyes", "open"),
        "surface": getattr(args, "surface", "firm"),
        "duration_s": duration_s,
        "balance_loss_rate_per_min": getattr(args, "sim_losses", 0.0),
        "packet_loss": getattr(args, "sim_packet_loss", 0.0),
        "speed": getattr(args, "sim_speed", 1.0),
    }
    kwargs.update(overrides)
    return open_source(**kwargs)
