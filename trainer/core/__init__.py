"""Pure numpy/scipy signal processing: no Qt, no BLE, no file I/O (checked by import-linter)."""
