"""`balance-trainer scan`: list nearby supported sensors (address, name, profile, RSSI)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from trainer.cli.common import duration_s, fail


def register(sub: Any) -> None:
    p = sub.add_parser(
        "scan",
        help="list nearby supported sensors",
        description="Scan for BLE sensors this app supports (WitMotion, MetaMotion, Thingy:52, "
        "open reference profile) and show address, name, profile and signal strength.",
    )
    p.add_argument("--timeout", type=duration_s, default=5.0, metavar="S",
                   help="seconds to listen (default: 5)")
    p.add_argument("--all", action="store_true", help="also list devices that are not sensors")
    p.add_argument("--json", action="store_true", help="one JSON object per device")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from firmware_bridge.ble.errors import BleUnavailableError
    from firmware_bridge.ble.scanner import scan

    try:
        results = scan(args.timeout, include_unknown=args.all)
    except BleUnavailableError as exc:
        fail(str(exc))
    if args.json:
        for r in results:
            print(json.dumps({"address": r.address, "name": r.name, "profile": r.profile,
                              "rssi_dbm": r.rssi}))
        return 0
    if not results:
        hint = "" if args.all else " (--all lists every BLE device)"
        print(f"no supported sensors found in {args.timeout:g} s: is the sensor switched on "
              f"and not connected to another app?{hint}")
        return 0
    print(f"{'ADDRESS':<17}  {'RSSI':>4}  {'PROFILE':<10}  NAME")
    for r in results:
        rssi = "" if r.rssi is None else str(r.rssi)
        print(f"{r.address:<17}  {rssi:>4}  {r.profile or '-':<10}  {r.name or ''}")
    return 0
