"""Non-Bluetooth checks: audio output, display / Qt (probed in a subprocess: the parent never
imports Qt), the data and profile folders, the stored safety answers and calibration profiles."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from trainer import paths
from trainer.doctor.report import FAIL, OK, WARN, Check

#: Bytes per sample in imu.bin (t_s f8, seq u4, acc 3×f4, gyr 3×f4).
RECORD_BYTES = 36
LOW_SPACE_WARN = 500 * 1024**2
LOW_SPACE_FAIL = 50 * 1024**2
#: The Debian libraries Qt's xcb platform needs (the same list scripts/bootstrap.sh installs).
QT_DEBS = ("libegl1 libgl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 libxcb-cursor0 "
           "libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 "
           "libxcb-shape0 libxcb-xinerama0 libxcb-xkb1")
_QT_PROBE = """
import json, sys
from PySide6 import QtCore
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
s = app.primaryScreen()
size = None if s is None else [s.size().width(), s.size().height()]
print(json.dumps({"qt": QtCore.qVersion(), "platform": app.platformName(), "screen": size}))
"""


# -- audio -----------------------------------------------------------------------------------
def audio_check() -> Check:
    title = "Audio output"
    try:
        import sounddevice as sd
    except OSError:
        fix = ("`sudo apt install libportaudio2`" if sys.platform.startswith("linux")
               else "reinstall the sounddevice package (`pip install --force-reinstall "
                    "sounddevice`)")
        return Check("audio.output", title, WARN,
                     "the PortAudio library is missing: no audio feedback", fix)
    except ImportError:
        return Check("audio.output", title, WARN, "sounddevice is not installed: no audio "
                     "feedback", "`pip install sounddevice`")
    try:
        dev = sd.query_devices(kind="output")
    except Exception as exc:
        fix = ("check that PipeWire or PulseAudio runs (`pactl info`) and an output is chosen"
               if sys.platform.startswith("linux") else
               "plug in headphones or speakers, or choose an output in the sound settings")
        return Check("audio.output", title, WARN,
                     f"no audio output device ({str(exc).splitlines()[0]}): no audio feedback",
                     fix)
    name = dev.get("name", "?") if isinstance(dev, dict) else str(dev)
    rate = dev.get("default_samplerate") if isinstance(dev, dict) else None
    return Check("audio.output", title, OK,
                 f"{name}" + (f" ({rate:g} Hz)" if isinstance(rate, float) else ""),
                 details={"device": name})


# -- display / Qt ----------------------------------------------------------------------------
def display_check(timeout_s: float = 30.0) -> Check:
    title = "Display / Qt"
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if (sys.platform.startswith("linux") and not platform and not os.environ.get("DISPLAY")
            and not os.environ.get("WAYLAND_DISPLAY")):
        return Check("display.qt", title, FAIL,
                     "no display (neither DISPLAY nor WAYLAND_DISPLAY is set): the dashboard "
                     "cannot open a window",
                     "run it from a desktop session, or in a virtual one: `xvfb-run -a "
                     "balance-trainer demo`; headless commands (record, analyze) work as is")
    try:
        proc = subprocess.run([sys.executable, "-c", _QT_PROBE], capture_output=True, text=True,
                              timeout=timeout_s)
    except subprocess.TimeoutExpired:
        return Check("display.qt", title, FAIL, f"Qt did not start within {timeout_s:g} s",
                     "check the display connection (`echo $DISPLAY`, `xdpyinfo`)")
    if proc.returncode != 0:
        err = proc.stderr.strip().splitlines()
        last = next((ln for ln in reversed(err) if ln.strip()), "no output")
        text = proc.stderr
        if "ModuleNotFoundError" in text and "PySide6" in text:
            fix = "install the app's dependencies again (`pip install .` or `pipx reinstall " \
                  "ankle-balance-trainer`)"
        elif "platform plugin" in text or "xcb" in text or ".so" in text:
            fix = (f"`sudo apt install {QT_DEBS}`" if sys.platform.startswith("linux")
                   else "reinstall PySide6 (`pip install --force-reinstall PySide6-Essentials`)")
        else:
            fix = "run `balance-trainer demo` to see Qt's full message"
        return Check("display.qt", title, FAIL, f"Qt cannot start: {last[:200]}", fix)
    try:
        info = json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return Check("display.qt", title, FAIL, "the Qt probe printed nothing readable",
                     "run `balance-trainer demo` to see Qt's message")
    screen = info.get("screen")
    where = f"Qt {info['qt']} on '{info['platform']}'" + (
        f", screen {screen[0]}×{screen[1]}" if screen else "")
    if info["platform"] in ("offscreen", "minimal"):
        return Check("display.qt", title, WARN,
                     f"{where}: windows are invisible (QT_QPA_PLATFORM={platform})",
                     "unset QT_QPA_PLATFORM to see the dashboard", info)
    return Check("display.qt", title, OK, where, details=info)


# -- folders ---------------------------------------------------------------------------------
def _human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"  # pragma: no cover


def _writable(path: Path) -> bool:
    try:
        fd, name = tempfile.mkstemp(dir=path, prefix=".doctor-")
    except OSError:
        return False
    os.close(fd)
    os.unlink(name)
    return True


def folder_check(key: str, title: str, path: Path, *, with_space: bool = True) -> Check:
    cid = f"folders.{key}"
    details: dict[str, object] = {"path": str(path)}
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if path.exists() and not path.is_dir():
        return Check(cid, title, FAIL, f"{path} is a file, not a folder",
                     "move it away, or set BALANCE_TRAINER_HOME to another folder", details)
    if not _writable(existing):
        owner = ""
        if hasattr(os, "getuid"):
            try:
                if existing.stat().st_uid != os.getuid():
                    owner = f"`sudo chown -R $USER {existing}` or "
            except OSError:
                pass
        return Check(cid, title, FAIL, f"{existing} is not writable",
                     f"{owner}`chmod u+rwx {existing}`, or set BALANCE_TRAINER_HOME to a "
                     "writable folder", details)
    free = shutil.disk_usage(existing).free
    hours = free / (RECORD_BYTES * 100 * 3600)
    details["free_bytes"] = free
    space = f"; {_human(free)} free, ~{hours:,.0f} h of recording at 100 Hz" if with_space else ""
    if free < LOW_SPACE_FAIL:
        return Check(cid, title, FAIL, f"{path}: only {_human(free)} free",
                     "free some disk space", details)
    if not path.exists():
        return Check(cid, title, OK, f"{path} (created on first use{space})", details=details)
    status, fix, note = OK, None, ""
    if os.name == "posix":
        mode = path.stat().st_mode & 0o777
        details["mode"] = f"{mode:04o}"
        if mode & 0o077:
            status, fix = WARN, f"`chmod 700 {path}` (sessions are health data)"
            note = f"readable by other users (mode {mode:04o})"
        else:
            note = "owner-only"
    if free < LOW_SPACE_WARN:
        status, fix = WARN, fix or "free some disk space"
    return Check(cid, title, status, f"{path} ({note or 'exists'}{space})", fix, details)


def folder_checks() -> list[Check]:
    return [
        folder_check("sessions", "Sessions folder", paths.sessions_dir()),
        folder_check("data", "Data folder", paths.data_dir(), with_space=False),
        folder_check("profiles", "Profiles folder", paths.profiles_dir(), with_space=False),
        folder_check("config", "Settings folder", paths.config_dir(), with_space=False),
    ]


# -- stored answers and profiles -------------------------------------------------------------
def safety_check(now: datetime | None = None) -> Check:
    from trainer.drills.store import DrillStore

    title = "Safety questions"
    store = DrillStore()
    screening = store.screening()
    if screening is None:
        damaged = store.safety_path.exists()
        return Check("stored.safety", title, WARN,
                     "the stored answers are unreadable" if damaged else "not answered yet",
                     "`balance-trainer safety` (asked before the first training)")
    now = now or datetime.now(UTC)
    gate = store.gate(now)
    days = (now - screening.answered_at.astimezone(UTC)).total_seconds() / 86400
    details = {**gate.to_dict(), "answered_days_ago": round(days, 1)}
    when = f"answered {days:.0f} day(s) ago"
    if gate.status == "cleared":
        nxt = (f"; asked again in {(gate.next_screening - now).days} day(s)"
               if gate.next_screening else "")
        return Check("stored.safety", title, OK, f"{when}, no red flags{nxt}", details=details)
    if gate.status == "blocked":
        return Check("stored.safety", title, WARN, f"{when}: {gate.message}",
                     "see a doctor before training; answer again with `balance-trainer safety`",
                     details)
    return Check("stored.safety", title, WARN, f"{when}: {gate.message}",
                 "`balance-trainer safety`", details)


def profile_checks(now: datetime | None = None) -> list[Check]:
    from calibration.store import DEFAULT_MAX_AGE_DAYS, check_profile, list_profiles
    from calibration.store import profile_age_days as age_of

    title = "Calibration profile"
    stored = list_profiles()
    if not stored:
        return [Check("stored.profiles", title + "s", OK,
                      "none yet (optional: without one the sway is relative to how the sensor "
                      "sits)", details={"profiles": []})]
    out = []
    for path, profile in stored:
        if profile is None:
            out.append(Check("stored.profiles", title, WARN, f"{path.name} is unreadable",
                             f"delete {path} and calibrate again (`balance-trainer calibrate`)"))
            continue
        address = profile.sensor.get("address") if isinstance(profile.sensor, dict) else None
        who = f"{address or path.stem}"
        age = age_of(profile, now)
        fw = profile.firmware or "unknown"
        steps = ", ".join(profile.steps_done) or "no steps done"
        summary = (f"{who}: {'age unknown' if age is None else f'{age:.0f} day(s) old'}, "
                   f"firmware {fw}, {steps}")
        reasons = check_profile(profile, max_age_days=DEFAULT_MAX_AGE_DAYS, now=now)
        details = {"file": str(path), "address": address, "age_days": age, "firmware": fw,
                   "steps_done": list(profile.steps_done)}
        if reasons:
            out.append(Check("stored.profiles", title, WARN, f"{summary}; {reasons[0]}",
                             f"`balance-trainer calibrate --device {address or 'ADDRESS'}`",
                             details))
        else:
            out.append(Check("stored.profiles", title, OK, summary, details=details))
    return out


def app_info() -> dict[str, object]:
    import platform

    from trainer import __version__ as version

    return {"app": "balance-trainer", "version": version,
            "python": platform.python_version(),
            "platform": f"{platform.system()} {platform.release()}",
            "machine": platform.machine(), "executable": sys.executable,
            "home": os.environ.get("BALANCE_TRAINER_HOME"),
            "time": datetime.now(UTC).isoformat(timespec="seconds")}
