"""A front end's rows of (address, role): why they cannot connect together, in the words of
``record --device ADDRESS:ROLE`` (one check: ``sensor_plan``)."""

from __future__ import annotations

from typing import Any

import pytest

from trainer.training.sensors import rows_problem, sensor_plan
from trainer.training.session import TrainingError

A, B = "C4:7C:8D:6A:01:23", "C4:7C:8D:6A:01:24"


def test_a_possible_set_has_no_problem() -> None:
    assert rows_problem([(A, "left-shank"), (B, "trunk")]) is None
    assert rows_problem([(A, "left-shank"), (B, "trunk"), ("C4:7C:8D:6A:01:25", "right-foot"),
                         ("C4:7C:8D:6A:01:26", "left-foot")]) is None


@pytest.mark.parametrize("rows", [
    [(A, "left-shank"), (B, "left-shank")],
    [(A, "left-shank"), (A.lower(), "trunk")],
])
def test_impossible_sets_get_records_own_message(rows: Any) -> None:
    with pytest.raises(TrainingError) as exc:
        sensor_plan(rows, None, simulate=False, side="left", placement="shank")
    assert rows_problem(rows) == str(exc.value)


def test_a_row_without_an_address_is_named() -> None:
    assert rows_problem([(A, "left-shank"), (" ", "trunk")]) == \
        "trunk: no address (Scan, or type one)"


def test_a_malformed_address_is_named_as_typed() -> None:
    assert rows_problem([(A, "left-shank"), ("C4:7C:8D", "trunk")]) == \
        "trunk: address as AA:BB:CC:DD:EE:FF"
    assert rows_problem([("sensor-1", "left-shank"), (B, "trunk")]) == \
        "left-shank: address as AA:BB:CC:DD:EE:FF"
    assert rows_problem([(A.lower(), "left-shank"), (B, "trunk")]) is None  # any case
