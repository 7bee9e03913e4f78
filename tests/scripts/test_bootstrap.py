"""scripts/bootstrap.sh waits for another package manager's dpkg lock instead of failing at once.

The lock is held with flock(1) on a temporary file that the scripts take from
``BOOTSTRAP_DPKG_LOCKS``; the waiting script finds holders in /proc/locks, which lists apt's
fcntl locks and flock locks alike.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("flock") is None
    or not Path("/proc/locks").exists(),
    reason="needs Linux with /proc/locks and flock(1)",
)

WAIT = PROJECT_ROOT / "scripts" / "wait-for-dpkg-lock.sh"


def hold_lock(path: Path, seconds: float) -> subprocess.Popen[bytes]:
    """Another 'package manager' holding ``path`` for ``seconds``; returns once the lock is held."""
    path.touch()
    proc = subprocess.Popen(["flock", str(path), "sleep", str(seconds)])
    inode = f":{path.stat().st_ino} "
    for _ in range(100):
        if inode in Path("/proc/locks").read_text():
            return proc
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("flock did not take the lock")


def run_wait(lock: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "BOOTSTRAP_DPKG_LOCKS": f"{lock} {lock.parent / 'absent.lock'}",
           "BOOTSTRAP_LOCK_TIMEOUT": str(timeout)}
    return subprocess.run(["bash", str(WAIT)], env=env, capture_output=True, text=True,
                          timeout=60)


def test_free_lock_returns_at_once_and_silently(tmp_path: Path) -> None:
    lock = tmp_path / "lock-frontend"
    lock.touch()
    t0 = time.monotonic()
    result = run_wait(lock, 5)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert time.monotonic() - t0 < 2


def test_waits_with_a_message_until_the_lock_is_released(tmp_path: Path) -> None:
    lock = tmp_path / "lock-frontend"
    holder = hold_lock(lock, 2.5)
    try:
        t0 = time.monotonic()
        result = run_wait(lock, 30)
        waited = time.monotonic() - t0
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 0, result.stderr
    assert "waiting for flock" in result.stderr or "waiting for sleep" in result.stderr
    assert str(lock) in result.stderr
    assert "released" in result.stderr
    assert waited >= 1.5


def test_gives_up_after_the_timeout_with_one_clear_line(tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    holder = hold_lock(lock, 30)
    try:
        result = run_wait(lock, 2)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("bootstrap: error: ")
    assert f"still holds {lock} after 2 s" in last
    assert "Traceback" not in result.stderr and "E: " not in result.stderr


def test_bad_timeout_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "BOOTSTRAP_LOCK_TIMEOUT": "soon"}
    result = subprocess.run(["bash", str(WAIT)], env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "whole seconds" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="bootstrap installs Debian packages only as root")
def test_bootstrap_waits_then_runs_apt_and_reports_apt_failure_in_one_line(
        tmp_path: Path) -> None:
    """bootstrap.sh (a copy, with fake dpkg-query/apt-get first on PATH) waits for the lock,
    passes apt its own lock timeout, and turns apt's failure into one line."""
    root = tmp_path / "repo"
    (root / "scripts").mkdir(parents=True)
    for name in ("bootstrap.sh", "wait-for-dpkg-lock.sh"):
        shutil.copy2(PROJECT_ROOT / "scripts" / name, root / "scripts" / name)
    (root / "pyproject.toml").write_text("")
    fake = tmp_path / "bin"
    fake.mkdir()
    calls = tmp_path / "apt-calls"
    (fake / "dpkg-query").write_text("#!/bin/sh\nexit 1\n")  # nothing is installed
    (fake / "apt-get").write_text(
        f"#!/bin/sh\necho \"$@\" >> {calls}\n"
        "case \"$*\" in *install*) echo 'E: Unable to locate package libfoo' >&2; exit 100;; esac\n"
    )
    for f in fake.iterdir():
        f.chmod(0o755)
    lock = tmp_path / "lock-frontend"
    holder = hold_lock(lock, 2)
    try:
        env = {**os.environ, "PATH": f"{fake}:{os.environ['PATH']}",
               "BOOTSTRAP_DPKG_LOCKS": str(lock), "BOOTSTRAP_LOCK_TIMEOUT": "30"}
        result = subprocess.run(["bash", str(root / "scripts" / "bootstrap.sh"), "runtime"],
                                env=env, capture_output=True, text=True, timeout=60)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert "waiting for" in result.stderr and "released" in result.stderr
    apt_calls = calls.read_text().splitlines()
    assert len(apt_calls) == 2 and all("DPkg::Lock::Timeout=30" in c for c in apt_calls)
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("bootstrap: error: apt-get could not install ")
    assert last.endswith("E: Unable to locate package libfoo")
