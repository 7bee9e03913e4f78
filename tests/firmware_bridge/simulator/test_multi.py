"""Several simulated sensors on one person: the same samples however reads are cut, and the
segments move as one body (trunk with the stance ankle, the lifted foot landing at the
simulator's touchdowns, the stance foot still)."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, SimulatedSource
from firmware_bridge.simulator.multi import MultiSimulatedSource, touchdown_times
from trainer.vocab.batch import SampleBatch
from trainer.vocab.roles import Role

ROLES: tuple[Role, ...] = ("left-shank", "right-foot", "trunk", "left-foot")


def _run(cuts: list[float], seed: int = 4) -> tuple[dict[Role, SampleBatch], MultiSimulatedSource]:
    now = [0.0]
    src = SimulatedSource(SimConfig(seed=seed, duration_s=25.0, side="left",
                                    balance_loss_rate_per_min=4.0), clock=lambda: now[0])
    multi = MultiSimulatedSource(src, ROLES)
    multi.start()
    got: dict[Role, list[SampleBatch]] = {r: [] for r in ROLES}
    for t in cuts:
        now[0] = t
        for role, b in multi.read_all().items():
            got[role].append(b)
    return {r: SampleBatch.concat(v) for r, v in got.items()}, multi


def test_reads_cut_anywhere_give_the_same_samples() -> None:
    a, _ = _run(list(np.arange(0.05, 26, 0.05)))
    b, _ = _run([*np.cumsum(np.random.default_rng(1).uniform(0.01, 0.9, 120)), 26.0])
    for role in ROLES:
        np.testing.assert_array_equal(a[role].t_s, b[role].t_s)
        np.testing.assert_allclose(a[role].acc_g, b[role].acc_g, atol=1e-12)
        np.testing.assert_allclose(a[role].gyr_dps, b[role].gyr_dps, atol=1e-9)


def test_one_body() -> None:
    got, multi = _run(list(np.arange(0.1, 26, 0.1)))
    t = got["left-shank"].t_s
    assert all(np.array_equal(got[r].t_s, t) for r in ROLES)  # one clock
    tds = touchdown_times(multi)
    assert tds
    # the lifted (right) foot: tilted while lifted, flat and landing with an impact at touchdowns
    foot = got["right-foot"].acc_g
    impact = np.abs(np.linalg.norm(foot, axis=1) - 1.0)
    for td in tds:
        near = np.abs(t - td) < 0.05
        assert impact[near].max() > 1.0
    lifted = np.ones(t.size, dtype=bool)
    for td in tds:
        lifted &= ~((t > td - 1.0) & (t < td + 6.0))
    pitch = np.degrees(np.arctan2(foot[:, 0], foot[:, 2]))
    assert np.median(np.abs(pitch[lifted])) > 30
    # the stance foot stays on the floor; the trunk sways with the stance shank's tilt
    assert np.std(got["left-foot"].acc_g[:, 2]) < 0.05
    shank_gyr = got["left-shank"].gyr_dps
    trunk_gyr = got["trunk"].gyr_dps
    quiet = lifted & (t > 2)
    # both pitch with the body: the rotation rates about the ML axis agree at low frequency
    k = np.ones(25) / 25
    s_lp = np.convolve(np.linalg.norm(shank_gyr, axis=1), k, "same")[quiet]
    t_lp = np.convolve(np.linalg.norm(trunk_gyr, axis=1), k, "same")[quiet]
    assert np.corrcoef(s_lp, t_lp)[0, 1] > 0.3


def test_roles_checked() -> None:
    src = SimulatedSource(SimConfig(duration_s=1.0))
    with pytest.raises(ValueError, match="twice"):
        MultiSimulatedSource(src, ["trunk", "trunk"])
