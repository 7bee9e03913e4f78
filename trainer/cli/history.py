"""`balance-trainer history`: past sessions and progress, grouped per drill and side."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from trainer.cli.common import fail
from trainer.vocab.ids import DRILL_IDS


def register(sub: Any) -> None:
    p = sub.add_parser(
        "history", help="past sessions and progress",
        description="Past sessions and progress per drill and side (sessions folder by default).")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    p.add_argument("--dir", type=Path, default=None,
                   help="folder of session directories (default: the app's sessions folder)")
    p.add_argument("--drill", choices=DRILL_IDS, default=None, help="only this drill")
    p.add_argument("--side", choices=("left", "right"), default=None, help="only this side")
    p.add_argument("--injured", choices=("left", "right"), default=None,
                   help="the injured leg, for the limb symmetry (saved in the profile; default: "
                        "the saved one, else left)")
    p.add_argument("--analyze", action="store_true",
                   help="analyse recordings that have no drill result yet (cached)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="name every skipped (unreadable) session and why, one line each")
    p.set_defaults(func=run)


def report_skipped(command: str, skipped: list[str], *, verbose: bool) -> None:
    """How many sessions were skipped and why, on stderr: one summary line, or (``verbose``)
    one line per session."""
    from trainer.drills.history import summarise_skipped

    if not skipped:
        return
    if verbose:
        for line in skipped:
            print(f"balance-trainer {command}: skipped {line}", file=sys.stderr)
    else:
        print(f"balance-trainer {command}: {summarise_skipped(skipped)}; --verbose names them",
              file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from trainer import paths
    from trainer.drills.cues import summary_line
    from trainer.drills.history import history_json, load_history, metric_of
    from trainer.drills.store import DrillStore

    root = args.dir if args.dir is not None else paths.sessions_dir()
    if args.dir is not None and not root.is_dir():
        fail(f"no such directory: {root}")
    entries, skipped, problems = load_history(root, analyze=args.analyze, drill_id=args.drill,
                                              side=args.side)
    levels = DrillStore().all_progress()
    injured = injured_side(args.injured)
    doc = history_json(root, entries, skipped, levels, injured)
    report_skipped("history", skipped, verbose=args.verbose)
    for p in problems:
        print(f"balance-trainer history: warning: {p}", file=sys.stderr)
    if args.json:
        json.dump(doc, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        return 0
    if not entries:
        print(f"No sessions yet in {root}.")
        return 0
    print(f"{len(entries)} session(s) in {root}"
          + (f" ({len(skipped)} unreadable)" if skipped else ""))
    by_group: dict[tuple[str, str], list[Any]] = {}
    for e in entries:
        by_group.setdefault((e.drill_id, e.side), []).append(e)
    for (drill, side), items in sorted(by_group.items()):
        prog = doc["progress"].get(drill, {}).get(side, {})
        head = f"\n{drill}, {side} leg"
        if prog.get("level_label"):
            head += f" - level {prog['level']}: {prog['level_label']}"
        print(head)
        for e in items:
            when = e.start_time.strftime("%Y-%m-%d %H:%M") if e.start_time else "?"
            res = summary_line(e.result) if e.result else "no result (use --analyze)"
            flag = "" if e.status == "complete" else f" [{e.status}]"
            print(f"  {when}  {res}{flag}")
        key, unit, _ = metric_of(None, drill)
        if prog.get("first") is not None and prog.get("sessions", 0) > 1:
            print(f"  progress: {key} {prog['first']:.1f} -> {prog['last']:.1f} {unit}, "
                  f"best {prog['best']:.1f} ({prog['trend']})")
    print_symmetry(doc["symmetry"])
    return 0


def injured_side(given: str | None) -> str:
    """The injured leg: given (and then saved in the profile), else the profile's, else left."""
    from trainer.drills.store import DrillStore

    store = DrillStore()
    if given is not None:
        with contextlib.suppress(OSError):  # the profile is a convenience
            store.save_profile(injured_side=given)
        return given
    return str(store.profile().get("injured_side") or "left")


def print_symmetry(sym: dict[str, Any]) -> None:
    """Latest week with both legs per measure: injured, uninjured, LSI (under the line: !)."""
    rows = [m for m in sym.get("measures") or [] if m.get("latest")]
    if not rows:
        return
    print(f"\nLimb symmetry (injured: {sym['injured_side']} leg; LSI under "
          f"{sym['threshold_pct']:g} % marked !)")
    for m in rows:
        last = m["latest"]
        mark = " !" if last["below_threshold"] else ""
        print(f"  {m['label']:<34} {last['week']}  {last['injured']:.1f} vs "
              f"{last['uninjured']:.1f} {m['unit']}  LSI {last['lsi_pct']:.0f} %{mark}")
