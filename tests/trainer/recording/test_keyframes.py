"""Replay seek by keyframes: the restored pipeline is the uninterrupted replay's (1e-9)."""

from __future__ import annotations

import numpy as np
import pytest

from firmware_bridge.simulator import SimConfig, simulate
from trainer.core.pipeline import Pipeline, PipelineConfig
from trainer.recording import SessionWriter, open_session
from trainer.recording.keyframes import PipelineKeyframes
from trainer.recording.reader import Session


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    rec = simulate(SimConfig(seed=3, duration_s=90.0, sample_rate_hz=200.0,
                             balance_loss_rate_per_min=2.0))
    path = tmp_path_factory.mktemp("kf") / "s"
    w = SessionWriter(path, sample_rate_hz=200.0, drill_id="single-leg-balance", side="right",
                      placement="shank", simulated=True)
    w.append(rec.batch)
    w.close()
    return open_session(path)


def factory(session: Session):  # type: ignore[no-untyped-def]
    return lambda: Pipeline(PipelineConfig(sample_rate_hz=session.sample_rate_hz, side="right"))


@pytest.mark.parametrize("position_s", [0.0, 3.0, 10.0, 37.3, 61.05, 89.9])
def test_restored_state_equals_the_uninterrupted_replay(session: Session,
                                                        position_s: float) -> None:
    kf = PipelineKeyframes(session, factory(session), interval_s=10.0, start=False)
    kf.build()
    pipe, out = kf.restore(position_s, lead_s=8.0)
    t_abs = session.start_t_s + position_s
    ref = factory(session)()
    before = session.batch(None, t_abs)
    ref_out = ref.process(before) if len(before) else None
    if out is None:
        assert position_s == 0.0
    else:  # what the plots get: the last ≥ 8 s before the position, as the full run had them
        n = len(out)
        assert n >= min(len(before), round(8.0 * session.sample_rate_hz))
        assert ref_out is not None
        np.testing.assert_array_equal(out.t_s, ref_out.t_s[-n:])
        for name in ("tilt_ap_deg", "tilt_ml_deg", "quat_wxyz"):
            np.testing.assert_allclose(getattr(out, name), getattr(ref_out, name)[-n:],
                                       rtol=0, atol=1e-9)
    # and playing on from there is the same as if nothing had happened
    after = session.batch(t_abs, t_abs + 5.0)
    a, b = pipe.process(after), ref.process(after)
    for name in ("tilt_ap_deg", "tilt_ml_deg", "quat_wxyz"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=0, atol=1e-9)
    ma, mb = pipe.live_metrics(), ref.live_metrics()
    assert (ma is None) == (mb is None)
    if ma is not None and mb is not None:
        for k in ma:
            assert ma[k] == pytest.approx(mb[k], abs=1e-9, nan_ok=True)
    assert [e["t_s"] for e in pipe.events] == pytest.approx([e["t_s"] for e in ref.events])


def test_keyframes_build_in_the_background(session: Session) -> None:
    kf = PipelineKeyframes(session, factory(session), interval_s=10.0)
    assert kf.done.wait(60)
    assert kf.covered_s == session.duration_s
    at, _pipe = kf.nearest(session.n_samples)
    assert at == 80 * 200  # the last keyframe: after 80 s (the session is 90 s)


def test_a_seek_before_the_keyframes_are_built_is_still_right(session: Session) -> None:
    kf = PipelineKeyframes(session, factory(session), interval_s=10.0, start=False)
    pipe, _ = kf.restore(50.0, lead_s=5.0)  # only the start frame: everything is processed
    ref = factory(session)()
    ref.process(session.batch(None, session.start_t_s + 50.0))
    after = session.batch(session.start_t_s + 50.0, session.start_t_s + 52.0)
    np.testing.assert_allclose(pipe.process(after).tilt_ap_deg, ref.process(after).tilt_ap_deg,
                               rtol=0, atol=1e-9)
    kf.close()
    kf.build()  # closed: builds nothing more
    assert kf.covered_s == 0.0 and kf.nearest(10**9)[0] == 0


def test_interval_must_be_positive(session: Session) -> None:
    with pytest.raises(ValueError, match="interval_s"):
        PipelineKeyframes(session, factory(session), interval_s=0.0, start=False)
