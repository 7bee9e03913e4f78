"""How a source status looks in the dashboard, without Qt: which state the device panel shows,
its battery / RSSI / loss numbers, and the status-bar line (:func:`present`); :func:`show_status`
applies it to the device panel (any object with its setters) and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from trainer.vocab.source import SourceStatus

LINK_STATES = ("connecting", "connected", "streaming", "reconnecting", "lost", "error")


@dataclass(frozen=True)
class StatusView:
    state: str | None = None  # device panel state (None: unchanged)
    battery_pct: float | None = None
    rssi_dbm: float | None = None
    loss_pct: float | None = None  # the device's own loss figure
    message: str | None = None
    message_ms: int = 8000
    battery_given: bool = False  # a battery status without a value clears the display
    rssi_given: bool = False


def _num(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def present(st: SourceStatus, source_kind: str) -> StatusView:
    """``st`` as the dashboard shows it while streaming a ``source_kind`` source
    (simulated | device | replay)."""
    kind, d = st.kind, st.data
    if kind == "battery":
        return StatusView(battery_pct=_num(d.get("percent", d.get("battery_pct"))),
                          battery_given=True)
    if kind == "rssi":
        return StatusView(rssi_dbm=_num(d.get("rssi_dbm", d.get("rssi"))), rssi_given=True)
    if kind == "link":  # the BLE source's own link statistics
        return StatusView(battery_pct=_num(d.get("battery_pct")),
                          battery_given=d.get("battery_pct") is not None,
                          rssi_dbm=_num(d.get("rssi_dbm")),
                          rssi_given=d.get("rssi_dbm") is not None,
                          loss_pct=_num(d.get("loss_pct")))
    if kind in LINK_STATES:
        state = kind
        if kind == "streaming" and source_kind == "simulated":
            state = "simulated"
        if source_kind == "replay" and kind in ("connecting", "connected", "streaming"):
            state = "replay"
        message = None
        if kind in ("lost", "reconnecting", "error"):
            message = f"sensor {kind}" + (f": {st.message}" if st.message else "")
        return StatusView(state=state, message=message)
    if kind == "restored":
        return StatusView(state="streaming", message="sensor link restored"
                          + (f": {st.message}" if st.message else ""))
    if kind == "stopped":
        return StatusView(state="finished" if source_kind == "replay" else "stopped")
    if kind == "gap":
        return StatusView(message=f"link gap: {st.message}", message_ms=3000)
    return StatusView()


def show_status(st: SourceStatus, source_kind: str, panel: Any,
                message: Callable[[str, int], None]) -> float | None:
    """Apply ``st`` to the device panel (``DevicePanel``: set_state/set_battery/set_rssi) and
    the status bar; returns the device's own loss % when the status carries one."""
    view = present(st, source_kind)
    if view.battery_given:
        panel.set_battery(view.battery_pct)
    if view.rssi_given:
        panel.set_rssi(view.rssi_dbm)
    if view.state is not None:
        panel.set_state(view.state)
    if view.message:
        message(view.message, view.message_ms)
    return view.loss_pct
