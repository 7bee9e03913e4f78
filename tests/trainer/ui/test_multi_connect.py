"""Several sensors connected from the dashboard (issue 14 item 1): the sensor panel's rows of role
and address, "Connect all", each sensor's link in its row, the primary following the drill's leg,
a drill recording every sensor; `dashboard --device ADDR:ROLE …` checked as `record` checks it;
the simulator with several roles. (On bleak's real backend: test_dashboard_multi_ble.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.trainer.ui.conftest import ScriptedSource, wait_until
from trainer.cli.main import main
from trainer.recording.sensors import open_sensors
from trainer.ui.settings import DrillSettings
from trainer.vocab.source import SourceInfo, SourceStatus

LEFT, RIGHT, TRUNK = "C4:7C:8D:6A:30:01", "C4:7C:8D:6A:30:02", "C4:7C:8D:6A:30:03"


class ScriptedSensors:
    """A source factory whose several sensors are ScriptedSources in a real SensorSet (the
    simulator and replays are the real ones); ``made``: the scripted source per address."""

    def __init__(self) -> None:
        from trainer.ui.source_control import DefaultSources

        self.base = DefaultSources()
        self.made: dict[str, ScriptedSource] = {}
        self.asked: list[tuple[str, ...]] = []

    def simulated(self, rate_hz: float, **kw: Any) -> Any:
        return self.base.simulated(rate_hz, **kw)

    def device(self, address: str) -> Any:
        src = ScriptedSource(amp_deg=0.3)
        src.info = SourceInfo("Scripted", address, "test", 100.0)
        self.made[address] = src
        return src

    def sensors(self, addresses: dict[str, str], ordered: tuple[str, ...]) -> Any:
        from firmware_bridge.sensorset import PrimaryView, SensorSet
        from trainer.training.sensors import Sensors

        self.asked.append(ordered)
        sset = SensorSet({r: self.device(addresses[r]) for r in ordered}, ordered[0])
        sset.start()
        return Sensors(sset, PrimaryView(sset), ordered, ordered[0])

    def replay(self, path: str, speed: float) -> Any:
        return self.base.replay(path, speed)

    def scan(self) -> list[tuple[str, str]]:
        return [(a, f"{a}  WT901BLE67  -60 dBm") for a in (LEFT, RIGHT, TRUNK)]


@pytest.fixture
def factory(window: Any) -> ScriptedSensors:
    f = ScriptedSensors()
    window.sources.factory = f
    return f


def choose(window: Any, rows: list[tuple[str, str]]) -> None:
    """Exactly these rows in the sensor panel: (role, address)."""
    several = window.device_panel.several
    several.setChecked(True)
    several.set_rows(rows)


def link_lines(window: Any) -> list[str]:
    """The rows' whole link lines (shown elided to the panel's width, whole in the tooltip)."""
    return [lab.full for lab in window.device_panel.several.links if lab.isVisible()]


def analysed(window: Any) -> list[str]:
    """The roles of the rows marked "analysed"."""
    return [row.role for row in window.device_panel.several.rows
            if row.primary_tag.isVisible()]


def test_connect_all_from_the_panel_shows_every_sensor_and_records_them(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    several = window.device_panel.several
    assert not several.isChecked() and not several.body.isVisible()  # one sensor: as always
    window.device_panel.scan_button.click()
    wait_until(qtbot, lambda: several.addresses[2].count() == 3)
    assert several.chosen() == [(LEFT, "left-shank"), (RIGHT, "right-shank"), (TRUNK, "trunk")]
    several.setChecked(True)
    several.connect_button.click()
    wait_until(qtbot, lambda: window.sources.sensors is not None, 10)
    assert factory.asked == [("left-shank", "right-shank", "trunk")]  # left leg: left shank
    assert window.sources.kind == "device" and window.sources.real_sensor
    wait_until(qtbot, lambda: set(window.sensor_plots.plots) == {"right-shank", "trunk"}, 10)
    wait_until(qtbot, lambda: len(link_lines(window)) == 3
               and all(line.startswith("streaming") for line in link_lines(window)), 10)
    lines = link_lines(window)
    assert analysed(window) == ["left-shank"]
    assert "/100 Hz" in lines[2] and "0.0 % lost" in lines[2]
    link = several.links[2]
    assert link.toolTip() == lines[2] and link.text() in (lines[2], link.text().rstrip("…"))
    assert not several.roles[0].isEnabled()  # the connected sensors' rows: Disconnect first

    # a link drop on the trunk: its row says so, the others go on; then back, one reconnect
    factory.made[TRUNK].pending.append(SourceStatus("lost", "link lost; reconnecting"))
    wait_until(qtbot, lambda: link_lines(window)[2].startswith("lost"), 5)
    assert link_lines(window)[1].startswith("streaming")
    factory.made[TRUNK].pending.append(SourceStatus("restored", "back"))
    wait_until(qtbot, lambda: link_lines(window)[2].startswith("streaming")
               and "1 reconnect" in link_lines(window)[2], 5)

    # a drill on the right leg: the right shank is analysed, every sensor is recorded
    window.start_drill(DrillSettings(side="right", duration_s=1.0, sets=1))
    assert window.sources.sensors.primary == "right-shank"
    wait_until(qtbot, lambda: window.drill_state() == "pain", 30)
    window.drills.rate_pain(0)
    path = window.recording_path
    meta = json.loads((Path(path) / "session.json").read_text())
    assert [(s["role"], s["primary"], s["device"]["address"]) for s in meta["sensors"]] == [
        ("right-shank", True, RIGHT), ("left-shank", False, LEFT), ("trunk", False, TRUNK)]
    sensors = open_sensors(path)
    n = sensors["right-shank"].n_samples
    assert n >= 100
    for role in ("left-shank", "trunk"):
        assert abs(sensors[role].n_samples - n) <= 10, role
    wait_until(qtbot, lambda: analysed(window) == ["right-shank"]
               and several.roles[0].currentData() == "right-shank", 5)
    # the drill's writer leaves the sensors' listeners with its recording
    wait_until(qtbot, lambda: all(getattr(f, "__name__", "") != "listener"
                                  for f in window.live.source.listeners), 5)


def test_one_sensor_without_a_role_is_the_plain_connection(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    window.connect_sensors([])
    assert "give each sensor a role" in window.statusBar().currentMessage()
    window.connect_sensors([(LEFT, None)])
    wait_until(qtbot, lambda: window.sources.kind == "device", 10)
    assert window.sources.sensors is None and factory.asked == []
    assert not window.sensor_plots.plots and link_lines(window) == []


@pytest.mark.parametrize(("rows", "message"), [
    ([("left-shank", LEFT), ("trunk", LEFT.lower())], "the same sensor address is given twice"),
    ([("left-shank", LEFT), ("trunk", "")], "trunk: no address (Scan, or type one)"),
])
def test_impossible_sets_cannot_be_connected_and_say_why(
        qtbot: Any, window: Any, factory: ScriptedSensors, rows: Any, message: str) -> None:
    """"Connect all" is greyed out with record's one-line reason under it; mended, it works."""
    choose(window, rows)
    several = window.device_panel.several
    assert not several.connect_button.isEnabled()
    assert several.reason.isVisible() and several.reason.full == message
    several.connect_button.click()
    assert factory.asked == [] and window.live is None
    several.addresses[1].setEditText(TRUNK)  # typed, as a user would
    assert several.connect_button.isEnabled() and not several.reason.isVisible()
    several.setChecked(False)  # one sensor: the rows and their reason go
    assert not several.reason.isVisible()


