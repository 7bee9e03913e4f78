"""Guided drills: catalog (data), detectors, cues, safety, progression, reports.

``DRILLS`` maps each contract drill id to its ``DrillSpec`` (loaded from ``catalog.json`` on first
use); ``get_drill(id)`` raises ``CatalogError`` for an unknown id.
"""

from __future__ import annotations

from typing import Any

from trainer.drills.catalog import CatalogError, DrillSpec, get_drill, load_catalog
from trainer.vocab.ids import DRILL_IDS

__all__ = ["DRILLS", "DRILL_IDS", "CatalogError", "DrillSpec", "get_drill", "load_catalog"]


def __getattr__(name: str) -> Any:
    if name == "DRILLS":
        return load_catalog().drills
    raise AttributeError(name)
