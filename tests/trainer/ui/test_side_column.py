"""Start stays in view (issue 14 follow-up): with four or five sensor rows the sensor panel is
taller than the window; it scrolls, the drill panel with Start does not."""

from __future__ import annotations

from typing import Any

import pytest

from tests.trainer.ui.conftest import wait_until

FIVE = ("left-shank", "right-shank", "left-foot", "right-foot", "trunk")


def _wholly_visible(widget: Any) -> bool:
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


@pytest.mark.parametrize("size", [(1560, 940), (1366, 740)])
def test_start_is_in_view_with_five_sensor_rows(qtbot: Any, window: Any,
                                                size: tuple[int, int]) -> None:
    window.resize(*size)
    window.start_simulator(roles=FIVE)
    several = window.device_panel.several
    wait_until(qtbot, lambda: len([x for x in several.links if x.isVisible()]) == 5, 10)
    qtbot.wait(50)
    scroll = window.side_scroll
    assert scroll.verticalScrollBar().maximum() > 0  # the rows do not fit: the panel scrolls
    panel = window.drill_panel
    assert not scroll.isAncestorOf(panel)
    for w in (panel.start_button, panel.drill, panel.side, panel.record, panel.progress):
        assert _wholly_visible(w), w.objectName() or type(w).__name__
    # scrolled to the last row, Start is still where it was
    before = panel.start_button.mapTo(window, panel.start_button.rect().topLeft())
    scroll.ensureWidgetVisible(several.links[4])
    qtbot.wait(20)
    assert _wholly_visible(several.links[4])
    assert panel.start_button.mapTo(window, panel.start_button.rect().topLeft()) == before
    assert _wholly_visible(panel.start_button)
    # the pain rating's buttons fit too when the drill asks for them
    panel.show_pain(True, "Pain during the drill? 0 = none, 10 = worst")
    qtbot.wait(20)
    assert all(_wholly_visible(b) for b in panel.pain.buttons)
