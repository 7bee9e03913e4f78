"""Real recordings kept in the project (``tests/data/``), counted as a user would: the generic
CSV through ``import --format generic --drill D --placement P`` and ``analyze --json``.

UCI Physical Therapy Exercises (Yurtman & Barshan; CC BY 4.0, ``tests/data/uci-physical-
therapy/SOURCE.md``): an Xsens MTx on the right lower leg just above the ankle, strapped the
data set's way (not ours), 25 Hz; seated knee extensions, 10 per block, a block each of
correct, fast and low-amplitude executions, two persons. Not an ankle movement: the shank turns
60-90° about the knee axis. What it checks is the rotation-rep counter of the band drills on a
real sensor — the movement's own axis found from the data whatever the strapping, real noise,
bias and tempo, at a rate (25 Hz) below any the project's sensors use.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.bodymodel.evaluate import run_cli

UCI = Path(__file__).resolve().parents[2] / "data" / "uci-physical-therapy"
BLOCKS = sorted(UCI.glob("*.csv.gz"))


def _drill(csv_gz: Path, tmp: Path, drill: str, side: str, placement: str
           ) -> dict[str, Any]:
    csv = tmp / csv_gz.name.removesuffix(".gz")
    csv.write_bytes(gzip.decompress(csv_gz.read_bytes()))
    out = tmp / "session"
    code, _, err = run_cli(["import", str(csv), "--format", "generic", "--drill", drill,
                            "--side", side, "--placement", placement, "--out", str(out)])
    assert code == 0, err
    code, text, err = run_cli(["analyze", str(out), "--json"])
    assert code == 0, err
    return dict(json.loads(text.splitlines()[-1])["drill"])


def test_the_excerpt_is_there() -> None:
    assert len(BLOCKS) == 6, BLOCKS  # no silent skip: the data ships with the project
    assert (UCI / "LICENCE").is_file() and (UCI / "SOURCE.md").is_file()


@pytest.mark.parametrize("csv_gz", BLOCKS, ids=[b.name.split(".")[0] for b in BLOCKS])
def test_real_rotation_reps_counted_within_one(csv_gz: Path, tmp_path: Path) -> None:
    d = _drill(csv_gz, tmp_path, "ankle-inversion", "right", "foot")
    assert abs(d["reps"] - 10) <= 1, d["reps"]
    assert d["reps"] + (d.get("partial_reps") or 0) <= 11  # no double counts
    # the shank turns 60-100° in these knee extensions (low-amplitude block: ~50-75°)
    assert 40.0 < d["rom_deg"] < 110.0, d["rom_deg"]
