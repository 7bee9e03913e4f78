"""The cue banner's text during a set: the rep count shown once."""

from __future__ import annotations

from typing import Any

import pytest

from trainer.ui.drill_control import active_cue


@pytest.mark.parametrize("view, banner", [
    ({"cue": "2 / 10", "reps": 2, "target_reps": 10}, "Calf raise — 2 / 10"),
    ({"cue": "3", "reps": 3, "target_reps": None}, "Calf raise — 3"),
    ({"cue": "Rise onto your toes", "reps": 0, "target_reps": 10},
     "Rise onto your toes — 0 / 10"),
    ({"cue": "Partial rep, not counted: go all the way (2 / 10)", "reps": 2, "target_reps": 10},
     "Partial rep, not counted: go all the way (2 / 10)"),
    ({"cue": "Hold", "reps": None}, "Hold"),
    ({"cue": None, "reps": None}, "Calf raise"),
])
def test_the_count_appears_once(view: dict[str, Any], banner: str) -> None:
    assert active_cue(view, "Calf raise") == banner
