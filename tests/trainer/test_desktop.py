"""`install-desktop` writes a valid freedesktop launcher and icon under $XDG_DATA_HOME (a temporary
folder here) and `--uninstall` removes them; `samples` lists the shipped sample sessions."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.cli.main import main
from trainer.desktop import _exec, desktop_entry

pytestmark = pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="freedesktop only")


def parse(text: str) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(interpolation=None, strict=True)
    cp.optionxform = str  # type: ignore[assignment,method-assign]
    cp.read_string(text)
    return cp


def test_install_and_uninstall(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert main(["install-desktop"]) == 0
    entry = tmp_path / "xdg" / "applications" / "balance-trainer.desktop"
    icon = tmp_path / "xdg" / "icons" / "hicolor" / "scalable" / "apps" / "balance-trainer.svg"
    assert entry.is_file() and icon.is_file()
    assert icon.read_text().lstrip().startswith("<?xml") and "<svg" in icon.read_text()
    d = parse(entry.read_text())["Desktop Entry"]
    assert d["Type"] == "Application" and d["Icon"] == "balance-trainer"
    assert d["Terminal"] == "false" and d["Name"] == "Ankle Balance Trainer"
    assert d["Exec"] == f"{sys.executable} -m trainer.cli.main dashboard"
    out = capsys.readouterr().out
    assert str(entry) in out and "--uninstall" in out
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True,
                               text=True)
        assert check.returncode == 0 and check.stdout == "", check.stdout
    # the launcher's command really starts the app (its --help here)
    argv = [*d["Exec"].split()[:-1], "--help"]
    assert subprocess.run(argv, capture_output=True, timeout=60).returncode == 0
    assert main(["install-desktop"]) == 0  # again: replaced, not duplicated
    assert main(["install-desktop", "--uninstall"]) == 0
    assert not entry.exists() and not icon.exists()
    assert main(["install-desktop", "--uninstall"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "no launcher was installed"


def test_relative_xdg_data_home_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from trainer.desktop import data_home

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    assert data_home() == tmp_path / ".local" / "share"


def test_exec_quoting_follows_the_spec() -> None:
    assert _exec("/opt/my env/bin/python", "-m", "x") == '"/opt/my env/bin/python" -m x'
    # quoting rule (\$ \` \") then the string escape (backslash doubled), per the spec
    assert _exec("/a/$HOME`x`\"q\"") == '"/a/\\\\$HOME\\\\`x\\\\`\\\\"q\\\\""'
    assert _exec("/a/100%") == '"/a/100%%"'
    text = desktop_entry("/usr/bin/python3", Path("/s/one sample"))
    actions = parse(text)
    assert actions["Desktop Action sample"]["Exec"].endswith('--replay "/s/one sample"')
    assert actions["Desktop Entry"]["Actions"] == "demo;sample;"


def test_samples_lists_and_locates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["samples"]) == 0
    rows = capsys.readouterr().out.splitlines()
    names = [r.split()[0] for r in rows]
    assert names == ["calf-raise-set", "isometric-eversion-holds",
                     "single-leg-balance-eyes-closed-loss", "single-leg-balance-eyes-open"]
    assert main(["samples", "calf-raise-set"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert (path / "session.json").is_file() and path.name == "calf-raise-set"
