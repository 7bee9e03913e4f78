"""`balance-trainer record`: a guided, analysed recording headless, with a progress line on stderr.

Every recorded batch also runs through the core pipeline (``trainer.core.pipeline``: the session's
calibration, placement and side), so balance losses are in ``events.jsonl`` as ``analyze`` reports
them, and drives the drill guide (``trainer.drills.session.DrillSession`` at the user's level from
the progression store): countdown, sets, rests and cues printed on stderr as plain lines (the
terminal bell for start/stop/warnings on a TTY), the drill events (``drill_start`` … ``drill_end``
with the result) in ``events.jsonl``. The guide ends the recording when the drill is done;
``--duration`` bounds it; ``--no-guide`` records free (until Ctrl-C or the duration) with the
pipeline's events only. After the drill: the 0-10 pain rating (asked on a terminal; skipped
otherwise) and, for a real sensor only, the result goes to the progression store (simulated
sessions never change the user's level).

Safety: before recording from a real sensor the red-flag screening must be clear and current
(``balance-trainer safety``); on a terminal the questions are asked, otherwise it refuses.

Ctrl-C (SIGINT) or SIGTERM stops cleanly: what arrived is written, ``session.json`` gets status
``complete``, exit status 0. Source status changes (gaps, link lost/restored, battery) go to
``events.jsonl``. Without ``--out`` the session goes to a new directory under the user's sessions
folder (``trainer.paths.sessions_dir()``), named ``<UTC time>-<drill>-<side>``.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, TextIO

from trainer.cli.common import (
    CliError,
    add_drill_options,
    duration_s,
    resolve_drill_options,
)
from trainer.cli.sources import add_source_options

POLL_S = 0.05
BELL = "\a"


def register(sub: Any) -> None:
    p = sub.add_parser(
        "record",
        help="record a guided drill headless",
        description="Record a session headless, guided through the drill (countdown, sets, "
                    "cues) and analysed live (balance losses, reps, holds in events.jsonl). "
                    "Ctrl-C stops cleanly and keeps the data.",
    )
    add_source_options(p)
    add_drill_options(p)
    p.add_argument("--duration", type=duration_s, default=None, metavar="S",
                   help="at most this many seconds (default: until the drill is done, or "
                        "Ctrl-C with --no-guide)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="new session directory (default: a new folder in the sessions folder)")
    p.add_argument("--calibration", metavar="PROFILE.json", default=None,
                   help="calibration profile to store with the session "
                        "(default: the stored profile of this sensor, if any)")
    p.add_argument("--accept-calibration", action="store_true",
                   help="apply the stored profile even when it is old or from other firmware")
    p.add_argument("--no-guide", action="store_true",
                   help="no drill guide: record free (balance losses are still detected)")
    p.add_argument("--norm-test", choices=("open", "closed"), default=None, metavar="EYES",
                   help="single-leg balance: the norm test (Springer et al. 2007 protocol: "
                        "barefoot, arms crossed, 3 trials of up to 45 s) with eyes open|closed")
    p.add_argument("--no-bell", action="store_true", help="no terminal bell with the cues")
    p.add_argument("--quiet", action="store_true", help="no progress display and no cues")
    p.add_argument("--continue-unmeasured", action="store_true",
                   help="record a drill the sensor cannot measure where it is strapped (e.g. "
                        "band inversion with the sensor on the shank) without asking")
    p.set_defaults(func=run)


class Progress:
    """One updating line on a TTY (10 Hz); a plain line every 5 s otherwise. Cue lines are
    printed above the progress line (``say``) without breaking it."""

    def __init__(self, stream: TextIO, total_s: float | None, *, quiet: bool = False,
                 bell: bool = True) -> None:
        self.stream = stream
        self.total_s = total_s
        self.quiet = quiet
        self.tty = stream.isatty()
        self.bell_on = bell and self.tty and not quiet
        self._last = -1e9
        self._period = 0.1 if self.tty else 5.0
        self._text = ""  # the progress line currently shown (TTY)

    def line(self, n: int, data_s: float, wall_s: float, status: str = "") -> str:
        rate = n / data_s if n > 1 and data_s > 0 else 0.0
        if self.total_s:
            frac = min(1.0, data_s / self.total_s)
            head = f"[{'#' * int(frac * 20):<20}] {data_s:5.1f}/{self.total_s:g} s"
        else:
            head = f"{data_s:6.1f} s (Ctrl-C to stop)"
        text = f"recording {head}  {n} samples  {rate:6.1f} Hz  {wall_s:5.1f} s elapsed"
        return f"{text}  | {status}" if status else text

    def update(self, n: int, data_s: float, wall_s: float, *, force: bool = False,
               status: str | Callable[[], str] = "") -> None:
        if self.quiet or (not force and wall_s - self._last < self._period):
            return
        self._last = wall_s
        text = self.line(n, data_s, wall_s, status() if callable(status) else status)
        if text == self._text:
            return
        self._text = text
        self.stream.write("\r" + text + "\x1b[K" if self.tty else text + "\n")
        self.stream.flush()

    def say(self, text: str) -> None:
        """A cue line; on a TTY the progress line is cleared, the cue printed, the line redrawn."""
        if self.quiet:
            return
        if self.tty:  # after done() (no progress line shown) only the cue
            self.stream.write("\r\x1b[K" + text + "\n" + ("\r" + self._text + "\x1b[K"
                                                          if self._text else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def bell(self) -> None:
        if self.bell_on:
            self.stream.write(BELL)
            self.stream.flush()

    def done(self) -> None:
        if self.tty and not self.quiet and self._text:
            self.stream.write("\n")
            self.stream.flush()
            self._text = ""


class LiveAnalysis:
    """What runs on every recorded batch: the core pipeline (balance losses as ``analyze``
    reports them) and the drill guide; their events go to the session's ``events.jsonl`` and
    the cues to ``progress``. A failure here stops the live analysis, never the recording."""

    def __init__(self, writer: Any, pipeline: Any, drill: Any | None, progress: Progress) -> None:
        from trainer.drills import session  # here, not at import: `--help` stays fast

        self._ds = session
        self.writer = writer
        self.pipeline = pipeline
        self.drill = drill
        self.progress = progress
        self.failed: str | None = None

    @property
    def drill_finished(self) -> bool:
        """The drill's sets are over (the pain rating is asked after the recording)."""
        return self.drill is not None and self.drill.phase in (self._ds.PAIN, self._ds.DONE)

    def feed(self, batch: Any) -> None:
        if self.failed or not len(batch):
            return
        try:
            processed = self.pipeline.process(as_stored(batch))
            drill_events: list[Any] = []
            if self.drill is not None:
                if self.drill.phase == self._ds.READY:
                    drill_events += self.drill.start(float(batch.t_s[0]))
                drill_events += self.drill.feed(processed)
        except Exception as exc:  # the data matter more than the live analysis
            self.failed = f"{type(exc).__name__}: {exc}"
            self.progress.say(f"live analysis stopped (recording goes on): {self.failed}")
            return
        self._write(processed.events, drill_events)
        self._show(drill_events)

    def _write(self, core_events: list[dict[str, Any]], drill_events: list[Any]) -> None:
        """One ``balance_loss`` line per loss: the core's fields (kind, t_detected_s,
        peak_tilt_deg, direction_deg) plus the drill's (set, since_set_start_s) when the loss
        fell inside a set; every other persisted drill event as it is."""
        lines: list[tuple[float, str, dict[str, Any]]] = []
        drill_losses: dict[float, dict[str, Any]] = {}
        for ev in drill_events:
            if not ev.persist:
                continue
            if ev.type == "balance_loss":
                drill_losses[float(ev.t_s)] = dict(ev.data)
            else:
                lines.append((float(ev.t_s), ev.type, dict(ev.data)))
        for e in core_events:
            t = float(e["t_s"])
            fields = {k: v for k, v in e.items() if k not in ("t_s", "type")}
            lines.append((t, str(e["type"]), {**fields, **drill_losses.pop(t, {})}))
        lines += [(t, "balance_loss", data) for t, data in drill_losses.items()]
        for t, kind, data in sorted(lines, key=lambda x: x[0]):
            self.writer.event(t, kind, **data)

    def _show(self, drill_events: list[Any]) -> None:
        from trainer.drills.cues import render_text

        for ev in drill_events:
            if ev.type == "beep":
                if render_text(ev, bell=True):
                    self.progress.bell()
                continue
            text = render_text(ev)
            if text:
                self.progress.say(text)

    def emit(self, drill_events: list[Any]) -> None:
        """Drill events produced after the last batch (stop, pain rating, drill end)."""
        self._write([], drill_events)
        self._show(drill_events)

    def status(self) -> str:
        """Short drill state for the progress line."""
        if self.drill is None:
            return ""
        v = self.drill.view()
        phase = v["phase"]
        left = v.get("remaining_s")
        if phase == "countdown":
            return f"get ready {v.get('countdown') or ''}"
        if phase == "active":
            text = f"set {v['set']}/{v['n_sets']}"
            if v.get("reps") is not None:
                text += f"  {v['reps']}/{v.get('target_reps') or '?'} reps"
            if left is not None:
                text += f"  {left:.0f} s left"
            return text
        if phase == "rest":
            return f"rest {left or 0:.0f} s"
        return "done" if phase in ("pain", "done") else "starting"

    def finish(self, t_s: float,
               ask_pain: Callable[[], int | None] | None) -> dict[str, Any] | None:
        """Stop the drill if it is not over, take the pain rating (None: skipped) and write
        ``drill_end`` with the result. None when the drill never started."""
        ds = self._ds
        drill = self.drill
        if drill is None or drill.phase == ds.READY or self.failed:
            return None
        if drill.phase not in (ds.PAIN, ds.DONE):
            stopped = drill.stop(t_s)
            self._write([], stopped)
            if drill.sets:  # else the pain question would not be asked: do not show it
                self._show(stopped)
        self.progress.done()
        # no set begun (stopped in the first countdown): nothing to rate
        ask = ask_pain if drill.phase == ds.PAIN and drill.sets else None
        rating = ask() if ask is not None else None
        if rating is not None:
            self.emit(drill.rate_pain(rating, t_s))
        elif drill.phase == ds.PAIN and drill.sets:  # skipped: the drill ends without a rating
            if ask_pain is None:
                self.progress.say("(pain rating skipped: not a terminal)")
            self.emit([ds.DrillEvent(t_s, "drill_end", {
                "drill": drill.spec.id, "result": drill.result(), "pain_skipped": True})])
        elif drill.phase == ds.PAIN:  # stopped in the first countdown: nothing done, nothing shown
            self._write([], [ds.DrillEvent(t_s, "drill_end", {"drill": drill.spec.id,
                                                               "result": drill.result()})])
        return dict(drill.result())


