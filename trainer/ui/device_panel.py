"""Sensor panel: scan, connect/disconnect, simulator, and the link's health at a glance.

One sensor is the default (the address box and Connect, as always). "Several sensors" opens rows
of role + address: the chosen sensors connect together (Connect all), or the simulator simulates
those roles on one person; afterwards each row shows its sensor's link (state, rate, loss,
battery, reconnects). The window checks the choice (``trainer.training.sensors.sensor_plan``:
the same rules and messages as ``record --device ADDR:ROLE``)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from trainer.ui import theme
from trainer.vocab.roles import ROLES, Role

#: Rows of the several-sensors chooser (the issue's "two or three", one spare).
SENSOR_ROWS = 3
#: Default roles of the rows: both shanks and the trunk (clinical balance systems).
DEFAULT_ROLES: tuple[Role, ...] = ("left-shank", "right-shank", "trunk")

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
    #: several sensors: [(address, role)] of the rows with an address and a role
    connect_several_requested = Signal(object)

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
        self.several = SensorRows()
        lay = QVBoxLayout(self)
        lay.addLayout(row1)
        lay.addLayout(row2)
        lay.addLayout(form)
        lay.addWidget(self.several)
        self.several.connect_button.clicked.connect(
            lambda: self.connect_several_requested.emit(self.several.chosen()))

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
        self.several.set_devices(devices)
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
        self.several.connect_button.setEnabled(not live)

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


class SensorRows(QGroupBox):
    """Several sensors: a checkable box (closed: one sensor, as always) with rows of role and
    address; each row's link line below it once connected."""

    def __init__(self) -> None:
        super().__init__("Several sensors")
        self.setCheckable(True)
        self.setChecked(False)
        self.body = QWidget()
        grid = QGridLayout(self.body)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        self.roles: list[QComboBox] = []
        self.addresses: list[QComboBox] = []
        self.links: list[QLabel] = []
        for i in range(SENSOR_ROWS):
            role = QComboBox()
            role.addItem("(none)", None)
            for r in ROLES:
                role.addItem(r, r)
            role.setCurrentIndex(role.findData(DEFAULT_ROLES[i]) if i < len(DEFAULT_ROLES)
                                 else 0)
            address = QComboBox()
            address.setEditable(True)
            address.setPlaceholderText("address")
            address.setMinimumWidth(150)
            link = QLabel("")
            link.setObjectName("sensorLink")
            link.setStyleSheet(f"color: {theme.MUTED};")
            link.setWordWrap(True)
            grid.addWidget(role, 2 * i, 0)
            grid.addWidget(address, 2 * i, 1)
            grid.addWidget(link, 2 * i + 1, 0, 1, 2)
            link.setVisible(False)
            self.roles.append(role)
            self.addresses.append(address)
            self.links.append(link)
        grid.setColumnStretch(1, 1)
        self.connect_button = QPushButton("Connect all")
        self.connect_button.setToolTip("connect the sensors with a role and an address "
                                       "together; Simulator simulates these roles")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.body)
        lay.addWidget(self.connect_button)
        self.toggled.connect(self._show)
        self._show(False)

    def _show(self, on: bool) -> None:
        self.body.setVisible(on)
        self.connect_button.setVisible(on)

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Scan results into every row's address list (a typed address is kept)."""
        for i, box in enumerate(self.addresses):
            typed = box.currentText()
            box.clear()
            for address, label in devices:
                box.addItem(label, address)
            if typed:
                box.setEditText(typed)
            elif i < len(devices):
                box.setCurrentIndex(i)
            else:
                box.setCurrentIndex(-1)

    def chosen(self) -> list[tuple[str, Role]]:
        """(address, role) of every row with both."""
        out: list[tuple[str, Role]] = []
        for role_box, box in zip(self.roles, self.addresses, strict=True):
            role = role_box.currentData()
            text = box.currentText().strip()
            data = box.currentData() if box.currentIndex() >= 0 and \
                box.itemText(box.currentIndex()) == box.currentText() else None
            address = data or text.split(" ")[0]
            if role and address:
                out.append((address, role))
        return out

    def chosen_roles(self) -> tuple[Role, ...]:
        """The roles chosen in the rows (for the simulator), in row order, each once."""
        out: list[Role] = []
        for box in self.roles:
            role = box.currentData()
            if role and role not in out:
                out.append(role)
        return tuple(out)

    def show_sensors(self, sensors: list[tuple[str, Role, str]]) -> None:
        """The sensors streaming now (address, role, link line), primary first; the box opens.
        Empty: the link lines go."""
        if not sensors:
            for link in self.links:
                link.setVisible(False)
                link.setText("")
            return
        self.setChecked(True)
        for i in range(SENSOR_ROWS):
            if i < len(sensors):
                address, role, line = sensors[i]
                self.roles[i].setCurrentIndex(self.roles[i].findData(role))
                if self.addresses[i].currentText() != address:
                    self.addresses[i].setEditText(address)
                self.set_link(i, line)
            else:
                self.roles[i].setCurrentIndex(0)
                self.links[i].setVisible(False)

    def set_link(self, row: int, line: str) -> None:
        link = self.links[row]
        state = line.split(" ", 1)[0]
        _set_text(link, line)
        style = f"color: {STATE_COLOURS.get(state, theme.MUTED)};"
        if link.styleSheet() != style:
            link.setStyleSheet(style)
        link.setVisible(True)


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
