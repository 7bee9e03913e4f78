"""The one exception the calibration math raises: a step that cannot be computed from the data."""

from __future__ import annotations


class CalibrationError(ValueError):
    """A step failed for a reason the user can act on (one line: what, then what to do)."""
