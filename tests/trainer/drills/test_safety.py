"""Red-flag gating (blocks training, re-asks after the interval) and the pain rating."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trainer.drills.safety import (
    BLOCKED,
    CLEARED,
    NEEDS_SCREENING,
    SafetyError,
    check_pain,
    gate,
    pain_advice,
    pain_scale_data,
    questions,
    screen,
)
from trainer.drills.store import DrillStore

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NO = {q["id"]: False for q in questions()}


def test_first_session_needs_screening(tmp_path: Path) -> None:
    g = DrillStore(tmp_path).gate(T0)
    assert g.status == NEEDS_SCREENING and not g.may_train


@pytest.mark.parametrize("flag", list(NO))
def test_any_yes_blocks_training_and_advises_a_doctor(tmp_path: Path, flag: str) -> None:
    store = DrillStore(tmp_path)
    store.save_screening(screen({**NO, flag: True}, T0))
    g = store.gate(T0 + timedelta(minutes=1))
    assert g.status == BLOCKED and not g.may_train
    assert "doctor" in g.message and g.red_flags == [flag]


def test_all_no_clears_and_is_stored_with_its_date(tmp_path: Path) -> None:
    store = DrillStore(tmp_path)
    store.save_screening(screen(NO, T0))
    s = DrillStore(tmp_path).screening()
    assert s is not None and s.answered_at == T0 and s.clear
    assert store.gate(T0 + timedelta(days=1)).status == CLEARED


def test_clear_screening_is_reasked_after_the_interval(tmp_path: Path) -> None:
    store = DrillStore(tmp_path)
    store.save_screening(screen(NO, T0))
    assert store.gate(T0 + timedelta(days=29)).may_train
    assert store.gate(T0 + timedelta(days=30)).status == NEEDS_SCREENING


def test_blocked_user_can_be_cleared_by_answering_again(tmp_path: Path) -> None:
    store = DrillStore(tmp_path)
    store.save_screening(screen({**NO, "open_wound": True}, T0))
    store.save_screening(screen(NO, T0 + timedelta(days=3)))
    assert store.gate(T0 + timedelta(days=3, hours=1)).may_train


def test_severe_pain_asks_for_a_new_screening(tmp_path: Path) -> None:
    store = DrillStore(tmp_path)
    store.save_screening(screen(NO, T0))
    store.record_severe_pain(T0 + timedelta(days=1))
    assert store.gate(T0 + timedelta(days=2)).status == NEEDS_SCREENING


def test_damaged_safety_file_does_not_unblock(tmp_path: Path) -> None:
    store = DrillStore(tmp_path)
    store.save_screening(screen({**NO, "open_wound": True}, T0))
    store.safety_path.write_text('{"screenings": [{"answered_at": "garbage"}]}')
    assert store.gate(T0).status == NEEDS_SCREENING
    store.safety_path.write_text("not json")
    assert store.gate(T0).status == NEEDS_SCREENING


def test_incomplete_or_bad_answers_are_rejected() -> None:
    with pytest.raises(SafetyError, match="unanswered"):
        screen({"open_wound": False})
    with pytest.raises(SafetyError, match="unknown"):
        screen({**NO, "headache": True})
    with pytest.raises(SafetyError, match="yes or no"):
        screen({**NO, "open_wound": "maybe"})


def test_gate_without_screening_object() -> None:
    assert gate(None).status == NEEDS_SCREENING


def test_pain_rating_scale_and_advice() -> None:
    data = pain_scale_data()
    assert [v["value"] for v in data["values"]] == list(range(11))
    assert pain_advice(2)["category"] == "ok"
    assert pain_advice(5)["category"] == "back_off"
    assert pain_advice(9)["category"] == "stop"
    for bad in (-1, 11, 3.5, "4", True):
        with pytest.raises(SafetyError):
            check_pain(bad)


def test_store_files_are_private(tmp_path: Path) -> None:
    store = DrillStore(tmp_path / "d")
    store.save_screening(screen(NO, T0))
    assert (store.root.stat().st_mode & 0o077) == 0
