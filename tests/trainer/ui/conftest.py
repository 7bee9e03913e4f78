"""Dashboard test fixtures: isolated user data and settings, sources, a recorded session."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """User data and Qt settings in tmp dirs (never the real home)."""
    home = tmp_path / "home"
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    try:
        from PySide6.QtCore import QSettings

        QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                          str(tmp_path / "qsettings"))
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                          str(tmp_path / "qsettings"))
    except ImportError:
        pass
    return home


class ScriptedSource:
    """A Source whose samples, statuses and failures the test controls (a test double).

    Each ``read`` returns ``per_read`` samples of a slow circular sway of ``amp_deg`` tilt.
    """

    def __init__(self, rate_hz: float = 100.0, per_read: int = 5, amp_deg: float = 1.0,
                 seq_step: int = 1) -> None:
        self.info = SourceInfo("Scripted", "SCRIPT:01", "test", rate_hz)
        self.rate = rate_hz
        self.per_read = per_read
        self.amp_deg = amp_deg
        self.seq_step = seq_step
        self.i = 0
        self.started = False
        self.stopped = False
        self.fail_with: Exception | None = None
        self.pending: list[SourceStatus] = []
        self.offset_deg = (0.0, 0.0)  # (ap, ml) added to the sway

    def start(self) -> None:
        self.started = True
        self.pending.append(SourceStatus("connected", "scripted"))
        self.pending.append(SourceStatus("streaming", ""))

    def stop(self) -> None:
        self.stopped = True

    def read(self) -> SampleBatch:
        if self.fail_with is not None:
            raise self.fail_with
        if not self.started or self.stopped:
            return SampleBatch.empty()
        n = self.per_read
        k = np.arange(self.i, self.i + n)
        self.i += n
        t = k / self.rate
        ap = np.radians(self.amp_deg * np.sin(2 * np.pi * 0.5 * t) + self.offset_deg[0])
        ml = np.radians(self.amp_deg * np.cos(2 * np.pi * 0.5 * t) + self.offset_deg[1])
        acc = np.column_stack([np.sin(ap), np.sin(ml), np.cos(ap) * np.cos(ml)])
        gyr = np.zeros((n, 3))
        return SampleBatch.from_arrays(t, acc, gyr, seq=k * self.seq_step)

    def drain_status(self) -> list[SourceStatus]:
        out, self.pending = self.pending, []
        return out

    @property
    def finished(self) -> bool:
        return False


@pytest.fixture
def lsl_prefix(monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """(pylsl, a stream-name prefix of this test's own: other tests may stream on this machine,
    set as ``BALANCE_TRAINER_LSL_PREFIX``); skips when liblsl cannot be loaded here."""
    from trainer.lsl import LslUnavailable, load_pylsl

    try:
        lsl = load_pylsl()
    except LslUnavailable as exc:
        pytest.skip(f"liblsl cannot be loaded here: {exc}")
    prefix = f"BalanceTrainerTest{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("BALANCE_TRAINER_LSL_PREFIX", prefix)
    return lsl, prefix


@pytest.fixture
def scripted() -> ScriptedSource:
    return ScriptedSource()


def record_session(path: Path, duration_s: float = 6.0, rate_hz: float = 100.0,
                   losses: tuple[float, ...] = (2.5,), seed: int = 3) -> Path:
    """A simulated single-leg-balance session written with the real SessionWriter."""
    from firmware_bridge.simulator import SimConfig, simulate
    from trainer.recording import SessionWriter

    cfg = SimConfig(seed=seed, sample_rate_hz=rate_hz, duration_s=duration_s,
                    balance_loss_times_s=losses)
    rec = simulate(cfg)
    with SessionWriter(path, sample_rate_hz=rate_hz, device=rec.info, drill_id="single-leg-balance",
                       side="left") as w:
        t0 = float(rec.batch.t_s[0])
        w.event(t0, "drill_start", drill="single-leg-balance")
        for b in rec.batch.split([50] * int(len(rec.batch) / 50 + 1)):
            w.append(b)
        for t in losses:
            w.event(t0 + t, "balance_loss")
        w.event(float(rec.batch.t_s[-1]), "drill_stop")
    return path


@pytest.fixture
def session_dir(tmp_path: Path) -> Path:
    return record_session(tmp_path / "sess-a")


def wait_until(qtbot: Any, cond: Any, timeout_s: float = 5.0) -> None:
    qtbot.waitUntil(cond, timeout=int(timeout_s * 1000))


@pytest.fixture
def window(qtbot: Any) -> Iterator[Any]:
    from trainer.ui.main_window import MainWindow

    # the pre-start checks (red-flag dialog) answered "go"; tests of the gate pass their own
    w = MainWindow(audio=False, ask_screening=lambda check: True,
                   ask_confirm=lambda check: True)
    w.drills.countdown_s = 0.2
    qtbot.addWidget(w)
    w.resize(1400, 900)
    w.show()
    yield w
    w.close()


class DeviceSources:
    """A source factory (``MainWindow(sources=…)`` / ``window.sources.factory``) whose sensor
    is ``make(address)`` (a test double); the simulator and replays are the real ones."""

    def __init__(self, make: Any) -> None:
        from trainer.ui.source_control import DefaultSources

        self.base = DefaultSources()
        self.make = make

    def simulated(self, rate_hz: float, **kw: Any) -> Any:
        return self.base.simulated(rate_hz, **kw)

    def device(self, address: str) -> Any:
        return self.make(address)

    def replay(self, path: str, speed: float) -> Any:
        return self.base.replay(path, speed)

    def scan(self) -> list[tuple[str, str]]:
        return [("C4:7C:8D:6A:01:23", "C4:7C:8D:6A:01:23  WT901BLE67")]


def now() -> float:
    return time.monotonic()


class DirectTiltPipeline:
    """A pipeline test double: tilt straight from the scripted accelerometer (no orientation
    filter dynamics), so UI tests can put the dot exactly where they want it."""

    def __init__(self, radius_deg: float = 3.0) -> None:
        self.r = radius_deg

    def process(self, batch: SampleBatch) -> Any:
        from types import SimpleNamespace

        a = batch.acc_g
        ap = np.degrees(np.arctan2(a[:, 0], a[:, 2]))
        ml = np.degrees(np.arctan2(a[:, 1], a[:, 2]))
        return SimpleNamespace(t_s=batch.t_s, tilt_ap_deg=ap, tilt_ml_deg=ml, gyr_dps=batch.gyr_dps,
                               in_target=np.hypot(ap, ml) <= self.r, events=[])

    def live_metrics(self) -> dict[str, float] | None:
        return None


def use_scripted(window: Any, src: ScriptedSource) -> None:
    """Stream ``src`` in the window through the direct-tilt test pipeline."""
    window.set_source(src, "device", label="scripted", pipeline=DirectTiltPipeline)
