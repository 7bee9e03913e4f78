"""The three calibration steps applied to a profile, from whole recordings (``calibrate --from``).

Each ``*_from_recording`` takes raw arrays (device units, before calibration), computes one step and
writes it into a copy of the profile, leaving the other steps as they were. ``detect_steps`` tells
which steps a recording supports when the user did not say.
"""

from __future__ import annotations

import copy

import numpy as np
from numpy.typing import NDArray

from calibration.accel import AccelFit, find_poses, fit_accel
from calibration.errors import CalibrationError
from calibration.gyro import GyroBiasResult, estimate_gyro_bias
from calibration.mounting import SWING_RATE_DPS, MountResult, estimate_mounting
from trainer.vocab.calibration import STEPS, CalibrationProfile

FloatArray = NDArray[np.float64]


def with_gyro(profile: CalibrationProfile, result: GyroBiasResult) -> CalibrationProfile:
    out = copy.deepcopy(profile)
    out.gyro_bias_dps = np.asarray(result.bias_dps, dtype=np.float64).copy()
    out.mark_step("gyro", result.quality())
    return out


def with_accel(profile: CalibrationProfile, fit: AccelFit) -> CalibrationProfile:
    out = copy.deepcopy(profile)
    out.acc_offset_g = np.asarray(fit.offset_g, dtype=np.float64).copy()
    out.acc_matrix = np.asarray(fit.matrix, dtype=np.float64).copy()
    out.mark_step("accel", fit.quality())
    return out


def with_mount(profile: CalibrationProfile, result: MountResult) -> CalibrationProfile:
    out = copy.deepcopy(profile)
    out.mount_quat_wxyz = np.asarray(result.quat_wxyz, dtype=np.float64).copy()
    out.placement = result.placement
    out.side = result.side
    out.mark_step("mount", result.quality())
    return out


def gyro_from_recording(profile: CalibrationProfile, t_s: FloatArray, acc_g: FloatArray,
                        gyr_dps: FloatArray) -> tuple[CalibrationProfile, GyroBiasResult]:
    result = estimate_gyro_bias(t_s, acc_g, gyr_dps)
    return with_gyro(profile, result), result


def accel_from_recording(profile: CalibrationProfile, t_s: FloatArray, acc_g: FloatArray,
                         gyr_dps: FloatArray) -> tuple[CalibrationProfile, AccelFit]:
    fit = fit_accel(find_poses(t_s, acc_g, gyr_dps))
    return with_accel(profile, fit), fit


def mount_from_recording(profile: CalibrationProfile, t_s: FloatArray, acc_g: FloatArray,
                         gyr_dps: FloatArray, *, side: str, placement: str
                         ) -> tuple[CalibrationProfile, MountResult]:
    """Mounting from raw data: the profile's accelerometer and gyroscope calibration is applied
    first, so the mounting is expressed in the calibrated sensor frame."""
    acc, gyr = profile.apply(acc_g, gyr_dps)
    result = estimate_mounting(t_s, acc, gyr, side=side, placement=placement)
    return with_mount(profile, result), result


def detect_steps(t_s: FloatArray, acc_g: FloatArray, gyr_dps: FloatArray) -> list[str]:
    """Steps a recording supports: six or more still orientations → ``gyro`` and ``accel``;
    otherwise a leg swing → ``mount`` (standing sway would bias the gyro, so a swing recording
    gives the mounting only); otherwise a still period → ``gyro``."""
    gyr = np.asarray(gyr_dps, dtype=np.float64)
    if gyr.shape[0] < 2:
        raise CalibrationError("the recording has no samples")
    if len(find_poses(t_s, acc_g, gyr)) >= 6:
        return ["gyro", "accel"]
    if float(np.linalg.norm(gyr, axis=1).max()) >= SWING_RATE_DPS:
        return ["mount"]
    return ["gyro"]


__all__ = ["STEPS", "accel_from_recording", "detect_steps", "gyro_from_recording",
           "mount_from_recording", "with_accel", "with_gyro", "with_mount"]
