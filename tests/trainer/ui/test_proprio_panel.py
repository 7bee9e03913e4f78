"""The dashboard's proprioception drills: the simulated person follows the guide, the panel
shows the gauge, target and trial table, Space says "there"."""

from __future__ import annotations

from typing import Any

from tests.trainer.ui.conftest import wait_until
from trainer.ui.proprio_panel import ProprioPanel
from trainer.ui.settings import DrillSettings


def test_panel_shows_gauge_target_and_trials(qtbot: Any) -> None:
    panel = ProprioPanel()
    qtbot.addWidget(panel)
    view = {"kind": "position-sense", "stage": "reproduce", "gauge_deg": 8.0, "show_gauge": False,
            "target_deg": 10.0, "motion": "inversion", "tolerance_deg": 3.0, "captured": False,
            "trials": [{"trial": 1, "target_deg": 10.0, "motion": "inversion",
                        "presented_deg": 10.2, "reproduced_deg": 8.1, "error_deg": -1.9}],
            "lunges_deg": [], "threshold_deg": None}
    panel.show_view(view)
    assert panel.title() == "Joint position sense"
    assert not panel.gauge.show_needle and panel.gauge.target_deg is None  # no hint: eyes closed
    assert "Space" in panel.stage.text()
    assert panel.table.rowCount() == 1 and panel.table.item(0, 4).text() == "-1.9°"
    panel.show_view({**view, "kind": "lunge", "stage": "lunge", "gauge_deg": 31.0,
                     "show_gauge": True, "target_deg": None, "lunges_deg": [38.2, 33.0],
                     "threshold_deg": 34.0})
    assert panel.title().startswith("Lunge test")
    assert [panel.table.item(i, 2).text() for i in range(2)] == ["ok", "restricted"]
    assert panel.gauge.threshold_deg == 34.0 and panel.gauge.show_needle


def test_guided_position_sense_in_the_dashboard(qtbot: Any, window: Any) -> None:
    window.start_simulator(100.0, drill="joint-position-sense", side="left")
    window.start_drill(DrillSettings(drill_id="joint-position-sense", side="left",
                                     record=False))
    assert window.drill is not None and window.drill.spec.kind == "position-sense"
    sim = window.live.source.config
    assert sim.guide is not None  # the simulated person follows this guide
    wait_until(qtbot, lambda: window.proprio.isVisible(), 10.0)
    wait_until(qtbot, lambda: (window.drill.view().get("proprio") or {}).get("stage")
               == "reproduce", 30.0)
    window.space_pressed()  # "there"
    wait_until(qtbot, lambda: window.drill.view()["proprio"]["captured"], 5.0)
