"""The state of a running drill (idle → countdown → running → done), without Qt.

Times come from the caller (a monotonic clock), so tests drive it without sleeping. The drills
package can hook in through ``cue_provider``: a callable (state, elapsed_s, settings) → cue text.
"""

from __future__ import annotations

from collections.abc import Callable

from trainer.ui.settings import DrillSettings

IDLE, COUNTDOWN, RUNNING, DONE = "idle", "countdown", "running", "done"

CueProvider = Callable[[str, float, DrillSettings], str | None]


class DrillRun:
    def __init__(self, settings: DrillSettings, countdown_s: float = 3.0,
                 cue_provider: CueProvider | None = None) -> None:
        self.settings = settings
        self.countdown_s = countdown_s
        self.state = IDLE
        self.cue_provider = cue_provider
        self._t0 = 0.0  # when the countdown started
        self.stopped_early = False

    def start(self, now_s: float) -> None:
        self.state = COUNTDOWN if self.countdown_s > 0 else RUNNING
        self._t0 = now_s

    def stop(self, now_s: float) -> None:
        if self.state in (COUNTDOWN, RUNNING):
            self.stopped_early = self.state == RUNNING and self.elapsed_s(now_s) < (
                self.settings.duration_s - 1e-9)
            self.state = DONE if self.state == RUNNING else IDLE

    def elapsed_s(self, now_s: float) -> float:
        """Seconds into the running part (0 during the countdown)."""
        return max(0.0, now_s - self._t0 - self.countdown_s)

    def remaining_s(self, now_s: float) -> float:
        return max(0.0, self.settings.duration_s - self.elapsed_s(now_s))

    def countdown_left(self, now_s: float) -> int:
        return max(0, int(self.countdown_s - (now_s - self._t0) + 0.999))

    def tick(self, now_s: float) -> list[str]:
        """Advance; returns the states entered (e.g. ``["running"]``) since the last tick."""
        entered: list[str] = []
        if self.state == COUNTDOWN and now_s - self._t0 >= self.countdown_s:
            self.state = RUNNING
            entered.append(RUNNING)
        if self.state == RUNNING and self.elapsed_s(now_s) >= self.settings.duration_s:
            self.state = DONE
            entered.append(DONE)
        return entered

    def cue(self, now_s: float) -> str:
        """Big text for the user: the countdown, the drill's cue, or done."""
        if self.cue_provider is not None:
            text = self.cue_provider(self.state, self.elapsed_s(now_s), self.settings)
            if text:
                return text
        if self.state == COUNTDOWN:
            return f"Get ready… {self.countdown_left(now_s)}"
        if self.state == RUNNING:
            return "Eyes closed — hold steady" if self.settings.eyes == "closed" else "Hold steady"
        if self.state == DONE:
            return "Done. Well done!"
        return ""
