"""`record --lsl`: a real recorder process streams what it records; a pylsl inlet in this
process receives it. The stream names get a prefix of their own (BALANCE_TRAINER_LSL_PREFIX):
other tests may stream on this machine at the same time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from trainer.lsl import LslUnavailable, load_pylsl
from trainer.recording import open_session

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT_S = 30.0


def test_record_lsl_streams_what_it_records(tmp_path: Path) -> None:
    try:
        lsl = load_pylsl()
    except LslUnavailable as exc:
        pytest.skip(f"liblsl cannot be loaded here: {exc}")
    prefix = f"BalanceTrainerTest{uuid.uuid4().hex[:10]}"
    out = tmp_path / "s"
    env = dict(os.environ, BALANCE_TRAINER_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT),
               BALANCE_TRAINER_LSL_PREFIX=prefix)
    cmd = [sys.executable, "-m", "trainer.cli.main", "record", "--simulate", "--seed", "3",
           "--drill", "single-leg-balance", "--side", "right", "--duration", "12",
           "--sim-speed", "3", "--quiet", "--lsl", "--out", str(out)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        found = lsl.resolve_byprop("name", f"{prefix}-right-shank", 1, TIMEOUT_S)
        assert found, proc.poll() is not None and proc.communicate()
        samples = lsl.StreamInlet(found[0], max_buflen=120, processing_flags=0)
        samples.open_stream(TIMEOUT_S)
        found = lsl.resolve_byprop("name", f"{prefix}-events", 1, TIMEOUT_S)
        markers = lsl.StreamInlet(found[0], max_buflen=120, processing_flags=0)
        markers.open_stream(TIMEOUT_S)
        info = samples.info(TIMEOUT_S)
        offset = float(info.desc().child("session").child_value("clock_offset_s"))
        session_id = info.desc().child("session").child_value("session_id")
        rows: list[list[float]] = []
        stamps: list[float] = []
        lines: list[str] = []
        deadline = time.monotonic() + 2 * TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            chunk, ts = samples.pull_chunk(timeout=0.2)
            rows += chunk
            stamps += ts
            mchunk, _ = markers.pull_chunk(timeout=0.0)
            lines += [m[0] for m in mchunk]
        _, stderr = proc.communicate(timeout=TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr
    assert "streaming to Lab Streaming Layer" in stderr
    s = open_session(out)
    assert session_id == s.meta["session_id"]
    rec = s.batch()
    got_t = np.asarray(stamps) - offset
    assert got_t.size > 200, "too few samples received"
    # what arrived is a contiguous run of what was recorded: same times, same float32 values
    i0 = int(np.searchsorted(rec.t_s, got_t[0] - 1e-7))
    np.testing.assert_allclose(got_t, rec.t_s[i0:i0 + got_t.size], rtol=0, atol=1e-6)
    values = np.asarray(rows, dtype=np.float32)
    np.testing.assert_array_equal(values[:, :3], rec.acc_g[i0:i0 + got_t.size].astype(np.float32))
    np.testing.assert_array_equal(values[:, 3:], rec.gyr_dps[i0:i0 + got_t.size].astype(np.float32))
    # every marker is a line of events.jsonl (those after the inlet connected)
    recorded = [json.dumps(e, sort_keys=True) for e in s.events]
    received = [json.dumps(json.loads(line), sort_keys=True) for line in lines]
    assert received, "no event markers received"
    assert all(r in recorded for r in received), (received, recorded)
