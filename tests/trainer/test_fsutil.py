"""trainer.fsutil: the one atomic-replace helper used by sessions, profiles, drill data, export."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from trainer.fsutil import replace_atomically, write_json_atomic


def test_replace_is_all_or_nothing(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt), replace_atomically(path) as f:
        f.write("half")
        raise KeyboardInterrupt
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]  # no temp file left


def test_new_file_is_private_utf8_with_unix_line_ends(tmp_path: Path) -> None:
    path = tmp_path / "b.json"
    write_json_atomic(path, {"name": "Wü", "n": 1})
    assert path.read_bytes() == b'{\n  "name": "W\xc3\xbc",\n  "n": 1\n}\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["b.json"]
