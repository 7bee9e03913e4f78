"""The processing pipeline (stable API for the UI, recorder, drills and ``analyze``).

``Pipeline(PipelineConfig(...)).process(batch)`` runs, per batch and with state carried over:
calibration (``CalibrationProfile.apply``) → orientation (online VQF) → anatomical tilt → target
zone → balance-loss events, and keeps a sliding window for ``live_metrics()``.
``analyze(batch, config, offline=False)`` runs the same stages over a whole recording; with
``offline=False`` it is exactly what streaming the recording batch by batch gives.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from trainer.core.events import (
    BalanceLossDetector,
    EventConfig,
    LossSummary,
    acc_features,
    summarize_counts,
)
from trainer.core.orientation import DEG2RAD, OnlineOrientation, offline_orientation
from trainer.core.quat import multiply, rotate_rows, row_norm2
from trainer.core.sway import MIN_SAMPLES, sway_metrics
from trainer.core.tilt import TiltEstimator, strapping_text
from trainer.vocab.batch import SampleBatch
from trainer.vocab.calibration import CalibrationProfile
from trainer.vocab.ids import PLACEMENTS, SIDES, detects_balance_losses

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


@dataclass(frozen=True)
class PipelineConfig:
    """What the pipeline needs to know about the recording and the feedback wanted.

    ``calibration``: the profile applied to raw samples (None: raw values used as they are); its
    mounting quaternion, when present, defines the segment frame. ``strapping``: the convention
    used without a mounting (None: ``front`` on the shank, ``top`` on the foot; see
    ``trainer.core.tilt.STRAPPINGS``). ``target_radius_deg`` around ``target_center_deg``
    (AP, ML) is the zone counted as "in target". ``detect_balance_losses``: run the balance-loss
    detector (off for drills whose movements are not losses, e.g. calf raises).
    ``processing_rate_hz``: orientation, tilt and events run at fs/d, the lowest such rate ≥ this
    (None: at the sample rate; see ``Pipeline``). ``metrics_window_s``: live sway window;
    ``metrics_refresh_s``: live metrics are recomputed at most this often (sample time).
    ``sample_quaternions``: in ``Pipeline.process``, each sample's quaternion turned on by the
    gyro since its block ended (True) or the block's own, held like the tilt (False: about half
    the cost of a small batch, for users of the tilt only, e.g. the dashboard's trace of an extra
    sensor; tilt, in-target and events are the same either way).
    """

    sample_rate_hz: float
    placement: str = "shank"
    side: str = "left"
    calibration: CalibrationProfile | None = None
    target_radius_deg: float = 3.0
    target_center_deg: tuple[float, float] = (0.0, 0.0)
    metrics_window_s: float = 10.0
    metrics_refresh_s: float = 0.1
    strapping: str | None = None
    processing_rate_hz: float | None = 100.0
    detect_balance_losses: bool = True
    sample_quaternions: bool = True
    events: EventConfig = field(default_factory=EventConfig)
    vqf_params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (math.isfinite(self.sample_rate_hz) and self.sample_rate_hz > 0):
            raise ValueError(f"sample_rate_hz must be positive, got {self.sample_rate_hz!r}")
        if not (self.target_radius_deg > 0 and self.metrics_window_s > 0):
            raise ValueError("target_radius_deg and metrics_window_s must be positive")

    @property
    def mount_quat_wxyz(self) -> FloatArray | None:
        cal = self.calibration
        return None if cal is None else cal.mount_quat_wxyz

    @property
    def strapping_text(self) -> str:
        """How the sensor is assumed to be strapped when there is no mounting calibration."""
        return strapping_text(self.placement, self.strapping)

    @classmethod
    def for_session(cls, *, sample_rate_hz: float, drill_id: str | None, placement: str | None,
                    side: str | None, calibration: CalibrationProfile | None = None,
                    **options: Any) -> PipelineConfig:
        """The one mapping from a session (recorded or live: its rate, drill, placement, side and
        calibration) to its pipeline configuration. Balance losses are detected only in balance
        drills (``trainer.vocab.ids.detects_balance_losses``); an unknown placement or side (an
        imported file) falls back to the shank of the left leg. ``options``: other fields."""
        options.setdefault("detect_balance_losses", detects_balance_losses(drill_id))
        return cls(sample_rate_hz=float(sample_rate_hz),
                   placement=placement if placement in PLACEMENTS else "shank",
                   side=side if side in SIDES else "left",
                   calibration=calibration, **options)


@dataclass(frozen=True)
class ProcessedBatch:
    """Per-sample outputs of one batch (n rows) and the events detected in it.

    ``quat_wxyz``: sensor → Earth (z up, heading arbitrary). ``tilt_*_deg``: anatomical tilt (NaN
    while the vertical reference is not known yet, uncalibrated only). ``gyr_dps`` / ``acc_g``:
    calibrated, in the segment frame when a mounting is known, else the sensor frame.
    ``events``: dicts ``{"t_s", "type": "balance_loss", "kind", "t_detected_s", …}``; ``t_s`` is
    the estimated onset and may lie in an earlier batch.
    """

    t_s: FloatArray
    quat_wxyz: FloatArray
    tilt_ap_deg: FloatArray
    tilt_ml_deg: FloatArray
    gyr_dps: FloatArray
    acc_g: FloatArray
    in_target: BoolArray
    events: list[dict[str, Any]]

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


class _Window:
    """Last ``size`` finite tilt samples (amortised O(1) append, contiguous view)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._buf = np.empty((2, 2 * size))
        self._n = 0

    def append(self, ap: FloatArray, ml: FloatArray) -> None:
        ok = np.isfinite(ap) & np.isfinite(ml)
        if not ok.all():
            ap, ml = ap[ok], ml[ok]
        m = ap.shape[0]
        if m >= self.size:
            self._buf[0, : self.size] = ap[-self.size :]
            self._buf[1, : self.size] = ml[-self.size :]
            self._n = self.size
            return
        if self._n + m > self._buf.shape[1]:
            keep = self.size - m
            self._buf[:, :keep] = self._buf[:, self._n - keep : self._n]
            self._n = keep
        self._buf[0, self._n : self._n + m] = ap
        self._buf[1, self._n : self._n + m] = ml
        self._n += m

    def view(self) -> FloatArray:
        lo = max(0, self._n - self.size)
        out: FloatArray = self._buf[:, lo : self._n]
        return out


