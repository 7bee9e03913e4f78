"""Make docs/screenshots/history.png: eight weeks of simulated single-leg-balance sessions on both
legs (the injured left leg steadier week by week), summarised with the core pipeline exactly as
the dashboard stores them, shown in the History tab.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshots/make_history.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def make_sessions(sessions_dir: Path) -> None:
    from firmware_bridge.simulator import SimConfig, simulate
    from trainer.core.pipeline import PipelineConfig, analyze
    from trainer.recording import SessionWriter

    start = datetime(2026, 9, 1, 18, 0, tzinfo=UTC)
    for week in range(8):
        for side in ("left", "right"):
            injured = side == "left"
            scale = (1.9 - 0.11 * week) if injured else 1.0
            losses = (max(6.0, 9.0 + 3.0 * week),) if injured and week < 6 else ()
            cfg = SimConfig(seed=100 + 2 * week + injured, sample_rate_hz=100.0, duration_s=30.0,
                            side=side, sway_scale=scale, balance_loss_times_s=losses)
            rec = simulate(cfg)
            when = start + timedelta(days=7 * week, minutes=10 * injured)
            path = sessions_dir / f"{when:%Y%m%dT%H%M%SZ}-{side}"
            res = analyze(rec.batch, PipelineConfig(sample_rate_hz=100.0, side=side))
            summary: dict[str, object] = {"drill": "single-leg-balance", "side": side,
                                          "losses": len(losses)}
            if res.sway:
                summary["ellipse_area"] = res.sway["ellipse_area"]
            if losses:
                summary["time_to_first_loss_s"] = losses[0]
            with SessionWriter(path, sample_rate_hz=100.0, device=rec.info, side=side,
                               start_time=when, simulated=True) as w:
                w.append(rec.batch)
            meta = json.loads((path / "session.json").read_text())
            meta["summary"] = summary
            (path / "session.json").write_text(json.dumps(meta))


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="history-shot-"))
    os.environ["BALANCE_TRAINER_HOME"] = str(home)
    from trainer.paths import sessions_dir

    make_sessions(sessions_dir())
    from PySide6.QtCore import QTimer

    from trainer.ui.app import ensure_app, save_screenshot
    from trainer.ui.main_window import MainWindow

    app = ensure_app()
    win = MainWindow(audio=False)
    win.resize(1560, 940)
    win.show()
    win.history.injured.setCurrentText("left")
    win.tabs.setCurrentWidget(win.history)
    out = ROOT / "docs" / "screenshots" / "history.png"

    def shoot() -> None:
        if not win.history.sessions:
            QTimer.singleShot(500, shoot)
            return
        save_screenshot(win, out)
        print(f"wrote {out} ({len(win.history.sessions)} sessions)")
        win.close()
        app.quit()

    QTimer.singleShot(1500, shoot)
    app.exec()
    return 0


if __name__ == "__main__":
    sys.exit(main())
