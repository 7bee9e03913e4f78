from trainer.ui.drill_run import COUNTDOWN, DONE, IDLE, RUNNING, DrillRun
from trainer.ui.settings import DrillSettings


def test_countdown_then_running_then_done() -> None:
    run = DrillRun(DrillSettings(duration_s=10), countdown_s=3)
    assert run.state == IDLE
    run.start(100.0)
    assert run.state == COUNTDOWN and run.countdown_left(100.2) == 3
    assert "3" in run.cue(100.2) and run.elapsed_s(101) == 0
    assert run.tick(103.0) == [RUNNING]
    assert run.remaining_s(108.0) == 5 and run.cue(104) == "Hold steady"
    assert run.tick(108.0) == []
    assert run.tick(113.5) == [DONE]
    assert not run.stopped_early


def test_stop_early_and_cue_provider() -> None:
    run = DrillRun(DrillSettings(eyes="closed"), countdown_s=0,
                   cue_provider=lambda s, e, _set: "Press" if s == RUNNING and e > 1 else None)
    run.start(0.0)
    assert run.state == RUNNING
    assert "Eyes closed" in run.cue(0.5) and run.cue(2.0) == "Press"
    run.stop(5.0)
    assert run.state == DONE and run.stopped_early


def test_stop_during_countdown_goes_back_to_idle() -> None:
    run = DrillRun(DrillSettings(), countdown_s=3)
    run.start(0.0)
    run.stop(1.0)
    assert run.state == IDLE


def test_parameters_for_session_json() -> None:
    p = DrillSettings(eyes="closed", surface="foam", duration_s=20).parameters()
    assert p == {"eyes": "closed", "surface": "foam", "duration_s": 20}
