"""`balance-trainer record`: record a session headless, with a progress line on stderr.

Ctrl-C (SIGINT) or SIGTERM stops cleanly: what arrived is written, ``session.json`` gets status
``complete``, exit status 0. Source status changes (gaps, link lost/restored, battery) go to
``events.jsonl``. Without ``--out`` the session goes to a new directory under the user's sessions
folder (``trainer.paths.sessions_dir()``), named ``<UTC time>-<drill>-<side>``.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from trainer.cli.common import CliError, add_drill_options, positive_float
from trainer.cli.sources import add_source_options

POLL_S = 0.05


def register(sub: Any) -> None:
    p = sub.add_parser(
        "record",
        help="record a session headless",
        description="Record a session headless (Ctrl-C stops cleanly and keeps the data).",
    )
    add_source_options(p)
    add_drill_options(p)
    p.add_argument("--duration", type=positive_float, default=None, metavar="S",
                   help="seconds to record (default: until Ctrl-C)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="new session directory (default: a new folder in the sessions folder)")
    p.add_argument("--calibration", metavar="PROFILE.json", default=None,
                   help="calibration profile to store with the session "
                        "(default: the stored profile of this sensor, if any)")
    p.add_argument("--accept-calibration", action="store_true",
                   help="apply the stored profile even when it is old or from other firmware")
    p.add_argument("--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=run)


def default_out_dir(drill: str, side: str) -> Path:
    from trainer.paths import ensure_private_dir, sessions_dir

    root = ensure_private_dir(sessions_dir())
    stem = f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{drill}-{side}"
    out, k = root / stem, 1
    while out.exists():
        k += 1
        out = root / f"{stem}-{k}"
    return out


class Progress:
    """One updating line on a TTY (10 Hz); a plain line every 5 s otherwise."""

    def __init__(self, stream: TextIO, total_s: float | None, *, quiet: bool = False) -> None:
        self.stream = stream
        self.total_s = total_s
        self.quiet = quiet
        self.tty = stream.isatty()
        self._last = -1e9
        self._period = 0.1 if self.tty else 5.0

    def line(self, n: int, data_s: float, wall_s: float) -> str:
        rate = n / data_s if n > 1 and data_s > 0 else 0.0
        if self.total_s:
            frac = min(1.0, data_s / self.total_s)
            head = f"[{'#' * int(frac * 20):<20}] {data_s:5.1f}/{self.total_s:g} s"
        else:
            head = f"{data_s:6.1f} s (Ctrl-C to stop)"
        return f"recording {head}  {n} samples  {rate:6.1f} Hz  {wall_s:5.1f} s elapsed"

    def update(self, n: int, data_s: float, wall_s: float, *, force: bool = False) -> None:
        if self.quiet or (not force and wall_s - self._last < self._period):
            return
        self._last = wall_s
        text = self.line(n, data_s, wall_s)
        if self.tty:
            self.stream.write("\r" + text + "\x1b[K")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def done(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\n")
            self.stream.flush()


def _calibration(args: argparse.Namespace, info: Any, side: str, placement: str) -> Any:
    """The profile given with --calibration, else the stored profile of this sensor (if usable)."""
    from calibration import store
    from calibration.profile import ProfileError

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


def run(args: argparse.Namespace) -> int:
    from trainer.cli.sources import source_from_args
    from trainer.recording import SessionError, SessionWriter
    from trainer.recording.convert import check_new_dir

    drill = args.drill or "single-leg-balance"
    side = args.side or "left"
    placement = args.placement
    if placement is None:
        from firmware_bridge.simulator.config import DEFAULT_PLACEMENT

        placement = DEFAULT_PLACEMENT.get(drill, "shank")
    out = Path(args.out) if args.out else default_out_dir(drill, side)
    try:
        check_new_dir(out)
    except SessionError as exc:
        raise CliError(str(exc)) from None
    source = source_from_args(args, duration_s=args.duration, drill=drill, side=side,
                              placement=placement)
    calibration = _calibration(args, source.info, side, placement)
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:  # Ctrl-C / SIGTERM: finish cleanly
        stop.set()

    # from here on a signal only sets ``stop``: a half-written record is impossible
    old = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        writer = SessionWriter(
            out,
            sample_rate_hz=source.info.sample_rate_hz,
            device=source.info,
            drill_id=drill,
            side=side,
            placement=placement,
            calibration=calibration,
            extra={"recorded_with": "balance-trainer record"},
        )
    except (SessionError, OSError) as exc:
        _restore(old)
        raise CliError(f"cannot create {out}: {exc}") from None
    progress = Progress(sys.stderr, args.duration, quiet=args.quiet)
    wall0 = time.monotonic()
    reason = "error"
    try:
        source.start()
        reason = _loop(source, writer, progress, stop, args.duration,
                       float(getattr(args, "sim_speed", 1.0) or 1.0), wall0)
    except OSError as exc:
        raise CliError(f"writing {out} failed: {exc.strerror or exc}") from None
    finally:
        source.stop()
        try:
            meta = _finish(writer, source, reason)
        finally:
            _restore(old)
        progress.update(writer.n_samples, _span(writer), time.monotonic() - wall0, force=True)
        progress.done()
    if reason == "interrupted":
        print("stopped; the data so far is kept", file=sys.stderr)
    print(f"{out}  ({meta['n_samples']} samples, {_span(writer):.1f} s, status {meta['status']})")
    return 0


def _loop(source: Any, writer: Any, progress: Progress, stop: threading.Event,
          duration_s: float | None, speed: float, wall0: float) -> str:
    """Pull from the source into the writer until the duration, Ctrl-C or the source ends."""
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
        for status in source.drain_status():
            writer.status_event(status)
        wall = time.monotonic() - wall0
        progress.update(writer.n_samples, _span(writer), wall)
        if done:
            return done
        if stop.is_set():
            return "interrupted"
        if source.finished:
            return "duration" if duration_s else "source finished"
        if duration_s and wall > duration_s / speed + 10.0:  # e.g. the link is gone for good
            return "timeout (no data)"
        stop.wait(POLL_S)


def _finish(writer: Any, source: Any, reason: str) -> dict[str, Any]:
    """Last statuses, a ``recording_stop`` event, then close (status ``complete``)."""
    import contextlib

    with contextlib.suppress(OSError):  # e.g. disk full: closing matters more than these
        for status in source.drain_status():
            writer.status_event(status)
        if writer.last_t_s is not None:
            writer.event(writer.last_t_s, "recording_stop", reason=reason)
    try:
        meta: dict[str, Any] = writer.close()
    except OSError as exc:
        raise CliError(f"finishing {writer.path} failed: {exc.strerror or exc} (the samples "
                       "written so far are kept; the session opens as recovered)") from None
    return meta


def _restore(handlers: dict[Any, Any]) -> None:
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


def _span(writer: Any) -> float:
    first, last = writer.first_t_s, writer.last_t_s
    if first is None or last is None:
        return 0.0
    return float(last - first) + 1.0 / float(writer.meta["sample_rate_hz"])
