"""`import` and `export`: round trip, one-line errors, nothing half-written."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trainer.cli.main import main
from trainer.recording import open_session
from trainer.recording.csvio import write_generic
from trainer.vocab.batch import SampleBatch

ROOT = Path(__file__).resolve().parents[3]


def csv_of(batch: SampleBatch, **kw) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    write_generic(buf, [batch], **kw)
    return buf.getvalue()


def sample_batch(n: int = 300) -> SampleBatch:
    rng = np.random.default_rng(3)
    return SampleBatch.from_arrays(np.arange(n) / 200.0, rng.normal(0, 1, (n, 3)),
                                   rng.normal(0, 50, (n, 3)), np.arange(n) + 1000)


def test_import_then_export_is_exact(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    src = tmp_path / "in.csv"
    src.write_text(csv_of(sample_batch()))
    assert main(["import", str(src), "--format", "generic", "--out", str(tmp_path / "s"),
                 "--drill", "calf-raise", "--side", "right", "--placement", "foot"]) == 0
    s = open_session(tmp_path / "s")
    assert s.status == "complete" and s.n_samples == 300 and s.sample_rate_hz == pytest.approx(200)
    assert s.meta["drill"]["id"] == "calf-raise" and s.meta["side"] == "right"
    assert s.meta["placement"] == "foot" and s.meta["simulated"] is False
    assert s.meta["imported_from"]["format"] == "generic"
    assert stat.S_IMODE(os.stat(tmp_path / "s").st_mode) == 0o700
    out = tmp_path / "out.csv"
    assert main(["export", str(tmp_path / "s"), "--format", "csv", "--out", str(out),
                 "--no-tilt"]) == 0
    assert out.read_text() == src.read_text()


def test_rate_override_and_default_out(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    src = tmp_path / "in.csv"
    src.write_text(csv_of(sample_batch(), with_seq=False))
    assert main(["import", str(src), "--format", "generic", "--rate", "199.5"]) == 0
    (made,) = (tmp_path / "home" / "data" / "sessions").iterdir()
    assert open_session(made).sample_rate_hz == 199.5


finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)
finite64 = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def generic_tables(draw: st.DrawFn) -> tuple[str, np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 25))
    t = np.sort(np.array(draw(st.lists(finite64, min_size=n, max_size=n))))
    vals = np.array(draw(st.lists(st.one_of(finite32, finite64), min_size=6 * n,
                                  max_size=6 * n))).reshape(n, 6)
    seq = draw(st.lists(st.integers(0, 2**32 - 1), min_size=n, max_size=n))
    lines = ["t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq"]
    lines += [",".join([repr(float(ti)), *(repr(float(v)) for v in row), str(q)])
              for ti, row, q in zip(t, vals, seq, strict=True)]
    return "\n".join(lines) + "\n", t, vals


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(table=generic_tables())
def test_round_trip_generic_session_generic_is_exact_at_float32(tmp_path: Path, table) -> None:  # type: ignore[no-untyped-def]
    from trainer.recording.convert import export_csv, import_csv

    text, t, vals = table
    work = Path(os.path.join(tmp_path, os.urandom(6).hex()))
    work.mkdir()
    (work / "in.csv").write_text(text)
    s = import_csv([work / "in.csv"], "generic", work / "s", rate_hz=100.0)
    export_csv(s, work / "out.csv")
    back = np.genfromtxt(work / "out.csv", delimiter=",", names=True)
    back = np.atleast_1d(back)
    np.testing.assert_array_equal(back["t_s"], t)  # float64 time: exact
    got = np.column_stack([back[c] for c in ("acc_x_g", "acc_y_g", "acc_z_g", "gyr_x_dps",
                                              "gyr_y_dps", "gyr_z_dps")])
    np.testing.assert_array_equal(got.astype(np.float32), vals.astype(np.float32))
    # and a second trip changes nothing at all
    s2 = import_csv([work / "out.csv"], "generic", work / "s2", rate_hz=100.0)
    export_csv(s2, work / "out2.csv")
    assert (work / "out2.csv").read_text() == (work / "out.csv").read_text()


def _cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "trainer.cli.main", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


GOOD = ("t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"
        "0,0,0,1,0,0,0\n0.01,0,0,1,0,0,0\n")


@pytest.mark.parametrize(
    ("content", "fmt", "match"),
    [
        ("t_s,acc_x_g\n0,1\n", "generic", "missing columns"),
        (GOOD + "0.02,0,0,one,0,0,0\n", "generic", "not a number"),
        (GOOD + "0.005,0,0,1,0,0,0\n", "generic", "time goes backwards"),
        ("", "generic", "empty file"),
        (GOOD, "movella", "not a Movella DOT export"),
        (GOOD, "metabase", "not a MetaBase export"),
        (GOOD, "xlsx", "invalid choice"),
    ],
)
def test_import_malformed_exit_2_nothing_left(tmp_path: Path, content: str, fmt: str,
                                              match: str) -> None:
    src = tmp_path / "in.csv"
    src.write_text(content)
    outdir = tmp_path / "out"
    outdir.mkdir()
    proc = _cli("import", str(src), "--format", fmt, "--out", str(outdir / "s"),
                home=tmp_path / "home")
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and match in proc.stderr, proc.stderr
    assert list(outdir.iterdir()) == []  # nothing half-written, no temp dirs
    assert not (tmp_path / "home" / "data" / "sessions").exists() or not any(
        (tmp_path / "home" / "data" / "sessions").iterdir())


def test_import_refuses_non_empty_out_and_failure_mid_write_cleans_up(
        tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from trainer.recording import SessionError
    from trainer.recording import writer as writer_mod
    from trainer.recording.convert import import_csv

    src = tmp_path / "in.csv"
    src.write_text(csv_of(sample_batch()))
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("keep")
    with pytest.raises(SessionError, match="not empty"):
        import_csv([src], "generic", full)
    assert [p.name for p in full.iterdir()] == ["x"]

    def boom(*_a, **_k):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer_mod, "write_all", boom)
    with pytest.raises(OSError):
        import_csv([src], "generic", tmp_path / "new")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "in.csv"]


def test_import_into_existing_empty_dir(tmp_path: Path) -> None:
    from trainer.recording.convert import import_csv

    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    (tmp_path / "empty").mkdir()
    assert import_csv([src], "generic", tmp_path / "empty").n_samples == 2


def test_export_errors_and_stdout(tmp_path: Path) -> None:
    proc = _cli("export", str(tmp_path / "nope"), "--out", str(tmp_path / "x.csv"),
                home=tmp_path / "home")
    assert proc.returncode == 2 and "no such session" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    src = tmp_path / "in.csv"
    src.write_text(GOOD)
    assert _cli("import", str(src), "--format", "generic", "--out", str(tmp_path / "s"),
                home=tmp_path / "home").returncode == 0
    proc = _cli("export", str(tmp_path / "s"), "--out", "-", "--no-tilt", home=tmp_path / "home")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == (
        "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps,seq")
    assert proc.stdout.splitlines()[1:] == ["0.0,0.0,0.0,1.0,0.0,0.0,0.0,0",
                                            "0.01,0.0,0.0,1.0,0.0,0.0,0.0,1"]
    proc = _cli("export", str(tmp_path / "s"), "--out", str(tmp_path), home=tmp_path / "home")
    assert proc.returncode == 2 and "is a directory" in proc.stderr


def test_import_movella_and_metabase_end_to_end(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tests.trainer.recording.test_csvio import EPOCH0, metabase_file, movella_text

    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    n = 200
    dot = tmp_path / "dot.csv"
    dot.write_text(movella_text(np.arange(n) * 16667, np.tile([0, 0, 9.80665], (n, 1)),
                                np.zeros((n, 3))))
    assert main(["import", str(dot), "--format", "movella", "--out", str(tmp_path / "m"),
                 "--drill", "isometric-eversion", "--side", "right"]) == 0
    s = open_session(tmp_path / "m")
    assert s.meta["device"]["profile"] == "movella-dot" and s.sample_rate_hz == 60
    assert s.meta["start_time"] == "2023-05-10T11:45:12.345Z"
    assert s.placement == "foot"  # the drill's default placement
    np.testing.assert_allclose(s.batch().acc_g[:, 2], 1.0)

    a = metabase_file(tmp_path / "MetaWear_x_D1D2D3D4D5D6_Accelerometer.csv", "acc",
                      EPOCH0 + np.arange(n) * 10, np.ones((n, 3)))
    metabase_file(tmp_path / "MetaWear_x_D1D2D3D4D5D6_Gyroscope.csv", "gyr",
                  EPOCH0 + np.arange(n) * 10, np.zeros((n, 3)))
    assert main(["import", str(a), "--format", "metabase", "--out", str(tmp_path / "mb")]) == 0
    s = open_session(tmp_path / "mb")
    assert s.n_samples == n and s.meta["device"]["address"] == "D1:D2:D3:D4:D5:D6"
    assert len(s.meta["imported_from"]["files"]) == 2


def test_export_tilt_columns_match_the_pipeline(tmp_path: Path) -> None:
    from trainer.core.pipeline import PipelineConfig, analyze
    from trainer.recording.convert import import_csv

    sample = ROOT / "recordings" / "single-leg-balance-eyes-closed-loss"
    out = tmp_path / "x.csv"
    assert main(["export", str(sample), "--out", str(out)]) == 0
    table = np.genfromtxt(out, delimiter=",", names=True)
    s = open_session(sample)
    ref = analyze(s.batch(), PipelineConfig(sample_rate_hz=100.0, placement=s.placement,
                                            side=s.side, calibration=s.calibration,
                                            detect_balance_losses=False))
    np.testing.assert_allclose(table["tilt_ap_deg"], ref.tilt_ap_deg, atol=1e-6)
    np.testing.assert_allclose(table["tilt_ml_deg"], ref.tilt_ml_deg, atol=1e-6)
    assert 0.2 < np.nanstd(table["tilt_ap_deg"]) < 10  # a plausible sway, not zeros
    # the tilt columns are ignored on import: the samples come back unchanged
    back = import_csv([out], "generic", tmp_path / "again").batch()
    np.testing.assert_array_equal(back.acc_g, s.batch().acc_g)
    np.testing.assert_array_equal(back.t_s, s.batch().t_s)
