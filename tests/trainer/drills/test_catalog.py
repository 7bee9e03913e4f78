"""The drill catalog loads, covers the contract ids, and rejects malformed documents."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import pytest

from trainer.cli.common import DRILL_IDS as CLI_DRILL_IDS
from trainer.drills import DRILLS, CatalogError, get_drill
from trainer.drills.catalog import load_catalog, parse_catalog, validate_params


def _raw() -> dict[str, Any]:
    text = resources.files("trainer.vocab").joinpath("catalog.json").read_text()
    return json.loads(text)


def test_catalog_has_exactly_the_contract_drills() -> None:
    assert tuple(DRILLS) == CLI_DRILL_IDS


def test_simulator_and_import_default_placement_is_the_catalogs() -> None:
    from firmware_bridge.simulator import DEFAULT_PLACEMENT

    assert {d: DEFAULT_PLACEMENT[d] for d in CLI_DRILL_IDS} == {
        d: get_drill(d).placement for d in CLI_DRILL_IDS}


@pytest.mark.parametrize("drill_id", CLI_DRILL_IDS)
def test_every_drill_states_placement_description_and_a_plan(drill_id: str) -> None:
    d = get_drill(drill_id)
    assert d.placement in ("shank", "foot")
    assert len(d.description) > 40 and d.steps
    plan = d.plan(d.params(d.start_level))
    assert plan and plan[-1].rest_after_s == 0.0
    for s in plan:
        assert (s.hold_s is not None) == (s.work == "hold")
        assert (s.target_reps is not None) == (s.work == "reps")


def test_kinds_match_the_programme() -> None:
    kinds = {d.id: d.kind for d in DRILLS.values()}
    assert kinds["single-leg-balance"] == "balance"
    assert kinds["ankle-inversion"] == kinds["ankle-eversion"] == kinds["calf-raise"] == "reps"
    assert kinds["isometric-inversion"] == kinds["isometric-eversion"] == "hold"
    assert kinds["calf-stretch"] == "hold"
    assert kinds["warm-up"] == "warmup"


def test_balance_defaults_are_three_times_thirty_seconds_per_side() -> None:
    p = get_drill("single-leg-balance").params()
    assert (p["sets"], p["hold_s"], p["sides"]) == (3, 30.0, ["left", "right"])


def test_levels_get_harder_for_balance() -> None:
    ladder = get_drill("single-leg-balance").progression
    assert ladder[0].params["eyes"] == "open" and ladder[-1].params["eyes"] == "closed"
    assert ladder[-1].params["surface"] == "foam"


def test_params_layering_and_validation() -> None:
    d = get_drill("ankle-inversion")
    p = d.params(level=2, overrides={"reps": 12})
    assert p["reps"] == 12 and p["sets"] == 3
    with pytest.raises(CatalogError, match="unknown parameter"):
        d.params(overrides={"speed": 3})
    with pytest.raises(CatalogError, match="reps"):
        validate_params({"reps": 0})
    with pytest.raises(CatalogError, match="eyes"):
        validate_params({"eyes": "half"})


def test_warmup_plan_uses_its_blocks() -> None:
    plan = get_drill("warm-up").plan()
    assert [s.motion for s in plan] == ["pump", "circle", "circle"]


def test_unknown_drill_is_a_one_line_error() -> None:
    with pytest.raises(CatalogError) as exc:
        get_drill("jumping-jacks")
    assert "\n" not in str(exc.value)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda c: c["drills"].pop(), "exactly"),
        (lambda c: c["drills"][0].update(placement="knee"), "placement"),
        (lambda c: c["drills"][1].update(kind="dance"), "kind"),
        (lambda c: c["drills"][1]["defaults"].update(reps=-1), "reps"),
        (lambda c: c["drills"][0]["progression"][0]["params"].update(eyes="x"), "eyes"),
        (lambda c: c["drills"][0].update(start_level=99), "start_level"),
        (lambda c: c["drills"][1]["detection"].update(min_rom_deg=-2), "min_rom_deg"),
        (lambda c: c["safety"]["pain_scale"].update(max=5), "0 to 10"),
        (lambda c: c["safety"]["questions"].append({"id": "open_wound", "text": "x"}), "unique"),
        (lambda c: c.update(format_version=7), "format_version"),
    ],
)
def test_malformed_catalog_is_rejected(mutate: Any, message: str) -> None:
    doc = copy.deepcopy(_raw())
    mutate(doc)
    with pytest.raises(CatalogError, match=message):
        parse_catalog(doc)


def test_load_catalog_from_a_bad_file(tmp_path: Any) -> None:
    bad = tmp_path / "c.json"
    bad.write_text("{not json")
    with pytest.raises(CatalogError, match="not valid JSON"):
        load_catalog(bad)
    with pytest.raises(CatalogError, match="cannot read"):
        load_catalog(tmp_path / "missing.json")


def test_safety_questions_cover_the_red_flags() -> None:
    ids = {q.id for q in load_catalog().safety.questions}
    assert ids == {"cannot_bear_weight", "severe_pain_after_injury", "open_wound",
                   "infection_signs"}


def test_pain_scale_advice_thresholds() -> None:
    scale = load_catalog().safety.pain_scale
    assert [scale.advice_for(r)[0] for r in (0, 3, 4, 5, 7, 8, 10)] == [
        "ok", "ok", "caution", "back_off", "back_off", "stop", "stop"]
