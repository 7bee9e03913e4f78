"""The drills' facts every layer may need, read from the one catalog (``catalog.json`` here, at
the bottom; ``trainer.drills.catalog`` parses and validates all of it): each drill's kind, where
the sensor goes and its default parameters. The simulator takes its drills' sets, reps, holds,
rests and placements from here instead of keeping copies."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

CATALOG_FILE = "catalog.json"


@dataclass(frozen=True)
class DrillFacts:
    """``kind``: balance | reps | hold | warmup | position-sense | lunge; ``placement``: shank |
    foot; ``defaults``: the catalog's default parameters (sets, reps, hold_s, rest_s, …)."""

    id: str
    kind: str
    placement: str
    defaults: Mapping[str, Any]

    @property
    def counts_reps(self) -> bool:
        """Sets of repetitions (the others' sets are timed holds)."""
        return self.kind in ("reps", "warmup")


def catalog_text() -> str:
    """The shipped catalog's JSON text."""
    return resources.files("trainer.vocab").joinpath(CATALOG_FILE).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _facts() -> Mapping[str, DrillFacts]:
    data = json.loads(catalog_text())
    return MappingProxyType({
        str(d["id"]): DrillFacts(str(d["id"]), str(d["kind"]), str(d["placement"]),
                                 MappingProxyType(dict(d.get("defaults") or {})))
        for d in data["drills"]})


def drill_facts(drill_id: str) -> DrillFacts:
    """The catalog's facts of ``drill_id`` (KeyError for an id not in the catalog)."""
    return _facts()[drill_id]
