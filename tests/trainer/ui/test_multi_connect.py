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


def choose(window: Any, rows: list[tuple[str | None, str]]) -> None:
    """Fill the sensor panel's rows: (role or None, address)."""
    several = window.device_panel.several
    several.setChecked(True)
    for i in range(len(several.roles)):
        role, address = rows[i] if i < len(rows) else (None, "")
        several.roles[i].setCurrentIndex(several.roles[i].findData(role))
        several.addresses[i].setEditText(address)


def link_lines(window: Any) -> list[str]:
    return [lab.text() for lab in window.device_panel.several.links if lab.isVisible()]


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
    assert "analysed" in lines[0] and "analysed" not in lines[1]
    assert "/100 Hz" in lines[2] and "0.0 % lost" in lines[2]

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
    wait_until(qtbot, lambda: "analysed" in link_lines(window)[0]
               and several.roles[0].currentData() == "right-shank", 5)
    # the drill's writer leaves the sensors' listeners with its recording
    wait_until(qtbot, lambda: all(getattr(f, "__name__", "") != "listener"
                                  for f in window.live.source.listeners), 5)


def test_one_sensor_without_a_role_is_the_plain_connection(
        qtbot: Any, window: Any, factory: ScriptedSensors) -> None:
    choose(window, [(None, LEFT), ("trunk", "")])
    window.device_panel.several.connect_button.click()
    assert "give each sensor a role" in window.statusBar().currentMessage()
    window.connect_sensors([(LEFT, None)])
    wait_until(qtbot, lambda: window.sources.kind == "device", 10)
    assert window.sources.sensors is None and factory.asked == []
    assert not window.sensor_plots.plots and link_lines(window) == []


@pytest.mark.parametrize(("rows", "message"), [
    ([("left-shank", LEFT), ("left-shank", RIGHT)], "sensor role left-shank given twice"),
    ([("left-shank", LEFT), ("trunk", LEFT.lower())], "the same sensor address is given twice"),
])
def test_impossible_sets_are_refused_with_records_message(
        qtbot: Any, window: Any, factory: ScriptedSensors, rows: Any, message: str) -> None:
    choose(window, rows)
    window.device_panel.several.connect_button.click()
    assert message in window.statusBar().currentMessage()
    assert factory.asked == [] and window.live is None


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
