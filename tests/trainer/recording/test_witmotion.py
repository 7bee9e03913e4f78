"""WitMotion app exports: real files (tests/data/witmotion, see SOURCE.md) and their variants."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.cli.main import main
from trainer.recording import open_session
from trainer.recording.errors import SessionError
from trainer.recording.witmotion import (
    list_devices,
    looks_like_witmotion,
    nominal_rate_hz,
    read_witmotion,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "witmotion"
TWO_CSV = DATA / "two-sensors-lunge.csv"
TWO_TXT = DATA / "two-sensors-lunge.txt"
ONE_CSV = DATA / "one-sensor-fall.csv"
HEADER = ("Time,Device name,Chip Time(),Acceleration X(g),Acceleration Y(g),Acceleration Z(g),"
          "Angular velocity X(°/s),Angular velocity Y(°/s),Angular velocity Z(°/s),Angle X(°),"
          "Angle Y(°),Angle Z(°),Magnetic field X(ʯt),Magnetic field Y(ʯt),Magnetic field Z(ʯt),"
          "Temperature(℃)")


def row(time: str, dev: str, chip: str, *values: float) -> str:
    return ",".join([f" {time}", dev, f" {chip}", *(f" {v:g}" for v in values)]) + ",\r\n"


# -- the real exports -----------------------------------------------------------------------
def test_real_csv_has_the_quirks_we_claim() -> None:
    raw = TWO_CSV.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and b"\r\n" in raw
    text = raw.decode("utf-8-sig")
    assert "ʯt" in text.splitlines()[0] and "℃" in text.splitlines()[0]
    assert text.splitlines()[1].startswith(" ") and text.splitlines()[1].endswith(",")
    assert TWO_TXT.read_bytes().split(b"\r\n")[0].count(b"\t") >= 15


def test_real_csv_two_interleaved_sensors_become_two_recordings() -> None:
    assert list_devices(TWO_CSV) == ["fc:66:87:ee:fb:8c", "d7:f5:e1:06:da:71"]
    first, second = read_witmotion(TWO_CSV)
    assert first.device["address"] == "FC:66:87:EE:FB:8C"
    assert second.device["address"] == "D7:F5:E1:06:DA:71"
    assert first.device["profile"] == "witmotion"
    assert len(first.batch) == len(second.batch) == 60
    # row 2 of the file: " 12:40:29.247,fc:66:…, 0, 0.936, -0.305, -5.249, 1.221, -0.916, …"
    np.testing.assert_allclose(first.batch.acc_g[0], [0.0, 0.936, -0.305])
    np.testing.assert_allclose(first.batch.gyr_dps[0], [-5.249, 1.221, -0.916])
    assert first.batch.mag_ut is not None
    np.testing.assert_allclose(first.batch.mag_ut[0], [-14.896, -1.274, 46.158])
    # gravity: |acc| ≈ 1 g when the sensor is still at the start
    assert abs(float(np.linalg.norm(first.batch.acc_g[0])) - 1.0) < 0.05
    for d in (first, second):
        t = d.batch.t_s
        assert t[0] == 0.0 and np.all(np.diff(t) > 0)
        assert d.sample_rate_hz == 10.0
        assert 5.5 < t[-1] < 6.5  # 60 rows at ~10 Hz
        assert "Time" in str(d.notes["timeline"])  # Chip Time advances only every ~0.5 s
        assert "not imported" in str(d.notes["angles"])
    # arrival 12:40:29.247 then .338: the first step is 91 ms
    assert first.batch.t_s[1] == pytest.approx(0.091)


def test_real_txt_twin_gives_the_same_samples() -> None:
    for a, b in zip(read_witmotion(TWO_CSV), read_witmotion(TWO_TXT), strict=True):
        np.testing.assert_array_equal(a.batch.acc_g, b.batch.acc_g)
        np.testing.assert_array_equal(a.batch.gyr_dps, b.batch.gyr_dps)
        # the app stamps its CSV and TXT rows separately: a few differ (by up to 38 ms here)
        np.testing.assert_allclose(a.batch.t_s, b.batch.t_s, atol=0.05)
        assert a.device == b.device


def test_real_single_sensor_bursts_are_spread() -> None:
    (d,) = read_witmotion(ONE_CSV)
    t = d.batch.t_s
    assert len(t) == 80 and np.all(np.diff(t) > 0)
    assert int(d.notes["rows_in_bursts"]) >= 8  # nine rows arrived at 16:39:37.569
    assert t[11] == pytest.approx(0.594 - 0.564)  # the next distinct arrival is kept as is


def test_device_id_picks_one_sensor_in_any_spelling() -> None:
    for spelling in ("fc:66:87:ee:fb:8c", "FC-66-87-EE-FB-8C", "fc.66.87.ee.fb.8c", "fb:8c"):
        (d,) = read_witmotion(TWO_CSV, spelling)
        assert d.device["address"] == "FC:66:87:EE:FB:8C"
    with pytest.raises(SessionError, match=r"no device 'zz'.*fc:66:87:ee:fb:8c, d7:f5"):
        read_witmotion(TWO_CSV, "zz")
    with pytest.raises(SessionError, match="matches several devices"):
        read_witmotion(TWO_CSV, ":")


# -- variants the app also writes -----------------------------------------------------------
def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8-sig") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


def test_chip_time_is_the_timeline_when_it_advances_every_row(tmp_path: Path) -> None:
    rows = [row(f"10:00:00.{k * 7:03d}", "aa:bb:cc:dd:ee:ff",
                f"2024-3-1 9:59:59.{k * 20:03d}", 0, 0, 1, k, 0, 0, 0, 0, 0, 1, 2, 3, 25)
            for k in range(40)]
    p = write(tmp_path, "d.csv", HEADER + "\r\n" + "".join(rows))
    (d,) = read_witmotion(p)
    np.testing.assert_allclose(d.batch.t_s, np.arange(40) * 0.02, atol=1e-9)
    assert d.sample_rate_hz == 50.0 and "Chip Time" in str(d.notes["timeline"])


def test_units_are_converted_and_decimal_commas_read(tmp_path: Path) -> None:
    header = ("Time\tDevice name\tAccX(m/s²)\tAccY(m/s²)\tAccZ(m/s²)\t"
              "wx(rad/s)\twy(rad/s)\twz(rad/s)")
    body = "".join(f"10:00:0{k}.000\tdev1\t0\t0\t9,80665\t3,14159265358979\t0\t0\r\n"
                   for k in range(5))
    p = write(tmp_path, "d.txt", header + "\r\n" + body, "gb18030")
    (d,) = read_witmotion(p)
    np.testing.assert_allclose(d.batch.acc_g[:, 2], 1.0)
    np.testing.assert_allclose(d.batch.gyr_dps[:, 0], 180.0)
    assert d.batch.mag_ut is None and d.device["name"] == "dev1"
    assert d.sample_rate_hz == 1.0


def test_gbk_and_ansi_headers_are_understood(tmp_path: Path) -> None:
    text = TWO_TXT.read_bytes().replace(b"\xb0", b"\xa1\xe3")  # ° as GBK writes it
    p = tmp_path / "gbk.txt"
    p.write_bytes(text)
    assert [len(d.batch) for d in read_witmotion(p)] == [60, 60]


def test_one_device_per_file_named_from_the_apps_file_name(tmp_path: Path) -> None:
    header = "Time,Chip Time(),Acceleration X(g),Acceleration Y(g),Acceleration Z(g)," \
             "Angular velocity X(°/s),Angular velocity Y(°/s),Angular velocity Z(°/s)"
    body = "".join(f" 23:59:59.{k * 100:03d}, 2015-1-1 0:0:0.000, 0, 0, 1, 0, 0, 0,\r\n"
                   for k in range(10))
    body += "".join(f" 00:00:00.{k * 100:03d}, 2015-1-1 0:0:0.000, 0, 0, 1, 0, 0, 0,\r\n"
                    for k in range(10))
    p = write(tmp_path, "_WT901BLE67(d6-a8-b9-ee-a0-b7)_0.csv", header + "\r\n" + body)
    (d,) = read_witmotion(p)
    assert d.device["address"] == "D6:A8:B9:EE:A0:B7" and d.device["name"] == "WT901BLE67"
    np.testing.assert_allclose(d.batch.t_s, np.arange(20) * 0.1, atol=1e-9)  # over midnight


def test_truncated_last_row_is_skipped_and_counted(tmp_path: Path) -> None:
    lines = TWO_CSV.read_text(encoding="utf-8-sig").splitlines()
    cut = ",".join(lines[-1].split(",")[:8])  # the app stopped mid-row
    p = write(tmp_path, "cut.csv", "\r\n".join([*lines[:-1], cut]))
    got = read_witmotion(p)
    assert sum(len(d.batch) for d in got) == 119
    assert all(d.notes["skipped_truncated_rows"] == 1 for d in got)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda t: t.replace(" 0.936,", " abc,", 1), r"line 2: column Acceleration Y: not a num"),
        (lambda t: t.replace(" -5.249,", " ,", 1), r"line 2: column Angular velocity X: empty"),
        (lambda t: t.replace(" -5.249,", " 1e39,", 1), r"line 2: .* X: 1e\+39 is out of range"),
        (lambda t: t.replace(" -5.249,", " nan,", 1), r"line 2: .*non-finite value 'nan'"),
        (lambda t: t.replace("Angular velocity", "Angular speed"), "no Angular velocity X/Y/Z"),
        (lambda t: t.replace(" 12:40:29.338,", " noon,", 1), r"line 4: column Time: not a time"),
        (lambda t: t.replace(" 12:40:29.338,", " 12:40:20.000,", 1), r"line 4: Time goes back"),
        (lambda t: t.split("\n")[0], "no samples"),
        (lambda t: "", "empty file"),
    ],
)
def test_bad_exports_fail_with_one_line_naming_the_place(tmp_path: Path, mutate, message) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "bad.csv", mutate(TWO_CSV.read_text(encoding="utf-8-sig")))
    with pytest.raises(SessionError, match=message) as info:
        read_witmotion(p)
    assert "\n" not in str(info.value)


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" ,\t\r\n:.-0123456789abcxyzXYZ()gs°ʯ℃")),
               max_size=400))
def test_arbitrary_text_is_read_or_refused_never_a_crash(tmp_path_factory, text: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path_factory.mktemp("fuzz") / "f.csv"
    p.write_text(HEADER + "\n" + text, encoding="utf-8")
    try:
        for d in read_witmotion(p):
            assert np.all(np.diff(d.batch.t_s) > 0) and np.all(np.isfinite(d.batch.acc_g))
    except SessionError as exc:
        assert "\n" not in str(exc)


def test_nominal_rate_snaps_to_the_sensor_settings() -> None:
    assert nominal_rate_hz(np.arange(101) / 96.0) == 100.0
    assert nominal_rate_hz(np.arange(11) / 7.0) == 7.0
    assert nominal_rate_hz(np.zeros(3)) is None


# -- the command ----------------------------------------------------------------------------
def test_cli_imports_one_session_per_sensor(tmp_path: Path, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BALANCE_TRAINER_HOME", str(tmp_path / "home"))
    out = tmp_path / "both"
    assert main(["import", str(TWO_CSV), "--format", "witmotion", "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and "60 samples" in printed[0] and "10 Hz" in printed[0]
    names = sorted(p.name for p in out.iterdir())
    assert names == ["d7-f5-e1-06-da-71", "fc-66-87-ee-fb-8c"]
    s = open_session(out / "fc-66-87-ee-fb-8c")
    assert s.n_samples == 60
    np.testing.assert_allclose(s.slice(0, 1).acc_g[0], [0.0, 0.936, -0.305], atol=1e-6)
    one = tmp_path / "one"
    assert main(["import", str(TWO_TXT), "--format", "witmotion", "--device-id", "da:71",
                 "--drill", "calf-raise", "--out", str(one)]) == 0
    assert open_session(one).n_samples == 60
    assert main(["analyze", str(one), "--json"]) == 0


def test_cli_errors_are_one_line_and_leave_nothing(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x"
    assert main(["import", str(TWO_CSV), "--format", "witmotion", "--device-id", "zz",
                 "--out", str(out)]) == 2
    assert main(["import", str(TWO_CSV), "--format", "generic", "--out", str(out)]) == 2
    assert main(["import", str(TWO_CSV), "--format", "generic", "--device-id", "a",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(e.startswith("balance-trainer import: error: ") for e in err)
    assert "no device 'zz'" in err[0]
    assert err[1].endswith("(this looks like a WitMotion app export: use --format witmotion)")
    assert "--device-id is for --format witmotion" in err[2]
    assert not out.exists() and list(tmp_path.iterdir()) == []
    assert looks_like_witmotion(TWO_TXT) and not looks_like_witmotion(tmp_path / "absent")
