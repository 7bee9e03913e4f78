"""Several simulated sensors on one person: the same samples however reads are cut, and the
segments move as one body (trunk with the stance ankle, the lifted foot landing at the
simulator's touchdowns, the stance foot still)."""

from __future__ import annotations

from typing import Any

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


def _guided(start_s: float, now: list[float]) -> SimulatedSource:
    from firmware_bridge.simulator.guide import GuidedSet, GuideSchedule

    guide = GuideSchedule((GuidedSet("hold", hold_s=5.0),), start_s=start_s, countdown_s=1.0)
    return SimulatedSource(SimConfig(seed=4, duration_s=12.0, side="left", guide=guide),
                           clock=lambda: now[0])


def _read(src: SimulatedSource | MultiSimulatedSource, now: list[float], cuts: Any,
          moved: tuple[float, float] | None = None) -> dict[Role, SampleBatch]:
    """Reads at ``cuts``; ``moved`` = (at, start_s): the guide's start moves then."""
    got: dict[Role, list[SampleBatch]] = {}
    for t in cuts:
        now[0] = float(t)
        if moved is not None and t >= moved[0]:
            if isinstance(src, MultiSimulatedSource):
                src.guide_starts(moved[1])
            else:
                assert src.reschedule(moved[1])
            moved = None
        out = src.read_all() if isinstance(src, MultiSimulatedSource) else {"p": src.read()}
        for role, b in out.items():
            got.setdefault(role, []).append(b)
    return {r: SampleBatch.concat(v) for r, v in got.items()}


def test_a_moved_guide_start_is_as_if_the_person_had_followed_it_from_the_start() -> None:
    """``reschedule`` (a skipped sync jump): the samples not delivered yet are those of a person
    who had the new schedule from the beginning; those delivered stay."""
    cuts = np.arange(0.1, 12.05, 0.1)
    now = [0.0]
    moved = _read(_guided(2.0, now), now, cuts, moved=(0.55, 0.6))
    now2 = [0.0]
    fresh = _read(_guided(0.6, now2), now2, cuts)
    np.testing.assert_array_equal(moved["p"].t_s, fresh["p"].t_s)
    np.testing.assert_array_equal(moved["p"].acc_g, fresh["p"].acc_g)
    np.testing.assert_array_equal(moved["p"].gyr_dps, fresh["p"].gyr_dps)


def test_guided_the_other_foot_is_down_until_the_first_hold_and_a_skipped_jump_is_off(
        ) -> None:
    """A guided single-leg stance: the right foot is on the floor before the first hold (the
    sync jump's wait, the countdown), not lifted once the jump is over; a skip before the
    push-off calls the jump off; the hold then follows the guide's real start."""
    now = [0.0]
    multi = MultiSimulatedSource(_guided(2.0, now), ("left-shank", "right-foot"))
    multi.start()
    multi.ask_sync_jump(0.0)
    got = _read(multi, now, np.arange(0.05, 12.0, 0.05), moved=(0.5, 0.6))
    assert multi.sync_jump is None
    shank = got["left-shank"]
    assert np.linalg.norm(shank.acc_g, axis=1).max() < 1.5  # no landing
    foot = got["right-foot"]
    z = foot.acc_g[:, 2] / np.linalg.norm(foot.acc_g, axis=1)
    t = foot.t_s
    go = 0.6 + 1.0 + 0.5  # the moved start, the countdown, the reaction
    assert z[t < go - 0.1].min() > 0.95  # flat on the floor
    assert np.abs(z[(t > go + 1.0) & (t < go + 4.0)] - np.cos(np.radians(50))).max() < 0.1
    (hold,) = [e for e in multi.events if e["type"] == "hold"]
    assert float(hold["t_s"]) == pytest.approx(go, abs=0.02)
