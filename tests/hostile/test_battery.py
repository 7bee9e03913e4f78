"""The hostile-input battery: every command on every generated hostile case, bounded in memory
and time (see ``runner``); each ends with one line and exit status 2, or a clean success — never
a traceback, a hang, an exhausted memory, a terminal escape on screen, or a changed input.

Most cases run in-process (``trainer.cli.main.main``, a few ms each); what needs a real process
— special files that could block, absurd sizes, the dashboard, signals — runs as a child with
``resource.setrlimit`` applied in the child and a timeout.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile.cases import (
    BAD_NUMBERS,
    NUMERIC_FLAGS,
    build_case,
    make_good_session,
    replace_file,
    session_cases,
    snapshot,
)
from tests.hostile.runner import (
    CHILD_MEMORY_QT,
    assert_clean,
    run_inprocess,
    run_subprocess,
    spawn,
)
from trainer.recording import format as fmt
from trainer.recording import open_session

CASES = session_cases()
#: Cases whose files could block or are huge: run again as real processes.
SUBPROCESS_CASES = sorted(n for n in CASES if n.startswith(("file-", "deep-", "big-"))
                          or n in ("meta-sample_rate_hz-huge", "meta-n_samples-bigint",
                                   "param-sets-1000000000"))


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """User data in a temporary folder; the current folder too (default output names)."""
    h = tmp_path / "home"
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(h))
    monkeypatch.delenv("BALANCE_TRAINER_DEBUG", raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return h


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_good_session(tmp_path_factory.mktemp("good") / "good")


@pytest.fixture(scope="module")
def all_cases(tmp_path_factory: pytest.TempPathFactory, good: Path) -> Path:
    """One folder holding the good session and every hostile one (history's view)."""
    root = tmp_path_factory.mktemp("all")
    shutil.copytree(good, root / "0-good")
    for i, mutate in enumerate(CASES.values()):
        build_case(good, root / f"case-{i:03d}", mutate)
    return root


def _session_commands(case: Path, out: Path) -> list[list[str]]:
    return [
        ["analyze", str(case), "--json"],
        ["analyze", str(case), "--series", str(out / "series.csv")],
        ["export", str(case), "--out", str(out / "export.csv")],
        ["report", str(case)],
        ["calibrate", "--from", str(case), "--step", "gyro", "--no-save",
         "--out", str(out / "profile.json")],
        ["history", "--dir", str(case.parent)],
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_command_on_a_hostile_session(name: str, good: Path, tmp_path: Path) -> None:
    case = build_case(good, tmp_path / "in" / "case", CASES[name])
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(case.parent)
    for argv in _session_commands(case, out):
        wrote = snapshot(out), snapshot(Path.cwd())
        outcome = run_inprocess(argv)
        assert_clean(outcome)
        if outcome.returncode == 2:  # refused: nothing written anywhere
            assert (snapshot(out), snapshot(Path.cwd())) == wrote, outcome.describe()
        assert snapshot(case.parent) == before, f"{outcome.describe()}\nchanged the input"


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_blocking_and_huge_cases_as_real_processes(name: str, good: Path, tmp_path: Path,
                                                   home: Path) -> None:
    """Special files and absurd sizes in a real process under a memory limit and a timeout."""
    case = build_case(good, tmp_path / "in" / "case", CASES[name])
    before = snapshot(case.parent)
    for argv in (["analyze", str(case), "--json"], ["history", "--dir", str(case.parent)],
                 ["export", str(case), "--out", str(tmp_path / "e.csv")]):
        assert_clean(run_subprocess(argv, home, timeout_s=60))
    assert snapshot(case.parent) == before


def test_history_and_progress_report_skip_what_they_cannot_read(all_cases: Path) -> None:
    before = snapshot(all_cases)
    hist = run_inprocess(["history", "--dir", str(all_cases), "--json"])
    assert_clean(hist, allow_ok=True)
    assert hist.returncode == 0
    doc = json.loads(hist.stdout)
    ids = {s["path"] for s in doc["sessions"]}
    assert str(all_cases / "0-good") in ids
    assert doc["skipped"] == len(doc["skipped_sessions"]) > len(CASES) // 2
    assert "unreadable session(s) skipped" in hist.stderr and "--verbose" in hist.stderr
    verbose = run_inprocess(["history", "--dir", str(all_cases), "--verbose"])
    assert verbose.returncode == 0
    skipped_lines = [ln for ln in verbose.stderr.splitlines() if ": skipped " in ln]
    assert len(skipped_lines) == doc["skipped"]  # one line each, with the reason
    assert all(ln.count(": ") >= 2 for ln in skipped_lines)
    prog = run_inprocess(["report", "--progress", "--dir", str(all_cases), "--verbose"])
    assert prog.returncode == 0, prog.describe()
    assert len([ln for ln in prog.stderr.splitlines() if ": skipped " in ln]) == doc["skipped"]
    assert snapshot(all_cases) == before


def test_history_tab_skips_and_counts_the_same_sessions(all_cases: Path) -> None:
    from trainer.ui.history_model import scan_sessions_report

    found, skipped = scan_sessions_report(all_cases)
    hist = json.loads(run_inprocess(["history", "--dir", str(all_cases), "--json"]).stdout)
    assert len(found) == hist["n_sessions"] and len(skipped) == hist["skipped"]
    assert {s.status for s in found} <= {"complete", "recovered"}


@pytest.mark.parametrize("kind", ["zeros", "garbage", "zeros+partial"])
def test_recovery_keeps_every_good_record_before_a_bad_tail(kind: str, good: Path,
                                                            tmp_path: Path) -> None:
    case = build_case(good, tmp_path / "case", CASES[f"killed-{kind}-tail"])
    n_good = open_session(good).n_samples
    session = open_session(case)
    assert session.status == "recovered" and session.n_samples == n_good
    assert np.array_equal(session.imu, open_session(good).imu)
    # the same status in every command
    hist = json.loads(run_inprocess(["history", "--dir", str(tmp_path), "--json"]).stdout)
    assert [s["status"] for s in hist["sessions"]] == ["recovered"]
    analysis = json.loads(run_inprocess(["analyze", str(case), "--json"]).stdout)
    assert analysis["duration_s"] == pytest.approx(json.loads(
        run_inprocess(["analyze", str(good), "--json"]).stdout)["duration_s"])


def test_output_options_never_destroy_a_session_or_an_input(good: Path, tmp_path: Path) -> None:
    s = tmp_path / "s"
    shutil.copytree(good, s)
    (tmp_path / "notes.txt").write_text("my notes\n")
    before = snapshot(tmp_path)
    refused = [
        ["export", str(s), "--out", str(s / fmt.META_FILE)],
        ["export", str(s), "--out", str(s / "new.csv")],
        ["export", str(s), "--out", str(s)],
        ["export", str(s), "--out", str(tmp_path / "notes.txt")],
        ["export", str(s), "--out", str(tmp_path / "missing" / "x.csv")],
        ["export", str(s), "--out", ""],
        ["analyze", str(s), "--series", str(s / fmt.IMU_FILE)],
        ["analyze", str(s), "--series", str(tmp_path / "notes.txt")],
        ["report", str(s), "--out", str(s / "report.html")],
        ["report", str(s), "--out", str(tmp_path / "notes.txt")],
        ["report", "--progress", "--dir", str(tmp_path), "--out", str(s / "p.html")],
        ["calibrate", "--from", str(s), "--no-save", "--out", str(s / fmt.META_FILE)],
        ["import", str(tmp_path / "notes.txt"), "--format", "generic", "--out", str(s / "x")],
        ["import", str(tmp_path / "notes.txt"), "--format", "generic", "--out", ""],
        ["record", "--simulate", "--duration", "1", "--out", ""],
        ["record", "--simulate", "--duration", "1", "--out", str(s / "sub")],
        ["dashboard", "--replay", str(s), "--screenshot", str(s / "shot.png")],
        ["dashboard", "--simulate", "--screenshot", str(tmp_path / "notes.txt")],
        ["dashboard", "--simulate", "--screenshot", str(tmp_path / "no" / "dir" / "a.png")],
    ]
    for argv in refused:
        outcome = run_inprocess(argv)
        assert_clean(outcome, allow_ok=False)
        assert snapshot(tmp_path) == before, outcome.describe()


def test_outputs_are_atomic_and_owner_only(good: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    for argv in (["export", str(good), "--out", str(out / "e.csv")],
                 ["analyze", str(good), "--series", str(out / "s.csv")],
                 ["report", str(good), "--out", str(out / "r.html")],
                 ["report", str(good), "--out", str(out / "r.html")]):  # replaces its own
        assert run_inprocess(argv).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["e.csv", "r.html", "s.csv"]  # no temps
    assert {oct(p.stat().st_mode & 0o777) for p in out.iterdir()} == {"0o600"}


def test_default_report_name_is_sanitised(good: Path, tmp_path: Path) -> None:
    s = tmp_path / "s"
    shutil.copytree(good, s)
    meta = json.loads((s / fmt.META_FILE).read_text())
    meta["session_id"] = "x/../../escaped"
    (s / fmt.META_FILE).write_text(json.dumps(meta))
    outcome = run_inprocess(["report", str(s)])
    assert outcome.returncode == 0, outcome.describe()
    assert [p.name for p in Path.cwd().iterdir()] == ["report-x-escaped.html"]
    assert not (tmp_path.parent / "escaped.html").exists()


@pytest.mark.parametrize("template", NUMERIC_FLAGS)
def test_bad_flag_values(template: str, good: Path, tmp_path: Path) -> None:
    csv = tmp_path / "in.csv"
    csv.write_text("t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"
                   + "".join(f"{k / 100!r},0,0,1,0,0,0\n" for k in range(50)))
    out = tmp_path / "out"
    out.mkdir()
    argv = template.format(csv=csv, out=out, good=good).split()
    for value in BAD_NUMBERS:
        outcome = run_inprocess([*argv, value])
        assert_clean(outcome, allow_ok=False)
        assert not any(out.iterdir()), outcome.describe()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rate=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10**12, 10**12))
def test_any_rate_flag_is_refused_or_sane(rate: float, tmp_path: Path) -> None:
    """import --rate: whatever the number, one line + exit 2, or a session the readers take."""
    csv = tmp_path / "in.csv"
    csv.write_text("t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"
                   + "".join(f"{k / 100!r},0,0,1,0,0,0\n" for k in range(20)))
    out = tmp_path / f"imp-{time.monotonic_ns()}"
    outcome = run_inprocess(["import", str(csv), "--format", "generic", "--out", str(out),
                             "--rate", repr(rate)])
    assert_clean(outcome)
    if outcome.returncode == 0:
        assert 1 <= open_session(out).sample_rate_hz <= 10_000


_cell = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**40, 10**40).map(str),
    st.sampled_from(["", "nan", "1e999", "-1e999", "abc", "\x1b[31m", "0x1f", "1,2", '"q"']),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(_cell, min_size=8, max_size=8), min_size=1, max_size=12),
       header=st.sampled_from([
           "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq",
           "seq,t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps",
           "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,mag_x_ut"]))
