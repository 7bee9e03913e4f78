"""`balance-trainer calibrate`: guided sensor calibration (gyro bias, six faces, mounting).

Three ways to get data, one result: a :class:`~trainer.vocab.calibration.CalibrationProfile`
stored for the sensor (``calibration.store``) and, with ``--out``, written to a file.

* ``--device ADDRESS`` — live, step by step: a prompt, Enter when ready (``--yes`` or a non-TTY
  stdin: a short countdown instead), then a progress line with live stillness until the step has
  what it needs. Moving spoils only the part in progress, which is asked for again.
* ``--simulate`` — the same guided steps against the simulator's calibration scenarios (a sensor
  with known, seed-dependent errors and mounting); prompts are printed, nothing waits, and each
  step also prints its error against the simulator's truth.
* ``--from SESSION`` — a recorded session: a still period (gyro), six or more still faces (gyro and
  accel), or standing still then a forward leg swing (mount); ``--step`` picks one, otherwise the
  steps the recording supports are computed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from trainer.cli.common import CliError, duration_s
from trainer.cli.sensor_options import device_spec, role_word

if TYPE_CHECKING:  # the calibration modules are imported lazily: `--help` stays fast
    from calibration.accel import AccelFit
    from calibration.guide import Collector, GuideStatus
    from calibration.gyro import GyroBiasResult
    from calibration.mounting import MountResult
    from trainer.vocab.batch import SampleBatch
    from trainer.vocab.calibration import CalibrationProfile
    from trainer.vocab.source import Source

    StepResult = GyroBiasResult | AccelFit | MountResult

STEP_CHOICES = ("gyro", "accel", "mount")
POLL_S = 0.05
SIM_CHUNK = 25  # samples per simulated read (a quarter second at 100 Hz)


def register(sub: Any) -> None:
    p = sub.add_parser(
        "calibrate",
        help="guided sensor calibration (gyro bias, six faces, mounting)",
        description="Guided calibration: gyroscope bias (still on a table), accelerometer "
                    "(six faces, then three tilted poses), mounting on the leg (stand still, "
                    "then swing the leg forward). The profile is stored for the sensor and "
                    "applied when it connects.",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--device", metavar="ADDRESS[:ROLE]", type=device_spec,
                     help="calibrate a live BLE sensor; with a role (left-shank, right-shank, "
                          "left-foot, right-foot, trunk) its mounting is for that place, as "
                          "`record --device ADDRESS:ROLE` uses it")
    src.add_argument("--simulate", action="store_true",
                     help="run the guided steps against the simulated sensor")
    src.add_argument("--from", dest="from_session", metavar="SESSION",
                     help="compute a step from a recorded session directory")
    p.add_argument("--sensor", metavar="ROLE", type=role_word, default=None,
                   help="with --from a session of several sensors: calibrate this one "
                        "(default: the analysed one)")
    p.add_argument("--step", choices=STEP_CHOICES, default=None,
                   help="only this step (default: all three live; for --from, what the "
                        "recording supports)")
    p.add_argument("--side", choices=("left", "right"), default=None,
                   help="leg the sensor is on (default: the session's, else left)")
    p.add_argument("--placement", choices=("shank", "foot"), default=None,
                   help="where the sensor is strapped (default: the session's, else shank)")
    p.add_argument("--out", metavar="PROFILE.json", default=None,
                   help="also write the profile to this file")
    p.add_argument("--no-save", action="store_true",
                   help="do not store the profile for the sensor (use with --out)")
    p.add_argument("--yes", "-y", action="store_true",
                   help="do not wait for Enter before each step")
    p.add_argument("--no-tilted", action="store_true",
                   help="accelerometer: the six faces only, skip the three tilted poses")
    p.add_argument("--timeout", type=duration_s, default=180.0, metavar="S",
                   help="seconds allowed for each live step (default: 180)")
    p.add_argument("--seed", type=int, default=1,
                   help="simulated sensor: seed of its errors and mounting (default: 1)")
    p.add_argument("--json", action="store_true",
                   help="print the resulting profile as JSON on stdout (messages go to stderr)")
    p.set_defaults(func=run)


# ---------------------------------------------------------------------------------------------
class Console:
    """Prompts and messages as lines; the progress display as one updating line on a TTY, a line
    per quarter of progress otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self._open_line = False
        self._last_q = -1
        self._last_t = 0.0

    def say(self, text: str) -> None:
        self._end_line()
        self.stream.write(text + "\n")
        self.stream.flush()

    def _end_line(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self._open_line = False

    def reset_progress(self) -> None:
        self._end_line()
        self._last_q = -1

    def progress(self, status: GuideStatus) -> None:
        frac = max(0.0, min(1.0, float(status.progress)))
        still = {True: "still", False: "moving", None: "…"}[status.still]
        line = f"  [{'#' * int(frac * 20):<20}] {frac * 100:3.0f}%  {still:<6}  {status.detail}"
        if self.tty:
            now = time.monotonic()
            if now - self._last_t < 0.1 and frac < 1.0:
                return
            self._last_t = now
            self.stream.write("\r" + line + "\x1b[K")
            self._open_line = True
        else:
            q = int(frac * 4)
            if q == self._last_q:
                return
            self._last_q = q
            self.stream.write(line + "\n")
        self.stream.flush()


def _print_result(con: Console, result: StepResult) -> None:
    import numpy as np

    from calibration.accel import AccelFit
    from calibration.gyro import GyroBiasResult

    if isinstance(result, GyroBiasResult):
        b = result.bias_dps
        con.say(f"  gyroscope bias {b[0]:+.3f} {b[1]:+.3f} {b[2]:+.3f} °/s "
                f"(noise {float(np.max(result.noise_dps)):.3f} °/s, {result.still_s:.1f} s still)")
    elif isinstance(result, AccelFit):
        q = result.quality()
        off = result.offset_g * 1000.0
        verdict = "PASS" if q["pass"] else "FAIL: repeat the step"
        con.say(f"  accelerometer offset {off[0]:+.1f} {off[1]:+.1f} {off[2]:+.1f} mg, "
                f"axis scale {' '.join(f'{v:.4f}' for v in q['axis_scale'])}, cross-axis "
                f"{' '.join(f'{v:+.2f}' for v in q['cross_axis_deg'].values())}°")
        con.say(f"  quality: |a| = 1 g within {q['max_norm_residual_mg']:.2f} mg on every pose "
                f"(tolerance {q['tolerance_mg']:.0f} mg, {q['n_poses']} poses, model "
                f"{q['model']}): {verdict}")
    else:
        w, x, y, z = result.quat_wxyz
        q = result.quality()
        con.say(f"  mounting ({result.side} {result.placement}) quaternion wxyz "
                f"[{w:+.4f} {x:+.4f} {y:+.4f} {z:+.4f}]; swing {q['swing_deg']:.0f}°, "
                f"swing axis {q['swing_axis_tilt_deg']:.1f}° from horizontal")


def _apply(profile: CalibrationProfile, result: StepResult) -> CalibrationProfile:
    from calibration.accel import AccelFit
    from calibration.gyro import GyroBiasResult
    from calibration.steps import with_accel, with_gyro, with_mount

    if isinstance(result, GyroBiasResult):
        return with_gyro(profile, result)
    if isinstance(result, AccelFit):
        return with_accel(profile, result)
    return with_mount(profile, result)


def _result(collector: Collector) -> StepResult:
    """The result of a finished step (``_drive`` has already turned a failed step into an
    error line)."""
    from calibration.guide import FaceCollector, GyroCollector, MountCollector

    if isinstance(collector, GyroCollector | FaceCollector | MountCollector) \
            and collector.result is not None:
        return collector.result
    raise CliError(f"the {collector.step} step finished without a result; run it again")


# ---------------------------------------------------------------------------------------------
def _drive(collector: Collector, read: Callable[[], SampleBatch | None], con: Console, *,
           timeout_s: float, live: bool) -> None:
    """Feed batches from ``read`` (None: the source ended) until the step is done."""
    prompt = ""
    wall0 = time.monotonic()
    last_data = wall0
    while not collector.done:
        batch = read()
        if batch is None:
            raise CliError(f"the source ended before the {collector.step} step was done")
        if len(batch):
            last_data = time.monotonic()
            for text in collector.feed_batch(batch):
                con.say(f"  → {text}")
        elif live:
            time.sleep(POLL_S)
        status = collector.status()
        if status.prompt != prompt and not collector.done:
            prompt = status.prompt
            con.say(f"  {prompt}")
        con.progress(status)
        data_s = float(collector.t_s[-1] - collector.t_s[0]) if collector.t_s.size > 1 else 0.0
        elapsed = time.monotonic() - wall0 if live else data_s
        if elapsed > timeout_s:
            raise CliError(f"the {collector.step} step did not finish within {timeout_s:.0f} s "
                           f"({status.detail}); run it again with --step {collector.step}")
        if live and time.monotonic() - last_data > 10.0:
            raise CliError("no data from the sensor for 10 s (out of range or switched off?)")
    con.reset_progress()
    if collector.error:
        raise CliError(f"{collector.step}: {collector.error}")


def _wait_ready(con: Console, args: argparse.Namespace, *, live: bool) -> None:
    if not live:
        return
    if args.yes:
        return
    if not sys.stdin.isatty():
        for k in (3, 2, 1):
            con.say(f"  starting in {k} s …")
            time.sleep(1.0)
        return
    con.say("  press Enter when ready")
    with contextlib.suppress(EOFError):
        input()


# ---------------------------------------------------------------------------------------------
def _run_simulated_step(step: str, profile: CalibrationProfile, args: argparse.Namespace,
                        con: Console, side: str, placement: str
                        ) -> tuple[StepResult, dict[str, Any]]:
    import numpy as np

    from calibration.accel import AccelFit
    from calibration.guide import make_collector
    from calibration.gyro import GyroBiasResult
    from calibration.rotation import angle_between_quats_deg
    from calibration.simulated import step_config
    from firmware_bridge.simulator import SensorStream

    try:
        config = step_config(step, seed=args.seed, side=side, placement=placement)
        stream = SensorStream(config)
    except ValueError as exc:
        raise CliError(f"simulator: {exc}") from None
    # the simulated bench only turns the sensor from face to face (no tilted poses); two rounds
    # of faces, each put down a little differently, give the cross-axis terms instead
    collector = make_collector(step, side=side, placement=placement, profile=profile,
                               rounds=2, tilted=False)
    biases: list[Any] = []

    def read() -> SampleBatch:
        batch, truth = stream.next_with_truth(SIM_CHUNK)
        biases.append(truth.gyro_bias_dps)
        return batch

    _drive(collector, read, con, timeout_s=min(args.timeout, 600.0), live=False)
    result = _result(collector)
    check: dict[str, Any]
    if isinstance(result, GyroBiasResult):
        true_bias = np.concatenate(biases).mean(axis=0)
        err = float(np.max(np.abs(result.bias_dps - true_bias)))
        check = {"bias_error_dps": round(err, 4)}
        con.say(f"  vs simulator truth: bias error {err:.4f} °/s (limit 0.05)")
    elif isinstance(result, AccelFit):
        e = config.acc_error_matrix()
        scale = np.linalg.norm(result.matrix @ e, axis=0) - 1.0
        off = np.abs(result.offset_g - np.asarray(config.acc_offset_g)) * 1000.0
        check = {"scale_error_pct": round(float(np.max(np.abs(scale))) * 100, 4),
                 "offset_error_mg": round(float(np.max(off)), 3),
                 "matrix_error": round(float(np.max(np.abs(result.matrix
                                                           - config.true_acc_matrix()))), 5)}
        con.say(f"  vs simulator truth: scale error {check['scale_error_pct']:.3f} % "
                f"(limit 0.2), offset error {check['offset_error_mg']:.2f} mg (limit 5)")
    else:
        ang = angle_between_quats_deg(result.quat_wxyz, config.mount_quat())
        check = {"mounting_error_deg": round(ang, 3)}
        con.say(f"  vs simulator truth: mounting error {ang:.2f}° (limit 1)")
    return result, check


def _run_live_step(step: str, profile: CalibrationProfile, source: Source,
                   args: argparse.Namespace, con: Console, side: str, placement: str
                   ) -> StepResult:
    from calibration.guide import make_collector

    collector = make_collector(step, side=side, placement=placement, profile=profile,
                               tilted=not args.no_tilted)
    _wait_ready(con, args, live=True)
    source.read()  # drop what arrived while the user was getting ready

    def read() -> SampleBatch | None:
        for status in source.drain_status():
            if status.kind in ("lost", "error", "reconnecting", "restored"):
                con.say(f"  sensor: {status.kind} {status.message}".rstrip())
        if source.finished:
            return None
        return source.read()

    _drive(collector, read, con, timeout_s=args.timeout, live=True)
    return _result(collector)


# ---------------------------------------------------------------------------------------------
def _base_profile(address: str | None, name: str | None, firmware: str | None, con: Console,
                  fallback: CalibrationProfile | None = None) -> CalibrationProfile:
    """The profile to extend: the stored one for this sensor, else ``fallback``, else neutral."""
    from calibration import store
    from trainer.vocab.calibration import CalibrationProfile, ProfileError

    base = None
    if address:
        try:
            base = store.load(address)
        except ProfileError as exc:
            con.say(f"note: stored profile unusable ({exc}); starting from a neutral one")
    if base is None and fallback is not None and fallback.steps_done:
        base = fallback
    if base is None:
        base = CalibrationProfile.neutral(address, name)
    base.sensor = {"address": address, "name": name or base.sensor.get("name")}
    if firmware:
        base.firmware = firmware
    return base


def _from_session(args: argparse.Namespace, con: Console
                  ) -> tuple[CalibrationProfile, list[str], str | None]:
    from calibration.errors import CalibrationError
    from calibration.steps import (
        accel_from_recording,
        detect_steps,
        gyro_from_recording,
        mount_from_recording,
    )
    from trainer.recording import SessionError, open_session
    from trainer.recording.sensors import open_sensor

    try:
        session = open_session(args.from_session)
        if args.sensor is not None:
            session = open_sensor(session, args.sensor)
        batch = session.batch()
    except SessionError as exc:
        raise CliError(str(exc)) from None
    device = session.meta.get("device") or {}
    address = device.get("address") or None
    side, placement = role_leg(args.sensor, args.side or session.meta.get("side") or "left",
                               args.placement or session.meta.get("placement") or "shank",
                               given=args)
    profile = _base_profile(address, device.get("name"), device.get("firmware"), con,
                            fallback=session.calibration)
    t, acc, gyr = batch.t_s, batch.acc_g, batch.gyr_dps
    if len(batch) < 10:
        raise CliError(f"{args.from_session}: too few samples ({len(batch)}) to calibrate")
    # printed once every step worked: a bad recording gives one error line only
    results: list[StepResult] = []
    result: StepResult
    try:
        steps = [args.step] if args.step else detect_steps(t, acc, gyr)
        for step in steps:
            if step == "gyro":
                profile, result = gyro_from_recording(profile, t, acc, gyr)
            elif step == "accel":
                profile, result = accel_from_recording(profile, t, acc, gyr)
            else:
                profile, result = mount_from_recording(profile, t, acc, gyr, side=side,
                                                       placement=placement)
            results.append(result)
    except CalibrationError as exc:
        raise CliError(f"{args.from_session}: {exc}") from None
    con.say(f"session {args.from_session}: {len(batch)} samples, "
            f"{float(t[-1] - t[0]):.1f} s; steps: {', '.join(steps)}")
    for step, result in zip(steps, results, strict=True):
        con.say(f"{step}:")
        _print_result(con, result)
    return profile, steps, address


def role_leg(role: str | None, side: str, placement: str, *, given: argparse.Namespace
             ) -> tuple[str, str]:
    """(side, placement) of the mounting: the sensor's role's when it has one (``--side`` /
    ``--placement`` that contradict it are an error), else ``side``, ``placement``. The trunk
    keeps ``side`` (its mounting does not depend on it)."""
    from trainer.vocab.roles import parse_role, role_segment, role_side

    if role is None:
        return side, placement
    r = parse_role(role)
    r_side, segment = role_side(r), role_segment(r)
    if given.placement is not None and given.placement != segment:
        raise CliError(f"--placement {given.placement}: the {r} sensor is on the {segment}")
    if r_side is not None and given.side is not None and given.side != r_side:
        raise CliError(f"--side {given.side}: the {r} sensor is on the {r_side} leg")
    return (r_side or side), segment


def _guided(args: argparse.Namespace, con: Console
            ) -> tuple[CalibrationProfile, list[str], str | None, dict[str, Any]]:
    role = args.device[1] if args.device else None
    side, placement = role_leg(role, args.side or "left", args.placement or "shank", given=args)
    steps = [args.step] if args.step else list(STEP_CHOICES)
    checks: dict[str, Any] = {}
    source: Source | None = None
    address: str | None
    name: str | None
    firmware: str | None
    if args.simulate:
        from calibration import simulated

        address, name = simulated.address(args.seed), simulated.NAME
        firmware = simulated.FIRMWARE
    else:
        from trainer.cli.sources import open_source

        source = open_source(device=args.device[0])
        address = source.info.address or args.device[0]
        name, firmware = source.info.name, source.info.firmware
    profile = _base_profile(address, name, firmware, con)
    from calibration.guide import STEP_TITLES

    try:
        if source is not None:
            source.start()
        for k, step in enumerate(steps, 1):
            con.say(f"Step {k}/{len(steps)}: {STEP_TITLES[step]}")
            if step == "mount" and "accel" not in profile.steps_done:
                con.say("  note: no accelerometer calibration yet; the vertical uses raw data")
            result: StepResult
            if source is None:
                result, check = _run_simulated_step(step, profile, args, con, side, placement)
                checks[step] = check
            else:
                result = _run_live_step(step, profile, source, args, con, side, placement)
            _print_result(con, result)
            profile = _apply(profile, result)
    finally:
        if source is not None:
            source.stop()
    return profile, steps, address, checks


def _check_out(out: str, session: str | None) -> None:
    """``--out``: an existing folder, not in a session, not over the input or a non-JSON file."""
    from trainer.outputs import OutputError, check_output_file

    try:
        check_output_file(out, option="--out", kind="json", inputs=[session] if session else [])
    except OutputError as exc:
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    from calibration import store
    from trainer.vocab.calibration import ProfileError

    con = Console(sys.stderr if args.json else sys.stdout)
    if args.sensor is not None and not args.from_session:
        raise CliError("--sensor is for --from SESSION; give a live sensor's role as --device "
                       "ADDRESS:ROLE")
    if args.no_save and not args.out:
        raise CliError("--no-save needs --out PROFILE.json (otherwise the result is lost)")
    if args.out is not None:
        _check_out(args.out, args.from_session)
    checks: dict[str, Any] = {}
    if args.from_session:
        profile, steps, address = _from_session(args, con)
    else:
        profile, steps, address, checks = _guided(args, con)
    if "accel" in steps and "mount" not in steps and profile.has_mounting:
        con.say("note: the stored mounting predates this accelerometer calibration; "
                "repeat `--step mount` for best accuracy")
    saved = None
    if not args.no_save and not address and not args.out:
        raise CliError("the session has no sensor address to store the profile under; "
                       "give --out PROFILE.json")
    # --out first: when it cannot be written the stored profile stays as it was
    if args.out:
        try:
            store.write_profile_file(profile, args.out)
        except OSError as exc:
            raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    try:
        if not args.no_save:
            if address:
                saved = store.save(profile)
            else:
                con.say("note: no sensor address: profile not stored, only written to --out")
    except ProfileError as exc:
        raise CliError(str(exc)) from None
    except OSError as exc:
        raise CliError(f"cannot store the profile: {exc.strerror or exc}") from None
    con.say(f"done: {', '.join(profile.steps_done) or 'no step'} calibrated"
            + (f"; still missing: {', '.join(profile.missing)}" if profile.missing else ""))
    if saved:
        con.say(f"profile stored for {address}: {saved}")
    if args.out:
        con.say(f"profile written to {args.out}")
    if args.json:
        out = profile.to_dict()
        if checks:
            out["simulator_check"] = checks
        sys.stdout.write(json.dumps(out, indent=2) + "\n")
    return 0
