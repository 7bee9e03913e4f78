"""`balance-trainer export`: a session directory to generic CSV (plus tilt columns).

Columns: ``t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq`` (+ ``mag_x_ut,mag_y_ut,
mag_z_ut`` when the session has a magnetometer) + ``tilt_ap_deg,tilt_ml_deg`` (anatomical tilt
from the core pipeline with the session's calibration; left out with ``--no-tilt``). The file is
written to a temporary name and renamed at the end.
"""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import CliError


def register(sub: Any) -> None:
    p = sub.add_parser("export", help="session directory to CSV",
                       description="Export a session as generic CSV (see `import --help`).")
    p.add_argument("session", metavar="SESSION", help="session directory")
    p.add_argument("--format", choices=("csv",), default="csv", help="output format (csv)")
    p.add_argument("--out", required=True, metavar="FILE", help="CSV file to write (- = stdout)")
    p.add_argument("--no-tilt", action="store_true", help="leave out the tilt columns")
    p.add_argument("--sensor", metavar="ROLE", default=None,
                   help="a session with several sensors: only this one (default: every "
                        "sensor, with a role column)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from trainer.outputs import OutputError, check_output_file
    from trainer.recording import SessionError, multicsv, open_session
    from trainer.recording.convert import export_csv
    from trainer.recording.tilt import tilt_columns

    try:
        if args.out != "-":
            check_output_file(args.out, option="--out", kind="csv", inputs=[args.session])
    except OutputError as exc:
        raise CliError(str(exc)) from None
    try:
        session = open_session(args.session)
        if multicsv.has_several_sensors(session):  # one more column: role
            n = multicsv.export_sensors_csv(session, args.out,
                                            tilt=None if args.no_tilt else tilt_columns,
                                            role=_role(args.sensor))
        elif args.sensor is not None and _role(args.sensor) != \
                multicsv.session_sensors(session)[0].role:
            raise CliError(f"--sensor {args.sensor}: the session has one sensor "
                           f"({multicsv.session_sensors(session)[0].role})")
        else:
            n = export_csv(session, args.out, tilt=None if args.no_tilt else tilt_columns)
    except SessionError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    if args.out != "-":
        print(f"{args.out}  ({n} rows)", file=sys.stderr)
    return 0


def _role(text: str | None) -> Any:
    from trainer.vocab.roles import RoleError, parse_role

    if text is None:
        return None
    try:
        return parse_role(text)
    except RoleError as exc:
        raise CliError(f"--sensor: {exc}") from None
