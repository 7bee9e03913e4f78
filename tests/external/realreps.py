"""Real heel raises: the public IMU exercise data of Phan et al. (2024), read where it lies.

Source: GitHub CMU-MBL/IMU_Exercise_Prediction, ``data/parsed_h5_csv/SUB22/HeelRaise/`` (and
the full data set on SimTK, project ``imu-exercise``): Xsens IMUs on the feet, shanks, thighs,
pelvis, chest and wrists; one CSV per repetition (10 heel raises), accelerometer in m/s²,
gyroscope in rad/s, 100 Hz. Phan, Song, Silva, Silbernagel, Baxter, Halilaj, "Seven Things to
Know About Exercise Classification With Inertial Sensing Wearables", IEEE JBHI 28(6):3411-3421,
2024, doi:10.1109/JBHI.2024.3368042.

The repository carries no licence file (the authors ask for a citation), so no excerpt is
copied into this project: the test reads a local clone given by ``IMU_EXERCISE_DIR`` (the
repository's root or its ``data/parsed_h5_csv`` folder) and skips without it.

The repetitions were cut out of one recording, so consecutive files leave gaps (the rest
between reps, ~0.6-0.8 s): they are joined on their own time stamps, gaps kept, as a session
with link gaps would be.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

G = 9.80665


@dataclass
class RealSet:
    name: str
    segment: str  # LeftShank, RightFoot, …
    t_s: np.ndarray
    acc_g: np.ndarray
    gyr_dps: np.ndarray
    true_reps: int
    rep_spans: list[tuple[float, float]]

    @property
    def side(self) -> str:
        return "left" if self.segment.startswith("Left") else "right"

    @property
    def placement(self) -> str:
        return "foot" if self.segment.endswith("Foot") else "shank"

    def write_csv(self, path: Path) -> Path:
        data = np.column_stack([self.t_s, self.acc_g, self.gyr_dps])
        np.savetxt(path, data, delimiter=",", fmt="%.6f", comments="",
                   header="t_s,acc_x_g,acc_y_g,acc_z_g,gyr_x_dps,gyr_y_dps,gyr_z_dps")
        return path


def data_dir() -> Path | None:
    root = os.environ.get("IMU_EXERCISE_DIR")
    if not root:
        return None
    p = Path(root)
    for cand in (p / "data" / "parsed_h5_csv", p):
        if (cand / "SUB22" / "HeelRaise").is_dir():
            return cand
    return None


LEG_SEGMENTS = ("LeftShank", "RightShank", "LeftFoot", "RightFoot")


def read_rep(path: Path) -> dict[str, np.ndarray]:
    """One repetition file: per leg segment the columns time (s), accelerometer xyz (m/s²),
    gyroscope xyz (rad/s) as the file has them (missing values NaN)."""
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    seg_row, kind_row = rows[0], rows[1]
    data = np.array([[float(x) if x else np.nan for x in r] for r in rows[3:]])
    out = {}
    for seg in LEG_SEGMENTS:
        cols = [k for k, s in enumerate(seg_row) if s == seg]
        kinds = [kind_row[k] for k in cols]
        t = cols[kinds.index("Time")]
        a = cols[kinds.index("Accelerometer")]
        g = cols[kinds.index("Gyroscope")]
        out[seg] = data[:, [t, a, a + 1, a + 2, g, g + 1, g + 2]]
    return out


def heel_raise_sets(root: Path, subject: str = "SUB22", exercise: str = "HeelRaise"
                    ) -> list[RealSet]:
    """One set per IMU of the lower legs: the rep files joined on their time stamps."""
    files = sorted((root / subject / exercise).glob(f"{exercise}_*_rep*.csv"),
                   key=lambda f: int(f.stem.rsplit("rep", 1)[1]))
    parts: dict[str, list[np.ndarray]] = {}
    spans: list[tuple[float, float]] = []
    for f in files:
        for seg, cols in read_rep(f).items():
            parts.setdefault(seg, []).append(cols)
        ts = parts["LeftShank"][-1][:, 0]
        spans.append((float(ts[0]), float(ts[-1])))
    out = []
    for seg, chunks in parts.items():
        d = np.concatenate(chunks)
        d = d[np.all(np.isfinite(d), axis=1)]
        out.append(RealSet(f"{subject}/{exercise}/{seg}", seg, d[:, 0], d[:, 1:4] / G,
                           np.degrees(d[:, 4:7]), len(files), spans))
    return out
