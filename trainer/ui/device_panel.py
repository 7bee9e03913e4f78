"""Sensor panel: scan, connect/disconnect, simulator, and the link's health at a glance."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
)

from trainer.ui import theme

STATE_COLOURS = {
    "streaming": "#2ecc71",
    "connected": "#2ecc71",
    "simulated": "#4fc3f7",
    "replay": "#4fc3f7",
    "connecting": "#ffb000",
    "reconnecting": "#ffb000",
    "scanning": "#ffb000",
    "lost": "#eb4034",
    "error": "#eb4034",
    "disconnected": "#9aa0aa",
    "stopped": "#9aa0aa",
    "finished": "#9aa0aa",
}


class DevicePanel(QGroupBox):
    scan_requested = Signal()
    connect_requested = Signal(str)
    disconnect_requested = Signal()
    simulate_requested = Signal()

    def __init__(self) -> None:
        super().__init__("Sensor")
        self.address = QComboBox()
        self.address.setEditable(True)
        self.address.setPlaceholderText("address (scan or type)")
        self.address.setMinimumWidth(170)
        self.scan_button = QPushButton("Scan")
        self.connect_button = QPushButton("Connect")
        self.disconnect_button = QPushButton("Disconnect")
        self.simulate_button = QPushButton("Simulator")
        self.state = QLabel("disconnected")
        self.state.setObjectName("deviceState")
        self.battery = QLabel("–")
        self.rssi = QLabel("–")
        self.rate = QLabel("–")
        self.loss = QLabel("–")

        row1 = QHBoxLayout()
        row1.addWidget(self.address, 1)
        row1.addWidget(self.scan_button)
        row2 = QHBoxLayout()
        for b in (self.connect_button, self.disconnect_button, self.simulate_button):
            row2.addWidget(b)
        form = QFormLayout()
        form.addRow("State", self.state)
        form.addRow("Battery", self.battery)
        form.addRow("Signal", self.rssi)
        form.addRow("Rate", self.rate)
        form.addRow("Lost", self.loss)
        lay = QVBoxLayout(self)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addLayout(form)

        self.scan_button.clicked.connect(self._on_scan)
        self.connect_button.clicked.connect(self._on_connect)
        self.disconnect_button.clicked.connect(self.disconnect_requested.emit)
        self.simulate_button.clicked.connect(self.simulate_requested.emit)
        self.set_state("disconnected")

    def _on_scan(self) -> None:
        self.scan_button.setEnabled(False)
        self.set_state("scanning")
        self.scan_requested.emit()

    def _on_connect(self) -> None:
        text = self.address.currentText().strip()
        address = self.address.currentData() or text.split(" ")[0]
        if address:
            self.connect_requested.emit(address)

    def set_scan_results(self, devices: list[tuple[str, str]]) -> None:
        """``(address, label)`` pairs; re-enables the scan button."""
        self.address.clear()
        for address, label in devices:
            self.address.addItem(label, address)
        self.scan_button.setEnabled(True)

    def scan_failed(self) -> None:
        self.scan_button.setEnabled(True)

    def show_scan(self, devices: list[tuple[str, str]] | None) -> None:
        """A finished scan (None: it failed): the list, the scan button back, disconnected."""
        if devices is None:
            self.scan_failed()
        else:
            self.set_scan_results(devices)
        self.set_state("disconnected")

    def set_state(self, state: str, detail: str = "") -> None:
        colour = STATE_COLOURS.get(state, theme.FG)
        text = state + (f" ({detail})" if detail else "")
        self.state.setText(text)
        self.state.setStyleSheet(f"color: {colour};")
        live = state in ("streaming", "connected", "connecting", "reconnecting", "simulated",
                         "replay", "lost")
        self.disconnect_button.setEnabled(live)
        self.connect_button.setEnabled(not live)

    def set_link(self, rate_hz: float, nominal_hz: float, loss_pct: float) -> None:
        # only what changed: a style sheet set again re-polishes the label and re-lays out
        # the window (a whole-window repaint twice a second)
        _set_text(self.rate, f"{rate_hz:.0f} / {nominal_hz:.0f} Hz")
        colour = "#eb4034" if loss_pct > 5 else ("#ffb000" if loss_pct > 1 else theme.FG)
        _set_text(self.loss, f"{loss_pct:.1f} %")
        style = f"color: {colour};"
        if self.loss.styleSheet() != style:
            self.loss.setStyleSheet(style)

    def set_battery(self, pct: float | None) -> None:
        self.battery.setText("–" if pct is None else f"{pct:.0f} %")

    def set_rssi(self, dbm: float | None) -> None:
        self.rssi.setText("–" if dbm is None else f"{dbm:.0f} dBm")


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