def test_hostile_csv_imports_cleanly_or_not_at_all(rows: list[list[str]], header: str,
                                                   tmp_path: Path) -> None:
    """Any generic CSV: one line + exit 2 and nothing written, or a session that every reader
    opens (import never stores what the readers would refuse, e.g. seq 1e30 or 1e11 Hz)."""
    csv = tmp_path / f"in-{time.monotonic_ns()}.csv"
    csv.write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows))
    out = tmp_path / f"imp-{time.monotonic_ns()}"
    outcome = run_inprocess(["import", str(csv), "--format", "generic", "--out", str(out)])
    assert_clean(outcome)
    if outcome.returncode == 0:
        session = open_session(out)
        assert 1 <= session.sample_rate_hz <= 10_000
        assert_clean(run_inprocess(["analyze", str(out), "--json"]))
    else:
        assert not out.exists() and [p.name for p in tmp_path.iterdir()
                                     if p.name.startswith(".")] == []


_json_value = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers(-10**30, 10**30)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["session_id", "start_time", "device", "sample_rate_hz", "drill",
                            "status", "n_samples", "side", "calibration", "summary"]),
       value=_json_value)
def test_any_meta_value_is_refused_or_works(key: str, value: object, good: Path,
                                            tmp_path: Path) -> None:
    case = tmp_path / f"s-{time.monotonic_ns()}"
    shutil.copytree(good, case)
    meta = json.loads((case / fmt.META_FILE).read_text())
    meta[key] = value
    (case / fmt.META_FILE).write_text(json.dumps(meta))
    for argv in (["analyze", str(case), "--json"], ["history", "--dir", str(case.parent)]):
        assert_clean(run_inprocess(argv))


