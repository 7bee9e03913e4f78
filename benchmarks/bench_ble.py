"""BLE bridge speed: three sensors at 400 Hz through bleak's real BlueZ backend and the mock BlueZ
(no loss expected), and the cost of the notification callback per packet. Prints tables.

    .venv/bin/python benchmarks/bench_ble.py [--seconds 20]

The mock (python-dbusmock on a private system bus) paces notifications in real time: MetaMotion
packed acc + gyro (3 samples per notification, two streams) and the open reference profile
(4 samples per notification). Each sensor is a BleSource with its own thread and event loop;
a consumer reads all three at 50 Hz like the GUI timer. Needs ``dbus-daemon``.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from firmware_bridge.ble.source import BleSource
from firmware_bridge.profiles import make_profile
from tests.mockbluez import SPECS, MockBluez, make_stream, wait_until

RATE = 400.0
SENSORS = [("C0:00:00:00:04:01", "metawear"), ("C0:00:00:00:04:02", "reference"),
           ("C0:00:00:00:04:03", "metawear")]


def _proc_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def callback_cost(n_packets: int = 20000, repeats: int = 3) -> list[tuple[str, float, float]]:
    """µs per notification through BleSource's callback (decode + clock + buffer + stats),
    without the D-Bus/bleak part; best of ``repeats``. Returns (profile, µs/packet, µs/sample)."""
    out = []
    for profile, rate in (("witmotion", 200.0), ("metawear", 400.0), ("thingy52", 200.0),
                          ("reference", 400.0)):
        n = 3 * (n_packets // 2) if profile == "metawear" else n_packets
        stream = make_stream(profile, n, rate_hz=rate,
                             per_packet=1 if profile == "witmotion" else None)
        packets = stream.packets[:n_packets]
        n_samples = sum(stream.samples_per_packet[:n_packets])
        uuid = SPECS[profile]().data_uuid
        best = float("inf")
        for _ in range(repeats):
            src = BleSource("C0:00:00:00:00:99", make_profile(profile, rate))
            src._decoder = src.profile.make_decoder()  # type: ignore[union-attr]
            # a fake clock at the stream's real pace (the callback reads it twice per packet)
            tick_s = n_samples / len(packets) / rate / 2
            ticks = itertools.count()
            src._clock = lambda t=ticks, dt=tick_s: next(t) * dt  # type: ignore[misc]
            t0 = time.perf_counter()
            for p in packets:
                src._on_notify(uuid, p)
            best = min(best, time.perf_counter() - t0)
            src.read()
        out.append((profile, best / len(packets) * 1e6, best / max(n_samples, 1) * 1e6))
    return out


def three_sensors(seconds: float) -> dict[str, object]:
    with MockBluez() as mb:
        devs = [mb.add_device(addr, SPECS[profile](f"{profile}-{i}"))
                for i, (addr, profile) in enumerate(SENSORS)]
        sources = [BleSource(addr, profile, rate_hz=RATE, stats_interval_s=5.0)
                   for addr, profile in SENSORS]
        for s in sources:
            s.start()
        for s in sources:
            assert s.wait_connected(30), s.error
        n = int(seconds * RATE) // 12 * 12
        streams = [make_stream(p, n, rate_hz=RATE, seed=i) for i, (_, p) in enumerate(SENSORS)]
        got = [0, 0, 0]
        seq_ok = [True, True, True]
        last_seq: list[int | None] = [None, None, None]
        stop = threading.Event()

        def consumer() -> None:  # the GUI timer: 50 Hz
            while not stop.is_set():
                for i, s in enumerate(sources):
                    b = s.read()
                    if len(b):
                        got[i] += len(b)
                        seq = b.seq.astype(np.int64)
                        prev = last_seq[i]
                        if np.any(np.diff(seq) != 1) or (prev is not None and seq[0] != prev + 1):
                            seq_ok[i] = False
                        last_seq[i] = int(seq[-1])
                stop.wait(0.02)

        reader = threading.Thread(target=consumer, name="bench-consumer")
        reader.start()
        pids = {"mock BlueZ": mb._server.process.pid, "dbus-daemon": mb._bus.pid}  # type: ignore[union-attr]
        cpu0 = {k: _proc_cpu_s(p) for k, p in pids.items()}
        own0 = time.process_time()
        wall0 = time.monotonic()
        sids = []
        for dev, st, (_, profile) in zip(devs, streams, SENSORS, strict=True):
            per_notification = 3 / RATE / 2 if profile == "metawear" else 4 / RATE
            sids.append(dev.emit(dev.spec.data_uuid, st.packets, per_notification))
        for dev, sid in zip(devs, sids, strict=True):
            dev.wait_stream(sid, timeout_s=seconds * 3 + 30)
        wait_until(lambda: got == [n, n, n], 10, "all samples")
        wall = time.monotonic() - wall0
        own = time.process_time() - own0
        cpu = {k: _proc_cpu_s(p) - cpu0[k] for k, p in pids.items()}
        stop.set()
        reader.join()
        stats = [s.link_stats() for s in sources]
        for s in sources:
            s.stop()
        notifications = sum(len(st.packets) for st in streams)
        return {"n": n, "got": got, "seq_ok": seq_ok, "stats": stats, "wall": wall, "own": own,
                "cpu": cpu, "notifications": notifications,
                "delivered": [dev.stream(sid).delivered for dev, sid in zip(devs, sids,
                                                                            strict=True)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()

    print("notification callback (decode + clock + buffer + stats), per packet:")
    print(f"  {'profile':<10} {'µs/packet':>10} {'µs/sample':>10}")
    for profile, per_packet, per_sample in callback_cost():
        print(f"  {profile:<10} {per_packet:10.1f} {per_sample:10.1f}")

    r = three_sensors(args.seconds)
    n = r["n"]
    print(f"\nthree sensors at {RATE:.0f} Hz for {args.seconds:g} s through bleak + mock BlueZ "
          f"({r['notifications']} notifications, wall {r['wall']:.1f} s):")
    print(f"  {'sensor':<20} {'sent':>6} {'received':>9} {'lost':>5} {'gaps':>5} "
          f"{'seq ok':>7} {'eff. rate Hz':>12}")
    for (addr, profile), got, ok, st in zip(SENSORS, r["got"], r["seq_ok"], r["stats"],  # type: ignore[call-overload]
                                             strict=True):
        print(f"  {profile + ' ' + addr[-5:]:<20} {n:6d} {got:9d} {n - got:5d} {st.gaps:5d} "
              f"{ok!s:>7} {st.samples / args.seconds:12.1f}")
    per_notif = r["own"] / r["notifications"] * 1e6  # type: ignore[operator]
    print(f"  this process (bleak + dbus-fast + callbacks + consumer): "
          f"{100 * r['own'] / r['wall']:.0f} % of one core, "
          f"{per_notif:.0f} µs CPU per notification")
    for k, v in r["cpu"].items():  # type: ignore[attr-defined]
        print(f"  {k}: {100 * v / r['wall']:.0f} % of one core")
    lost = sum(n - g for g in r["got"])  # type: ignore[misc]
    print(f"  total lost samples: {lost}  ({'no loss' if lost == 0 else 'LOSS'})")


if __name__ == "__main__":
    main()
