import json
from pathlib import Path

from tests.trainer.ui.conftest import record_session
from trainer.ui.history_model import filter_sessions, scan_sessions, summarise


def test_scan_reads_sessions_and_skips_garbage(tmp_path: Path) -> None:
    record_session(tmp_path / "a", duration_s=3.0, losses=(1.5,))
    b = record_session(tmp_path / "b", duration_s=3.0, losses=())
    meta = json.loads((b / "session.json").read_text())
    meta["side"] = "right"
    meta["start_time"] = "2020-01-01T10:00:00.000Z"
    meta["summary"] = {"ellipse_area": 4.5, "losses": 0}
    (b / "session.json").write_text(json.dumps(meta))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "session.json").write_text("{not json")
    (tmp_path / "stray.txt").write_text("x")
    found = scan_sessions(tmp_path)
    assert [Path(s.path).name for s in found] == ["b", "a"]  # oldest first
    a = found[1]
    assert a.drill_id == "single-leg-balance" and a.side == "left"
    assert a.losses == 1 and a.time_to_first_loss_s is not None
    assert 1.4 < a.time_to_first_loss_s < 1.6
    assert a.duration_s is not None and 2.9 < a.duration_s < 3.1
    assert found[0].ellipse_area == 4.5 and found[0].losses == 0
    assert [s.side for s in filter_sessions(found, "all", "right")] == ["right"]
    assert filter_sessions(found, "calf-raise", "both") == []
    assert scan_sessions(tmp_path / "missing") == []
    assert summarise(tmp_path / "junk") is None
