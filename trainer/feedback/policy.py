"""The feedback policy, pure: what the live feedback shows right now.

Outside a drill's active phase everything is shown. During it the fading schedule decides, over
the drill's progress (0…1): the dot and sound are shown or hidden per zone (bandwidth, faded
feedback), and in the schedule's last phase ("summary") nothing is shown live at all — the
result comes at the end. The dashboard only draws what this returns.
"""

from __future__ import annotations

from dataclasses import dataclass

from trainer.feedback.fading import FadingSchedule
from trainer.feedback.zones import Zone


@dataclass(frozen=True)
class FeedbackNow:
    show: bool  # dot colour and sound follow the tilt
    summary_only: bool  # nothing live: the summary comes at the end


def feedback_now(schedule: FadingSchedule, zone: Zone, *, drill_active: bool,
                 progress: float) -> FeedbackNow:
    """What to show for a tilt in ``zone`` (``progress``: through the drill's sets)."""
    if not drill_active:
        return FeedbackNow(True, False)
    summary = schedule.phase_at(progress) == "summary"
    return FeedbackNow(schedule.show(progress, zone) and not summary, summary)
