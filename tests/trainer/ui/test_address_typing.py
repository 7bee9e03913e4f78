"""A typed sensor address is checked as it is typed (issue 14 follow-up), like the other reasons
the rows cannot connect: the row is marked, the one-line reason shows, Connect all is greyed;
a whole address puts it right. Nothing connects and nothing raises on the way."""

from __future__ import annotations

from typing import Any

from tests.trainer.ui.test_multi_connect import LEFT, RIGHT, choose


def test_the_address_is_checked_while_it_is_typed(qtbot: Any, window: Any) -> None:
    choose(window, [("left-shank", LEFT), ("trunk", RIGHT)])
    several = window.device_panel.several
    assert several.connect_button.isEnabled() and not several.reason.isVisible()
    row = several.rows[1]
    edit = row.address_box.lineEdit()
    edit.clear()
    assert several.reason.full == "trunk: no address (Scan, or type one)"
    assert not row.address_box.property("badAddress")  # empty: nothing to mark yet
    qtbot.keyClicks(edit, "C4:7C:8D")
    assert not several.connect_button.isEnabled() and several.reason.isVisible()
    assert several.reason.full == "trunk: address as AA:BB:CC:DD:EE:FF"
    assert several.reason.text() == several.reason.full  # whole in the narrow panel
    assert row.address_box.property("badAddress")
    assert edit.toolTip() == ("not a Bluetooth address: 'C4:7C:8D' "
                              "(expected AA:BB:CC:DD:EE:FF)")
    assert not several.rows[0].address_box.property("badAddress")
    qtbot.keyClicks(edit, ":6A:30:09")  # the whole address
    assert several.connect_button.isEnabled() and not several.reason.isVisible()
    assert not row.address_box.property("badAddress") and edit.toolTip() == ""
    qtbot.keyClicks(edit, "x")  # one character too many
    assert not several.connect_button.isEnabled()
    assert "'C4:7C:8D:6A:30:09x'" in edit.toolTip()
    several.connect_button.click()  # greyed: nothing happens
    assert window.sources.sensors is None and not window.sources.connecting
