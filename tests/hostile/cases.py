"""Hostile inputs, generated: broken session directories, CSV files and flag values.

Each session case is a copy of one small good session with one thing made hostile (a meta field
with an absurd value, a garbage or special ``events.jsonl``, a drill result of the wrong type, a
zero-filled ``imu.bin`` tail…). The values come from tables of absurd values crossed with every
field (not hand-written fixtures), so a new field or a new absurd value adds cases by itself.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from trainer.recording import SessionWriter
from trainer.recording import format as fmt

#: Absurd JSON values: every meta field and every drill-result number gets each of them.
ABSURD_VALUES: dict[str, Any] = {
    "huge": 1e308,
    "overflow": "1e999",  # raw JSON text: parses as inf
    "nan": "NaN",  # raw JSON text
    "neg_inf": "-Infinity",  # raw JSON text
    "negative": -1,
    "zero": 0,
    "bigint": 10**30,
    "string": "abc",
    "escape": "\x1b[2J\x1b[31mpwned\x07",
    "long": "x" * 100_000,
    "list": [1, 2, 3],
    "object": {"a": {"b": {}}},
    "null": None,
    "bool": True,
}
#: Raw JSON spellings for values json.dumps cannot write as given.
_RAW = {"overflow", "nan", "neg_inf"}

META_FIELDS = ("format_version", "session_id", "start_time", "device", "sample_rate_hz",
               "placement", "side", "drill", "calibration", "status", "n_samples")
RESULT_FIELDS = ("holds_s", "rom_deg", "time_to_first_loss_s", "reps", "best_stance_s",
                 "pain", "level", "kind")

Mutator = Callable[[Path], None]


def make_good_session(path: Path, seconds: float = 3.0, rate_hz: float = 100.0) -> Path:
    """A small, complete single-leg-balance session (a still sensor with a little noise)."""
    n = int(seconds * rate_hz)
    rng = np.random.default_rng(7)
    t = np.arange(n) / rate_hz
    acc = np.column_stack([rng.normal(0, 0.01, n), rng.normal(0, 0.01, n),
                           1.0 + rng.normal(0, 0.01, n)])
    gyr = rng.normal(0, 0.5, (n, 3))
    from trainer.vocab.batch import SampleBatch

    with SessionWriter(path, sample_rate_hz=rate_hz, drill_id="single-leg-balance",
                       side="left", placement="shank") as w:
        w.append(SampleBatch.from_arrays(t, acc, gyr))
        w.event(0.5, "marker", label="m")
        w.event(2.5, "drill_end", result={"id": "single-leg-balance", "kind": "balance",
                                          "holds_s": [2.0], "best_stance_s": 2.0,
                                          "time_to_first_loss_s": None})
    return path


def _dump_with_raw(obj: dict[str, Any], key: str, name: str) -> str:
    """JSON of ``obj`` with ``obj[key]`` set to the absurd value ``name``."""
    if name in _RAW:
        obj = dict(obj, **{key: "__RAW__"})
        return json.dumps(obj).replace('"__RAW__"', str(ABSURD_VALUES[name]))
    return json.dumps(dict(obj, **{key: ABSURD_VALUES[name]}))


def set_meta(key: str, name: str) -> Mutator:
    def change(p: Path) -> None:
        meta = json.loads((p / fmt.META_FILE).read_text())
        (p / fmt.META_FILE).write_text(_dump_with_raw(meta, key, name))
    return change


def set_drill_param(key: str, value: Any) -> Mutator:
    def change(p: Path) -> None:
        meta = json.loads((p / fmt.META_FILE).read_text())
        meta["drill"].setdefault("parameters", {})[key] = value
        (p / fmt.META_FILE).write_text(json.dumps(meta))
    return change


def add_event_line(line: bytes) -> Mutator:
    def change(p: Path) -> None:
        with open(p / fmt.EVENTS_FILE, "ab") as f:
            f.write(line + b"\n")
    return change


def drill_end_with(key: str, name: str) -> Mutator:
    result = {"id": "single-leg-balance", "kind": "balance", "holds_s": [3.0]}
    line = '{"t_s": 2.9, "type": "drill_end", "result": ' + _dump_with_raw(result, key, name) + "}"
    return add_event_line(line.encode())


def replace_file(name: str, how: str) -> Mutator:
    """``name`` in the session replaced by a FIFO, a symlink to /dev/zero, a directory, a
    symlink loop, or a dangling symlink."""
    def change(p: Path) -> None:
        target = p / name
        target.unlink()
        if how == "fifo":
            os.mkfifo(target)
        elif how == "devzero":
            target.symlink_to("/dev/zero")
        elif how == "dir":
            target.mkdir()
        elif how == "loop":
            target.symlink_to(target.name)
        elif how == "dangling":
            target.symlink_to("nowhere-" + target.name)
    return change


def deep_json(name: str, depth: int = 100_000) -> Mutator:
    def change(p: Path) -> None:
        (p / name).write_text("[" * depth + "]" * depth + ("\n" if name == fmt.EVENTS_FILE else ""))
    return change


def killed_with_tail(kind: str, records: int = 40) -> Mutator:
    """Status ``recording`` (the writer was killed) and ``records`` zero-filled or garbage
    records after the good ones (power loss: blocks allocated, never written)."""
    def change(p: Path) -> None:
        meta = json.loads((p / fmt.META_FILE).read_text())
        meta["status"] = fmt.STATUS_RECORDING
        (p / fmt.META_FILE).write_text(json.dumps(meta))
        size = records * fmt.IMU_DTYPE.itemsize
        tail = bytes(size) if kind == "zeros" else np.random.default_rng(3).bytes(size)
        with open(p / fmt.IMU_FILE, "ab") as f:
            f.write(tail + (b"\x01\x02\x03" if kind == "zeros+partial" else b""))
    return change


def session_cases() -> dict[str, Mutator]:
    """Every hostile session, by name."""
    cases: dict[str, Mutator] = {}
    for key in META_FIELDS:
        for name in ABSURD_VALUES:
            cases[f"meta-{key}-{name}"] = set_meta(key, name)
    for key in ("sets", "reps", "hold_s", "rest_s"):
        for value in (10**9, 1e9, -1, 1e308, "abc"):
            cases[f"param-{key}-{value!r}"] = set_drill_param(key, value)
    for key in RESULT_FIELDS:
        for name in ("string", "overflow", "list", "object", "escape", "bigint"):
            cases[f"result-{key}-{name}"] = drill_end_with(key, name)
    for rating in ("Infinity", "1e999", '"high"', "-3", "11", "[5]"):
        cases[f"pain-{rating}"] = add_event_line(
            b'{"t_s": 2.9, "type": "pain_rating", "rating": ' + rating.encode() + b"}")
    for i, raw in enumerate((
            b"\xff\xfe\x00garbage", b'{"t_s": 1.0, "type": ["marker"]}',
            b'{"t_s": 1e999, "type": "marker"}', b'{"t_s": "1", "type": "marker"}',
            b'{"t_s": 1.0, "type": "\x1b[31mred"}', b"[1, 2]", b'"str"',
            b'{"t_s": 1.0, "type": "set_start", "set": 1e999}')):
        cases[f"event-{i}"] = add_event_line(raw)
    for name in (fmt.META_FILE, fmt.EVENTS_FILE, fmt.IMU_FILE):
        for how in ("fifo", "devzero", "dir", "loop", "dangling"):
            cases[f"file-{name}-{how}"] = replace_file(name, how)
    cases["deep-session.json"] = deep_json(fmt.META_FILE)
    cases["deep-events.jsonl"] = deep_json(fmt.EVENTS_FILE)
    cases["big-events.jsonl"] = add_event_line(b'{"t_s": 1.0, "type": "marker", "x": "'
                                               + b"a" * (70 << 20) + b'"}')
    for kind in ("zeros", "garbage", "zeros+partial"):
        cases[f"killed-{kind}-tail"] = killed_with_tail(kind)
    return cases


def build_case(good: Path, dest: Path, mutate: Mutator) -> Path:
    shutil.copytree(good, dest, symlinks=True)
    mutate(dest)
    return dest


def snapshot(path: Path) -> dict[str, tuple[str, int, bytes]]:
    """What a folder holds (name → kind, mode, content of regular files), without following
    links or reading special files: to check that a command destroyed nothing."""
    out: dict[str, tuple[str, int, bytes]] = {}
    for folder, dirs, files in os.walk(path, followlinks=False):
        for name in dirs + files:
            p = Path(folder) / name
            st = os.lstat(p)
            rel = str(p.relative_to(path))
            if p.is_symlink():
                out[rel] = ("link", st.st_mode, os.readlink(p).encode())
            elif p.is_file():
                with open(p, "rb") as f:
                    head = f.read(1 << 20)
                out[rel] = ("file", st.st_mode, head + str(st.st_size).encode())
            else:
                out[rel] = ("other", st.st_mode, b"")
    return out


#: Bad values for numeric flags (argparse or the command must refuse each: one line, exit 2).
BAD_NUMBERS = ("nan", "inf", "-inf", "-1", "0", "1e999", "1e11", "", "abc", "1e-9", "0x10")
#: Commands with a numeric flag last: every BAD_NUMBERS value is appended.
NUMERIC_FLAGS = (
    "import {csv} --format generic --out {out}/imp --rate",
    "record --simulate --out {out}/rec --duration",
    "record --simulate --out {out}/rec --duration 1 --rate",
    "analyze {good} --target-radius",
    "scan --timeout",
    "calibrate --simulate --no-save --timeout",
    "report {good} --out {out}/r.html --age",
    "dashboard --replay {good} --speed",
    "dashboard --simulate --rate",
    "dashboard --simulate --quit-after",
)
