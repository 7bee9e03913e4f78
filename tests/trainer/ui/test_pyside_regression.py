"""Regression for the PySide6 6.12.0 reference-count bug (DESIGN.md): on CPython <= 3.11 every
Signal.emit and every Python override of a Qt virtual drops a reference from True/None, and a
pyqtgraph live loop aborts with "Fatal Python error: none_dealloc" within ~100 frames."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import PySide6

LOOP = textwrap.dedent("""
    import sys
    import numpy as np
    import pyqtgraph as pg
    from PySide6.QtCore import QObject, QTimer, Signal
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])

    class Plot(pg.PlotWidget):          # a Python override of a Qt virtual, called every frame
        painted = 0
        def paintEvent(self, ev):
            super().paintEvent(ev)
            Plot.painted += 1

    class Hub(QObject):
        tick = Signal(object)            # many emits carrying None / True
        flag = Signal(bool)

    w = Plot()
    w.resize(400, 300)
    w.show()
    curve = w.plot(pen=pg.mkPen("y", width=1), skipFiniteCheck=True)
    hub = Hub()
    seen = []
    hub.tick.connect(lambda v: seen.append(v is None))
    hub.flag.connect(lambda v: seen.append(v is True))
    rng = np.random.default_rng(0)
    frames = 0

    def frame():
        global frames
        frames += 1
        x = np.arange(2000.0)
        curve.setData(x, rng.normal(size=2000), skipFiniteCheck=True)
        for _ in range(20):
            hub.tick.emit(None)
            hub.flag.emit(True)
        w.repaint()
        if frames >= 400:
            print("frames", frames, "painted", Plot.painted, "emits", len(seen))
            app.quit()

    t = QTimer()
    t.timeout.connect(frame)
    t.start(0)
    app.exec()
""")


def test_live_pyqtgraph_loop_survives_many_frames_and_emits() -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    r = subprocess.run([sys.executable, "-c", LOOP], env=env, capture_output=True, text=True,
                       timeout=240)
    assert "none_dealloc" not in r.stderr
    assert r.returncode == 0, r.stderr[-2000:]
    assert "frames 400" in r.stdout and "emits 16000" in r.stdout


def test_pyside6_is_not_the_broken_release_on_old_python() -> None:
    if sys.version_info < (3, 12):
        assert PySide6.__version__ != "6.12.0", (
            "PySide6 6.12.0 on Python <= 3.11 aborts live plots (none_dealloc); use 6.11.x")