def as_stored(batch: Any) -> Any:
    """The batch with the values ``imu.bin`` keeps (float32), so the live events are exactly
    what ``analyze`` finds in the session later."""
    import numpy as np

    from trainer.vocab.batch import SampleBatch

    f4 = np.float32
    return SampleBatch(batch.t_s, batch.acc_g.astype(f4).astype(np.float64),
                       batch.gyr_dps.astype(f4).astype(np.float64), batch.seq, batch.mag_ut)


def _calibration(args: argparse.Namespace, info: Any, side: str, placement: str) -> Any:
    """The profile given with --calibration, else the stored profile of this sensor (if usable)."""
    from calibration import store
    from trainer.vocab.calibration import ProfileError

    if args.calibration is not None:
        try:
            return store.read_profile_file(args.calibration)
        except ProfileError as exc:
            raise CliError(f"--calibration {exc}") from None
    try:
        choice = store.profile_for_source(info, side=side, placement=placement,
                                          accept_flagged=args.accept_calibration)
    except ProfileError as exc:
        raise CliError(f"stored calibration for {info.address}: {exc}") from None
    if choice.stored is not None or not info.simulated:
        print(choice.summary(), file=sys.stderr)
    return choice.profile


def interactive() -> bool:
    """Questions can be asked: stdin and stderr are a terminal."""
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_pain(stdin: TextIO, out: TextIO) -> int | None:
    """The 0-10 pain rating from a terminal; Enter, end of input or Ctrl-C skip it (None)."""
    try:
        while True:
            out.write("Pain during this drill, 0 (none) to 10 (worst imaginable); Enter to "
                      "skip: ")
            out.flush()
            line = stdin.readline()
            word = line.strip()
            if not word:
                return None
            if word.isdigit() and 0 <= int(word) <= 10:
                return int(word)
            out.write("  a whole number 0-10, please\n")
    except (KeyboardInterrupt, EOFError):
        out.write("\n")
        return None


