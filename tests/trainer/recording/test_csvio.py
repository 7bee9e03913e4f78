from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from tests.trainer.recording.conftest import make_batch
from trainer.recording import SessionError
from trainer.recording.csvio import (
    STANDARD_GRAVITY,
    read_csv,
    read_generic,
    read_metabase,
    read_movella,
    write_generic,
)


def generic_text(batch, **kw) -> str:  # type: ignore[no-untyped-def]
    buf = io.StringIO()
    write_generic(buf, [batch], **kw)
    return buf.getvalue()


def test_generic_write_read(tmp_path: Path) -> None:
    b = make_batch(200, mag=True)
    p = tmp_path / "a.csv"
    p.write_text(generic_text(b, with_mag=True))
    d = read_generic(p)
    np.testing.assert_array_equal(d.batch.t_s, b.t_s)
    f32 = np.float32
    np.testing.assert_array_equal(d.batch.acc_g.astype(f32), b.acc_g.astype(f32))
    np.testing.assert_array_equal(d.batch.gyr_dps.astype(f32), b.gyr_dps.astype(f32))
    np.testing.assert_array_equal(d.batch.seq, b.seq)
    np.testing.assert_array_equal(d.batch.mag_ut.astype(f32), b.mag_ut.astype(f32))  # type: ignore[union-attr]
    assert d.sample_rate_hz == pytest.approx(100.0)


