"""Three sensors at 200 Hz each into the real dashboard: frames/s, notification-to-pixels latency
of every sensor, GUI-thread CPU (issue 14: ≥ 55 fps, p95 < 30 ms, GUI thread < 50 % of a core).

Three producer threads play three BLE sensors (left shank = the primary, right shank, trunk):
every ``1/notify_hz`` s each puts the samples due into its ``BatchBuffer`` and notes when the
notification carrying each newest sample "arrived" (``perf_counter``). The samples are simulated
stance (``SensorStream``), generated before the run, so the producers cost what a BLE thread's
decoding costs, not the simulator's. A ``SensorSet`` + ``PrimaryView`` (``firmware_bridge``)
joins them; the real ``MainWindow`` pulls on its 60 Hz timer: the primary through the training
session (core pipeline, drill guide, recorder with ``--record``), the two others through their
trace pipelines (``trainer.ui.multi_live``) into one plot, and redraws. With ``--lsl`` all three
sensors also stream to Lab Streaming Layer.

Latency, per sensor = from the arrival of a sample's notification to the end of the paint of the
plot that first shows it (primary: its tilt plot; the others: the extra sensors' plot). GUI CPU =
``time.thread_time()`` of the GUI thread / wall time. Frames/s = paints of the primary's tilt plot
that showed new data, per second.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/bench_dashboard_multi.py
    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python benchmarks/bench_dashboard_multi.py \\
        --screenshot /tmp/multi.png
    .venv/bin/python benchmarks/bench_dashboard_multi.py --record --lsl --json
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from array import array
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_ui import NotifyingSource  # noqa: E402  (benchmarks/ is the script's folder)

ROLES = ("left-shank", "right-shank", "trunk")


class PlayedSensor(NotifyingSource):
    """A BLE-like source (bench_ui's) playing pre-generated samples of one simulated sensor;
    without its thread (``threaded`` False), ``push_until`` delivers them frame by frame."""

    def __init__(self, role: str, rate_hz: float, notify_hz: float, total_s: float,
                 seed: int) -> None:
        from firmware_bridge.simulator import SensorStream, SimConfig

        side = "right" if role.startswith("right") else "left"
        cfg = SimConfig(seed=seed, sample_rate_hz=rate_hz, duration_s=None, side=side,
                        placement="shank", balance_loss_rate_per_min=2.0,
                        name=f"Sim {role}", address=f"SIM:00:00:00:00:0{seed}")
        stream = SensorStream(cfg)
        self._data = stream.next(int(rate_hz * (total_s + 5)))
        super().__init__(stream.info, self._played, rate_hz, notify_hz, name=f"fake-ble-{role}")
        self.threaded = True

    def _played(self, n: int) -> Any:
        return self._data.slice(self._sent, min(len(self._data), self._sent + n))

    def start(self) -> None:
        if self.threaded:
            super().start()

    def push_until(self, data_s: float) -> None:
        """CPU mode (no thread): deliver the samples due by ``data_s`` of stream time now."""
        due = min(len(self._data), int(data_s * self.rate_hz)) - self._sent
        if due > 0:
            self.deliver(due)

def pct(values: Any, q: float) -> float | None:
    arr = np.asarray(values, dtype=np.float64)
    return float(np.percentile(arr, q)) if arr.size else None


def cpu_mode(args: argparse.Namespace, app: Any, win: Any, sensors: dict[str, PlayedSensor]
             ) -> int:
    """Frames driven one by one (see --cpu): GUI-thread CPU per frame, independent of how much
    of a core the loaded machine gives the GUI thread."""
    win.timer.stop()
    frame_s = 1.0 / 60.0
    warm = 120
    cpu_ms = array("f")
    wall_ms = array("f")
    tick_ms = array("f")  # pump + redraw (setData)
    for k in range(warm + args.frames):
        for s in sensors.values():
            s.push_until((k + 1) * frame_s)
        c0, w0 = time.thread_time(), time.perf_counter()
        win.tick()
        c_tick = time.thread_time()
        app.processEvents()  # the paints the frame asked for (the widgets it changed)
        c1, w1 = time.thread_time(), time.perf_counter()
        if k >= warm:
            tick_ms.append((c_tick - c0) * 1000)
            cpu_ms.append((c1 - c0) * 1000)
            wall_ms.append((w1 - w0) * 1000)
    lsl_samples = (sum(win.lsl.sink.outlet.stats.samples.values())
                   if win.lsl.sink is not None else 0)
    extra_rows = {r: t.ring.count for r, t in (win.sensor_plots.tracks.tracks.items()
                                               if win.sensor_plots.tracks else [])}
    win.close()
    cpu = np.asarray(cpu_ms)
    mean = float(cpu.mean())
    result = {
        "mode": "cpu", "platform": os.environ.get("QT_QPA_PLATFORM") or "xcb",
        "sensors": len(sensors), "rate_hz": args.rate, "frames": args.frames,
        "recorded": args.record, "lsl": args.lsl,
        "frame_cpu_ms_mean": mean, "frame_cpu_ms_p50": pct(cpu, 50),
        "frame_cpu_ms_p95": pct(cpu, 95), "frame_wall_ms_p95": pct(np.asarray(wall_ms), 95),
        "tick_cpu_ms_mean": float(np.mean(tick_ms)),
        "paint_cpu_ms_mean": mean - float(np.mean(tick_ms)),
        "gui_cpu_pct_at_60fps": mean * 60 / 10,
        "max_fps_one_core": 1000.0 / mean,
        "latency_bound_ms_p95": 1000 * frame_s + float(pct(cpu, 95) or 0.0),
        "extra_sensor_rows": extra_rows,
    }
    if args.lsl:
        result["lsl_samples"] = int(lsl_samples)
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"dashboard, {len(sensors)} sensors × {args.rate:g} Hz, CPU mode ({args.frames} frames "
          f"of 1/60 s of "
          f"data{', guided drill + recording' if args.record else ''}"
          f"{', LSL on' if args.lsl else ''}), {result['platform']}:")
    print(f"  GUI-thread CPU per frame  mean {mean:.2f} ms, p50 {result['frame_cpu_ms_p50']:.2f}"
          f", p95 {result['frame_cpu_ms_p95']:.2f} ms")
    print(f"    of which            pump + setData {result['tick_cpu_ms_mean']:.2f} ms, paint "
          f"{result['paint_cpu_ms_mean']:.2f} ms (means)")
    print(f"  at 60 frames/s            {result['gui_cpu_pct_at_60fps']:.0f} % of one core   "
          f"(target < 50); one core would allow {result['max_fps_one_core']:.0f} frames/s")
    print(f"  latency bound p95         {result['latency_bound_ms_p95']:.1f} ms (a notification "
          f"waits at most one 16.7 ms frame, then the frame's work; target < 30)")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=20.0, help="measured time (after warm-up)")
    ap.add_argument("--warmup", type=float, default=3.0)
    ap.add_argument("--rate", type=float, default=200.0, help="each sensor's sample rate (Hz)")
    ap.add_argument("--notify-hz", type=float, default=100.0,
                    help="notifications per second per sensor")
    ap.add_argument("--record", action="store_true",
                    help="run a guided drill and record it (the primary sensor)")
    ap.add_argument("--lsl", action="store_true", help="stream all sensors to LSL meanwhile")
    ap.add_argument("--screenshot", type=Path, default=None, help="PNG of the window at the end")
    ap.add_argument("--json", action="store_true", help="print one JSON object at the end")
    ap.add_argument("--cpu", action="store_true",
                    help="CPU mode for a loaded machine: no threads, no timer; each of "
                         "--frames frames gets 1/60 s of data of every sensor, then one tick "
                         "and the paints it asked for (processEvents); reports the GUI-thread "
                         "CPU time per frame and what it means at 60 frames/s")
    ap.add_argument("--frames", type=int, default=900, help="frames in --cpu mode")
    ap.add_argument("--sensors", type=int, default=3, choices=(1, 2, 3),
                    help="how many of left shank, right shank, trunk (1: the one-sensor "
                         "dashboard, for comparison)")
    args = ap.parse_args()
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["BALANCE_TRAINER_HOME"] = tempfile.mkdtemp(prefix="bench-multi-")
    os.environ.setdefault("BALANCE_TRAINER_LSL_PREFIX", "BalanceTrainerBench")

    from PySide6.QtCore import QTimer

    from firmware_bridge.sensorset import PrimaryView, SensorSet
    from trainer.ui.app import ensure_app
    from trainer.ui.main_window import MainWindow
    from trainer.ui.multi_live import T
    from trainer.ui.settings import DrillSettings

    total_s = args.warmup + args.seconds
    roles = ROLES[:args.sensors]
    sensors = {role: PlayedSensor(role, args.rate, args.notify_hz, total_s + 10, seed=i + 1)
               for i, role in enumerate(roles)}
    view = PrimaryView(SensorSet(sensors, "left-shank"))  # type: ignore[arg-type]

    app = ensure_app()
    win = MainWindow(audio=False)
    win.resize(1560, 940)
    win.show()
    if args.cpu:
        for s in sensors.values():
            s.threaded = False
    win.set_source(view, "device", label=f"bench · {len(sensors)} sensors × {args.rate:g} Hz",  # type: ignore[arg-type]
                   side="left", placement="shank")
    if args.lsl:
        win.lsl.action.setChecked(True)
    if args.record:
        win.countdown_s = 0.0
        win.start_drill(DrillSettings(duration_s=total_s + 60, record=True, sets=1))

    measuring = [False]
    latencies: dict[str, array[float]] = {role: array("f") for role in roles}
    pending: dict[str, float | None] = {role: None for role in roles}
    paints = [0, 0.0]
    gaps = array("f")
    marks: dict[str, float] = {}

    orig_redraw = win.redraw

    def redraw(now: float | None = None) -> None:
        orig_redraw(now)
        live = win.live
        if live is None:
            return
        t = live.latest_t_s
        if t is not None:
            pending["left-shank"] = sensors["left-shank"].arrival_of(t)
        tracks = win.sensor_plots.tracks
        if tracks is not None:
            for role, track in tracks.tracks.items():
                row = track.ring.latest()
                if row is not None:
                    pending[role] = sensors[role].arrival_of(float(row[T]))

    win.redraw = redraw  # type: ignore[method-assign]

    tick_cpu = [0.0]  # GUI-thread CPU inside the frame's tick (pump + setData), while measuring

    def timed_tick() -> None:
        c0 = time.thread_time()
        win.tick()
        if measuring[0]:
            tick_cpu[0] += time.thread_time() - c0

    win.timer.timeout.disconnect(win.tick)
    win.timer.timeout.connect(timed_tick)

    def painted(role: str) -> None:
        now = time.perf_counter()
        if not measuring[0]:
            return
        if role == "left-shank":
            if paints[0]:
                gaps.append(now - paints[1])
            paints[0] += 1
            paints[1] = now
        arrival = pending[role]
        if arrival is not None:
            latencies[role].append(now - arrival)
            pending[role] = None

    win.time_plots.tilt.paint_hook = lambda: painted("left-shank")

    def hook_extras() -> None:  # one plot shows every extra sensor
        roles_shown = win.sensor_plots.roles

        def painted_extras() -> None:
            for role in roles_shown:
                painted(role)

        win.sensor_plots.plot.paint_hook = painted_extras

    def begin() -> None:
        hook_extras()
        measuring[0] = True
        marks["wall0"] = time.perf_counter()
        marks["cpu0"] = time.thread_time()

    def end() -> None:
        marks["wall1"] = time.perf_counter()
        marks["cpu1"] = time.thread_time()
        measuring[0] = False
        if args.screenshot is not None:
            win.grab().save(str(args.screenshot))
        marks["lsl_samples"] = float(sum(win.lsl.sink.outlet.stats.samples.values())
                                     if win.lsl.sink is not None else 0)
        win.close()
        for s in sensors.values():
            s.stop()
        app.quit()

    if args.cpu:
        return cpu_mode(args, app, win, sensors)
    QTimer.singleShot(int(args.warmup * 1000), begin)
    QTimer.singleShot(int(total_s * 1000), end)
    app.exec()

    wall = marks["wall1"] - marks["wall0"]
    all_ms = np.concatenate([np.asarray(v) for v in latencies.values()]) * 1000
    result: dict[str, Any] = {
        "platform": os.environ.get("QT_QPA_PLATFORM") or "xcb",
        "sensors": len(sensors), "rate_hz": args.rate, "notify_hz": args.notify_hz,
        "seconds": round(wall, 1), "recorded": args.record, "lsl": args.lsl,
        "fps": len(latencies["left-shank"]) / wall,
        "paints_per_s": paints[0] / wall,
        "frame_gap_ms_p95": pct(np.asarray(gaps) * 1000, 95),
        "latency_ms_p50": pct(all_ms, 50), "latency_ms_p95": pct(all_ms, 95),
        "latency_ms_max": float(all_ms.max()) if all_ms.size else None,
        "per_sensor": {role: {"frames_per_s": len(v) / wall,
                              "latency_ms_p50": pct(np.asarray(v) * 1000, 50),
                              "latency_ms_p95": pct(np.asarray(v) * 1000, 95)}
                       for role, v in latencies.items()},
        "gui_cpu_pct": 100.0 * (marks["cpu1"] - marks["cpu0"]) / wall,
        "tick_cpu_pct": 100.0 * tick_cpu[0] / wall,
        "process_cpu_pct_of_one_core": None,
    }
    if args.lsl:
        result["lsl_samples"] = int(marks["lsl_samples"])
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"dashboard, {len(sensors)} sensors × {args.rate:g} Hz "
          f"({args.notify_hz:g} notifications/s each), "
          f"{result['platform']}, {wall:.0f} s"
          f"{', guided drill + recording' if args.record else ''}{', LSL on' if args.lsl else ''}:")
    print(f"  frames/s             {result['fps']:.1f}   (target >= 55)")
    print(f"  latency p50/p95/max  {result['latency_ms_p50']:.1f} / "
          f"{result['latency_ms_p95']:.1f} / {result['latency_ms_max']:.1f} ms, all sensors   "
          f"(target p95 < 30)")
    for role, r in result["per_sensor"].items():
        p50, p95 = r["latency_ms_p50"], r["latency_ms_p95"]
        print(f"    {role:<12} {r['frames_per_s']:5.1f} frames/s with new data, latency "
              f"p50 {p50 if p50 is None else round(p50, 1)} / p95 "
              f"{p95 if p95 is None else round(p95, 1)} ms")
    print(f"  GUI thread CPU       {result['gui_cpu_pct']:.0f} % of one core   (target < 50); "
          f"of which the frames' ticks (pump + setData) {result['tick_cpu_pct']:.0f} %, the "
          f"rest (paints, event loop) {result['gui_cpu_pct'] - result['tick_cpu_pct']:.0f} %")
    if args.lsl:
        print(f"  LSL                  {result['lsl_samples']} samples streamed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
