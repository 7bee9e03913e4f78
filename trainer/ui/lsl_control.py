"""The dashboard's Lab Streaming Layer switch (docs/LSL.md).

A checkable action (Session menu, the checkbox under the sensor panel): while it is on, the
training session on screen streams its samples and events through one
:class:`trainer.lsl.LslSink` (the same calls as its recorder). The sink follows the session when
it changes (a drill starts, the stream goes on after it: same sensor, same streams) and is
replaced when the sensor changes. Off (the default): no pylsl import, no outlet, no listener.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

from trainer.ui import theme

STATUS_EVERY_S = 0.5


class LslControl(QObject):
    """The switch, its status-bar label, and the sink it moves from session to session."""

    def __init__(self, parent: QWidget, message: Callable[[str], None]) -> None:
        super().__init__(parent)
        self._message = message
        self.action = QAction("Stream to &LSL (Lab Streaming Layer)", parent)
        self.action.setCheckable(True)
        self.action.setToolTip("Stream the samples and events to Lab Streaming Layer inlets "
                               "(BalanceTrainer-<role>, BalanceTrainer-events)")
        self.checkbox = QCheckBox("stream to LSL")
        self.checkbox.setToolTip(self.action.toolTip())
        self.label = QLabel("")
        self.label.setStyleSheet(f"color: {theme.MUTED};")
        self.action.toggled.connect(self._on_toggled)
        self.checkbox.toggled.connect(self.action.setChecked)
        self.enabled = False
        self.sink: Any = None  # trainer.lsl.LslSink
        self._attached: Any = None  # the TrainingSession whose sinks hold ours
        self._key: tuple[str, str] | None = None  # (sensor address, role) of the sink
        self._last_status = 0.0

    # -- the switch ----------------------------------------------------------------------------
    def _on_toggled(self, on: bool) -> None:
        self._show_checked(on)
        self.set_enabled(on)

    def _show_checked(self, on: bool) -> None:
        """Both faces of the switch show ``on`` (without signalling again)."""
        for w in (self.action, self.checkbox):
            if w.isChecked() != on:
                w.blockSignals(True)
                w.setChecked(on)
                w.blockSignals(False)

    def set_enabled(self, on: bool) -> None:
        if on == self.enabled:
            return
        if on:
            from trainer.lsl import LslUnavailable, load_pylsl

            try:
                load_pylsl()
            except LslUnavailable as exc:
                self.unavailable(str(exc))
                return
            self.enabled = True
            self.label.setText("LSL on: streams appear with the data")
            return
        self.enabled = False
        self._detach()
        self._close_sink()
        self.label.setText("")

    def unavailable(self, reason: str) -> None:
        """No liblsl: the switch off and greyed out, the reason on hover and in the status bar."""
        self.enabled = False
        self._show_checked(False)
        for w in (self.action, self.checkbox):
            w.setEnabled(False)
            w.setToolTip(f"Lab Streaming Layer unavailable: {reason}")
        self._message(f"Lab Streaming Layer unavailable: {reason}")

    # -- per frame -----------------------------------------------------------------------------
    def sync(self, session: Any) -> None:
        """Keep our sink on ``session`` (the training session on screen, or None). Cheap: called
        every frame before the pump."""
        if not self.enabled:
            return
        if self._attached is not None and self.sink not in self._attached.sinks:
            # the session dropped it (streaming failed; the error line is already shown)
            self._attached = None
            self.action.setChecked(False)
            return
        if session is not self._attached:
            self._detach()
            if session is not None:
                self._attach(session)
        now = time.monotonic()
        if now - self._last_status >= STATUS_EVERY_S:
            self._last_status = now
            self.label.setText(self.status_text())

    def status_text(self) -> str:
        if not self.enabled:
            return ""
        if self.sink is None:
            return "LSL on"
        outlet = self.sink.outlet
        if not outlet.stream_names:
            return "LSL on: streams appear with the data"
        n = sum(outlet.stats.samples.values())
        names = ", ".join(outlet.stream_names)
        return f"LSL: {names} · {n} samples · {outlet.stats.markers} events"

    def close(self) -> None:
        self._detach()
        self._close_sink()

    # -- internals -----------------------------------------------------------------------------
    def _attach(self, session: Any) -> None:
        from trainer.lsl import LslUnavailable, primary_role, sink_for_source

        source = session.source
        side, placement = str(session.plan.side), str(session.placement)
        key = (str(source.info.address), primary_role(source, side, placement))
        if self.sink is None or key != self._key:
            self._close_sink()
            try:
                self.sink = sink_for_source(source, side=side, placement=placement)
            except LslUnavailable as exc:
                self.unavailable(str(exc))
                return
            self._key = key
        elif getattr(source, "sensors", None) is not None \
                and self.sink.listening_to is not source:
            self.sink.detach()  # the same sensors, read through a new view: follow it
            self.sink.listen(source)
        writer = getattr(session, "writer", None)
        meta = getattr(writer, "meta", None)
        if isinstance(meta, dict) and meta.get("session_id") and not self.sink.outlet.stream_names:
            self.sink.outlet.session_id = str(meta["session_id"])
        session.sinks.append(self.sink)
        self._attached = session

    def _detach(self) -> None:
        if self._attached is not None and self.sink in self._attached.sinks:
            self._attached.sinks.remove(self.sink)
        self._attached = None

    def _close_sink(self) -> None:
        if self.sink is not None:
            self.sink.close()
        self.sink = None
        self._key = None