def run(args: argparse.Namespace) -> int:
    from trainer.cli.analyze import BALANCE_DRILLS
    from trainer.cli.sources import follow_guide, source_from_args
    from trainer.core.pipeline import Pipeline, PipelineConfig
    from trainer.recording import SessionError, SessionWriter
    from trainer.recording.convert import check_new_dir

    drill_id, side, placement, out = resolve_drill_options(args)
    try:
        check_new_dir(out)
    except SessionError as exc:
        raise CliError(str(exc)) from None
    if not args.no_guide and not _placement_ok(drill_id, placement, args):
        print("not started", file=sys.stderr)
        return 0
    if getattr(args, "device", None):  # a real sensor: a person is about to train
        from trainer.cli.safety import require_cleared

        require_cleared(interactive=interactive())
    source = source_from_args(args, duration_s=args.duration, drill=drill_id, side=side,
                              placement=placement)
    try:
        calibration = _calibration(args, source.info, side, placement)
        fs = float(source.info.sample_rate_hz)
        drill, params = (None, {}) if args.no_guide else _drill_session(
            drill_id, side, placement, fs, norm_test=args.norm_test)
        source = follow_guide(source, drill)  # the simulated person does the guide's sets
        pipeline = Pipeline(PipelineConfig(
            sample_rate_hz=fs, placement=placement, side=side, calibration=calibration,
            detect_balance_losses=drill_id in BALANCE_DRILLS))
    except BaseException:
        source.stop()
        raise
    stop = threading.Event()
    prompting = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:  # Ctrl-C / SIGTERM: finish cleanly
        stop.set()
        if prompting.is_set():  # leave a question unanswered
            raise KeyboardInterrupt

    # from here on a signal only sets ``stop``: a half-written record is impossible
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        writer = SessionWriter(
            out,
            sample_rate_hz=source.info.sample_rate_hz,
            device=source.info,
            drill_id=drill_id,
            drill_parameters=params,
            side=side,
            placement=placement,
            calibration=calibration,
            extra={"recorded_with": "balance-trainer record"},
        )
    except (SessionError, OSError) as exc:
        _restore(old)
        source.stop()
        raise CliError(f"cannot create {out}: {exc}") from None
    progress = Progress(sys.stderr, args.duration, quiet=args.quiet, bell=not args.no_bell)
    live = LiveAnalysis(writer, pipeline, drill, progress)
    wall0 = time.monotonic()
    reason = "error"
    result: dict[str, Any] | None = None
    try:
        source.start()
        reason = _loop(source, writer, live, progress, stop, args.duration,
                       float(getattr(args, "sim_speed", 1.0) or 1.0), wall0)
    except OSError as exc:
        raise CliError(f"writing {out} failed: {exc.strerror or exc}") from None
    finally:
        source.stop()
        try:
            _stop_events(writer, source, reason)
            progress.update(writer.n_samples, _span(writer), time.monotonic() - wall0,
                            force=True, status=live.status)
            progress.done()
            if reason != "error":
                result = _finish_drill(live, writer, prompting)
            meta = _close(writer)
        finally:
            _restore(old)
    if reason == "interrupted":
        print("stopped; the data so far is kept", file=sys.stderr)
    if result is not None and drill is not None and drill.sets:
        if source.info.simulated:
            if not args.quiet:
                print("simulated sensor: your progression is not changed", file=sys.stderr)
        else:
            _store_result(drill, result, str(meta.get("session_id", "")))
    print(f"{out}  ({meta['n_samples']} samples, {_span(writer):.1f} s, status {meta['status']})")
    return 0


