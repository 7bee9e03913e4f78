"""`record`'s keys on a real terminal: t stores a ``user_touchdown`` (as T in the dashboard),
m a marker; the terminal comes back as it was on every way out; Ctrl-C still stops.

The command runs as a real subprocess whose stdin/stderr are a pseudo-terminal that is its
controlling terminal, so Ctrl-C typed into it is the kernel's SIGINT, as for a person."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from trainer.cli.keys import KeyReader, apply_keys

ROOT = Path(__file__).resolve().parents[3]
LFLAGS = termios.ECHO | termios.ICANON | termios.ISIG


class Terminal:
    """A pseudo-terminal pair; what the program writes is collected from the master side."""

    def __init__(self) -> None:
        self.master, self.slave = pty.openpty()
        self.out = b""

    def read_until(self, text: str, proc: subprocess.Popen[bytes] | None = None,
                   timeout: float = 60.0) -> str:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.out:
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not seen; terminal shows:\n{self.text}")
            if select.select([self.master], [], [], 0.1)[0]:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:  # the program is gone and the slave closed
                    break
            elif proc is not None and proc.poll() is not None and \
                    not select.select([self.master], [], [], 0.2)[0]:
                break
        assert text.encode() in self.out, f"{text!r} not seen; terminal shows:\n{self.text}"
        return self.text

    @property
    def text(self) -> str:
        return self.out.decode("utf-8", "replace")

    def lflag(self) -> int:
        return int(termios.tcgetattr(self.slave)[3])

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


@pytest.fixture
def term() -> Iterator[Terminal]:
    t = Terminal()
    yield t
    t.close()


def _controlling_tty() -> None:  # in the child, after setsid(): the pty becomes its terminal
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _record(term: Terminal, out: Path, home: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT), TERM="xterm")
    cmd = [sys.executable, "-m", "trainer.cli.main", "record", "--simulate", "--seed", "3",
           "--drill", "single-leg-balance", "--side", "left", "--out", str(out), *extra]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdin=term.slave, stdout=subprocess.PIPE,
                            stderr=term.slave, start_new_session=True,
                            preexec_fn=_controlling_tty)


def _events(out: Path) -> list[dict[str, object]]:
    lines = (out / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _finish(proc: subprocess.Popen[bytes], timeout: float = 60.0) -> tuple[int, str]:
    try:
        stdout, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, stdout.decode()


def test_t_marks_touchdown_and_ctrl_c_still_stops(term: Terminal, tmp_path: Path) -> None:
    before = term.lflag()
    assert before & termios.ICANON and before & termios.ECHO
    out = tmp_path / "s"
    proc = _record(term, out, tmp_path / "home", "--no-guide", "--duration", "120")
    term.read_until("t = my lifted foot touched down", proc)
    term.read_until(" Hz ", proc)  # samples are flowing
    time.sleep(0.5)
    os.write(term.master, b"t")
    term.read_until("touchdown marked at", proc)
    os.write(term.master, b"m")
    term.read_until("marker marked at", proc)
    assert "t" not in term.text.split("touchdown marked at", 1)[0][-3:]  # no echo of the key
    os.write(term.master, b"\x03")  # Ctrl-C through the terminal driver: SIGINT
    code, stdout = _finish(proc)
    assert code == 0, term.text
    assert "stopped; the data so far is kept" in term.read_until("stopped", proc)
    assert str(out) in stdout
    types = [e["type"] for e in _events(out)]
    assert types.count("user_touchdown") == 1 and types.count("marker") == 1
    assert term.lflag() & LFLAGS == before & LFLAGS  # echo and line editing are back
    meta = json.loads((out / "session.json").read_text())
    assert meta["status"] == "complete"


def test_s_skips_the_sync_jump_the_drill_waits_for(term: Terminal, tmp_path: Path) -> None:
    """Several sensors: the guided drill waits for the sync jump; s skips it (a person for whom
    jumping hurts) and the drill starts at once; the event says it was skipped."""
    out = tmp_path / "s"
    # slow simulated time: the person would land 1.5 s after the cue = 6 s of wall time
    proc = _record(term, out, tmp_path / "home", "--roles", "left-shank,right-foot,trunk",
                   "--duration", "60", "--sim-speed", "0.25")
    term.read_until("s = skip the sync jump", proc)
    term.read_until("Jump once on both feet", proc)
    os.write(term.master, b"s")
    term.read_until("sync jump skipped", proc)
    term.read_until("Sync jump skipped. Get ready", proc)
    term.read_until("Get ready: Single-leg balance", proc)  # the drill's own countdown
    os.write(term.master, b"\x03")
    code, _ = _finish(proc)
    assert code == 0, term.text
    events = _events(out)
    (jump,) = [e for e in events if e["type"] == "sync_jump"]
    assert jump["outcome"] == "skipped" and jump["landing_seen"] is False
    (start,) = [e for e in events if e["type"] == "drill_start"]
    assert float(str(start["t_s"])) < 1.4  # before the landing would have come


def test_terminal_restored_after_the_drill_ends_by_itself(term: Terminal,
                                                           tmp_path: Path) -> None:
    before = term.lflag()
    out = tmp_path / "s"
    proc = _record(term, out, tmp_path / "home", "--no-guide", "--duration", "3",
                   "--sim-speed", "3")
    term.read_until("Keys:", proc)
    code, _ = _finish(proc)
    assert code == 0, term.text
    assert term.lflag() & LFLAGS == before & LFLAGS
    assert "user_touchdown" not in [e["type"] for e in _events(out)]


def test_no_terminal_no_keys_no_hint(tmp_path: Path) -> None:
    """stdin a pipe: the reader stays inactive, the key text never appears, recording works."""
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "trainer.cli.main", "record", "--simulate", "--seed", "3",
         "--drill", "single-leg-balance", "--side", "left", "--no-guide", "--duration", "2",
         "--sim-speed", "4", "--out", str(tmp_path / "s")],
        cwd=ROOT, env=env, input="tttt", capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Keys:" not in proc.stderr
    assert "user_touchdown" not in (tmp_path / "s" / "events.jsonl").read_text()


class _Session:
    def __init__(self) -> None:
        self.events: list[str] = []

    def user_event(self, kind: str) -> float:
        self.events.append(kind)
        return 12.25


def test_reader_in_process_cbreak_keys_and_restore(term: Terminal) -> None:
    before = termios.tcgetattr(term.slave)
    with os.fdopen(os.dup(term.slave), "r") as stream:
        with KeyReader(stream) as keys:
            assert keys.active
            lflag = term.lflag()
            assert not lflag & termios.ICANON and not lflag & termios.ECHO
            assert lflag & termios.ISIG  # Ctrl-C still a signal
            assert keys.poll() == ""  # nothing typed: returns at once
            os.write(term.master, b"tmx")
            time.sleep(0.05)
            said: list[str] = []
            session = _Session()
            apply_keys(keys.poll(), session, said.append, touchdown=True)
            assert session.events == ["user_touchdown", "marker"]
            assert said == ["touchdown marked at 12.2 s", "marker marked at 12.2 s"]
        assert termios.tcgetattr(term.slave) == before
        keys.restore()  # idempotent
    with os.fdopen(os.dup(term.slave), "r") as stream, pytest.raises(RuntimeError), \
            KeyReader(stream):
        raise RuntimeError("an error inside the block")
    assert termios.tcgetattr(term.slave) == before


def test_touchdown_key_ignored_outside_balance_drills() -> None:
    session, said = _Session(), list[str]()
    apply_keys("tT", session, said.append, touchdown=False)
    assert session.events == [] and said == []


def test_reader_inactive_on_a_pipe() -> None:
    r, w = os.pipe()
    try:
        with os.fdopen(r, "r") as stream, KeyReader(stream) as keys:
            os.write(w, b"t")
            assert not keys.active
            assert keys.poll() == ""
    finally:
        os.close(w)
