"""The sync jump (several sensors): one shared event that lines up the sensors' clocks.

At the start of a recording with several live sensors, `record` and the dashboard's training
session ask once: :data:`SYNC_JUMP_CUE`, at the first recorded sample. The jump is a step of its
own before the drill's first countdown (``trainer.training.syncjump``): the guide waits until
every sensor has seen the landing (:data:`SYNC_CONFIRM_S` of data after it) and
:data:`SYNC_SETTLE_S` more, at most :data:`SYNC_WAIT_S` after the cue, or until the person skips
it. Then a :data:`SYNC_JUMP_EVENT` event is written at the cue's time with what happened
(``landing_seen``, ``landing_t_s``, ``outcome``, ``waited_s``). ``analyze`` measures the alignment
at the landing, looked for from :data:`SYNC_BEFORE_S` before to :data:`SYNC_AFTER_S` (or the
step's ``waited_s`` when longer) after the cue (reaction, the jump's preparation and flight: the
landing typically 0.8–1.6 s after the cue)."""

from __future__ import annotations

SYNC_JUMP_EVENT = "sync_jump"
#: Optional: a person who cannot jump yet (an acute sprain) skips it; ``analyze`` then reports
#: the alignment as not measured (null, with the reason) instead of guessing.
SYNC_JUMP_CUE = ("Jump once on both feet — lines up the sensors' clocks "
                 "(skip it if jumping hurts)")
SYNC_BEFORE_S = 1.0
SYNC_AFTER_S = 3.0
#: The guide waits at most this long after the cue for the landing (then goes on without it).
SYNC_WAIT_S = 8.0
#: A landing counts once this much data after it is in: the steepest shared front in the data so
#: far can be the take-off (0.3 s of flight before the landing, which is steeper).
SYNC_CONFIRM_S = 0.5
#: The drill's first countdown starts this long after the landing (the person stands still).
SYNC_SETTLE_S = 1.0
#: How the step ended (the event's ``outcome``).
SYNC_LANDED, SYNC_SKIPPED, SYNC_TIMEOUT, SYNC_STOPPED = ("landed", "skipped",
                                                         "no landing seen", "stopped")
