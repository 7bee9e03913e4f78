"""FastCurve: the bare curve of the live plots keeps tight bounds (Qt repaints only what it
covers) without pyqtgraph's per-setData bounds bookkeeping."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from trainer.ui.plots import FastPlotWidget, _curve


@pytest.fixture
def plot(qtbot: Any) -> FastPlotWidget:
    w = FastPlotWidget((-10.0, 0.0), (-10.0, 10.0))
    qtbot.addWidget(w)
    w.resize(600, 300)
    w.show()
    return w


def test_bounds_follow_the_data_with_a_pixel_margin(plot: FastPlotWidget) -> None:
    c = _curve(plot, "#ffffff")
    assert c.boundingRect().isEmpty()
    c.setData(np.linspace(-5, -1, 50), np.linspace(-2, 3, 50), skipFiniteCheck=True)
    r = c.boundingRect()
    px = 10.0 / plot.getPlotItem().vb.width()  # data units per pixel in x
    assert r.left() == pytest.approx(-5, abs=4 * px) and r.left() < -5
    assert r.right() == pytest.approx(-1, abs=4 * px) and r.right() > -1
    assert r.top() < -2 < 3 < r.bottom()
    _x, y = c.getData()
    np.testing.assert_array_equal(y, np.linspace(-2, 3, 50))
    # NaN (tilt before the vertical is known) is left out of the bounds; all NaN: empty
    c.setData(np.array([-3.0, -2.0, -1.0]), np.array([np.nan, 1.0, 2.0]))
    assert c.boundingRect().top() < 1.0 and c.boundingRect().bottom() > 2.0
    assert c.boundingRect().top() > 0.5
    c.setData(np.array([-3.0]), np.array([np.nan]))
    assert c.boundingRect().isEmpty()
    c.setData([], [])
    assert c.boundingRect().isEmpty()
    with pytest.raises(ValueError, match="one length"):
        c.setData(np.zeros(3), np.zeros(4))
    # pyqtgraph's own keywords still work (and keep the bounds right)
    c.setData(x=np.array([-9.0, -8.0]), y=np.array([4.0, 5.0]), connect="pairs")
    assert c.boundingRect().left() < -9.0 and c.boundingRect().bottom() > 5.0