def test_generic_any_column_order_extra_columns_no_seq(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text("Gyr_X_dps, note ,gyr_y_dps,gyr_z_dps,acc_x_g,acc_y_g,acc_z_g,T_S\n"
                 "1,hello,2,3,0.1,0.2,0.9,0.00\n"
                 "4,,5,6,0.1,0.2,0.9,0.01\n")
    d = read_generic(p)
    np.testing.assert_array_equal(d.batch.gyr_dps, [[1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(d.batch.seq, [0, 1])
    assert d.notes["ignored_columns"] == ["note"]


HEADER = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty file"),
        ("\n\n", "empty file"),
        (HEADER, "no samples"),
        ("t_s,acc_x_g,acc_y_g\n0,1,2\n", "missing columns: acc_z_g, gyr_x_dps"),
        ("0,0,0,1,0,0,0\n", "no header row"),
        (HEADER + "0,0,0,1,0,0,0\n0.01,0,zero,1,0,0,0\n", "line 3: column acc_y_g: not a number"),
        (HEADER + "0,0,0,1,0,0,0\n0.01,0,,1,0,0,0\n", "line 3: column acc_y_g: empty cell"),
        (HEADER + "0,0,0,1,0,0,0\n0.01,0,0,1,0,0\n", "line 3: has 6 columns"),
        (HEADER + "0.02,0,0,1,0,0,0\n0.01,0,0,1,0,0,0\n", "line 3: time goes backwards"),
        (HEADER + "nan,0,0,1,0,0,0\n", "non-finite"),
        (HEADER + "0,0,0,1,0,0,inf\n", "non-finite"),
        (HEADER.strip() + ",seq\n0,0,0,1,0,0,0,-1\n", "non-negative integer"),
        (HEADER.strip() + ",mag_x_ut\n0,0,0,1,0,0,0,1\n", "magnetometer needs"),
        # imu.bin holds float32: a bigger value would be stored as inf
        (HEADER + "0,0,0,1,0,0,0\n0.01,1e39,0,1,0,0,0\n", "line 3: column acc_x_g: '1e39' is out "
                                                         "of range"),
        (HEADER.strip() + ",t_s\n0,0,0,1,0,0,0,5\n", "column t_s appears more than once"),
    ],
)
def test_generic_malformed_is_one_line(tmp_path: Path, text: str, match: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(SessionError, match=match) as info:
        read_generic(p)
    assert "\n" not in str(info.value) and str(p) in str(info.value)


def test_missing_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="no such file"):
        read_generic(tmp_path / "nope.csv")
    with pytest.raises(SessionError, match="directory"):
        read_generic(tmp_path)
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00garbage\x00\x81")
    with pytest.raises(SessionError):
        read_generic(tmp_path / "bin.csv")


def test_wrong_format_flag(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(generic_text(make_batch(10)))
    with pytest.raises(SessionError, match="not a Movella DOT export"):
        read_csv([p], "movella")
    with pytest.raises(SessionError, match="not a MetaBase export"):
        read_csv([p], "metabase")
    with pytest.raises(SessionError, match="unknown format"):
        read_csv([p], "xlsx")
    with pytest.raises(SessionError, match="reads one file"):
        read_csv([p, tmp_path / "b.csv"], "generic")


# -- MetaBase ------------------------------------------------------------------------------
EPOCH0 = 1557497712345  # ms


def metabase_file(path: Path, kind: str, t_ms: np.ndarray, xyz: np.ndarray,
                  tz: str = "timestamp (-0700)") -> Path:
    unit = {"acc": "g", "gyr": "deg/s", "mag": "T"}[kind]
    lines = [f"epoch (ms),{tz},elapsed (s),x-axis ({unit}),y-axis ({unit}),z-axis ({unit})"]
    for t, (x, y, z) in zip(t_ms, xyz.tolist(), strict=True):
        lines.append(f"{int(t)},2019-05-10T07.15.12.345,{(t - t_ms[0]) / 1000:.3f},{x!r},{y!r},"
                     f"{z!r}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_metabase_pair_matched_by_time(tmp_path: Path) -> None:
    n = 500
    t_acc = EPOCH0 + np.arange(n) * 10  # 100 Hz
    t_gyr = EPOCH0 + 3 + np.arange(n) * 10  # same rate, 3 ms later
    acc = np.column_stack([np.full(n, 0.01), np.full(n, -0.02), np.full(n, 0.99)])
    # a linear signal: interpolation onto the accelerometer's times is exact
    gyr = np.column_stack([(t_gyr - EPOCH0) * 0.01, np.zeros(n), -(t_gyr - EPOCH0) * 0.02])
    a = metabase_file(tmp_path / "MetaWear_2019-05-10T07.15.12.345_C8E4B2F1A0B3_Accelerometer.csv",
                      "acc", t_acc, acc)
    g = metabase_file(tmp_path / "MetaWear_2019-05-10T07.15.12.345_C8E4B2F1A0B3_Gyroscope.csv",
                      "gyr", t_gyr, gyr)
    for files in ([a, g], [g, a], [a]):  # any order; the sibling is found
        d = read_metabase(files)
        b = d.batch
        assert len(b) == n - 1  # the first accelerometer sample precedes the gyroscope
        np.testing.assert_allclose(b.t_s, np.arange(n - 1) * 0.01, atol=1e-9)
        np.testing.assert_allclose(b.acc_g, acc[1:])
        np.testing.assert_allclose(b.gyr_dps[:, 0], (t_acc[1:] - EPOCH0) * 0.01, rtol=1e-9)
        np.testing.assert_allclose(b.gyr_dps[:, 2], -(t_acc[1:] - EPOCH0) * 0.02, rtol=1e-9)
        assert d.sample_rate_hz == pytest.approx(100.0)
        assert d.device["address"] == "C8:E4:B2:F1:A0:B3"
        assert d.start_time is not None and d.start_time.year == 2019
        assert d.files == [a.name, g.name] or d.files == [g.name, a.name]


def test_metabase_faster_gyro_is_the_timeline_and_mag_in_tesla(tmp_path: Path) -> None:
    t_acc = EPOCH0 + np.arange(100) * 20  # 50 Hz
    t_gyr = EPOCH0 + np.arange(200) * 10  # 100 Hz
    a = metabase_file(tmp_path / "acc.csv", "acc", t_acc, np.ones((100, 3)))
    g = metabase_file(tmp_path / "gyr.csv", "gyr", t_gyr, np.zeros((200, 3)))
    m = metabase_file(tmp_path / "mag.csv", "mag", t_acc, np.full((100, 3), 40e-6))
    d = read_metabase([a, g, m])
    assert len(d.batch) == 199 and d.notes["timeline"] == "gyroscope"
    np.testing.assert_allclose(d.batch.mag_ut, 40.0)


def test_metabase_combined_file_given_twice(tmp_path: Path) -> None:
    p = tmp_path / "both.csv"
    p.write_text("epoch (ms),time (-13:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g),"
                 "x-axis (deg/s),y-axis (deg/s),z-axis (deg/s)\n"
                 f"{EPOCH0},t,0.000,0,0,1,1,2,3\n{EPOCH0 + 10},t,0.010,0,0,1,4,5,6\n")
    d = read_metabase([p, p])
    np.testing.assert_array_equal(d.batch.gyr_dps, [[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize(
    ("acc_hdr", "row", "match"),
    [
        ("epoch (ms),elapsed (s),x-axis (g),y-axis (g)", "{e},0,0,0", "missing columns: z-axis"),
        ("elapsed (s),x-axis (g),y-axis (g),z-axis (g)", "0,0,0,1", "disagree"),
        ("epoch (ms),elapsed (s),x-axis (g),y-axis (g),z-axis (g)", "{e},0,0,x,1", "not a number"),
    ],
)
def test_metabase_malformed(tmp_path: Path, acc_hdr: str, row: str, match: str) -> None:
    a = tmp_path / "a.csv"
    a.write_text(acc_hdr + "\n" + row.format(e=EPOCH0) + "\n")
    g = metabase_file(tmp_path / "g.csv", "gyr", EPOCH0 + np.arange(3) * 10, np.zeros((3, 3)))
    with pytest.raises(SessionError, match=match):
        read_metabase([a, g])


def test_metabase_needs_gyroscope(tmp_path: Path) -> None:
    a = metabase_file(tmp_path / "acc.csv", "acc", EPOCH0 + np.arange(3) * 10, np.ones((3, 3)))
    with pytest.raises(SessionError, match="needs gyroscope data"):
        read_metabase([a])


def test_metabase_time_backwards(tmp_path: Path) -> None:
    a = metabase_file(tmp_path / "acc.csv", "acc", EPOCH0 + np.array([0, 10, 5]), np.ones((3, 3)))
    g = metabase_file(tmp_path / "g.csv", "gyr", EPOCH0 + np.arange(3) * 10, np.zeros((3, 3)))
    with pytest.raises(SessionError, match="line 4: time goes backwards"):
        read_metabase([a, g])


# -- Movella DOT ---------------------------------------------------------------------------
def movella_text(stf: np.ndarray, acc_ms2: np.ndarray, gyr: np.ndarray, *,
                 preamble: bool = True) -> str:
    out = []
    if preamble:
        out += ["sep=,", "DeviceTag:,Ankle,,,,,,,", "FirmwareVersion:,2.4.0,,,,,,,",
                "AppVersion:,2023.1,,,,,,,", "SyncStatus:,Un-synced,,,,,,,",
                "OutputRate:,60Hz,,,,,,,", "FilterProfile:,General,,,,,,,",
                "Measurement Mode:,Custom Mode 5,,,,,,,",
                "StartTime:,2023-05-10 13:45:12.345 +0200,,,,,,,",
                "Movella Technologies B. V. 2005-2023,,,,,,,,", ""]
    out.append("PacketCounter,SampleTimeFine,Quat_W,Quat_X,Quat_Y,Quat_Z,Acc_X,Acc_Y,Acc_Z,"
               "Gyr_X,Gyr_Y,Gyr_Z,")
    for i, (s, a, g) in enumerate(zip(stf, acc_ms2.tolist(), gyr.tolist(), strict=True)):
        out.append(f"{i + 100},{int(s)},1,0,0,0,{a[0]!r},{a[1]!r},{a[2]!r},{g[0]!r},{g[1]!r},"
                   f"{g[2]!r},")
    return "\n".join(out) + "\n"


def test_movella_units_wrap_and_preamble(tmp_path: Path) -> None:
    n = 120
    stf = (2**32 - 50 * 16667 + np.arange(n) * 16667) % 2**32  # wraps after 50 samples
    acc = np.tile([0.0, 0.0, STANDARD_GRAVITY], (n, 1))
    gyr = np.tile([1.5, -2.0, 0.25], (n, 1))
    p = tmp_path / "dot.csv"
    p.write_text(movella_text(stf, acc, gyr))
    d = read_movella(p)
    np.testing.assert_allclose(d.batch.t_s, np.arange(n) * 0.016667, atol=1e-9)
    np.testing.assert_allclose(d.batch.acc_g, np.tile([0, 0, 1.0], (n, 1)))
    np.testing.assert_array_equal(d.batch.gyr_dps, gyr)
    np.testing.assert_array_equal(d.batch.seq, np.arange(n) + 100)
    assert d.sample_rate_hz == 60.0
    assert d.device == {"name": "Ankle", "address": None, "profile": "movella-dot",
                        "firmware": "2.4.0"}
    assert d.start_time is not None and d.start_time.utcoffset().total_seconds() == 7200


def test_movella_without_preamble(tmp_path: Path) -> None:
    p = tmp_path / "dot.csv"
    p.write_text(movella_text(np.arange(5) * 10000, np.ones((5, 3)), np.ones((5, 3)),
                              preamble=False))
    d = read_movella(p)
    assert d.sample_rate_hz == pytest.approx(100.0)


def test_movella_backwards_and_orientation_only(tmp_path: Path) -> None:
    p = tmp_path / "dot.csv"
    p.write_text(movella_text(np.array([0, 20000, 10000]), np.ones((3, 3)), np.ones((3, 3))))
    with pytest.raises(SessionError, match="time goes backwards"):
        read_movella(p)
    p.write_text("PacketCounter,SampleTimeFine,Euler_X,Euler_Y,Euler_Z\n1,0,0,0,0\n")
    with pytest.raises(SessionError, match="missing columns: Acc_X"):
        read_movella(p)


def test_backwards_time_message_shows_plain_numbers(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(HEADER + "0.06,0,0,1,0,0,0\n0.05,0,0,1,0,0,0\n")
    with pytest.raises(SessionError) as info:
        read_generic(p)
    assert str(info.value).endswith("line 3: time goes backwards (0.06 then 0.05)")


def test_estimated_rate_is_the_nominal_rate(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_text(HEADER + "".join(f"{k * 0.01!r},0,0,1,0,0,0\n" for k in range(50)))
    assert 1.0 / np.median(np.diff(np.arange(50) * 0.01)) != 100.0  # the raw estimate is not
    assert read_generic(p).sample_rate_hz == 100.0


@pytest.mark.parametrize("rate", ["1.2.3 Hz", ". Hz", "fast"])
def test_movella_unreadable_output_rate_falls_back_to_the_time_stamps(tmp_path: Path,
                                                                      rate: str) -> None:
    p = tmp_path / "dot.csv"
    text = movella_text(np.arange(5) * 10000, np.ones((5, 3)), np.ones((5, 3)))
    p.write_text(text.replace("OutputRate:,60Hz", f"OutputRate:,{rate}"))
    assert read_movella(p).sample_rate_hz == 100.0
