"""`balance-trainer samples`: the sample sessions that ship with the app, and where they are."""

from __future__ import annotations

import argparse
from typing import Any

from trainer.cli.common import CliError


def register(sub: Any) -> None:
    p = sub.add_parser(
        "samples", help="list the sample sessions (to replay or analyse without a sensor)",
        description="List the sample sessions shipped with the app (also in a pipx/pip "
        "install). With NAME, print just its folder, e.g. "
        "balance-trainer dashboard --replay \"$(balance-trainer samples calf-raise-set)\".",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="print this sample's folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trainer.samples import list_samples

    samples = list_samples()
    if not samples:
        raise CliError("this installation has no sample sessions")
    if args.name:
        match = next((s for s in samples if s.name == args.name), None)
        if match is None:
            names = ", ".join(s.name for s in samples)
            raise CliError(f"no sample {args.name!r} (samples: {names})")
        print(match.path)
        return 0
    width = max(len(s.name) for s in samples)
    for s in samples:
        duration = f"{s.duration_s:5.1f} s" if s.duration_s is not None else "   ? s"
        print(f"{s.name:<{width}}  {s.drill or '?':<20} {duration}  {s.path}")
    return 0
