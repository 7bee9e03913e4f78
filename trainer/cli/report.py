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
    p.add_argument("--injured", choices=("left", "right"), default=None,
                   help="with --progress: the injured leg for the limb symmetry (saved in the "
                        "profile; default: the saved one, else left)")
    p.add_argument("--verbose", "-v", action="store_true",
                   help="with --progress: name every skipped session and why, one line each")
    p.set_defaults(func=run)


def _check_out(out: str, inputs: list[Path]) -> None:
    """Refuse an output that would land in a session directory, over an input or over a file
    that is not an HTML report (before any work is done)."""
    from trainer.outputs import OutputError, check_output_file

    if out == "-":
        return
    try:
        check_output_file(out, option="--out", kind="html", inputs=inputs)
    except OutputError as exc:
        fail(str(exc))


def _write(text: str, out: str) -> None:
    """The report on stdout (``-``), or atomically into an owner-only file."""
    from trainer.outputs import write_text_atomic

    if out == "-":
        sys.stdout.write(text)
        return
    path = Path(out)
    try:
        write_text_atomic(path, text)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    print(f"wrote {path}")


def default_report_name(session_id: object, fallback: str) -> str:
    """``report-<session id>.html`` with the id reduced to a safe file name (no folders, no
    leading dot, no control characters)."""
    from trainer.safeio import safe_filename

    return f"report-{safe_filename(session_id or fallback, safe_filename(fallback))}.html"


def run(args: argparse.Namespace) -> int:
    from trainer.drills.store import DrillStore

    if args.progress == (args.session is not None):
        fail("give either a SESSION directory or --progress")
    profile = DrillStore().profile()
    age = args.age if args.age is not None else profile.get("age")
    sex = args.sex if args.sex is not None else profile.get("sex")
    if args.out is not None:
        _check_out(args.out, [args.session] if args.session is not None else [])
    if args.progress:
        return _progress(args, age, sex)
    from trainer.drills.report import session_report
    from trainer.drills.sessionload import SessionLoadError, analyze_session, load_session

    try:
        loaded = load_session(args.session)
        result = analyze_session(loaded, age=age, sex=sex)
    except SessionLoadError as exc:
        fail(str(exc))
    out = args.out or default_report_name(loaded.meta.get("session_id"), args.session.name)
    if args.out is None:
        _check_out(out, [args.session])
    _write(session_report(loaded, result, age=age, sex=sex), out)
    return 0


def _progress(args: argparse.Namespace, age: int | None, sex: str | None) -> int:
    from trainer import paths
    from trainer.cli.history import injured_side
    from trainer.drills.history import load_history, progress
    from trainer.drills.report import progress_report
    from trainer.drills.store import DrillStore
    from trainer.drills.symmetry import symmetry

    root = args.dir if args.dir is not None else paths.sessions_dir()
    if args.dir is not None and not root.is_dir():
        fail(f"no such directory: {root}")
    from trainer.cli.history import report_skipped

    entries, skipped, problems = load_history(root, analyze=args.analyze)
    report_skipped("report", skipped, verbose=args.verbose)
    for problem in problems:
        print(f"balance-trainer report: warning: {problem}", file=sys.stderr)
    prog = progress(entries, DrillStore().all_progress())
    if args.out is None:
        _check_out("progress-report.html", [root])
    sym = symmetry(entries, injured_side(args.injured))
    _write(progress_report(entries, prog, age=age, sex=sex, sessions_dir=str(root),
                           symmetry=sym), args.out or "progress-report.html")
    return 0