@dataclass(frozen=True)
class _Blocks:
    """Rows of the processing rate: each summarises ``d`` consecutive samples."""

    t_s: FloatArray  # time of each block's last sample
    acc_g: FloatArray  # mean
    gyr_dps: FloatArray  # mean (mean rate × block time = the block's rotation)
    acc_dev_g: FloatArray  # largest | |a| − 1 g | in the block (impacts)
    acc_max_g: FloatArray  # largest |a| in the block (free fall when small)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])


def _make_blocks(t: FloatArray, acc: FloatArray, gyr: FloatArray, d: int) -> _Blocks:
    """Blocks of ``d`` samples (``len(t)`` must be a multiple of ``d``)."""
    dev, norm = acc_features(acc)
    if d == 1:
        return _Blocks(t, acc, gyr, dev, norm)
    # sums and maxima over strided views (no BLAS: see quat.rotate_rows), one column at a time:
    # a strided n×3 view makes numpy loop over rows of 3, a column is one long loop
    dev_max = dev[0::d].copy()
    norm_max = norm[0::d].copy()
    for k in range(1, d):
        np.maximum(dev_max, dev[k::d], out=dev_max)
        np.maximum(norm_max, norm[k::d], out=norm_max)
    return _Blocks(t[d - 1 :: d], _block_means(acc, d), _block_means(gyr, d), dev_max, norm_max)


