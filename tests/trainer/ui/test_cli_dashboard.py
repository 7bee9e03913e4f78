"""`demo` and `dashboard` from the command line: no-display message, options, screenshots."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.cli.main import main
from trainer.ui.display import no_display_reason

ROOT = Path(__file__).resolve().parents[3]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(extra)
    return env


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux display rules")
def test_no_display_says_so_in_one_line_and_shows_xvfb(tmp_path: Path) -> None:
    for cmd in (["demo"], ["dashboard", "--simulate"]):
        r = subprocess.run([sys.executable, "-m", "trainer.cli.main", *cmd], cwd=ROOT,
                           env=_env(BALANCE_TRAINER_HOME=str(tmp_path)), capture_output=True,
                           text=True, timeout=60)
        assert r.returncode == 2
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, r.stderr
        assert "no display" in lines[0] and "xvfb-run -a" in lines[0]
        assert r.stdout == ""


def test_display_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(k, raising=False)
    if sys.platform.startswith("linux"):
        assert "scripts/demo" in (no_display_reason("demo") or "")
        assert "balance-trainer dashboard" in (no_display_reason("dashboard") or "")
        replay = no_display_reason("dashboard", "--replay my-session") or ""
        assert "`xvfb-run -a balance-trainer dashboard --replay my-session`" in replay
        assert replay.count("xvfb-run") == 1
    monkeypatch.setenv("DISPLAY", ":99")
    assert no_display_reason("demo") is None
    monkeypatch.delenv("DISPLAY")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert no_display_reason("demo") is None


def test_bad_options_are_one_line_errors(capsys: pytest.CaptureFixture[str],
                                         tmp_path: Path) -> None:
    assert main(["dashboard", "--replay", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing" in err[0]
    assert main(["dashboard", "--simulate", "--rate", "5"]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["dashboard", "--simulate", "--replay", "x"])
    assert exc.value.code == 2
    with pytest.raises(SystemExit):
        main(["demo", "--quit-after", "-1"])


def test_demo_runs_and_saves_a_screenshot(tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    r = subprocess.run(
        [sys.executable, "-m", "trainer.cli.main", "demo", "--quit-after", "2.5", "--no-audio",
         "--screenshot", str(shot)],
        cwd=ROOT, env=_env(QT_QPA_PLATFORM="offscreen", BALANCE_TRAINER_HOME=str(tmp_path)),
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert shot.stat().st_size > 20_000 and shot.read_bytes()[:4] == b"\x89PNG"


def test_dashboard_replays_a_session(tmp_path: Path, session_dir: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "trainer.cli.main", "dashboard", "--replay", str(session_dir),
         "--speed", "2", "--quit-after", "1.5", "--no-audio"],
        cwd=ROOT, env=_env(QT_QPA_PLATFORM="offscreen", BALANCE_TRAINER_HOME=str(tmp_path)),
        capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
