"""Dashboard speed: frames/s, notification-to-pixels latency, GUI-thread CPU; and a soak mode.

A producer thread plays a BLE sensor: every ``1/notify_hz`` s it puts a few samples of the
simulated stance (``SensorStream``) into a ``BatchBuffer`` and notes the arrival time of the
newest sample. The real ``MainWindow`` pulls them on its 60 Hz timer, runs the pipeline (and the
recorder in soak mode) and redraws. Latency = time from a sample's arrival to the end of the paint
of the frame that first shows it. GUI CPU = ``time.thread_time()`` of the GUI thread / wall time.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_ui.py            # 20 s, 400 Hz
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_ui.py  # real X window
    .venv/bin/python benchmarks/bench_ui.py --minutes 60                          # one-hour soak

Targets (issue 6): ≥ 55 frames/s, latency p95 < 30 ms, GUI thread < 50 % of one core; soak:
memory growth < 50 MB and steady latency, with recording on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from array import array
from collections import deque
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class NotifyingSource:
    """A Source fed by a thread at ``notify_hz`` notifications/s (like BLE), arrival-stamped.

    ``next_samples(n)`` gives the next ``n`` samples (fewer, or none, when a finite source ends).
    """

    def __init__(self, info: object, next_samples: Any, rate_hz: float, notify_hz: float,
                 name: str = "fake-ble") -> None:
        from trainer.vocab.source import BatchBuffer

        self.info = info
        self._next = next_samples
        self.rate_hz = rate_hz
        self.notify_hz = notify_hz
        self._buf = BatchBuffer()
        self.arrivals: deque[tuple[float, float]] = deque(maxlen=4096)  # (t_s newest, perf)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self.finished = False
        self._sent = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def deliver(self, n: int) -> bool:
        """One notification of the next ``n`` samples, stamped now; False once the source ends."""
        batch = self._next(n)
        if not len(batch):
            return False
        self._sent += len(batch)
        with self._lock:
            self.arrivals.append((float(batch.t_s[-1]), time.perf_counter()))
        self._buf.put(batch)
        return True

    def _run(self) -> None:
        period = 1.0 / self.notify_hz
        t0 = time.perf_counter()
        k = 0
        while not self._stop.is_set():
            k += 1
            due = round((time.perf_counter() - t0) * self.rate_hz) - self._sent
            if due > 0 and not self.deliver(due):
                return
            wait = t0 + k * period - time.perf_counter()
            if wait > 0:
                time.sleep(wait)

    def read(self):  # type: ignore[no-untyped-def]
        return self._buf.take()

    def drain_status(self) -> list[object]:
        return self._buf.take_status()  # type: ignore[return-value]

    def arrival_of(self, t_s: float) -> float | None:
        """When the notification carrying sample ``t_s`` arrived."""
        with self._lock:
            for t_last, perf in reversed(self.arrivals):
                if t_last <= t_s + 1e-9:
                    return perf
        return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time (after warm-up)")
    ap.add_argument("--minutes", type=float, default=None,
                    help="soak: run this long with recording on, report memory and latency per "
                    "minute")
    ap.add_argument("--rate", type=float, default=400.0, help="sensor sample rate (Hz)")
    ap.add_argument("--notify-hz", type=float, default=100.0, help="notifications per second")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--record", action="store_true",
                    help="run a guided drill and record it (always on with --minutes)")
    ap.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ap.add_argument("--tracemalloc", action="store_true",
                    help="print the Python allocations that grew between start and end")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY")
                          else os.environ.get("QT_QPA_PLATFORM", ""))
    if not os.environ["QT_QPA_PLATFORM"]:
        del os.environ["QT_QPA_PLATFORM"]
    home = tempfile.mkdtemp(prefix="bench-ui-")
    os.environ["BALANCE_TRAINER_HOME"] = home

    from PySide6.QtCore import QTimer

    from trainer.ui.app import ensure_app
    from trainer.ui.main_window import MainWindow
    from trainer.ui.settings import DrillSettings

    app = ensure_app()
    win = MainWindow(audio=False)
    win.resize(1560, 940)
    win.show()
    from firmware_bridge.simulator import SensorStream, SimConfig

    stream = SensorStream(SimConfig(seed=7, sample_rate_hz=args.rate, duration_s=None,
                                    balance_loss_rate_per_min=2.0))
    src = NotifyingSource(stream.info, stream.next, args.rate, args.notify_hz)
    win.set_source(src, "simulated", label=f"bench · {args.rate:g} Hz")  # type: ignore[arg-type]
    soak = args.minutes is not None
    record = soak or args.record
    total_s = args.warmup + (args.minutes * 60 if soak else args.seconds)
    if record:
        win.drills.countdown_s = 0.0
        win.start_drill(DrillSettings(duration_s=total_s + 60, record=True, sets=1))

    state: dict[str, object] = {"pending": None, "measuring": False}
    # compact float32 arrays, not lists of Python floats: over an hour a list of floats grows the
    # benchmark's own memory by ~0.25 MB/min and would be blamed on the dashboard
    latencies = array("f")  # s
    gaps = array("f")  # s between paints
    paint_count = [0, 0.0]  # paints, time of the last one
    per_minute: list[dict[str, float]] = []
    minute_lat: list[float] = []

    orig_redraw = win.redraw

    def redraw(now: float | None = None) -> None:
        orig_redraw(now)
        t = win.live.latest_t_s if win.live is not None else None
        if t is not None:
            state["pending"] = src.arrival_of(t)

    win.redraw = redraw  # type: ignore[method-assign]

    def painted() -> None:
        now = time.perf_counter()
        if not state["measuring"]:
            return
        if paint_count[0]:
            gaps.append(now - paint_count[1])
        paint_count[0] += 1
        paint_count[1] = now
        arrival = state["pending"]
        if arrival is not None:
            lat = now - float(arrival)  # type: ignore[arg-type]
            latencies.append(lat)
            minute_lat.append(lat)
            state["pending"] = None

    win.time_plots.tilt.paint_hook = painted
    marks: dict[str, float] = {}

    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(8)

    def begin() -> None:
        if args.tracemalloc:
            marks["snap0"] = tracemalloc.take_snapshot()  # type: ignore[assignment]
        state["measuring"] = True
        marks["wall0"] = time.perf_counter()
        marks["cpu0"] = time.thread_time()
        marks["rss0"] = rss_mb()
        marks["last_minute"] = marks["wall0"]
        marks["last_cpu"] = marks["cpu0"]

    def minute_tick() -> None:
        if not state["measuring"]:
            return
        now = time.perf_counter()
        lat = np.asarray(minute_lat) * 1000 if minute_lat else np.array([np.nan])
        cpu = time.thread_time()
        row = {"minute": len(per_minute) + 1, "rss_mb": rss_mb(),
               "gui_cpu_pct": 100.0 * (cpu - marks["last_cpu"]) / (now - marks["last_minute"]),
               "lat_p50_ms": float(np.percentile(lat, 50)),
               "lat_p95_ms": float(np.percentile(lat, 95)),
               "fps": len(minute_lat) / (now - marks["last_minute"])}
        marks["last_minute"] = now
        marks["last_cpu"] = cpu
        minute_lat.clear()
        per_minute.append(row)
        print(f"  minute {row['minute']:3d}: rss {row['rss_mb']:.1f} MB, "
              f"latency p50 {row['lat_p50_ms']:.1f} ms p95 {row['lat_p95_ms']:.1f} ms, "
              f"{row['fps']:.1f} fps, GUI thread {row['gui_cpu_pct']:.0f} %", flush=True)

    def end() -> None:
        if args.tracemalloc:
            snap1 = tracemalloc.take_snapshot()
            print("largest Python allocation growth:")
            for stat in snap1.compare_to(marks["snap0"], "traceback")[:8]:  # type: ignore[arg-type]
                print(f"  {stat.size_diff / 1024:+.0f} KiB in {stat.count_diff:+d} blocks")
                for line in stat.traceback.format()[-6:]:
                    print("     ", line)
        marks["wall1"] = time.perf_counter()
        marks["cpu1"] = time.thread_time()
        marks["rss1"] = rss_mb()
        state["measuring"] = False
        win.close()
        src.stop()
        app.quit()

    QTimer.singleShot(int(args.warmup * 1000), begin)
    minute_timer = QTimer()
    minute_timer.timeout.connect(minute_tick)
    if soak:
        minute_timer.start(60_000)
    QTimer.singleShot(int(total_s * 1000), end)
    app.exec()

    wall = marks["wall1"] - marks["wall0"]
    lat = np.asarray(latencies) * 1000
    gap_ms = np.asarray(gaps) * 1000 if len(gaps) else np.array([np.nan])
    result = {
        "platform": os.environ.get("QT_QPA_PLATFORM", "xcb"),
        "rate_hz": args.rate,
        "notify_hz": args.notify_hz,
        "seconds": round(wall, 1),
        "fps": len(latencies) / wall,  # paints that showed new data
        "paints_per_s": paint_count[0] / wall,
        "latency_ms_p50": float(np.percentile(lat, 50)) if lat.size else None,
        "latency_ms_p95": float(np.percentile(lat, 95)) if lat.size else None,
        "latency_ms_max": float(lat.max()) if lat.size else None,
        "frame_gap_ms_p95": float(np.percentile(gap_ms, 95)),
        "gui_cpu_pct": 100.0 * (marks["cpu1"] - marks["cpu0"]) / wall,
        "rss_start_mb": marks["rss0"],
        "rss_end_mb": marks["rss1"],
        "rss_growth_mb": marks["rss1"] - marks["rss0"],
        "recorded": record,
    }
    if soak and per_minute:
        result["per_minute"] = per_minute
        result["rss_growth_after_first_minute_mb"] = marks["rss1"] - per_minute[0]["rss_mb"]
    if args.json:
        print(json.dumps(result))
    else:
        print(f"dashboard at {args.rate:g} Hz ({args.notify_hz:g} notifications/s), "
              f"{result['platform']}, {wall:.0f} s"
              f"{' with a guided drill and recording' if record else ''}:")
        print(f"  frames/s            {result['fps']:.1f}   (target >= 55)")
        print(f"  latency p50/p95/max {result['latency_ms_p50']:.1f} / "
              f"{result['latency_ms_p95']:.1f} / {result['latency_ms_max']:.1f} ms   "
              f"(target p95 < 30)")
        print(f"  GUI thread CPU      {result['gui_cpu_pct']:.0f} % of one core   (target < 50)")
        print(f"  memory              {marks['rss0']:.0f} -> {marks['rss1']:.0f} MB "
              f"({result['rss_growth_mb']:+.1f} MB)" + ("   (target < 50 MB growth)"
                                                        if soak else ""))
        if "rss_growth_after_first_minute_mb" in result:
            print(f"  memory after minute 1 {result['rss_growth_after_first_minute_mb']:+.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
