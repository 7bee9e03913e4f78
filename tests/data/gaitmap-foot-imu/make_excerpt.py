"""Remake this folder's excerpt from a copy of mad-lab-fau/gaitmap (see SOURCE.md).

    python tests/data/gaitmap-foot-imu/make_excerpt.py PATH/TO/gaitmap

Reads ``example_data/imu_sample.csv`` (both feet, 204.8 Hz, m/s² and °/s) and
``example_data/stride_events_sample.csv`` (motion-capture heel strikes in IMU samples) and
writes ``left-foot.csv.gz``, ``right-foot.csv.gz`` (the project's generic columns) and
``reference_ics.csv``, keeping ``T_FROM_S`` to the end (the walk back and the stop)."""

from __future__ import annotations

import csv
import gzip
import sys
from pathlib import Path

FS_HZ = 204.8
G = 9.80665
T_FROM_S = 19.0  # after the turn of the 2 x 20 m walk: the walk back and the stop
HERE = Path(__file__).resolve().parent


def main(root: Path) -> None:
    with open(root / "example_data" / "imu_sample.csv", newline="") as f:
        rows = list(csv.reader(f))
    sensors, axes, data = rows[0], rows[1], rows[2:]
    for foot in ("left", "right"):
        cols = {ax: i for i, (s, ax) in enumerate(zip(sensors, axes, strict=True))
                if s == f"{foot}_sensor"}
        lines = ["t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps"]
        for k, row in enumerate(data):
            t = k / FS_HZ
            if t < T_FROM_S:
                continue
            acc = [float(row[cols[f"acc_{a}"]]) / G for a in "xyz"]
            gyr = [float(row[cols[f"gyr_{a}"]]) for a in "xyz"]
            lines.append(f"{t:.4f}," + ",".join(f"{v:.3f}" for v in acc) + ","
                         + ",".join(f"{v:.1f}" for v in gyr))
        text = ("\n".join(lines) + "\n").encode()
        (HERE / f"{foot}-foot.csv.gz").write_bytes(gzip.compress(text, 9, mtime=0))
    with open(root / "example_data" / "stride_events_sample.csv", newline="") as f:
        events = list(csv.DictReader(f))
    ics = sorted({(e["foot"], int(float(e[k]))) for e in events for k in ("ic", "pre_ic")})
    with open(HERE / "reference_ics.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["foot", "sample", "t_s"])
        for foot, k in ics:
            if k / FS_HZ >= T_FROM_S:
                w.writerow([foot, k, f"{k / FS_HZ:.4f}"])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_excerpt.py PATH/TO/gaitmap")
    main(Path(sys.argv[1]))
