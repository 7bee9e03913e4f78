"""Fixtures for BLE tests: a mock BlueZ on a private system bus, started per test."""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mockbluez import MockBluez


@pytest.fixture
def mock_bluez(tmp_path: Path) -> Iterator[MockBluez]:
    if shutil.which("dbus-daemon") is None:
        pytest.skip("dbus-daemon is not installed (Debian: dbus-daemon)")
    mb = MockBluez(log_path=tmp_path / "mockbluez.log").start()
    try:
        yield mb
    finally:
        mb.stop()


def resources() -> tuple[set[str], dict[str, str]]:
    """Thread names and open file descriptors of this process (for leak checks)."""
    fds = {}
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the fd listdir itself used is gone by now
            fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    return {t.name for t in threading.enumerate()}, fds
