"""Rep detection through the real path (simulator → core pipeline → analyze_drill)."""

from __future__ import annotations

from trainer.drills.evaluate import Case, match, run_case, summarize


def test_rep_accuracy_on_simulated_recordings_with_varied_tempo_amplitude_noise() -> None:
    cases = [
        Case("ankle-inversion", "left", 0, 1.6, 8.0, 10.0),
        Case("ankle-inversion", "right", 1, 5.0, 35.0, 1.0),
        Case("ankle-eversion", "left", 2, 3.0, 12.0, 10.0),
        Case("ankle-eversion", "right", 3, 1.6, 30.0, 5.0),
        Case("calf-raise", "left", 4, 5.0, 10.0, 10.0),
        Case("calf-raise", "right", 5, 1.6, 35.0, 1.0),
        Case("warm-up", "left", 6, 1.5, 15.0, 10.0),
    ]
    s = summarize([run_case(c, duration_s=45.0) for c in cases])
    assert s["true_reps"] > 60
    assert s["accuracy"] >= 0.95
    assert s["extra_detections"] == 0  # no double counts
    for drill, d in s["per_drill"].items():
        if drill != "warm-up":
            assert d["rom_abs_err_deg_median"] < 2.0


def test_match_is_one_to_one() -> None:
    truth = [{"t_s": 0.0, "t_peak_s": 1.0, "t_end_s": 2.0},
             {"t_s": 3.0, "t_peak_s": 4.0, "t_end_s": 5.0}]
    assert match([1.1, 1.2, 4.0], truth) == (2, 1)
    assert match([], truth) == (0, 0)
