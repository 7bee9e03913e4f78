"""`balance-trainer report`: self-contained, well-formed HTML with charts; one-line errors."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.trainer.drills.sessions import make_session
from trainer.cli.main import main

XHTML = "{http://www.w3.org/1999/xhtml}"


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sessions")
    make_session(root, "bal", balance_loss_times_s=(12.0,), duration_s=60)
    make_session(root, "bal2", day=2, seed=3, balance_loss_times_s=(25.0,), duration_s=60)
    make_session(root, "inv", drill="ankle-inversion", day=1, duration_s=45)
    return root


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))


def check_self_contained(html: str) -> ET.Element:
    assert html.startswith("<!DOCTYPE html>")
    root = ET.fromstring(html.split("\n", 1)[1])  # well-formed (XHTML-style) markup
    assert root.tag == f"{XHTML}html"
    for el in root.iter():
        for attr in ("src", "href", "{http://www.w3.org/1999/xlink}href"):
            assert attr not in el.attrib, f"external reference in <{el.tag}>"
        assert not el.tag.endswith(("script", "link", "img", "iframe", "object"))
    assert "url(" not in html and "@import" not in html
    return root


def test_session_report_balance(sessions: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(sessions / "bal"), "--out", str(out), "--age", "45"]) == 0
    html = out.read_text()
    root = check_self_contained(html)
    svgs = [e for e in root.iter() if e.tag.endswith("svg")]
    assert len(svgs) >= 3  # tilt over time, timeline, sway trace
    for label in ("tilt over time", "rep timeline", "sway trace"):
        assert f'aria-label="{label}"' in html
    assert "Time to first balance loss" in html and "Springer" in html and "40-49" in html
    assert "95 % ellipse area" in html


def test_session_report_eyes_open_z_score_names_its_source(sessions: Path, tmp_path: Path) -> None:
    """Age norms section at 70 (eyes open): Springer's mean and Seino et al.'s mean and SD for
    men 65+, with the z-score line and the source's DOI."""
    out = tmp_path / "r.html"
    assert main(["report", str(sessions / "bal"), "--out", str(out), "--age", "70",
                 "--sex", "male"]) == 0
    html = out.read_text()
    check_self_contained(html)
    assert "Age norms" in html and "Springer et al. 2007" in html
    assert "39.3 ± 23.0 s for ages 65+, men (n = 1463, Seino et al. 2014): z = " in html
    assert "doi:10.1371/journal.pone.0099487" in html and "indicative" in html


def test_session_report_reps(sessions: Path, tmp_path: Path) -> None:
    out = tmp_path / "inv.html"
    assert main(["report", str(sessions / "inv"), "--out", str(out)]) == 0
    html = out.read_text()
    check_self_contained(html)
    assert "Repetitions" in html and "Range of motion" in html
    assert 'aria-label="joint angle"' in html and 'aria-label="rep timeline"' in html
    bars = re.findall(r'stroke-width="3"><title>', html)
    assert len(bars) >= 8


def test_progress_report(sessions: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    assert main(["report", "--progress", "--dir", str(sessions), "--out", str(out),
                 "--age", "30"]) == 0
    html = out.read_text()
    check_self_contained(html)
    assert "Single-leg balance - left leg" in html and "Ankle inversion" in html
    assert "age norm" in html and html.count("<svg") >= 2


def test_default_output_name_and_stdout(sessions: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(sessions / "inv")]) == 0
    assert list(tmp_path.glob("report-*.html"))
    capsys.readouterr()
    assert main(["report", "--progress", "--dir", str(sessions), "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("<!DOCTYPE html>")


def _cli(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "trainer.cli.main", "report", *args],
                          capture_output=True, text=True,
                          env={"BALANCE_TRAINER_HOME": str(home), "PATH": ""})


@pytest.mark.parametrize("args", [
    ["/nonexistent/session"],
    [],
    ["--progress", "x"],
    ["--age", "abc", "--progress"],
    ["--progress", "--dir", "/nonexistent"],
])
def test_bad_input_is_one_line_exit_2(args: list[str], tmp_path: Path) -> None:
    proc = _cli(args, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def test_unwritable_output_and_garbage_session(sessions: Path, tmp_path: Path) -> None:
    proc = _cli([str(sessions / "inv"), "--out", str(tmp_path / "no" / "dir" / "r.html")],
                tmp_path)
    assert proc.returncode == 2 and "does not exist" in proc.stderr
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "session.json").write_text("{garbage")
    proc = _cli([str(bad)], tmp_path)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
