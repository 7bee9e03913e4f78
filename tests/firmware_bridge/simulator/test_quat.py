from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from firmware_bridge.simulator import quat

angles = st.floats(-1.2, 1.2)


@given(angles, angles)
def test_tilt_round_trip(ap: float, ml: float) -> None:
    q = quat.from_tilt(ap, ml)
    ap2, ml2 = quat.tilt_of(q)
    assert abs(float(ap2) - ap) < 1e-9
    assert abs(float(ml2) - ml) < 1e-9


def test_tilt_signs_follow_the_segment_frame() -> None:
    # forward lean: the segment's z axis points toward +x (anterior)
    z = quat.rotate(quat.from_tilt(0.2, 0.0), [0, 0, 1])
    assert z[0] > 0.19 and abs(z[1]) < 1e-12
    z = quat.rotate(quat.from_tilt(0.0, 0.2), [0, 0, 1])
    assert z[1] > 0.19 and abs(z[0]) < 1e-12


@given(st.lists(st.floats(-1, 1), min_size=4, max_size=4), st.floats(-3, 3))
def test_rotation_vector_between_inverts_composition(axis: list[float], angle: float) -> None:
    ax = np.array(axis[:3]) + np.array([0.0, 0.0, 1e-3 + 2.0])
    q0 = quat.as_quat([1.0, 0.1, -0.2, 0.3])
    step = quat.from_axis_angle(ax, angle)
    v = quat.rotation_vector_between(q0, quat.multiply(q0, step))
    np.testing.assert_allclose(v, ax / np.linalg.norm(ax) * angle, atol=1e-9)


def test_rotate_inverse_undoes_rotate() -> None:
    q = quat.as_quat([[0.9, 0.1, 0.3, -0.2], [0.2, 0.5, 0.1, 0.8]])
    v = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    np.testing.assert_allclose(quat.rotate_inverse(q, quat.rotate(q, v)), v, atol=1e-12)
