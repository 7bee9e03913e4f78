import numpy as np
import pytest

from trainer.feedback import SonificationParams, Synth, map_tilt


def test_dead_zone_is_silent_and_gain_grows_outside() -> None:
    p = SonificationParams(dead_zone_deg=1.0, saturation_deg=5.0, max_gain=0.5)
    _, _, gain = map_tilt([0.0, 0.5, 2.0, 3.0, 10.0], [0.0, 0.5, 0.0, 0.0, 0.0], p)
    assert gain[0] == 0 and gain[1] == 0
    assert 0 < gain[2] < gain[3] < gain[4] == pytest.approx(0.5)


def test_pitch_from_ap_and_pan_from_ml() -> None:
    p = SonificationParams(dead_zone_deg=1.0, saturation_deg=5.0, base_hz=440, octaves=1, ml_sign=1)
    freq, pan, _ = map_tilt([5.0, -5.0, 0.0, 0.0], [0.0, 0.0, 5.0, -3.0], p)
    assert freq[0] == pytest.approx(880) and freq[1] == pytest.approx(220)
    assert freq[2] == pytest.approx(440)
    assert pan[0] == 0 and pan[2] == pytest.approx(1.0) and pan[3] == pytest.approx(-0.5)
    _, pan_flipped, _ = map_tilt([0.0], [5.0], SonificationParams(ml_sign=-1))
    assert pan_flipped[0] < 0


def test_bad_params() -> None:
    with pytest.raises(ValueError):
        SonificationParams(dead_zone_deg=5, saturation_deg=2)


def test_synth_is_chunk_invariant_and_phase_continuous() -> None:
    a, b = Synth(8000), Synth(8000)
    for s in (a, b):
        s.set_target(500.0, 0.3, 0.5)
    whole = a.render(1024)
    parts = np.concatenate([b.render(n) for n in (100, 1, 411, 512)])
    np.testing.assert_allclose(whole, parts, atol=1e-6)
    # Change the pitch mid-stream: no jump larger than one step of a full-scale sine.
    a.set_target(900.0, -0.5, 0.5)
    nxt = a.render(512)
    joined = np.concatenate([whole, nxt])[:, 0]
    max_step = 2 * np.pi * 900 / 8000 * 0.5
    assert np.max(np.abs(np.diff(joined))) <= max_step + 1e-6


def test_synth_frequency_pan_and_silence() -> None:
    s = Synth(16000, smoothing_s=0.005)
    s.set_target(400.0, -1.0, 0.5)
    s.render(4000)  # settle
    out = s.render(16000)
    left, right = out[:, 0], out[:, 1]
    crossings = np.count_nonzero(np.diff(np.signbit(left)))
    assert crossings / 2 == pytest.approx(400, rel=0.02)
    assert np.max(np.abs(right)) < 1e-3 < np.max(np.abs(left))
    s.silence()
    s.render(4000)
    assert np.max(np.abs(s.render(1000))) < 1e-6
    assert s.render(0).shape == (0, 2)


def test_beeps_are_short_click_free_tones_over_silence() -> None:
    from trainer.feedback.sonify import BEEPS

    s = Synth(8000)
    s.beep("start")
    out = np.concatenate([s.render(256) for _ in range(20)])
    freq, dur = BEEPS["start"]
    n = round(dur * 8000)
    left = out[:, 0]
    assert np.max(np.abs(left[:n])) > 0.2 and np.all(left[n:] == 0)
    assert abs(left[0]) < 1e-3 and abs(left[n - 1]) < 0.02  # ramps in and out
    crossings = np.count_nonzero(np.diff(np.signbit(left[:n])))
    assert crossings / 2 / dur == pytest.approx(freq, rel=0.03)
    np.testing.assert_array_equal(out[:, 0], out[:, 1])  # centred
