"""Text rendering of cues and the dashboard cue hook."""

from __future__ import annotations

from dataclasses import dataclass

from trainer.drills.cues import dashboard_cue, render_text, summary_line
from trainer.drills.session import DrillEvent


def test_render_text_lines() -> None:
    assert "Go" in (render_text(DrillEvent(3.0, "cue", {"text": "Go: hold", "level": "info"}))
                    or "")
    assert "!" in (render_text(DrillEvent(4.0, "cue", {"text": "Keep still",
                                                      "level": "warning"})) or "")
    assert render_text(DrillEvent(1.0, "countdown", {"remaining": 2})) is not None
    assert render_text(DrillEvent(1.0, "beep", {"kind": "start"})) is None
    assert render_text(DrillEvent(1.0, "beep", {"kind": "start"}), bell=True) == "\a"
    line = render_text(DrillEvent(9.0, "set_end", {"set": 1, "work": "reps", "reps": 9,
                                                    "target_reps": 10}))
    assert line is not None and "9 of 10" in line


def test_summary_line() -> None:
    assert "12 reps" in summary_line({"reps": 12, "rom_deg": 20.0, "pain": 2})
    assert "first loss" in summary_line({"kind": "balance", "holds_s": [10.0],
                                         "time_to_first_loss_s": 10.0})


@dataclass
class _Settings:
    drill_id: str = "single-leg-balance"
    eyes: str = "closed"


def test_dashboard_cue() -> None:
    assert "eyes" in (dashboard_cue("running", 5.0, _Settings()) or "").lower()
    assert dashboard_cue("countdown", 0.0, _Settings()) is None
    assert dashboard_cue("running", 1.0, _Settings("no-such-drill")) is None
    assert dashboard_cue("done", 30.0, _Settings()) is not None
