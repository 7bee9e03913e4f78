"""Per-sensor calibration profiles in the user config directory (the only file I/O here)."""
