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


def _run(cuts: list[float], seed: int = 4, jump_at_s: float | None = None
         ) -> tuple[dict[Role, SampleBatch], MultiSimulatedSource]:
    now = [0.0]
    src = SimulatedSource(SimConfig(seed=seed, duration_s=25.0, side="left",
                                    balance_loss_rate_per_min=4.0), clock=lambda: now[0])
    multi = MultiSimulatedSource(src, ROLES)
    multi.start()
    got: dict[Role, list[SampleBatch]] = {r: [] for r in ROLES}
    for t in cuts:
        now[0] = t
        if jump_at_s is not None and t >= jump_at_s and multi.sync_jump is None:
            multi.ask_sync_jump(jump_at_s)
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


def _alignment(got: dict[Role, SampleBatch], shift_s: dict[Role, float] | None = None,
               near_s: float | None = None) -> tuple[object, str | None]:
    from trainer.core.sessionclock import find_alignment

    shift_s = shift_s or {}
    return find_alignment({r: (b.t_s + shift_s.get(r, 0.0), b.acc_g) for r, b in got.items()},
                          near_s=near_s, before_s=1.0, after_s=3.0)


def test_the_sync_jump_lines_up_one_clock() -> None:
    """Asked for the sync jump, the person lands on both feet: every segment sees it at the
    same instant, 2–4 g at the legs, less at the trunk; the alignment measured there is the
    one clock's (< 1 ms), and a sensor whose times are 20 ms late reads 20 ms."""
    got, multi = _run(list(np.arange(0.1, 26, 0.1)), jump_at_s=2.0)
    jump = multi.sync_jump
    assert jump is not None and jump.t_land_s == pytest.approx(3.5)
    t = got["left-shank"].t_s
    near = np.abs(t - jump.t_land_s) < 0.05
    peak = {r: float(np.linalg.norm(got[r].acc_g, axis=1)[near].max()) for r in ROLES}
    for r in ("left-shank", "right-foot", "left-foot"):
        assert 2.0 < peak[r] < 4.5, (r, peak)
    assert 1.3 < peak["trunk"] < peak["left-shank"]
    flight = (t > jump.t_land_s - 0.2) & (t < jump.t_land_s - 0.05)
    assert np.linalg.norm(got["trunk"].acc_g, axis=1)[flight].max() < 0.2  # free fall
    assert touchdown_times(multi) == sorted(touchdown_times(multi))  # truth unchanged
    al, why = _alignment(got, near_s=jump.t_cue_s)
    assert why is None and al is not None
    assert al.max_abs_ms <= 1.0  # type: ignore[attr-defined]
    assert al.event_t_s["trunk"] == pytest.approx(jump.t_land_s, abs=0.006)  # type: ignore[attr-defined]
    al, _ = _alignment(got, {"trunk": 0.020}, near_s=jump.t_cue_s)
    assert al is not None
    assert al.offsets_ms["trunk"] == pytest.approx(20.0, abs=1.0)  # type: ignore[attr-defined]
    assert al.max_abs_ms == pytest.approx(20.0, abs=1.0)  # type: ignore[attr-defined]
    # without the cue's time: the landing is still the sharpest shared front
    al, _ = _alignment(got)
    assert al is not None and al.max_abs_ms <= 1.0  # type: ignore[attr-defined]


def test_a_lifted_foot_touchdown_is_no_shared_event() -> None:
    """No sync jump, only the lifted foot's touchdowns (sharp on that foot, faint on the trunk
    and the stance foot): no alignment, and why."""
    from trainer.core.sessionclock import NO_SHARED_EVENT

    got, multi = _run(list(np.arange(0.1, 26, 0.1)))
    assert touchdown_times(multi)
    al, why = _alignment(got)
    assert al is None and why == NO_SHARED_EVENT
