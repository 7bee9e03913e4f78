"""The streaming generic reader: chunk boundaries change nothing, errors name the same line."""

from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.trainer.recording.conftest import make_batch
from trainer.recording import SessionError, csvio
from trainer.recording.convert import import_csv
from trainer.recording.csvio import (
    _arrow_parse,
    open_generic,
    read_generic,
    stream_csv,
    write_generic,
)
from trainer.vocab.batch import SampleBatch

HEADER = "t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps\n"


def rows(n: int, t0: float = 0.0) -> str:
    return "".join(f"{t0 + i * 0.01:.2f},0,0,1,{i},0,0\n" for i in range(n))


def streamed(path: Path, chunk_bytes: int, arrow: bool = False) -> SampleBatch:
    stream = open_generic(path)
    stream.chunk_bytes = chunk_bytes
    stream.arrow = arrow  # pyarrow first (big files), else numpy.loadtxt: the same results
    return SampleBatch.concat(list(stream.chunks()))


@settings(max_examples=25, deadline=None)
@given(chunk=st.integers(min_value=1, max_value=400), crlf=st.booleans(), blank=st.booleans(),
       arrow=st.booleans())
def test_any_chunk_size_reads_the_same(tmp_path_factory: pytest.TempPathFactory, chunk: int,
                                       crlf: bool, blank: bool, arrow: bool) -> None:
    b = make_batch(300, mag=True)
    buf = io.StringIO()
    write_generic(buf, [b], with_mag=True)
    text = buf.getvalue()
    if blank:  # blank lines are skipped (they go the row-by-row way)
        text = text.replace("\n", "\n\n", 7)
    if crlf:
        text = text.replace("\n", "\r\n")
    p = tmp_path_factory.mktemp("csv") / "a.csv"
    p.write_bytes(text.encode())
    whole = read_generic(p).batch
    parts = streamed(p, chunk, arrow)
    for name in ("t_s", "acc_g", "gyr_dps", "seq", "mag_ut"):
        np.testing.assert_array_equal(getattr(parts, name), getattr(whole, name))
    np.testing.assert_array_equal(whole.t_s, b.t_s)


@pytest.mark.parametrize(("tail", "match"), [
    ("5.00,0,zero,1,0,0,0\n", "line 403: column acc_y_g: not a number"),
    ("5.00,0,0,1,0,0\n", "line 403: has 6 columns"),
    ("1.00,0,0,1,0,0,0\n", "line 403: time goes backwards"),
    ("5.00,0,0,1,0,0,inf\n", "line 403: column gyr_z_dps: non-finite"),
])
def test_errors_late_in_a_big_file_name_their_line(tmp_path: Path, tail: str, match: str) -> None:
    p = tmp_path / "bad.csv"
    p.write_text(HEADER + rows(401) + tail + rows(50, 6.0))
    for chunk, arrow in itertools.product((64, 1000, 1 << 20), (False, True)):
        with pytest.raises(SessionError, match=match) as info:
            streamed(p, chunk, arrow)
        assert "\n" not in str(info.value) and str(p) in str(info.value)


def test_time_going_back_across_a_chunk_boundary(tmp_path: Path) -> None:
    p = tmp_path / "back.csv"
    p.write_text(HEADER + rows(100) + rows(100, 0.5))
    with pytest.raises(SessionError, match="line 102: time goes backwards"):
        streamed(p, 300)


def test_a_seq_column_and_a_running_index(tmp_path: Path) -> None:
    p = tmp_path / "s.csv"
    p.write_text(HEADER + rows(250))
    np.testing.assert_array_equal(streamed(p, 100).seq, np.arange(250))
    q = tmp_path / "q.csv"
    q.write_text(HEADER.strip() + ",seq\n" + "".join(
        f"{i * 0.01:.2f},0,0,1,0,0,0,{i + 4294967290}\n" for i in range(10)))
    assert streamed(q, 50).seq.tolist() == [(i + 4294967290) % 2**32 for i in range(10)]


def test_import_streams_to_the_same_session(tmp_path: Path) -> None:
    b = make_batch(5000, mag=False)
    buf = io.StringIO()
    write_generic(buf, [b])
    p = tmp_path / "a.csv"
    p.write_text(buf.getvalue())
    data, chunks = stream_csv([p], "generic")
    assert data.sample_rate_hz == pytest.approx(100.0)
    assert sum(len(c) for c in chunks) == 5000
    s = import_csv([p], "generic", tmp_path / "s")
    np.testing.assert_array_equal(s.batch().t_s, b.t_s)
    np.testing.assert_array_equal(s.batch().gyr_dps, b.gyr_dps.astype(np.float32))


def test_pyarrow_parses_like_loadtxt_and_gives_way_on_odd_cells() -> None:
    pytest.importorskip("pyarrow")
    good = b"0.0025,1e-3,-.5,1.0165218,7,2,3\r\n0.005,0,0,1,0,0,3.4028235e38\n"
    ref = np.loadtxt(io.BytesIO(good), delimiter=",", usecols=[0, 2, 6], ndmin=2)
    np.testing.assert_array_equal(_arrow_parse(good, 7, [0, 2, 6]), ref)
    spaced = b"0,1, 2,1,0,0,0\n"  # spaces around a number: both parsers read it
    np.testing.assert_array_equal(_arrow_parse(spaced, 7, [0, 1, 2]),
                                  np.loadtxt(io.BytesIO(spaced), delimiter=",", usecols=[0, 1, 2],
                                             ndmin=2))
    for odd in (b"", b"0,1,,1,0,0,0\n", b"0,1,nan,1,0,0,0\n", b"0,1,2,1,0,0\n",
                b"0,1,x,1,0,0,0\n"):
        assert _arrow_parse(odd, 7, [0, 1, 2, 3]) is None, odd


def test_big_files_are_parsed_by_pyarrow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    monkeypatch.setattr(csvio, "ARROW_MIN_BYTES", 1000)
    p = tmp_path / "a.csv"
    p.write_text(HEADER + rows(30))
    assert not open_generic(p).arrow
    p.write_text(HEADER + rows(300))
    s = open_generic(p)
    assert s.arrow
    np.testing.assert_array_equal(SampleBatch.concat(list(s.chunks())).gyr_dps[:, 0],
                                  np.arange(300))
