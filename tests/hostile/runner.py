"""Run ``balance-trainer`` on hostile input, bounded in time and memory.

``run_inprocess`` calls :func:`trainer.cli.main.main` in this process (fast: hundreds of cases a
minute) with an address-space limit (``RLIMIT_AS`` lowered to what the process uses now plus
:data:`MEMORY_HEADROOM`, restored afterwards) and a wall-clock alarm, so a command that tries
to allocate terabytes or loops forever fails the test instead of taking the machine down.
``run_subprocess`` runs the real command (``python -m trainer.cli.main``) in a child with
``resource.setrlimit`` applied in the child and a timeout: for signals, hangs and the
dashboard.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MEMORY_HEADROOM = 1536 << 20  # in-process: what a command may add to the test process
CHILD_MEMORY = 3 << 30  # a child's whole address space (Python + numpy + scipy; Qt needs more)
CHILD_MEMORY_QT = 6 << 30
ESC = "\x1b"


class Hang(BaseException):
    """The command ran past its time limit (a BaseException: the CLI's handlers let it by)."""


@dataclass
class Outcome:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str

    def describe(self) -> str:
        return f"{' '.join(self.argv)!r} -> {self.returncode}\nstderr: {self.stderr[-2000:]}"


def _vm_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


@contextlib.contextmanager
def memory_limit(headroom: int = MEMORY_HEADROOM) -> Iterator[None]:
    """Lower this process's address-space limit to its current size + ``headroom``."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = _vm_bytes() + headroom
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def on_alarm(signum: int, frame: object) -> None:
        raise Hang(f"still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run_inprocess(argv: Sequence[str], *, timeout_s: float = 30.0) -> Outcome:
    """``main(argv)`` with stdout/stderr captured, under :func:`memory_limit` and
    :func:`time_limit`; argparse's ``SystemExit`` becomes the return code."""
    from trainer.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            with time_limit(timeout_s), memory_limit():
                rc = main(list(argv))
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 2
    return Outcome(list(argv), rc, out.getvalue(), err.getvalue())


def _child_limits(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def child_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("BALANCE_TRAINER_DEBUG", "COVERAGE_PROCESS_START")}
    env.update(BALANCE_TRAINER_HOME=str(home), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(home / "xdg"))
    return env


def spawn(argv: Sequence[str], home: Path, *, memory: int = CHILD_MEMORY,
          cwd: Path | None = None) -> subprocess.Popen[str]:
    """The real command in a child: ``python -m trainer.cli.main ARGV`` with an address-space
    limit set in the child (``resource.setrlimit``) before it starts."""
    return subprocess.Popen(
        [sys.executable, "-m", "trainer.cli.main", *argv], cwd=cwd or ROOT,
        env=child_env(home), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, preexec_fn=lambda: _child_limits(memory))


def run_subprocess(argv: Sequence[str], home: Path, *, timeout_s: float = 60.0,
                   memory: int = CHILD_MEMORY, cwd: Path | None = None) -> Outcome:
    proc = spawn(argv, home, memory=memory, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"{' '.join(argv)!r} hung (> {timeout_s} s)\n{err[-2000:]}") \
            from None
    return Outcome(list(argv), proc.returncode, out, err)


def assert_clean(outcome: Outcome, *, allow_ok: bool = True) -> None:
    """One line on stderr and exit 2 — or (``allow_ok``) success; never a traceback, an
    internal error or a terminal escape sequence."""
    err, msg = outcome.stderr, outcome.describe()
    assert "Traceback" not in err and "internal error" not in err, msg
    assert ESC not in err and ESC not in outcome.stdout, msg
    if outcome.returncode == 2:
        assert len(err.splitlines()) == 1 and err.startswith("balance-trainer"), msg
    else:
        assert allow_ok and outcome.returncode == 0, msg
