"""Springer et al. 2007 single-leg stance norms: lookup and comparison."""

from __future__ import annotations

import itertools

import pytest

from trainer.drills.norms import (
    SPRINGER_2007,
    age_group,
    best_trial_ended_without_loss,
    compare_stance,
    describe,
    norm_seconds,
)


def test_table_covers_18_to_99_contiguously_and_declines_with_age() -> None:
    assert SPRINGER_2007[0].lo == 18 and SPRINGER_2007[-1].hi == 99
    for a, b in itertools.pairwise(SPRINGER_2007):
        assert b.lo == a.hi + 1
        assert b.eyes_open_s <= a.eyes_open_s
    assert all(g.eyes_open_s <= 45.0 for g in SPRINGER_2007)
    assert all(max(g.eyes_closed_female_s, g.eyes_closed_male_s) < g.eyes_open_s
               for g in SPRINGER_2007)


def test_lookup_values() -> None:
    assert norm_seconds(25) == 44.7
    assert norm_seconds(65) == 32.1
    assert norm_seconds(85, "closed", "male") == 1.8
    assert norm_seconds(30, "closed") == pytest.approx(15.0)
    assert norm_seconds(17) is None and age_group(100) is None


def test_comparison_statuses_and_label() -> None:
    c = compare_stance(30.0, 45, "open")
    assert c["status"] == "below_norm" and c["age_group"] == "40-49"
    assert "Springer" in c["protocol"] and "best" in c["protocol"]
    assert compare_stance(60.0, 30)["best_s"] == 45.0  # capped at the test's 45 s
    assert compare_stance(45.0, 30)["status"] == "at_or_above_norm"
    assert compare_stance(5.0, 30)["status"] == "well_below_norm"
    assert compare_stance(20.0, 30, surface="foam")["status"] == "not_comparable"
    assert compare_stance(20.0, None)["status"] == "no_age"
    assert "Springer" in describe(compare_stance(30.0, 45))


def test_a_hold_ended_without_a_loss_is_not_called_below_the_norm() -> None:
    """A guided 30 s hold without a balance loss cannot reach a 41.9 s norm: not "below"."""
    c = compare_stance(30.0, 45, "open", ended_without_loss=True)
    assert c["status"] == "hold_too_short"
    text = describe(c)
    assert "below" not in text and "No balance loss in 30 s" in text and "45 s" in text
    # reaching the norm is still reaching it; a trial ended by a loss is still compared
    assert compare_stance(44.8, 25, ended_without_loss=True)["status"] == "at_or_above_norm"
    assert compare_stance(30.0, 45, "open")["status"] == "below_norm"


def test_best_trial_ended_without_loss() -> None:
    no_loss = {"best_stance_s": 30.0, "sets": [{"held_s": 12.5, "balance_losses": 1},
                                               {"held_s": 30.0, "balance_losses": 0}]}
    assert best_trial_ended_without_loss(no_loss)
    lost = {"best_stance_s": 12.5, "sets": [{"held_s": 12.5, "balance_losses": 2}]}
    assert not best_trial_ended_without_loss(lost)
    assert not best_trial_ended_without_loss({"best_stance_s": None, "sets": []})


def test_norm_test_mode_runs_the_study_protocol_and_is_labelled() -> None:
    from trainer.drills import get_drill
    from trainer.drills.norms import NORM_TEST_LABEL, NOT_NORM_TEST_LABEL

    spec = get_drill("single-leg-balance")
    p = spec.params(5, {"protocol": "norm-test", "eyes": "closed"})
    assert (p["sets"], p["hold_s"], p["surface"], p["eyes"]) == (3, 45.0, "firm", "closed")
    assert [s.hold_s for s in spec.plan(p)] == [45.0, 45.0, 45.0]
    assert compare_stance(20.0, 30, "closed", protocol="norm-test")["mode"] == NORM_TEST_LABEL
    assert compare_stance(20.0, 30, "closed")["mode"] == NOT_NORM_TEST_LABEL
