"""`balance-trainer import`: CSV (generic, MetaBase, Movella DOT, WitMotion app) to sessions.

All or nothing: the session is built in a hidden directory next to ``--out`` and renamed into
place at the end; on any error nothing is left behind.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from trainer.cli.common import (
    CliError,
    add_drill_options,
    drop_unused_session_dir,
    rate_hz,
    resolve_drill_options,
)

FORMATS = ("generic", "metabase", "movella", "witmotion")


def register(sub: Any) -> None:
    p = sub.add_parser(
        "import",
        help="CSV to session directory",
        description="Import CSV into a new session directory. generic: t_s,acc_x_g,acc_y_g,"
        "acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps (+ optional seq, mag_x_ut,mag_y_ut,mag_z_ut). "
        "metabase: the Accelerometer and Gyroscope CSVs of a MetaBase export (give both, or "
        "the accelerometer file when the gyroscope file sits beside it). movella: one Movella "
        "DOT export with Acc_* (m/s^2) and Gyr_* (deg/s). witmotion: a CSV or TXT recorded by "
        "WitMotion's own app; several sensors in one file become one session each (folders "
        "named after their addresses inside --out), or pick one with --device-id.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="CSV file(s)")
    p.add_argument("--format", required=True, choices=FORMATS, dest="source_format",
                   help="what kind of CSV")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="new session directory (default: a new folder in the sessions folder)")
    p.add_argument("--device-id", metavar="ID", default=None,
                   help="witmotion: import only this sensor (its Device name / address, or a "
                   "unique part of it)")
    add_drill_options(p)
    p.add_argument("--rate", type=rate_hz, default=None, metavar="HZ",
                   help="nominal sample rate (default: the file's, or from the time stamps)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    drill, side, placement, out = resolve_drill_options(args)
    try:
        return _import(args, drill, side, placement, out)
    finally:
        drop_unused_session_dir(args, out)


def _import(args: argparse.Namespace, drill: str, side: str, placement: str, out: Path) -> int:
    from trainer.recording import SessionError
    from trainer.recording.convert import import_csv, import_witmotion
    from trainer.recording.witmotion import looks_like_witmotion

    if args.device_id is not None and args.source_format != "witmotion":
        raise CliError("--device-id is for --format witmotion")
    try:
        if args.source_format == "witmotion":
            if len({str(f) for f in args.files}) > 1:
                raise CliError(f"--format witmotion reads one file, got {len(args.files)}")
            sessions = import_witmotion(args.files[0], out, device_id=args.device_id,
                                        drill_id=drill, side=side, placement=placement,
                                        rate_hz=args.rate)
        else:
            sessions = [import_csv(args.files, args.source_format, out, drill_id=drill,
                                   side=side, placement=placement, rate_hz=args.rate)]
    except SessionError as exc:
        hint = ""
        if args.source_format != "witmotion" and any(looks_like_witmotion(f) for f in args.files):
            hint = " (this looks like a WitMotion app export: use --format witmotion)"
        raise CliError(f"{exc}{hint}") from None
    except OSError as exc:
        raise CliError(f"import failed: {exc.strerror or exc}: {exc.filename or ''}") from None
    for session in sessions:
        print(f"{session.path}  ({session.n_samples} samples, {session.duration_s:.1f} s, "
              f"{session.sample_rate_hz:g} Hz)")
    return 0
