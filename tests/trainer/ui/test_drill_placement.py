"""The dashboard asks before a drill the sensor cannot measure where it is strapped."""

from __future__ import annotations

from typing import Any


def test_one_strap_on_the_shank_serves_calf_raises_without_asking(window: Any) -> None:
    window.sources.kind, window.sources.placement = "device", "shank"
    asked: list[str] = []
    window.drills.ask_placement = lambda msg, needed: asked.append(msg) or "cancel"
    assert window.drills.drill_placement("calf-raise") == "shank"
    assert window.drills.drill_placement("calf-stretch") == "shank"
    assert not asked


def test_band_drill_on_the_shank_asks_and_follows_the_answer(window: Any) -> None:
    window.sources.kind, window.sources.placement = "device", "shank"
    answers = iter(["moved", "continue", "cancel"])
    asked: list[tuple[str, str]] = []

    def ask(msg: str, needed: str) -> str:
        asked.append((msg, needed))
        return next(answers)

    window.drills.ask_placement = ask
    assert window.drills.drill_placement("ankle-inversion") == "foot"
    assert window.drills.drill_placement("ankle-inversion") == "shank"  # trains unmeasured
    assert window.drills.drill_placement("isometric-eversion") is None
    assert all(needed == "foot" and "shank" in msg for msg, needed in asked)
