"""Sensor calibration: gyro bias, six-face accelerometer, mounting alignment, profiles.

Keep this ``__init__`` import-free: ``trainer.core`` uses the pure modules, and file I/O lives in
``calibration.store`` only.
"""
