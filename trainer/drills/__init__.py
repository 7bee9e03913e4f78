"""Guided drills: catalog (data), detectors, cues, safety, progression, reports.

``DRILLS`` maps each contract drill id to its ``DrillSpec`` (loaded from
``trainer/vocab/catalog.json`` on first use); ``get_drill(id)`` raises ``CatalogError`` for an
unknown id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainer.vocab.ids import DRILL_IDS

if TYPE_CHECKING:
    from trainer.drills.catalog import CatalogError, DrillSpec, get_drill, load_catalog

__all__ = ["DRILLS", "DRILL_IDS", "CatalogError", "DrillSpec", "get_drill", "load_catalog"]


_FROM_CATALOG = ("CatalogError", "DrillSpec", "get_drill", "load_catalog")


def __getattr__(name: str) -> Any:
    """The catalog is imported on first use, so ``trainer.drills.ids`` (the command line's
    ``--drill`` choices) costs nothing at start-up."""
    if name in _FROM_CATALOG or name == "DRILLS":
        from trainer.drills import catalog

        return catalog.load_catalog().drills if name == "DRILLS" else getattr(catalog, name)
    raise AttributeError(name)
