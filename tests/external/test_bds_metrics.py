"""sway_metrics reproduces the published BDS force-plate values (Santos & Duarte 2016)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from trainer.core.sway import sway_metrics

pytestmark = pytest.mark.external


def _published(root: Path) -> list[dict[str, str]]:
    with (root / "bds" / "published_metrics.tsv").open(newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def test_every_trial_matches_published_area_velocity_and_mean_frequency(
    shared_data: Path,
) -> None:
    rows = _published(shared_data)
    assert len(rows) >= 20
    worst = 0.0
    for row in rows:
        data = np.loadtxt(shared_data / "bds" / f"{row['Trial']}.txt", skiprows=1)
        out = sway_metrics(data[:, 7], data[:, 8], 100.0)  # COPx = AP, COPy = ML (cm)
        for ours, theirs in (
            (out["ellipse_area"], row["COParea"]),
            (out["mean_velocity"], row["COPvelo"]),
            (out["mean_frequency"], row["COPmfreq"]),
        ):
            rel = abs(ours / float(theirs) - 1.0)
            worst = max(worst, rel)
            assert rel < 1e-6, f"{row['Trial']}: {ours} vs published {theirs}"
    assert worst < 1e-6
