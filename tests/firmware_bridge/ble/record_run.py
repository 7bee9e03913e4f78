"""`balance-trainer record …` as a subprocess on bleak's BlueZ backend against the mock BlueZ:
the environment (the private bus, an isolated home), the red-flag screening answered, stderr to a
log file, Ctrl-C to stop, and a kill when a test fails midway — one set-up for the end-to-end
recording tests (one sensor, several)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path
from types import TracebackType

from tests.mockbluez import MockBluez
from trainer.recording.format import IMU_DTYPE

ROOT = Path(__file__).resolve().parents[3]


class RecordRun:
    """``record`` with ``args`` writing to ``out`` (``tmp_path / "session"``); use it as a
    context manager (the process is killed and the log closed on the way out)."""

    def __init__(self, mock_bluez: MockBluez, tmp_path: Path, *args: str) -> None:
        self.out = tmp_path / "session"
        self.log_path = tmp_path / "record.err"
        env = {**mock_bluez.env(), "BALANCE_TRAINER_HOME": str(tmp_path / "home"),
               "PYTHONPATH": str(ROOT)}
        # recording from a real sensor needs the red-flag screening answered (the person says
        # "no" to each)
        subprocess.run([sys.executable, "-m", "trainer.cli.main", "safety", "--answers",
                        "no,no,no,no"], cwd=ROOT, env=env, capture_output=True, timeout=60)
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "trainer.cli.main", "record", *args, "--out", str(self.out),
             "--quiet"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=self._log, text=True)

    def check_running(self) -> None:
        """AssertionError with its stderr when ``record`` has exited."""
        if self.proc.poll() is not None:
            raise AssertionError(f"record exited early: {self.log_path.read_text()}")

    def records(self, name: str = "imu.bin") -> int:
        """Records in ``out/name`` so far."""
        f = self.out / name
        return f.stat().st_size // IMU_DTYPE.itemsize if f.exists() else 0

    def stop(self) -> str:
        """Ctrl-C (stop cleanly, keep the data); its stdout. Asserts exit status 0."""
        self.proc.send_signal(signal.SIGINT)
        stdout, _ = self.proc.communicate(timeout=30)
        self._log.flush()
        assert self.proc.returncode == 0, self.log_path.read_text()
        return stdout

    def __enter__(self) -> RecordRun:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._log.close()
