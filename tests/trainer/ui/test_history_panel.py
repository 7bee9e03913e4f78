from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.trainer.ui.conftest import record_session, wait_until
from trainer.ui.history_panel import HistoryPanel


def _with_summary(p: Path, start: str, side: str, area: float, ttfl: float) -> None:
    meta = json.loads((p / "session.json").read_text())
    meta.update(start_time=start, side=side,
                summary={"ellipse_area": area, "time_to_first_loss_s": ttfl, "losses": 1})
    (p / "session.json").write_text(json.dumps(meta))


def test_history_lists_sessions_and_plots_progress_per_side(qtbot: Any, tmp_path: Path) -> None:
    root = tmp_path / "sessions"
    days = [("2026-01-01", "left", 9.0, 5.0), ("2026-01-08", "left", 6.0, 9.0),
            ("2026-01-15", "left", 4.0, 14.0), ("2026-01-08", "right", 3.0, 20.0)]
    for i, (day, side, area, ttfl) in enumerate(days):
        p = record_session(root / f"s{i}", duration_s=2.0, losses=())
        _with_summary(p, f"{day}T10:00:00.000Z", side, area, ttfl)
    panel = HistoryPanel(root)
    qtbot.addWidget(panel)
    panel.ensure_loaded()
    wait_until(qtbot, lambda: len(panel.sessions) == 4)
    assert panel.table.rowCount() == 4
    assert panel.table.item(0, 0).text().startswith("2026-01-15")  # newest first
    assert panel.series("ellipse_area", "left") == [9.0, 6.0, 4.0]  # oldest first
    assert panel.series("time_to_first_loss_s", "right") == [20.0]
    # the drill's own progress metric comes from trainer.drills.history (analysed offline)
    assert {s.progress_name for s in panel.sessions} == {"best_stance_s"}
    assert all(s.progress_value is not None for s in panel.sessions)
    assert panel.table.item(0, 8).text().startswith("best_stance_s")
    panel.injured.setCurrentText("left")
    assert "(injured)" in panel.table.item(0, 2).text()
    items = panel.area_plot.getPlotItem().listDataItems()
    names = sorted(i.name() for i in items)
    assert names == ["left (injured)", "right (uninjured)"]
    panel.side.setCurrentText("right")
    assert panel.table.rowCount() == 1
    panel.drill.setCurrentIndex(panel.drill.findData("calf-raise"))
    assert panel.table.rowCount() == 0


def test_history_tab_in_the_window_loads_from_the_sessions_dir(
        qtbot: Any, window: Any, isolated_home: Path) -> None:
    record_session(isolated_home / "data" / "sessions" / "one", duration_s=2.0)
    window.tabs.setCurrentWidget(window.history)
    wait_until(qtbot, lambda: len(window.history.sessions) == 1)
    assert window.history.table.rowCount() == 1