# ------------------------------------------------------------------- real processes


def test_dashboard_replay_of_hostile_sessions(good: Path, tmp_path: Path, home: Path) -> None:
    """The dashboard refuses a hostile session before any window (one line, exit 2) and replays
    an absurd-but-valid one within memory and time."""
    for name in ("meta-sample_rate_hz-huge", "event-1", "file-events.jsonl-fifo",
                 "param-sets-1000000000"):
        case = build_case(good, tmp_path / name.replace("/", "_"), CASES[name])
        outcome = run_subprocess(["dashboard", "--replay", str(case), "--quit-after", "1",
                                  "--no-audio"], home, memory=CHILD_MEMORY_QT, timeout_s=90)
        assert_clean(outcome)


def test_dashboard_settings_live_in_the_apps_folder_owner_only(good: Path, tmp_path: Path,
                                                               home: Path) -> None:
    shot = tmp_path / "shot.png"
    outcome = run_subprocess(["dashboard", "--replay", str(good), "--quit-after", "1",
                              "--no-audio", "--screenshot", str(shot)], home,
                             memory=CHILD_MEMORY_QT, timeout_s=90)
    assert_clean(outcome)
    ini = home / "config" / "dashboard.ini"
    assert ini.is_file() and oct(ini.stat().st_mode & 0o777) == "0o600"
    assert oct(ini.parent.stat().st_mode & 0o777) == "0o700"
    assert str(good) in ini.read_text()  # the recent session is remembered there
    assert not (home / "xdg" / "balance-trainer").exists()  # not in the toolkit's own place
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert oct(shot.stat().st_mode & 0o777) == "0o600"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize("argv", [["analyze", "{good}", "--json"], ["history", "--dir", "{dir}"],
                                  ["export", "{good}", "--out", "{out}"], ["safety", "--json"]])
