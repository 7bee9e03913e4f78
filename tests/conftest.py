"""Shared fixtures: the read-only reference data in ../shared/data, offscreen Qt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# No per-example time limit: a timing assertion fails on a loaded CI machine, not on a bug
# (seen: a 200 ms deadline exceeded at 864 ms under load). Tests set their own max_examples.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: ../shared/data beside the clone; BALANCE_TRAINER_SHARED_DATA points elsewhere (a git worktree
#: whose parent is not the workspace).
SHARED_DATA = Path(os.environ.get("BALANCE_TRAINER_SHARED_DATA")
                   or PROJECT_ROOT.parent / "shared" / "data")
RECORDINGS = PROJECT_ROOT / "recordings"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data, or skip with the reason when this clone has no reference data beside it."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA} (only in the dev workspace)")
    return SHARED_DATA