def _block_means(x: FloatArray, d: int) -> FloatArray:
    """Mean of each ``d`` consecutive rows of an n×3 array, summed in row order."""
    out = np.empty((x.shape[0] // d, 3))
    for c in range(3):
        col = x[:, c]
        s = col[0::d].copy()
        for k in range(1, d):
            s += col[k::d]
        s *= 1.0 / d
        out[:, c] = s
    return out


#: Longest gap (lost samples) over which the gyro rate is integrated: beyond it the rotation
#: during the gap is unknown and the accelerometer has to pull the orientation back.
MAX_GAP_S = 0.1


def _gap_weighted(gyr: FloatArray, t: FloatArray, t_prev: float, fs: float) -> FloatArray:
    """Gyro rates scaled by each sample's real interval (Δt·fs, 0…``MAX_GAP_S``·fs): the filters
    assume one nominal period per sample, so lost samples would otherwise lose their rotation."""
    if t.shape[0] == 0:
        return gyr
    dt = np.diff(t, prepend=t_prev if np.isfinite(t_prev) else t[0] - 1.0 / fs)
    if float(dt.min()) * fs > 0.95 and float(dt.max()) * fs < 1.05:  # usual case: regular
        return gyr
    w = np.clip(dt * fs, 0.0, max(1.0, MAX_GAP_S * fs))
    irregular = np.abs(w - 1.0) >= 0.05  # timestamp jitter below 5 % is left alone
    if not irregular.any():
        return gyr
    out: FloatArray = gyr * np.where(irregular, w, 1.0)[:, None]
    return out


def _hold_propagate(
    table: FloatArray, counts: NDArray[np.int64], gyr_dps: FloatArray, dt_s: float,
    carry_rad: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Per-sample quaternions: each sample's held block quaternion (``table`` rows repeated by
    ``counts``; row 0 is the block before this batch) turned on by the gyro rotation since that
    block ended (``carry_rad`` was accumulated before this batch). Returns (quats, new carry).

    A block's last sample is its end: no turn; the samples after it add their rate × dt. This
    removes the hold lag of the processing blocks from the quaternions at the cost of ≤ d − 1
    samples of plain gyro integration (no bias correction: negligible over milliseconds).
    """
    n = gyr_dps.shape[0]
    inc = np.nan_to_num(np.asarray(gyr_dps, dtype=np.float64) * (DEG2RAD * dt_s))
    cs = np.cumsum(inc, axis=0)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    base = np.empty((counts.shape[0], 3))
    base[0] = -carry_rad
    if counts.shape[0] > 1:
        base[1:] = cs[starts[1:]]
    rot = cs - np.repeat(base, counts, axis=0)
    angle = np.sqrt(row_norm2(rot))
    half = 0.5 * angle
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.where(angle > 1e-12, np.sin(half) / angle, 0.5)
    dq = np.column_stack((np.cos(half), rot * scale[:, None]))
    q = multiply(np.repeat(table, counts, axis=0), dq)
    new_carry = rot[-1].copy() if n else carry_rad
    return q, new_carry


def block_size(sample_rate_hz: float, processing_rate_hz: float | None) -> int:
    """Samples per processing block: the largest d with sample_rate / d ≥ processing_rate."""
    if processing_rate_hz is None or processing_rate_hz <= 0:
        return 1
    return max(1, math.floor(sample_rate_hz / processing_rate_hz + 1e-9))


class Pipeline:
    """Stateful batch processor: ``process(batch) -> ProcessedBatch``; ``live_metrics()``.

    Orientation, tilt and events run at the *processing rate*: above ``processing_rate_hz``
    (default 100 Hz) consecutive samples are grouped into blocks of ``d`` (``d = ⌊fs / 100⌋``:
    4 at 400 Hz) and each block's mean rate and acceleration, largest impact and largest
    acceleration feed the filters — balance sway lives below 5 Hz, so this loses nothing and
    makes the core ~4× cheaper at 400 Hz. Each sample carries the output of the latest block
    completed at or before it (live: at most d − 1 samples, 7.5 ms at 400 Hz, of hold), so
    streaming stays identical to one batch; the first d − 1 samples have no orientation (NaN).
    """

    def __init__(self, config: PipelineConfig) -> None:
        self.config = config
        fs = config.sample_rate_hz
        self.block = block_size(fs, config.processing_rate_hz)
        self.rate_hz = fs / self.block  # processing rate
        self.orientation = OnlineOrientation(self.rate_hz, **config.vqf_params)
        self.tilt = TiltEstimator(
            self.rate_hz, config.placement, config.side, config.mount_quat_wxyz, config.strapping
        )
        self.detector = BalanceLossDetector(self.rate_hz, config.events)
        self._window = _Window(max(MIN_SAMPLES, round(config.metrics_window_s * self.rate_hz)))
        self._min_live = max(MIN_SAMPLES, round(min(1.0, config.metrics_window_s) * self.rate_hz))
        self._t_last = -math.inf
        self._t_refresh = -math.inf
        self._metrics: dict[str, float] | None = None
        self.n_samples = 0
        # samples of the block being filled, and the outputs of the last completed block
        self._pend: tuple[FloatArray, FloatArray, FloatArray] = (
            np.empty(0), np.empty((0, 3)), np.empty((0, 3)),
        )
        self._last_q = np.full(4, np.nan)
        self._last_tilt = np.full(2, np.nan)
        self._carry_rad = np.zeros(3)  # gyro rotation since the last completed block
        self._t_prev = math.nan  # time of the last sample seen

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event detected so far."""
        return self.detector.events

    def _calibrate(self, batch: SampleBatch) -> tuple[FloatArray, FloatArray]:
        """What ``CalibrationProfile.apply`` computes (same formula, checked by a test), with
        neutral parts (zero offset/bias, identity matrix) skipped and the 3×3 product done by
        columns: a one-hour recording is not copied for nothing, and no BLAS threads spin."""
        cal = self.config.calibration
        if cal is None:
            return batch.acc_g, batch.gyr_dps
        acc_neutral = not np.any(cal.acc_offset_g) and np.array_equal(cal.acc_matrix, np.eye(3))
        gyr_neutral = not np.any(cal.gyro_bias_dps)
        acc = batch.acc_g
        gyr = batch.gyr_dps
        if not acc_neutral:  # acc_matrix · (raw − acc_offset_g), as CalibrationProfile.apply
            acc = rotate_rows(np.asarray(cal.acc_matrix, dtype=np.float64),
                              acc - np.asarray(cal.acc_offset_g, dtype=np.float64))
        if not gyr_neutral:
            gyr = gyr - np.asarray(cal.gyro_bias_dps, dtype=np.float64)
        return acc, gyr

    def process(self, batch: SampleBatch) -> ProcessedBatch:
        acc, gyr = self._calibrate(batch)
        t = batch.t_s
        n = t.shape[0]
        d = self.block
        gyr_in = gyr
        gyr = _gap_weighted(gyr, t, self._t_prev, self.config.sample_rate_hz)
        if n:
            self._t_prev = float(t[-1])
        if d == 1:
            blocks = _make_blocks(t, acc, gyr, 1)
        else:
            pt, pa, pg = self._pend
            tt = np.concatenate((pt, t)) if pt.size else t
            aa = np.concatenate((pa, acc)) if pt.size else acc
            gg = np.concatenate((pg, gyr)) if pt.size else gyr
            full = (tt.shape[0] // d) * d
            self._pend = (tt[full:].copy(), aa[full:].copy(), gg[full:].copy())
            blocks = _make_blocks(tt[:full], aa[:full], gg[:full], d)
        quat = self.orientation.update(blocks.acc_g, blocks.gyr_dps)
        ap, ml, events = self._block_outputs(blocks, quat)
        # per sample: the latest block completed at or before it (the previous batch's last
        # block for the first samples), as run lengths for np.repeat
        if d == 1:
            q_s, ap_s, ml_s = quat, ap, ml
        else:
            g0 = self.n_samples
            nb = len(blocks)
            counts = _counts(n, nb, d, (g0 // d + 1) * d - 1 - g0)
            table = np.concatenate((self._last_q[None, :], quat))
            if self.config.sample_quaternions:
                q_s, self._carry_rad = _hold_propagate(
                    table, counts, gyr, 1.0 / self.config.sample_rate_hz, self._carry_rad,
                )
            else:
                q_s = np.repeat(table, counts, axis=0)
            ap_s = np.repeat(np.concatenate((self._last_tilt[:1], ap)), counts)
            ml_s = np.repeat(np.concatenate((self._last_tilt[1:], ml)), counts)
        if len(blocks):
            self._last_q = quat[-1]
            self._last_tilt = np.array([ap[-1], ml[-1]])
        self.n_samples += n
        in_target, acc_out, gyr_out = self._sample_outputs(ap_s, ml_s, acc, gyr_in)
        return ProcessedBatch(t, q_s, ap_s, ml_s, gyr_out, acc_out, in_target, events)

    def _block_outputs(
        self, blocks: _Blocks, quat: FloatArray
    ) -> tuple[FloatArray, FloatArray, list[dict[str, Any]]]:
        """Tilt, events and the live window at the processing rate."""
        ap, ml = self.tilt.update(quat, blocks.acc_g, blocks.gyr_dps)
        events: list[dict[str, Any]] = []
        if self.config.detect_balance_losses:
            events = self.detector.update_features(
                blocks.t_s, blocks.acc_dev_g, blocks.acc_max_g, ap, ml
            )
        if len(blocks):
            self._window.append(ap, ml)
            self._t_last = float(blocks.t_s[-1])
        return ap, ml, events

    def _sample_outputs(
        self, ap: FloatArray, ml: FloatArray, acc: FloatArray, gyr: FloatArray
    ) -> tuple[BoolArray, FloatArray, FloatArray]:
        """Target zone per sample; acc/gyr into the segment frame when the mounting is known."""
        acc, gyr = self._to_segment(acc, gyr)
        return self._in_target(ap, ml), acc, gyr

    def _in_target(self, ap: FloatArray, ml: FloatArray) -> BoolArray:
        cx, cy = self.config.target_center_deg
        r = self.config.target_radius_deg
        with np.errstate(invalid="ignore"):
            out: BoolArray = (ap - cx) ** 2 + (ml - cy) ** 2 <= r * r  # NaN: False
        return out

    def _to_segment(self, acc: FloatArray, gyr: FloatArray) -> tuple[FloatArray, FloatArray]:
        if self.tilt.calibrated and self.tilt.matrix is not None:
            return self.tilt.to_segment(acc), self.tilt.to_segment(gyr)
        return acc, gyr

    def live_metrics(self) -> dict[str, float] | None:
        """``sway_metrics`` over the last ``metrics_window_s`` of valid tilt (at the processing
        rate; refreshed at most every ``metrics_refresh_s`` of sample time), or None with less
        than 1 s of data."""
        if self._t_last - self._t_refresh < self.config.metrics_refresh_s:
            return self._metrics
        win = self._window.view()
        if win.shape[1] < self._min_live:
            return None
        self._t_refresh = self._t_last
        self._metrics = sway_metrics(win[0], win[1], self.rate_hz)
        return self._metrics

    def tilt_series(self) -> FloatArray:
        """The live window's tilt (2×m, AP then ML, processing rate): what live metrics use."""
        return self._window.view()


class SampleChunks(Protocol):
    """A recording that can be read in pieces (``trainer.recording.Session`` is one): ``analyze``
    makes one pass over ``chunks`` and keeps nothing per sample but the time, so its memory is
    bounded by a chunk plus the processing-rate outputs; ``batch()`` is read again only when a
    per-sample output other than the time or tilt is asked for (``AnalysisResult.gyr_dps``…)."""

    @property
    def n_samples(self) -> int: ...

    def chunks(self, size: int) -> Iterable[SampleBatch]: ...

    def batch(self) -> SampleBatch: ...


class _InMemory:
    """A batch already in memory as :class:`SampleChunks` (chunks are views)."""

    def __init__(self, batch: SampleBatch) -> None:
        self._batch = batch

    @property
    def n_samples(self) -> int:
        return len(self._batch)

    def chunks(self, size: int) -> Iterator[SampleBatch]:
        for i in range(0, len(self._batch), size):
            yield self._batch.slice(i, i + size)

    def batch(self) -> SampleBatch:
        return self._batch


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """A whole recording analysed: per-sample series, sway metrics, events and their summary.

    Per sample (n rows, like ``ProcessedBatch``): ``t_s``, ``tilt_ap_deg``, ``tilt_ml_deg``,
    ``in_target``, ``valid``, ``gyr_dps``, ``acc_g`` and ``quat_wxyz`` — all but ``t_s``
    expanded from the processing-rate blocks (or re-read from the recording: ``gyr_dps``,
    ``acc_g``, ``quat_wxyz``) on first use, so a summary of a long recording never holds them.
    At the processing rate ``tilt_rate_hz``: ``block_t_s``, ``block_quat_wxyz``,
    ``block_tilt_ap_deg``, ``block_tilt_ml_deg`` — the series the sway metrics are computed on.
    """

    t_s: FloatArray
    events: list[dict[str, Any]]
    summary: LossSummary
    duration_s: float
    sample_rate_hz: float
    tilt_rate_hz: float
    offline: bool
    calibrated_mounting: bool
    strapping_text: str
    block_t_s: FloatArray
    block_quat_wxyz: FloatArray
    block_tilt_ap_deg: FloatArray
    block_tilt_ml_deg: FloatArray
    block_counts: NDArray[np.int64]  # samples per [no block yet, block 0, block 1, …]
    block_in_target: BoolArray
    valid_fraction: float  # share of samples with a tilt
    _samples: Callable[[], tuple[FloatArray, FloatArray, FloatArray]] = field(repr=False)

    @cached_property
    def sway(self) -> dict[str, float] | None:
        """Sway metrics of the whole recording's valid tilt at the processing rate (None: less
        than a second of it). Computed on first use: ``analyze --json`` reports sway per trial
        and never needs this whole-recording figure."""
        ok = np.isfinite(self.block_tilt_ap_deg) & np.isfinite(self.block_tilt_ml_deg)
        if int(ok.sum()) < max(MIN_SAMPLES, round(self.tilt_rate_hz)):
            return None
        return sway_metrics(self.block_tilt_ap_deg[ok], self.block_tilt_ml_deg[ok],
                            self.tilt_rate_hz)

    def _per_sample(self, blocks: NDArray[Any], before: Any) -> NDArray[Any]:
        """A block series as samples: each sample the latest block completed at or before it."""
        if self.block_counts.shape[0] == 0:  # one block per sample
            return blocks
        return np.repeat(np.concatenate(([before], blocks)), self.block_counts)

    @cached_property
    def tilt_ap_deg(self) -> FloatArray:
        return self._per_sample(self.block_tilt_ap_deg, np.nan)

    @cached_property
    def tilt_ml_deg(self) -> FloatArray:
        return self._per_sample(self.block_tilt_ml_deg, np.nan)

    @cached_property
    def in_target(self) -> BoolArray:
        return self._per_sample(self.block_in_target, False)

    @property
    def valid(self) -> BoolArray:
        out: BoolArray = np.isfinite(self.tilt_ap_deg) & np.isfinite(self.tilt_ml_deg)
        return out

    @cached_property
    def _calibrated(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """(acc_g, gyr_dps) per sample in the segment frame, and the sensor-frame gyro rates
        (gap-weighted) the per-sample quaternions turn on: the recording read once more."""
        return self._samples()

    @property
    def acc_g(self) -> FloatArray:
        """Calibrated accelerometer per sample (segment frame when the mounting is known)."""
        return self._calibrated[0]

    @property
    def gyr_dps(self) -> FloatArray:
        """Calibrated gyroscope per sample (segment frame when the mounting is known)."""
        return self._calibrated[1]

    @property
    def sensor_gyr_dps(self) -> FloatArray:
        return self._calibrated[2]

    @cached_property
    def quat_wxyz(self) -> FloatArray:
        """Per-sample sensor → Earth quaternions (NaN before the first block completes): live
        (online) the held block turned on by the gyro, as ``Pipeline.process`` gives them;
        offline each sample's own block."""
        if self.block_counts.shape[0] == 0:
            return self.block_quat_wxyz
        table = np.concatenate((np.full((1, 4), np.nan), self.block_quat_wxyz))
        if self.offline:
            out: FloatArray = np.repeat(table, self.block_counts, axis=0)
            return out
        q, _ = _hold_propagate(table, self.block_counts, self.sensor_gyr_dps,
                               1.0 / self.sample_rate_hz, np.zeros(3))
        return q


def _counts(n: int, nb: int, d: int, first: int) -> NDArray[np.int64]:
    """Run lengths for np.repeat: ``first`` samples before block 0, then d per block, the rest
    on the last block."""
    counts = np.full(nb + 1, d, dtype=np.int64)
    counts[0] = min(first, n)
    if nb:
        counts[-1] = n - counts[0] - d * (nb - 1)
    return counts


#: Samples per piece of ``analyze``'s pass over a recording (a multiple of every block size up
#: to 16): ~20 MB of float64 temporaries, whatever the recording's length.
CHUNK_SAMPLES = 1 << 16


class _BlockStore:
    """Preallocated per-block outputs of the pass (nothing is concatenated at the end)."""

    def __init__(self, nb: int, inputs: bool) -> None:
        self.n = 0
        self.t_s = np.empty(nb)
        self.quat = np.empty((nb, 4))
        self.ap = np.empty(nb)
        self.ml = np.empty(nb)
        # the filters' inputs, kept only for the non-causal (offline) orientation
        self.inputs = _Blocks(np.empty(0), np.empty((nb, 3)), np.empty((nb, 3)), np.empty(nb),
                              np.empty(nb)) if inputs else None

    def add(self, blocks: _Blocks) -> slice:
        m = len(blocks)
        if self.n + m > self.t_s.shape[0]:
            raise ValueError("the recording grew while it was analysed")
        sl = slice(self.n, self.n + m)
        self.t_s[sl] = blocks.t_s
        if self.inputs is not None:
            for name in ("acc_g", "gyr_dps", "acc_dev_g", "acc_max_g"):
                getattr(self.inputs, name)[sl] = getattr(blocks, name)
        self.n += m
        return sl

    def finish(self) -> None:
        if self.n != self.t_s.shape[0]:
            raise ValueError("the recording shrank while it was analysed")


def _one_pass(pipe: Pipeline, source: SampleChunks, offline: bool
              ) -> tuple[FloatArray, _BlockStore, list[dict[str, Any]]]:
    """Calibration, gap weighting and blocks of ``pipe.block`` samples, chunk by chunk, with the
    block boundaries and the gap weighting carried across chunks (what one batch would give).
    Online, orientation, tilt and events run on each chunk's blocks as ``Pipeline.process``
    does (their state carries over); offline the blocks' inputs are kept for the non-causal
    filter, and a trailing partial block becomes a block of its own. Returns the per-sample
    time, the blocks and (online) the events."""
    d = pipe.block
    fs = pipe.config.sample_rate_hz
    n = source.n_samples
    store = _BlockStore(n // d + (1 if offline and n % d else 0), inputs=offline)
    t_all = np.empty(n)
    i = 0
    events: list[dict[str, Any]] = []
    step = max(d, (CHUNK_SAMPLES // d) * d)
    pend: tuple[FloatArray, FloatArray, FloatArray] | None = None
    t_prev = math.nan
    for chunk in source.chunks(step):
        m = len(chunk)
        if m == 0:
            continue
        if i + m > n:
            raise ValueError("the recording grew while it was analysed")
        acc, gyr_in = pipe._calibrate(chunk)
        t = np.asarray(chunk.t_s, dtype=np.float64)
        t_all[i : i + m] = t
        i += m
        gyr = _gap_weighted(gyr_in, t, t_prev, fs)
        t_prev = float(t[-1])
        if pend is not None:
            t, acc, gyr = (np.concatenate((p, x)) for p, x in zip(pend, (t, acc, gyr),
                                                                   strict=True))
        full = (t.shape[0] // d) * d
        pend = (t[full:], acc[full:], gyr[full:]) if full < t.shape[0] else None
        blocks = _make_blocks(t[:full], acc[:full], gyr[:full], d)
        sl = store.add(blocks)
        if not offline:
            quat = pipe.orientation.update(blocks.acc_g, blocks.gyr_dps)
            ap, ml, evs = pipe._block_outputs(blocks, quat)
            store.quat[sl], store.ap[sl], store.ml[sl] = quat, ap, ml
            events.extend(evs)
    if offline and pend is not None:  # the trailing partial block, on its own
        t, acc, gyr = pend
        dev, norm = acc_features(acc)
        store.add(_Blocks(t[-1:], acc.mean(axis=0, keepdims=True),
                          gyr.mean(axis=0, keepdims=True), dev.max(keepdims=True),
                          norm.max(keepdims=True)))
    if i != n:
        raise ValueError("the recording shrank while it was analysed")
    store.finish()
    return t_all, store, events


def analyze(batch: SampleBatch | SampleChunks, config: PipelineConfig, offline: bool = False
            ) -> AnalysisResult:
    """Analyse a whole recording. ``offline=False`` equals streaming it through ``Pipeline``;
    ``offline=True`` uses non-causal orientation (offline VQF), gives each sample the output of
    its own block and takes the vertical reference (uncalibrated mounting) from the first quiet
    second anywhere, so no sample lacks a tilt. Sway metrics are computed on the tilt at the
    processing rate (``AnalysisResult.tilt_rate_hz``).

    ``batch``: the samples, or a :class:`SampleChunks` (e.g. an opened session) read in one
    chunked pass — then memory stays bounded by the processing-rate outputs (a quarter of the
    samples at 400 Hz) plus the time column, however long the recording."""
    source: SampleChunks = _InMemory(batch) if isinstance(batch, SampleBatch) else batch
    pipe = Pipeline(config)
    d = pipe.block
    t, store, events = _one_pass(pipe, source, offline)
    n = t.shape[0]
    if offline:
        assert store.inputs is not None
        inputs = _Blocks(store.t_s, store.inputs.acc_g, store.inputs.gyr_dps,
                         store.inputs.acc_dev_g, store.inputs.acc_max_g)
        store.inputs = None
        quat = offline_orientation(inputs.acc_g, inputs.gyr_dps, pipe.rate_hz,
                                   **config.vqf_params)
        pipe.tilt.fit_reference(quat, inputs.acc_g, inputs.gyr_dps)
        ap, ml, events = pipe._block_outputs(inputs, quat)
        del inputs
    else:
        quat, ap, ml = store.quat, store.ap, store.ml
    nb = store.t_s.shape[0]
    # per-block booleans; per-sample series are expanded by run lengths on demand
    blk_ok = np.isfinite(ap) & np.isfinite(ml)
    blk_in = pipe._in_target(ap, ml)
    if d == 1:
        counts = np.empty(0, dtype=np.int64)
        n_valid = int(blk_ok.sum())
        n_in = int((blk_in & blk_ok).sum())
    else:
        counts = _counts(n, nb, d, 0 if offline else d - 1)
        per_block = counts[1:]
        n_valid = int(per_block[blk_ok].sum())
        n_in = int(per_block[blk_in & blk_ok].sum())
    fs = config.sample_rate_hz
    t0 = float(t[0]) if n else 0.0

    def samples() -> tuple[FloatArray, FloatArray, FloatArray]:
        full = source.batch()
        acc, gyr_in = pipe._calibrate(full)
        gyr = _gap_weighted(gyr_in, full.t_s, math.nan, fs)
        acc_out, gyr_out = pipe._to_segment(acc, gyr_in)
        return acc_out, gyr_out, gyr

    return AnalysisResult(
        t_s=t,
        events=events,
        summary=summarize_counts(events, t0, n_in, n_valid, config.target_radius_deg),
        duration_s=float(t[-1] - t[0]) + 1.0 / fs if n else 0.0,
        sample_rate_hz=fs,
        tilt_rate_hz=pipe.rate_hz,
        offline=offline,
        calibrated_mounting=pipe.tilt.calibrated,
        strapping_text=config.strapping_text,
        block_t_s=store.t_s,
        block_quat_wxyz=quat,
        block_tilt_ap_deg=ap,
        block_tilt_ml_deg=ml,
        block_counts=counts,
        block_in_target=blk_in,
        valid_fraction=n_valid / n if n else 0.0,
        _samples=samples,
    )
