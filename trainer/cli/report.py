"""`balance-trainer report`: a self-contained HTML report of a session, or of progress."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from trainer.cli.common import fail


def _age(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 5 <= value <= 120:
        raise argparse.ArgumentTypeError(f"age must be 5-120: {text!r}")
    return value


def register(sub: Any) -> None:
    p = sub.add_parser(
        "report", help="HTML report of a session or of progress",
        description="Write a self-contained HTML report (inline charts, no network assets): "
                    "of one session (SESSION), or of progress across sessions (--progress).")
    p.add_argument("session", nargs="?", type=Path, help="session directory")
    p.add_argument("--progress", action="store_true", help="progress across sessions")
    p.add_argument("--dir", type=Path, default=None,
                   help="with --progress: folder of sessions (default: the app's sessions folder)")
    p.add_argument("--out", default=None,
                   help="output file (default: report-<session>.html or progress-report.html "
                        "in the current folder; '-' for standard output)")
    p.add_argument("--age", type=_age, default=None,
                   help="age in years for the single-leg stance norms (default: the saved "
                        "profile's)")
    p.add_argument("--sex", choices=("female", "male"), default=None,
                   help="for the eyes-closed stance norms (default: the saved profile's)")
    p.add_argument("--analyze", action="store_true",
                   help="with --progress: analyse recordings that have no drill result yet")
    p.set_defaults(func=run)


def _write(text: str, out: str) -> None:
    if out == "-":
        sys.stdout.write(text)
        return
    path = Path(out)
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    from trainer.drills.store import DrillStore

    if args.progress == (args.session is not None):
        fail("give either a SESSION directory or --progress")
    profile = DrillStore().profile()
    age = args.age if args.age is not None else profile.get("age")
    sex = args.sex if args.sex is not None else profile.get("sex")
    if args.progress:
        return _progress(args, age, sex)
    from trainer.drills.report import session_report
    from trainer.drills.sessionload import SessionLoadError, analyze_session, load_session

    try:
        loaded = load_session(args.session)
        result = analyze_session(loaded, age=age, sex=sex)
    except SessionLoadError as exc:
        fail(str(exc))
    out = args.out or f"report-{loaded.meta.get('session_id') or args.session.name}.html"
    _write(session_report(loaded, result, age=age, sex=sex), out)
    return 0


def _progress(args: argparse.Namespace, age: int | None, sex: str | None) -> int:
    from trainer import paths
    from trainer.drills.history import load_history, progress
    from trainer.drills.report import progress_report
    from trainer.drills.store import DrillStore

    root = args.dir if args.dir is not None else paths.sessions_dir()
    if args.dir is not None and not root.is_dir():
        fail(f"no such directory: {root}")
    entries, _skipped, problems = load_history(root, analyze=args.analyze)
    for problem in problems:
        print(f"balance-trainer report: warning: {problem}", file=sys.stderr)
    prog = progress(entries, DrillStore().all_progress())
    _write(progress_report(entries, prog, age=age, sex=sex, sessions_dir=str(root)),
           args.out or "progress-report.html")
    return 0
