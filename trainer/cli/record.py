"""`balance-trainer record`: a guided, analysed recording headless, with a progress line on stderr.

This module is argument parsing and printing: the session itself (pipeline configured from the
drill, drill guide at the user's level, event merge, float32 round trip, summary, progression) is
``trainer.training.session.TrainingSession``, the same one the dashboard drives. Every recorded
batch runs through the core pipeline, so balance losses (balance drills only) are in
``events.jsonl`` as ``analyze`` reports them, and drives the drill guide: countdown, sets, rests
and cues printed on stderr as plain lines (the terminal bell for start/stop/warnings on a TTY),
the drill events (``drill_start`` … ``drill_end``
with the result) in ``events.jsonl``. The guide ends the recording when the drill is done;
``--duration`` bounds it; ``--no-guide`` records free (until Ctrl-C or the duration) with the
pipeline's events only. After the drill: the 0-10 pain rating (asked on a terminal; skipped
otherwise) and, for a real sensor only, the result goes to the progression store (simulated
sessions never change the user's level).

Safety: before recording from a real sensor the red-flag screening must be clear and current
(``balance-trainer safety``); on a terminal the questions are asked, otherwise it refuses.

Ctrl-C (SIGINT) or SIGTERM stops cleanly: what arrived is written, ``session.json`` gets status
``complete``, exit status 0. Source status changes (gaps, link lost/restored, battery) go to
``events.jsonl``. On a terminal, keys typed while recording are events (``trainer.cli.keys``):
``t`` the lifted foot touched down (balance drills; a ``user_touchdown`` event, as T in the
dashboard), ``m`` a marker. With several sensors the session asks once, at the start, for a
sync jump ("Jump once on both feet"): the drill waits until every sensor saw the landing (at most
8 s; ``s`` skips it), and the ``sync_jump`` event says whether it was seen; ``analyze`` measures
the sensors' alignment at its landing (docs/multi-sensor.md). Without ``--out`` the session
goes to a new directory under the user's sessions folder (``trainer.paths.sessions_dir()``),
named ``<UTC time>-<drill>-<side>``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from trainer.cli.common import (
    CliError,
    add_drill_options,
    drop_unused_session_dir,
    duration_s,
    resolve_drill_options,
)
from trainer.cli.keys import KeyReader, apply_keys, key_hint
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
    p.add_argument("--calibration", metavar="[ROLE=]PROFILE.json", default=None,
                   action="append", type=calibration_spec,
                   help="calibration profile to store with the session (default: the stored "
                        "profile of this sensor, if any); with several sensors once per sensor "
                        "as ROLE=PROFILE.json (without ROLE=: the analysed sensor)")
    p.add_argument("--accept-calibration", action="store_true",
                   help="apply the stored profile even when it is old or from other firmware")
    p.add_argument("--no-guide", action="store_true",
                   help="no drill guide: record free (balance losses are still detected)")
    p.add_argument("--norm-test", choices=("open", "closed"), default=None, metavar="EYES",
                   help="single-leg balance: the norm test (Springer et al. 2007 protocol: "
                        "barefoot, arms crossed, 3 trials of up to 45 s) with eyes open|closed")
    p.add_argument("--no-bell", action="store_true", help="no terminal bell with the cues")
    p.add_argument("--quiet", action="store_true", help="no progress display and no cues")
    p.add_argument("--lsl", action="store_true",
                   help="also stream the samples and events to Lab Streaming Layer "
                        "(BalanceTrainer-<role>, BalanceTrainer-events; docs/LSL.md)")
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


class Cues:
    """How the session's drill events look on a terminal: cue lines above the progress line, the
    bell for start/stop/warnings, and a short drill state for the progress line."""

    def __init__(self, session: Any, progress: Progress, *, asks_pain: bool = True) -> None:
        self.session = session
        self.progress = progress
        #: without a terminal the pain rating is not asked, so its question is not shown either
        self.hidden: set[str] = set()
        if not asks_pain:
            from trainer.drills.catalog import load_catalog
            from trainer.drills.session import pain_question

            self.hidden = {pain_question(load_catalog())}

    def show(self, drill_events: list[Any]) -> None:
        from trainer.drills.cues import render_text

        for ev in drill_events:
            if ev.type == "beep":
                if render_text(ev, bell=True):
                    self.progress.bell()
                continue
            if ev.type == "cue" and ev.data.get("text") in self.hidden:
                continue
            text = render_text(ev)
            if text:
                self.progress.say(text)

    def status(self) -> str:
        """Short drill state for the progress line."""
        drill = self.session.drill
        if getattr(self.session, "sync_waiting", False):
            left = self.session.sync.wait_left_s()
            return f"waiting for the sync jump ({left or 0:.0f} s)"
        if drill is None:
            return ""
        v = drill.view()
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


def calibration_spec(text: str) -> tuple[str | None, str]:
    """argparse type of ``--calibration``: ``PROFILE.json`` or ``ROLE=PROFILE.json``."""
    from trainer.vocab.roles import RoleError, parse_role

    word, sep, path = text.partition("=")
    if not sep or "/" in word or word.lower().endswith(".json"):
        return None, text
    try:
        return parse_role(word), path
    except RoleError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def calibration_files(args: argparse.Namespace, roles: tuple[str, ...], primary: str
                      ) -> dict[str, str]:
    """``--calibration`` by role (no role: ``primary``); CliError for a role without a sensor
    or one given twice."""
    out: dict[str, str] = {}
    for role, path in args.calibration or []:
        role = role or primary
        if role not in roles:
            raise CliError(f"--calibration {role}=…: no {role} sensor in this recording "
                           f"(sensors: {', '.join(roles)})")
        if role in out:
            raise CliError(f"--calibration: two profiles for the {role} sensor")
        out[role] = path
    return out


def _read_profiles(files: dict[str, str]) -> dict[str, Any]:
    from calibration import store
    from trainer.vocab.calibration import ProfileError

    out = {}
    for role, path in files.items():
        try:
            out[role] = store.read_profile_file(path)
        except ProfileError as exc:
            raise CliError(f"--calibration {exc}") from None
    return out


def _calibration(args: argparse.Namespace, info: Any, side: str, placement: str,
                 given: Any = None) -> Any:
    """The profile given with --calibration, else the stored profile of this sensor (if usable)."""
    from trainer.training.session import stored_calibration
    from trainer.vocab.calibration import ProfileError

    if given is not None:
        return given
    try:
        profile, note = stored_calibration(info, side=side, placement=placement,
                                           accept_flagged=args.accept_calibration)
    except ProfileError as exc:
        raise CliError(f"stored calibration for {info.address}: {exc}") from None
    if note:
        print(note, file=sys.stderr)
    return profile


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
    drill_id, side, placement, out = resolve_drill_options(args)
    try:
        return _record(args, drill_id, side, placement, out)
    finally:
        drop_unused_session_dir(args, out)


def _record(args: argparse.Namespace, drill_id: str, side: str, placement: str,
            out: Path) -> int:
    from trainer.cli.sensors import analysed_leg, calibrations, open_sensors
    from trainer.cli.sources import follow_guide, source_from_args
    from trainer.recording import SessionError
    from trainer.recording.staging import check_new_dir
    from trainer.training.session import TrainingError, TrainingPlan, TrainingSession, drill_guide
    from trainer.vocab.roles import role_for

    side, placement = analysed_leg(args, side, placement)
    try:
        check_new_dir(out)
    except SessionError as exc:
        raise CliError(str(exc)) from None
    choices = {"eyes": getattr(args, "eyes", None), "surface": getattr(args, "surface", None)}
    if args.norm_test is not None:  # the normative study's protocol (trainer.drills.norms)
        from trainer.drills.catalog import get_drill

        if get_drill(drill_id).kind != "balance":
            raise CliError("--norm-test is for single-leg-balance")
        choices.update(protocol="norm-test", eyes=args.norm_test)
    plan = TrainingPlan(drill_id=drill_id, side=side, placement=placement, choices=choices,
                        guided=not args.no_guide, out=out,
                        recorded_with="balance-trainer record", duration_s=args.duration)
    if not settle_checks(plan, real_sensor=bool(getattr(args, "device", None)),
                         yes=args.continue_unmeasured):
        print("not started", file=sys.stderr)
        return 0
    # two or three sensors (--device ADDR:ROLE …, --simulate --roles …): trainer/cli/sensors.py
    sensors = open_sensors(args, drill=drill_id, side=side, placement=placement,
                           duration_s=args.duration)
    source = sensors.view if sensors else source_from_args(
        args, duration_s=args.duration, drill=drill_id, side=side, placement=placement)
    try:
        primary = sensors.primary if sensors else role_for(side, placement)
        given = _read_profiles(calibration_files(args, sensors.roles if sensors else (primary,),
                                                 primary))
        calibration = _calibration(args, source.info, side, placement, given.get(primary))
        fs = float(source.info.sample_rate_hz)
        guide = None if args.no_guide else drill_guide(plan, fs)
        if sensors:
            calibrations(sensors, {**given, sensors.primary: calibration},
                         accept=args.accept_calibration)
            sensors.follow(guide)
            source = sensors.view
        source = follow_guide(source, guide)  # the simulated person does the guide's sets
        session = TrainingSession(source, plan, calibration=calibration, guide=guide,
                                  writer_factory=sensors.writer_factory() if sensors else None)
        lsl = _lsl_sink(session.source, side, session.placement) if args.lsl else None
    except TrainingError as exc:
        source.stop()
        raise CliError(str(exc)) from None
    except BaseException:
        source.stop()
        raise
    stop = StopFlag()
    prompting = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:  # Ctrl-C / SIGTERM: finish cleanly
        stop.set()
        if prompting.is_set():  # leave a question unanswered
            raise KeyboardInterrupt

    # from here on a signal only sets ``stop``: a half-written record is impossible
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        session.open_recording()
    except TrainingError as exc:
        _restore(old)
        source.stop()
        raise CliError(str(exc)) from None
    if lsl is not None:
        lsl.outlet.session_id = session.writer.meta.get("session_id")
        session.sinks.append(lsl)
        names = [f"{lsl.outlet.prefix}-{r}" for r in (*lsl.outlet.roles, "events")]
        print(f"streaming to Lab Streaming Layer: {', '.join(names)}", file=sys.stderr)
    progress = Progress(sys.stderr, args.duration, quiet=args.quiet, bell=not args.no_bell)
    cues = Cues(session, progress, asks_pain=interactive())
    wall0 = time.monotonic()
    reason = "error"
    outcome = None
    try:
        session.start()
        with KeyReader() as keys:  # t: touchdown, m: marker (a terminal only; restored after)
            touchdown = _balance_drill(drill_id)
            if keys.active and not args.quiet:
                progress.say(key_hint(touchdown=touchdown,
                                      sync_jump=bool(sensors and len(sensors.roles) > 1)))
            reason = _loop(session, cues, progress, stop, args.duration,
                           float(getattr(args, "sim_speed", 1.0) or 1.0), wall0,
                           keys=lambda: apply_keys(keys.poll(), session, progress.say,
                                                   touchdown=touchdown))
    finally:
        try:
            progress.update(session.n_samples, _span(session), time.monotonic() - wall0,
                            force=True, status=cues.status)
            progress.done()
            ask = _pain_question(prompting) if reason != "error" and interactive() else None
            drill = session.drill

            def show_end(events: list[Any]) -> None:
                if drill is not None and drill.sets:  # nothing begun: nothing to show
                    cues.show(events)

            outcome = session.finish(reason, ask_pain=ask, show=show_end)
        finally:
            _restore(old)
            if lsl is not None:
                lsl.close()
    if reason == "interrupted":
        print("stopped; the data so far is kept", file=sys.stderr)
    if drill is not None and drill.sets and ask is None and outcome.result is not None \
            and "pain" not in outcome.result and not args.quiet:
        print("(pain rating skipped: not a terminal)", file=sys.stderr)
    for err in outcome.errors:
        print(f"balance-trainer record: warning: {err}", file=sys.stderr)
    if outcome.meta is None:
        raise CliError(outcome.errors[0] if outcome.errors else f"{out}: not recorded")
    if outcome.progress_note and not (args.quiet and source.info.simulated):
        print(outcome.progress_note, file=sys.stderr)
    meta = outcome.meta
    print(f"{out}  ({meta['n_samples']} samples, {_span(session):.1f} s, status {meta['status']})")
    return 0


def _lsl_sink(source: Any, side: str, placement: str) -> Any:
    """The LSL outlet for ``--lsl``: every sensor of the source (a one-line error when liblsl
    cannot be loaded)."""
    from trainer.lsl import LslUnavailable, sink_for_source

    try:
        return sink_for_source(source, side=side, placement=placement)
    except LslUnavailable as exc:
        raise CliError(f"--lsl: {exc}") from None


def settle_checks(plan: Any, *, real_sensor: bool, yes: bool = False) -> bool:
    """The pre-start checks (``trainer.training.checks``) on a terminal. The red-flag questions
    are asked (not on a terminal: refused with the reason, CliError). A yes/no question is
    printed and asked; ``yes`` (--continue-unmeasured) or no terminal take its default. False:
    the person said no."""
    from trainer.training.checks import SCREENING, pre_start_checks

    for check in pre_start_checks(plan, real_sensor=real_sensor):
        if check.kind == SCREENING:
            from trainer.cli.safety import require_cleared

            require_cleared(interactive=interactive())
            continue
        print(check.message, file=sys.stderr)
        if yes or not interactive():
            if not check.default_yes:
                raise CliError(f"not started: {check.message}")
            continue
        if not _confirm(check.question or "Continue?"):
            return False
    return True


def _confirm(question: str) -> bool:
    try:
        sys.stderr.write(f"{question} [y/N] ")
        sys.stderr.flush()
        return sys.stdin.readline().strip().lower() in ("y", "yes")
    except (KeyboardInterrupt, EOFError):
        return False


def _pain_question(prompting: threading.Event) -> Callable[[], int | None]:
    def ask() -> int | None:
        prompting.set()
        try:
            return ask_pain(sys.stdin, sys.stderr)
        finally:
            prompting.clear()
    return ask


class StopFlag:
    """Set by the Ctrl-C/SIGTERM handler: a plain flag, never a lock (``threading.Event.set``
    in a signal handler deadlocks when the signal lands while the main thread holds the
    event's lock inside ``Event.wait`` — `record` then never exits)."""

    def __init__(self) -> None:
        self.flag = False

    def set(self) -> None:
        self.flag = True

    def is_set(self) -> bool:
        return self.flag

    def wait(self, timeout_s: float) -> bool:
        if not self.flag:
            time.sleep(timeout_s)  # a signal interrupts nothing that holds a lock
        return self.flag


def _loop(session: Any, cues: Cues, progress: Progress, stop: StopFlag,
          duration_s: float | None, speed: float, wall0: float,
          keys: Callable[[], None] = lambda: None) -> str:
    """Pump the session until the drill is done, the duration, Ctrl-C or the source ends;
    ``keys`` handles the keys typed meanwhile."""
    while True:
        step = session.pump()
        keys()
        for err in step.errors:
            progress.say(err)
        cues.show(step.drill_events)
        wall = time.monotonic() - wall0
        progress.update(session.n_samples, _span(session), wall, status=cues.status)
        if session.recording_failed:
            raise CliError(f"writing {session.plan.out} failed: "
                           f"{session.recording_failed.split(': ', 1)[-1]}")
        if step.done:
            if step.done == "source failed":
                raise CliError(step.errors[0] if step.errors else "the sensor stream failed")
            return str(step.done)
        if stop.is_set():
            return "interrupted"
        if duration_s and wall > duration_s / speed + 10.0:  # e.g. the link is gone for good
            return "timeout (no data)"
        stop.wait(POLL_S)


def _balance_drill(drill_id: str) -> bool:
    from trainer.drills.catalog import get_drill

    return get_drill(drill_id).kind == "balance"


def _restore(handlers: dict[Any, Any]) -> None:
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def _span(session: Any) -> float:
    first, last = session.first_t_s, session.last_t_s
    if first is None or last is None:
        return 0.0
    return float(last - first) + 1.0 / float(session.fs_hz)
