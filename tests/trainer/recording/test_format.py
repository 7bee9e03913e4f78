from __future__ import annotations

import numpy as np

from trainer.recording import format as fmt


def test_imu_record_layout_is_the_contract() -> None:
    dt = fmt.IMU_DTYPE
    assert dt.itemsize == 8 + 4 + 12 + 12  # packed, no padding
    assert [(name, dt.fields[name][1]) for name in dt.names] == [
        ("t_s", 0), ("seq", 8), ("acc_g", 12), ("gyr_dps", 24)]
    assert dt["t_s"] == np.dtype("<f8") and dt["seq"] == np.dtype("<u4")
    assert dt["acc_g"].base == np.dtype("<f4") and dt["acc_g"].shape == (3,)
    assert fmt.MAG_DTYPE.itemsize == 20


def test_one_record_bytes_by_hand() -> None:
    rec = np.zeros(1, fmt.IMU_DTYPE)
    rec["t_s"] = 1.5
    rec["seq"] = 0x01020304
    rec["acc_g"] = [1, 2, 3]
    rec["gyr_dps"] = [-1, 0, 0.5]
    raw = rec.tobytes()
    assert raw[:8] == np.float64(1.5).tobytes()  # little-endian already on x86; explicit below
    assert raw[8:12] == bytes([4, 3, 2, 1])
    assert np.frombuffer(raw[12:36], "<f4").tolist() == [1, 2, 3, -1, 0, 0.5]