def _placement_ok(drill_id: str, placement: str, args: argparse.Namespace) -> bool:
    """Before the drill starts: say when the sensor cannot measure it where it is strapped
    (``trainer.drills.placement``) and ask whether to go on (no terminal, or
    --continue-unmeasured: go on)."""
    from trainer.drills.catalog import CatalogError, get_drill
    from trainer.drills.placement import placement_check

    try:
        check = placement_check(get_drill(drill_id), placement)
    except CatalogError:
        return True
    if check.measurable:
        return True
    print(check.message, file=sys.stderr)
    if args.continue_unmeasured or not interactive():
        return True
    try:
        sys.stderr.write("Continue without measurement? [y/N] ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")
    except (KeyboardInterrupt, EOFError):
        return False


def _drill_session(drill_id: str, side: str, placement: str, fs: float,
                   norm_test: str | None = None) -> tuple[Any, dict[str, Any]]:
    """The guide at the user's level for this drill and side, and the parameters it runs."""
    from trainer.drills.catalog import CatalogError, get_drill
    from trainer.drills.session import DrillSession
    from trainer.drills.store import DrillStore

    try:
        spec = get_drill(drill_id)
        level = DrillStore().level_for(spec, side)
        overrides = None
        if norm_test is not None:
            if spec.kind != "balance":
                raise CliError("--norm-test is for single-leg-balance")
            overrides = {"protocol": "norm-test", "eyes": norm_test}
        session = DrillSession(spec, side, level=level, fs_hz=fs, placement=placement,
                               params=overrides)
    except (CatalogError, ValueError) as exc:
        raise CliError(f"drill {drill_id}: {exc}") from None
    params = {k: v for k, v in session.params.items() if k != "sides"}
    if session.level is not None:
        params["level"] = session.level
    return session, params


