"""The sync jump (several sensors): one shared event that lines up the sensors' clocks.

At the start of a recording with several live sensors, `record` and the dashboard's training
session ask once: :data:`SYNC_JUMP_CUE`, and write a :data:`SYNC_JUMP_EVENT` event at the cue's
time (the first recorded sample). ``analyze`` measures the alignment at the landing, looked for
from :data:`SYNC_BEFORE_S` before to :data:`SYNC_AFTER_S` after the cue (reaction, the jump's
preparation and flight: the landing typically 0.8–1.6 s after the cue)."""

from __future__ import annotations

SYNC_JUMP_EVENT = "sync_jump"
#: Optional: a person who cannot jump yet (an acute sprain) skips it; ``analyze`` then reports
#: the alignment as not measured (null, with the reason) instead of guessing.
SYNC_JUMP_CUE = ("Jump once on both feet — lines up the sensors' clocks "
                 "(skip it if jumping hurts)")
SYNC_BEFORE_S = 1.0
SYNC_AFTER_S = 3.0
