"""The simulator's condition effects on sway against real force-plate trials (BDS, Santos &
Duarte 2016): foam makes sway faster by about as much as on BDS; eyes closed changes the
frequency little, as on BDS. Paired per subject (geometric mean of each subject's ratio).

BDS is stance on two feet (centre of pressure), the simulator single-leg shank tilt: only the
condition *ratios* of the spectrum are compared; the amplitude factors are single-leg choices
(see firmware_bridge/simulator/stance.py)."""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from tests.firmware_bridge.simulator.test_stance import sway_spectrum
from trainer.core.sway import sway_metrics

pytestmark = pytest.mark.external


def _bds_ratio(root: Path, key: str, num: tuple[str, str], den: tuple[str, str]) -> float:
    """Geometric mean over subjects of (mean ``key`` in condition ``num``) / (in ``den``);
    conditions are (Vision, Surface)."""
    with (root / "bds" / "published_metrics.tsv").open(newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    per: dict[tuple[str, str, str], list[float]] = defaultdict(list)
    for r in rows:
        data = np.loadtxt(root / "bds" / f"{r['Trial']}.txt", skiprows=1)
        m = sway_metrics(data[:, 7], data[:, 8], 100.0)
        per[(r["Subject"], r["Vision"], r["Surface"])].append(m[key])
    ratios = [np.mean(per[(s, *num)]) / np.mean(per[(s, *den)])
              for s in sorted({k[0] for k in per}) if (s, *num) in per and (s, *den) in per]
    assert len(ratios) >= 2
    return float(np.exp(np.mean(np.log(ratios))))


def test_foam_and_eyes_closed_change_the_spectrum_as_on_force_plates(
        shared_data: Path) -> None:
    foam_bds = _bds_ratio(shared_data, "mean_frequency", ("Open", "Foam"), ("Open", "Firm"))
    closed_bds = _bds_ratio(shared_data, "mean_frequency", ("Closed", "Firm"), ("Open", "Firm"))
    assert foam_bds > 1.3 and 0.8 < closed_bds < 1.2  # what the real trials show
    firm, closed, foam = (sway_spectrum(*c) for c in (("open", "firm"), ("closed", "firm"),
                                                      ("open", "foam")))
    assert foam[0] / firm[0] == pytest.approx(foam_bds, rel=0.2)
    assert closed[0] / firm[0] == pytest.approx(closed_bds, rel=0.2)
    # amplitude: foam and eyes closed both enlarge sway in the model; on BDS foam does clearly
    rms_foam_bds = _bds_ratio(shared_data, "rms", ("Open", "Foam"), ("Open", "Firm"))
    assert rms_foam_bds > 1.0 and foam[1] > firm[1] and closed[1] > firm[1]