def _loop(source: Any, writer: Any, live: LiveAnalysis, progress: Progress,
          stop: threading.Event, duration_s: float | None, speed: float, wall0: float) -> str:
    """Pull from the source into the writer and the live analysis until the drill is done, the
    duration, Ctrl-C or the source ends."""
    t_end = None
    while True:
        batch = source.read()
        done = None
        if len(batch):
            if t_end is None and duration_s:
                t_end = float(batch.t_s[0]) + duration_s
            if t_end is not None and batch.t_s[-1] >= t_end:
                batch = batch.slice(0, int((batch.t_s < t_end).sum()))
                done = "duration"
            writer.append(batch)
            live.feed(batch)
            if live.drill_finished:
                done = "drill done"
        for status in source.drain_status():
            writer.status_event(status)
        wall = time.monotonic() - wall0
        progress.update(writer.n_samples, _span(writer), wall, status=live.status)
        if done:
            return done
        if stop.is_set():
            return "interrupted"
        if source.finished:
            return "duration" if duration_s else "source finished"
        if duration_s and wall > duration_s / speed + 10.0:  # e.g. the link is gone for good
            return "timeout (no data)"
        stop.wait(POLL_S)


def _stop_events(writer: Any, source: Any, reason: str) -> None:
    """Last statuses and a ``recording_stop`` event."""
    with contextlib.suppress(OSError):  # e.g. disk full: closing matters more than these
        for status in source.drain_status():
            writer.status_event(status)
        if writer.last_t_s is not None:
            writer.event(writer.last_t_s, "recording_stop", reason=reason)


def _finish_drill(live: LiveAnalysis, writer: Any,
                  prompting: threading.Event) -> dict[str, Any] | None:
    """End the guided drill: stop it, ask the pain rating on a terminal, write drill_end."""
    if live.drill is None or writer.last_t_s is None:
        return None
    ask: Callable[[], int | None] | None = None
    if interactive():
        def ask() -> int | None:
            prompting.set()
            try:
                return ask_pain(sys.stdin, sys.stderr)
            finally:
                prompting.clear()
    try:
        return live.finish(float(writer.last_t_s), ask)
    except OSError as exc:  # closing the session matters more
        print(f"balance-trainer record: warning: drill events not written: "
              f"{exc.strerror or exc}", file=sys.stderr)
        return None


def _close(writer: Any) -> dict[str, Any]:
    """Close the session (status ``complete``)."""
    try:
        meta: dict[str, Any] = writer.close()
    except OSError as exc:
        raise CliError(f"finishing {writer.path} failed: {exc.strerror or exc} (the samples "
                       "written so far are kept; the session opens as recovered)") from None
    return meta


def _store_result(drill: Any, result: dict[str, Any], session_id: str) -> None:
    """Real sensor only: the progression store learns the result (next level, strong pain)."""
    from trainer.drills.store import DrillStore

    try:
        decision = DrillStore().record_result(drill.spec, drill.side, dict(drill.params),
                                              result, session_id=session_id or None)
    except (OSError, ValueError) as exc:
        print(f"balance-trainer record: warning: progress not stored: {exc}", file=sys.stderr)
        return
    print(f"next time: {decision.label} ({decision.action}: {decision.reason})",
          file=sys.stderr)


def _restore(handlers: dict[Any, Any]) -> None:
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def _span(writer: Any) -> float:
    first, last = writer.first_t_s, writer.last_t_s
    if first is None or last is None:
        return 0.0
    return float(last - first) + 1.0 / float(writer.meta["sample_rate_hz"])
