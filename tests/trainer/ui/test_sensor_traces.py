"""Several sensors in the dashboard: every extra sensor's tilt trace on the primary's time axis,
the LSL switch streaming all of them; the pure trace model fed by a PrimaryView."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from firmware_bridge.sensorset import PrimaryView, SensorSet
from tests.trainer.ui.conftest import DirectTiltPipeline, ScriptedSource, wait_until
from trainer.ui.multi_live import AP, ML, SensorTracks, T
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import SourceInfo, SourceStatus


def three_sensors() -> tuple[PrimaryView, dict[str, ScriptedSource]]:
    srcs = {"left-shank": ScriptedSource(amp_deg=0.3), "right-shank": ScriptedSource(amp_deg=0.3),
            "trunk": ScriptedSource(amp_deg=0.3)}
    for i, (role, src) in enumerate(srcs.items()):
        src.info = SourceInfo(f"Scripted {role}", f"SCRIPT:0{i}", "test", 100.0)
    return PrimaryView(SensorSet(srcs, "left-shank")), srcs  # type: ignore[arg-type]


def test_every_extra_sensor_gets_a_trace(qtbot: Any, window: Any) -> None:
    view, srcs = three_sensors()
    window.set_source(view, "device", label="three", pipeline=DirectTiltPipeline)
    wait_until(qtbot, lambda: set(window.sensor_plots.plots) == {"right-shank", "trunk"})
    assert window.sensor_plots.widget.isVisible()
    assert not window.time_plots.gyr.isVisible()  # two extra traces take its room
    assert "left-shank (analysed)" in window.time_plots.tilt.getPlotItem().titleLabel.text
    # the core pipeline finds the vertical after a quiet second; then the traces are tilt
    tracks = window.sensor_plots.tracks
    trunk = tracks.tracks["trunk"].ring
    wait_until(qtbot, lambda: trunk.count > 50 and bool(np.isfinite(trunk.latest()[AP])), 10)
    srcs["trunk"].offset_deg = (4.0, 0.0)  # the trunk leans: its trace follows (the others not)
    wait_until(qtbot, lambda: abs(trunk.latest()[AP]) > 2.0, 15)
    assert abs(tracks.tracks["right-shank"].ring.latest()[AP]) < 1.0
    plots = window.sensor_plots
    ap, _ml = plots.curves["trunk"]
    x, _y = ap.getData()
    assert x is not None and len(x) > 50 and -0.2 < x[-1] <= 0.05 and x[0] < x[-1]
    # one plot for both extra sensors: distinct colours, a legend with role and link state
    assert {c.getViewBox() for pair in plots.curves.values() for c in pair} == {
        plots.plot.getPlotItem().vb}
    pens = {c.opts["pen"].color().name() for pair in plots.curves.values() for c in pair}
    assert len(pens) == 4
    title = plots.plot.getPlotItem().titleLabel.text
    assert title == plots.legend()
    assert "right-shank" in title and "trunk" in title and title.count("streaming") == 2
    srcs["trunk"].pending.append(SourceStatus("lost", "link"))
    wait_until(qtbot, lambda: "lost" in plots.plot.getPlotItem().titleLabel.text)
    # one sensor again: the extra plots go away, the primary's title comes back
    window.set_source(ScriptedSource(), "device", label="one", pipeline=DirectTiltPipeline)
    wait_until(qtbot, lambda: not window.sensor_plots.plots)
    assert not window.sensor_plots.widget.isVisible()
    assert window.time_plots.gyr.isVisible()
    assert view.listeners == []


def test_lsl_streams_every_sensor_of_the_set(qtbot: Any, window: Any,
                                             lsl_prefix: tuple[Any, str]) -> None:
    lsl, prefix = lsl_prefix
    view, srcs = three_sensors()
    window.set_source(view, "device", label="three", pipeline=DirectTiltPipeline)
    window.lsl.action.setChecked(True)
    wait_until(qtbot, lambda: window.lsl.sink is not None
               and len(window.lsl.sink.outlet.stream_names) >= 3)
    inlets = {}
    for role in ("left-shank", "right-shank", "trunk"):
        found = lsl.resolve_byprop("name", f"{prefix}-{role}", 1, 20.0)
        assert found, role
        inlets[role] = lsl.StreamInlet(found[0], max_buflen=60, processing_flags=0)
        inlets[role].open_stream(20.0)
        assert inlets[role].info().source_id() == f"balance-trainer:{srcs[role].info.address}"
    offset = window.lsl.sink.outlet.offset_s
    got: dict[str, list[float]] = {r: [] for r in inlets}
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and min(len(v) for v in got.values()) < 30:
        for role, inlet in inlets.items():
            _chunk, ts = inlet.pull_chunk(timeout=0.0)
            got[role] += ts
        qtbot.wait(30)
    for role, stamps in got.items():
        t = np.asarray(stamps) - offset
        assert t.size >= 30, role
        # every sensor's samples on the one session clock (sample k at k / 100 s)
        np.testing.assert_allclose(t * 100, np.round(t * 100), atol=1e-4)
    window.lsl.action.setChecked(False)
    # the LSL listener is gone (the traces and the link panel stay)
    assert view.listeners == [window.sensor_plots.tracks, window.sensor_links]


def test_tracks_model_files_tilt_by_role_and_never_raises() -> None:
    infos = {r: SourceInfo(r, f"A:{i}", "test", 100.0)
             for i, r in enumerate(("left-shank", "right-shank", "trunk"))}

    class Broken:
        def process(self, batch: SampleBatch) -> Any:
            raise RuntimeError("boom")

    def factory(info: SourceInfo, role: str) -> Any:
        return Broken() if role == "trunk" else DirectTiltPipeline()

    tracks = SensorTracks(infos, "left-shank", pipeline_factory=factory)  # type: ignore[arg-type]
    assert tracks.roles == ("right-shank", "trunk")
    t = np.arange(10) / 100.0
    acc = np.column_stack([np.sin(np.radians(np.full(10, 5.0))), np.zeros(10),
                           np.cos(np.radians(np.full(10, 5.0)))])
    batch = SampleBatch.from_arrays(t, acc, np.zeros((10, 3)))
    tracks({"left-shank": batch, "right-shank": batch, "trunk": batch},
           {"right-shank": [SourceStatus("connected"), SourceStatus("battery")],
            "trunk": [SourceStatus("lost")]})
    rows = tracks.tracks["right-shank"].ring.view()
    np.testing.assert_allclose(rows[:, T], t)
    np.testing.assert_allclose(rows[:, AP], 5.0, atol=1e-9)
    np.testing.assert_allclose(rows[:, ML], 0.0, atol=1e-9)
    assert tracks.tracks["right-shank"].state == "streaming"
    assert tracks.tracks["trunk"].failed == "RuntimeError: boom"
    assert tracks.tracks["trunk"].state == "lost"
    later = SampleBatch.from_arrays(t + 5.0, acc, np.zeros((10, 3)))
    tracks({"right-shank": later}, {})
    assert tracks.tracks["right-shank"].ring.count == 20
    # the clock starts again (a restarted simulation): the trace starts afresh
    tracks({"right-shank": batch}, {})
    assert tracks.tracks["right-shank"].ring.count == 10


def test_tracks_fed_by_the_caller_are_drawn_in_one_plot(qtbot: Any, window: Any) -> None:
    """The public interface a multi-sensor replay uses: ``show_tracks`` + ``SensorTracks.push``
    (already-analysed tilt), ``set_state``, ``reset``; ``show_tracks(None)`` hides it again."""
    window.timer.stop()
    infos = {r: SourceInfo(r, f"A:{i}", "test", 100.0)
             for i, r in enumerate(("left-shank", "right-shank", "trunk"))}
    tracks = SensorTracks(infos, "left-shank",  # type: ignore[arg-type]
                          pipeline_factory=lambda info, role: DirectTiltPipeline())
    plots = window.sensor_plots
    plots.show_tracks(tracks)
    assert plots.roles == ("right-shank", "trunk") and plots.widget.isVisibleTo(window)
    t = np.arange(300) / 100.0
    tracks.push("right-shank", t, np.full(300, 2.0), np.full(300, -1.0))
    tracks.push("trunk", t, np.full(300, 1.0), np.zeros(300))
    tracks.set_state("trunk", "reconnecting")
    plots.update(float(t[-1]))
    x, y = plots.curves["right-shank"][0].getData()
    assert x[-1] == pytest.approx(0.0) and x[0] == pytest.approx(-2.99) and set(y) == {2.0}
    assert "reconnecting" in plots.legend() and plots.legend().count("streaming") == 1
    plots.reset()
    assert tracks.tracks["trunk"].ring.count == 0
    plots.show_tracks(None)
    assert not plots.curves and not plots.widget.isVisibleTo(window)
    assert window.time_plots.gyr.isVisibleTo(window)


def test_four_extra_sensors_legend_names_only_bad_states(qtbot: Any, window: Any) -> None:
    """Five sensors (the panel takes one per role): the legend stays within the plot's width,
    a link state named only when it is bad."""
    window.timer.stop()
    roles = ("left-shank", "right-shank", "left-foot", "right-foot", "trunk")
    infos = {r: SourceInfo(r, f"A:{i}", "test", 100.0) for i, r in enumerate(roles)}
    tracks = SensorTracks(infos, "left-shank",  # type: ignore[arg-type]
                          pipeline_factory=lambda info, role: DirectTiltPipeline())
    plots = window.sensor_plots
    plots.show_tracks(tracks)
    for role in roles[1:]:
        tracks.set_state(role, "streaming")
    tracks.set_state("trunk", "lost")
    plots.update(None)
    legend = plots.legend()
    assert all(r in legend for r in roles[1:]) and "streaming" not in legend
    assert legend.count("lost") == 1
    plots.show_tracks(None)