def test_a_duplicate_role_from_the_window_gets_records_message(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    """The rows never offer a role twice; the window's own check still has record's words."""
    window.connect_sensors([(LEFT, "left-shank"), (RIGHT, "left-shank")])
    assert "sensor role left-shank given twice" in window.statusBar().currentMessage()
    assert factory.asked == [] and window.live is None


def test_rows_are_added_up_to_one_per_role_and_removed_down_to_two(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    from trainer.vocab.roles import ROLES

    several = window.device_panel.several
    several.setChecked(True)
    window.device_panel.scan_button.click()
    wait_until(qtbot, lambda: several.addresses[0].count() == 3)

    def offered(i: int) -> list[str]:
        box = several.roles[i]
        return [box.itemData(k) for k in range(box.count())]

    assert [r.role for r in several.rows] == ["left-shank", "right-shank", "trunk"]
    assert offered(0) == ["left-shank", "left-foot", "right-foot"]  # its own + the free ones
    several.add_button.click()
    assert [r.role for r in several.rows][-1] == "left-foot"
    assert several.rows[-1].address() == ""  # three sensors found, all taken
    assert not several.connect_button.isEnabled()
    assert several.reason.full == "left-foot: no address (Scan, or type one)"
    several.rows[-1].set_address("C4:7C:8D:6A:30:04")
    assert several.connect_button.isEnabled()
    several.add_button.click()
    assert sorted(r.role for r in several.rows) == sorted(ROLES)
    assert not several.add_button.isEnabled()  # every role has its row
    assert all(len(set(offered(i))) == 1 for i in range(5))  # nothing left to swap to
    for row in list(several.rows):
        row.remove_button.click()
    assert len(several.rows) == 2 and not several.rows[0].remove_button.isEnabled()
    assert several.add_button.isEnabled()
    # a role chosen in one row leaves the others' lists
    several.roles[1].setCurrentIndex(several.roles[1].findData("trunk"))
    assert "trunk" not in offered(0) and "right-shank" in offered(0)


def test_four_sensors_connect_from_the_panel(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    """record --device takes more than three sensors; so does the panel."""
    feet = "C4:7C:8D:6A:30:04"
    choose(window, [("left-shank", LEFT), ("right-shank", RIGHT), ("trunk", TRUNK),
                    ("right-foot", feet)])
    window.device_panel.several.connect_button.click()
    wait_until(qtbot, lambda: window.sources.sensors is not None, 10)
    assert factory.asked == [("left-shank", "right-shank", "trunk", "right-foot")]
    wait_until(qtbot, lambda: len(link_lines(window)) == 4, 10)
    wait_until(qtbot, lambda: set(window.sensor_plots.plots) == {"right-shank", "trunk",
                                                                 "right-foot"}, 10)
    window.disconnect_source()
    wait_until(qtbot, lambda: link_lines(window) == [], 5)
    several = window.device_panel.several
    assert several.roles[0].isEnabled() and several.connect_button.isEnabled()


def test_simulator_with_the_panels_roles_and_a_drill_records_them(
        qtbot: Any, window: Any) -> None:
    choose(window, [("trunk", ""), ("right-foot", ""), ("left-shank", "")])
    window.device_panel.simulate_button.click()
    sensors = window.sources.sensors
    assert sensors is not None and sensors.roles == ("left-shank", "trunk", "right-foot")
    assert window.sources.kind == "simulated"
    wait_until(qtbot, lambda: len(link_lines(window)) == 3, 10)
    assert [several.currentData() for several in window.device_panel.several.roles] == [
        "left-shank", "trunk", "right-foot"]
    window.start_drill(DrillSettings(duration_s=2.0, sets=1))  # the landing 1.5 s in
    wait_until(qtbot, lambda: window.drill_state() == "pain", 30)
    window.drills.rate_pain(0)
    sensors = open_sensors(window.recording_path)
    assert list(sensors) == ["left-shank", "right-foot", "trunk"]  # primary, then ROLES order
    assert min(s.n_samples for s in sensors.values()) >= 100
    # asked once for the sync jump; the simulated person jumped: one clock, aligned
    events = [json.loads(x) for x in (Path(window.recording_path) / "events.jsonl").open()]
    assert [e["type"] for e in events].count("sync_jump") == 1
    from trainer.drills.multisensor import session_alignment
    from trainer.recording import open_session
    from trainer.recording.sensors import sensor_batch

    al, why = session_alignment(open_session(window.recording_path),
                                {r: (b.t_s, b.acc_g) for r, b in
                                 ((r, sensor_batch(s)) for r, s in sensors.items())})
    assert why is None and al.max_abs_ms <= 1.0 and al.source.startswith("sync jump")


def test_dashboard_device_roles_are_checked_like_records(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The same options give the same one-line error from `record` and `dashboard`."""
    assert main(["safety", "--answers", "no,no,no,no"]) == 0
    capsys.readouterr()
    cases = [
        ["--device", f"{LEFT}:left-shank", "--device", f"{RIGHT}:left-shank"],
        ["--device", f"{LEFT}:left-shank", "--device", RIGHT],
        ["--device", f"{LEFT}:left-shank", "--device", f"{LEFT}:trunk"],
        ["--device", f"{LEFT}:left-knee"],
        ["--device", LEFT, "--roles", "left-shank,trunk"],
    ]
    for i, case in enumerate(cases):
        errors = []
        for cmd in (["record", "--out", str(tmp_path / f"s{i}")], ["dashboard"]):
            try:
                code = main([*cmd, *case])
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
            err = capsys.readouterr().err.strip().splitlines()
            assert code == 2 and len(err) == 1, (cmd, case, err)
            errors.append(err[0].split(": error: ", 1)[-1].split(": ", 1)[-1])
        assert errors[0] == errors[1], case
    assert not (tmp_path / "s0").exists()


def test_calibration_wizard_offers_each_connected_sensor_for_its_role(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    window.connect_sensors([(LEFT, "left-shank"), (TRUNK, "trunk")])
    wait_until(qtbot, lambda: window.sources.sensors is not None, 10)
    window.open_calibration()
    intro = window._wizard.intro
    assert [intro.sensor.itemData(i) for i in range(intro.sensor.count())] == [
        ("left-shank", LEFT), ("trunk", TRUNK)]
    assert intro.address.text() == LEFT and intro.placement.currentText() == "shank"
    intro.sensor.setCurrentIndex(1)  # the trunk: its address, the trunk's mounting
    assert intro.dev_radio.isChecked() and intro.address.text() == TRUNK
    assert intro.placement.currentText() == "trunk"
    window._wizard.close()


def test_the_rows_are_readable_in_the_side_panel(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    """Five rows in the ~340 px side panel: nothing cut off on the right, every address whole
    (not the scan label: name and signal stay in the list), link lines one line high."""
    from PySide6.QtWidgets import QScrollArea

    several = window.device_panel.several
    window.device_panel.scan_button.click()
    wait_until(qtbot, lambda: several.addresses[0].count() == 3)
    several.setChecked(True)
    several.add_button.click()
    several.add_button.click()
    several.rows[4].set_address("C4:7C:8D:6A:01:23")
    qtbot.wait(50)
    scroll = window.findChild(QScrollArea)
    side = scroll.widget()
    bar = scroll.verticalScrollBar().sizeHint().width()
    assert side.minimumSizeHint().width() <= scroll.width() - bar
    for row in several.rows:
        edit = row.address_box.lineEdit()
        text = edit.text()
        assert text in (LEFT, RIGHT, TRUNK, "C4:7C:8D:6A:01:23", "")
        assert edit.fontMetrics().horizontalAdvance("C4:7C:8D:6A:01:23") < edit.width()
    # a link line's height never follows its text (no re-layout of the window)
    link = several.links[0]
    several.set_link(0, "streaming · 100/100 Hz · 0.0 % lost")
    qtbot.wait(50)
    hint = link.sizeHint()
    several.set_link(0, "streaming · 100/100 Hz · 0.0 % lost · battery 85 % · -60 dBm · "
                        "2 reconnects")
    assert link.sizeHint() == hint and link.text().endswith("…")
    assert link.toolTip() == link.full and link.full.endswith("2 reconnects")
