"""`balance-trainer safety`: the red-flag questions that must be answered before training.

``balance-trainer safety`` in a terminal asks the four questions and stores the answers (with their
date) in the drill store; ``--answers no,no,no,no`` answers them without prompting (scripts, a lab
set-up — the person still has to give the answers); ``--json`` prints the current state (and
asks nothing). Exit status: 1 when the answers just given hold a red flag (the advice to see a
doctor is printed), 2 for bad input, else 0 (a query always exits 0: read ``may_train``).
``record`` from a real sensor uses :func:`require_cleared` (the same questions).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from trainer.cli.common import CliError

if TYPE_CHECKING:
    from trainer.drills.safety import Gate
    from trainer.drills.store import DrillStore

YES = ("y", "yes")
NO = ("n", "no")
HINT = "run 'balance-trainer safety' in a terminal to answer them"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "safety", help="answer the red-flag safety questions (needed before training)",
        description="The red-flag questions to answer before training (can't bear weight, severe "
                    "pain after an injury, open wound, fever/redness/swelling). In a terminal it "
                    "asks them; any 'yes' means: see a doctor before training.",
    )
    p.add_argument("--json", action="store_true",
                   help="print the current state (status, may_train, message, red flags, next "
                        "screening, questions) as JSON instead of asking")
    p.add_argument("--answers", metavar="YES/NO,…", default=None,
                   help="answer without prompting: one yes/no per question, comma-separated, in "
                        "the order 'balance-trainer safety --json' lists them")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from trainer.drills.catalog import load_catalog
    from trainer.drills.safety import BLOCKED
    from trainer.drills.store import DrillStore

    store = DrillStore()
    if args.answers is not None:
        gate = _save(store, parse_answers(args.answers))
    elif args.json or not sys.stdin.isatty():  # a query: the state, nothing asked
        gate = store.gate()
        if args.json:
            print(json.dumps(state_json(store, gate), ensure_ascii=False))
        else:
            _print_state(gate, sys.stdout)
        return 0
    else:
        print(load_catalog().safety.intro, file=sys.stderr)
        gate = ask_screening(store, sys.stdin, sys.stderr)
    if args.json:
        print(json.dumps(state_json(store, gate), ensure_ascii=False))
    else:
        print(gate.message)
    return 1 if gate.status == BLOCKED else 0


def state_json(store: DrillStore, gate: Gate) -> dict[str, Any]:
    """The gate plus the questions and when they were last answered."""
    from trainer.drills.safety import questions

    screening = store.screening()
    return {**gate.to_dict(), "questions": questions(),
            "answered_at": None if screening is None
            else screening.to_dict()["answered_at"]}


def _print_state(gate: Gate, out: TextIO) -> None:
    from trainer.drills.safety import questions

    out.write(f"{gate.status}: {gate.message}\n")
    if not gate.may_train:
        for i, q in enumerate(questions(), 1):
            out.write(f"  {i}. {q['text']}\n")
        out.write("Answer them in a terminal with 'balance-trainer safety', or with "
                  "--answers no,no,no,no (one yes/no per question, in this order).\n")


def parse_answers(text: str) -> dict[str, bool]:
    """``"no,no,yes,no"`` → ``{question id: bool}`` (every question, in catalog order)."""
    from trainer.drills.safety import questions

    ids = [q["id"] for q in questions()]
    words = [w.strip().lower() for w in text.split(",")]
    if len(words) != len(ids):
        raise CliError(f"--answers needs {len(ids)} yes/no answers (one per question), "
                       f"got {len(words)}")
    out: dict[str, bool] = {}
    for qid, word in zip(ids, words, strict=True):
        if word not in YES + NO:
            raise CliError(f"--answers: {word!r} is not yes or no")
        out[qid] = word in YES
    return out


def _save(store: DrillStore, answers: dict[str, bool]) -> Gate:
    from trainer.drills.safety import SafetyError, screen

    try:
        store.save_screening(screen(answers))
    except SafetyError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot store the answers: {exc.strerror or exc}") from None
    return store.gate()


def ask_screening(store: DrillStore, stdin: TextIO, out: TextIO) -> Gate:
    """Ask the red-flag questions on a terminal (y/n each), store the answers, return the gate.
    End of input or Ctrl-C → CliError (nothing stored)."""
    from trainer.drills.safety import questions

    answers: dict[str, bool] = {}
    try:
        for i, q in enumerate(questions(), 1):
            while True:
                out.write(f"{i}. {q['text']} [y/n] ")
                out.flush()
                line = stdin.readline()
                if not line:
                    raise EOFError
                word = line.strip().lower()
                if word in YES + NO:
                    answers[q["id"]] = word in YES
                    break
                out.write("   please answer y or n\n")
    except (EOFError, KeyboardInterrupt):
        out.write("\n")
        raise CliError("the safety questions were not answered; nothing was stored") from None
    return _save(store, answers)


def require_cleared(*, interactive: bool, stdin: TextIO | None = None,
                    out: TextIO | None = None, store: DrillStore | None = None) -> Gate:
    """Training from a real sensor may start only with a clear, current screening.

    Not interactive: a missing/expired screening or a red flag is a one-line ``CliError``. In a
    terminal the questions are asked (again); any yes prints the advice to see a doctor and is a
    ``CliError`` too. Returns the (cleared) gate.
    """
    from trainer.drills.safety import BLOCKED
    from trainer.drills.store import DrillStore

    store = store if store is not None else DrillStore()
    stdin = stdin if stdin is not None else sys.stdin
    out = out if out is not None else sys.stderr
    gate = store.gate()
    if gate.may_train:
        return gate
    if not interactive:
        if gate.status == BLOCKED:
            raise CliError("a red flag was reported in the safety questions: see a doctor before "
                           f"training (after the check-up, {HINT} again)")
        raise CliError(f"answer the red-flag safety questions first: {HINT}")
    out.write(gate.message + "\n")
    if gate.status == BLOCKED:
        out.write("If you have been checked since, answer the questions again.\n")
    gate = ask_screening(store, stdin, out)
    if gate.status == BLOCKED:
        out.write(gate.message + "\n")
        raise CliError("a red flag was reported: see a doctor before training; nothing was "
                       "recorded")
    out.write(gate.message + "\n")
    return gate
