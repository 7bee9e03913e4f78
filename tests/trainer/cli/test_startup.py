"""Start-up stays light: each command imports only what it uses (``python -X importtime``).

No timing assertion (machines are noisy): the test fails when a heavy module sneaks into a path
that does not need it. ``benchmarks/bench_startup.py`` measures the times.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.cli.main import COMMANDS

ROOT = Path(__file__).resolve().parents[3]
SAMPLE = ROOT / "recordings" / "single-leg-balance-eyes-closed-loss"
#: Repetition and hold drills: their detectors filter (trainer.core.iir, not scipy.signal).
DRILL_SAMPLES = [ROOT / "recordings" / "calf-raise-set",
                 ROOT / "recordings" / "isometric-eversion-holds"]

#: Never needed to print help or parse arguments.
HEAVY_FOR_HELP = ("numpy", "scipy", "vqf", "PySide6", "pyqtgraph", "bleak", "sounddevice",
                  "dbus", "dbus_fast", "pylsl", "firmware_bridge.simulator", "pyarrow")
#: ``analyze`` of a balance session needs numpy and vqf, nothing of these (scipy.signal alone
#: costs ~0.8 s to import with SciPy 1.17).
HEAVY_FOR_ANALYZE = ("scipy.signal", "scipy.ndimage", "scipy.stats", "scipy.optimize",
                     "scipy.linalg", "PySide6", "pyqtgraph", "bleak", "sounddevice", "pylsl",
                     "firmware_bridge.simulator", "pyarrow")


def imported_modules(*args: str) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """Modules a ``balance-trainer`` run imports, from ``-X importtime`` (stderr)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTHONPROFILEIMPORTTIME", None)
    # what the `balance-trainer` console script does
    entry = "import sys; from trainer.cli.main import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", entry, *args],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    mods = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":  # the header line
                mods.add(name)
    return mods, proc


def sneaked(mods: set[str], heavy: tuple[str, ...]) -> list[str]:
    return sorted(m for m in mods if any(m == h or m.startswith(h + ".") for h in heavy))


def test_help_imports_nothing_heavy() -> None:
    mods, proc = imported_modules("--help")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "trainer.cli.main" in mods  # the parse worked
    assert not sneaked(mods, HEAVY_FOR_HELP), sneaked(mods, HEAVY_FOR_HELP)


@pytest.mark.parametrize("command", [c.replace("_", "-") if c != "import_cmd" else "import"
                                     for c in COMMANDS])
def test_subcommand_help_imports_nothing_heavy(command: str) -> None:
    mods, proc = imported_modules(command, "--help")
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not sneaked(mods, HEAVY_FOR_HELP), sneaked(mods, HEAVY_FOR_HELP)


def test_analyze_of_a_balance_session_skips_scipy_signal() -> None:
    mods, proc = imported_modules("analyze", "--json", str(SAMPLE))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "vqf" in mods and "trainer.drills.analysis" in mods  # the real path ran
    assert not sneaked(mods, HEAVY_FOR_ANALYZE), sneaked(mods, HEAVY_FOR_ANALYZE)


@pytest.mark.parametrize("sample", DRILL_SAMPLES, ids=lambda p: p.name)
def test_analyze_of_a_rep_or_hold_drill_skips_scipy(sample: Path) -> None:
    mods, proc = imported_modules("analyze", "--json", str(sample))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "trainer.core.iir" in mods  # the drill's filters ran
    assert not sneaked(mods, HEAVY_FOR_ANALYZE), sneaked(mods, HEAVY_FOR_ANALYZE)


def test_export_skips_scipy_signal(tmp_path: Path) -> None:
    mods, proc = imported_modules("export", str(SAMPLE), "--format", "csv",
                                  "--out", str(tmp_path / "out.csv"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not sneaked(mods, HEAVY_FOR_ANALYZE), sneaked(mods, HEAVY_FOR_ANALYZE)


def test_the_detector_matches_scipy_signal() -> None:
    """The drill detectors' low-pass (trainer.core.iir) still gives scipy's filter, streamed."""
    import numpy as np
    from scipy import signal

    from trainer.drills.detectors import LowPass

    x = np.sin(np.linspace(0, 20, 500))
    lp = LowPass(100.0, 3.0)
    y = np.concatenate((lp(x[:123]), lp(x[123:])))
    sos = signal.butter(2, 3.0, fs=100.0, output="sos")
    ref, _ = signal.sosfilt(sos, x, zi=signal.sosfilt_zi(sos) * x[0])
    np.testing.assert_allclose(y, ref, rtol=0, atol=1e-12)