def test_ctrl_c_early_in_any_command_prints_no_traceback(argv: list[str], good: Path,
                                                        tmp_path: Path, home: Path) -> None:
    """SIGINT at several moments of the start: no traceback from the program's code, and the
    one line "interrupted" (130) or a quiet end by the signal. Python's own start-up, before
    the program's first line runs, is outside its reach: a signal there ends the interpreter
    with Python's message (how many samples land there depends on the machine's load)."""
    args = [a.format(good=good, dir=good.parent, out=tmp_path / "e.csv") for a in argv]
    early = 0
    delays = (0.05, 0.1, 0.15, 0.2, 0.25, 0.4, 0.8)
    for delay in delays:
        proc = spawn(args, home)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert "trainer/" not in err and "internal error" not in err, (delay, err)
        if proc.returncode == 1:  # only in Python's own start-up, before our first line runs
            assert "KeyboardInterrupt" in err and f"{os.sep}trainer{os.sep}" not in err, err
            early += 1
            continue
        assert proc.returncode in (0, 130, -signal.SIGINT), (delay, proc.returncode, err)
        if proc.returncode == 130:
            assert err.strip().endswith("interrupted") and len(err.splitlines()) == 1, err
    assert early < len(delays)  # (how many land in Python's start-up depends on the load)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_sigterm_during_export_leaves_no_temporary_file(tmp_path: Path, home: Path) -> None:
    big = make_good_session(tmp_path / "big", seconds=120.0, rate_hz=400.0)
    out = tmp_path / "out"
    out.mkdir()
    for delay in (0.6, 1.0, 1.5):
        proc = spawn(["export", str(big), "--out", str(out / "e.csv")], home)
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode in (0, 143, -signal.SIGTERM), (delay, err)
        assert "Traceback" not in err, err
        assert [p.name for p in out.iterdir() if p.name != "e.csv"] == [], (delay, err)
        if proc.returncode == 143:
            assert err.strip().endswith("terminated"), err
    if (out / "e.csv").exists():  # a finished export is whole
        assert os.path.getsize(out / "e.csv") > 0


@pytest.mark.parametrize("fmt_name", ["generic", "metabase", "movella", "witmotion"])
@pytest.mark.parametrize("how", ["fifo", "devzero", "dir", "loop", "dangling"])
def test_import_refuses_special_files_before_reading(fmt_name: str, how: str,
                                                     tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("x\n")
    replace_file(src.name, how)(tmp_path)
    out = tmp_path / "imp"
    outcome = run_inprocess(["import", str(src), "--format", fmt_name, "--out", str(out)],
                            timeout_s=10)
    assert_clean(outcome, allow_ok=False)
    assert not out.exists()
