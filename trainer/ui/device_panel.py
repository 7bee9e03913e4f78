"""Sensor panel: scan, connect/disconnect, simulator, and the link's health at a glance.

One sensor is the default (the address box and Connect, as always). "Several sensors" opens rows
of role + address: the chosen sensors connect together (Connect all), or the simulator simulates
those roles on one person; afterwards each row shows its sensor's link (state, rate, loss,
battery, reconnects). The window checks the choice (``trainer.training.sensors.sensor_plan``:
the same rules and messages as ``record --device ADDR:ROLE``)."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from firmware_bridge.ble.address import address_problem
from trainer.ui import theme
from trainer.vocab.roles import ROLES, Role

#: Default roles of the rows: both shanks and the trunk (clinical balance systems); rows can be
#: added up to one per role (ROLES) and removed down to MIN_ROWS.
DEFAULT_ROLES: tuple[Role, ...] = ("left-shank", "right-shank", "trunk")
MIN_ROWS = 2
#: An address field is sized for a whole MAC address (C4:7C:8D:6A:01:23).
ADDRESS_CHARS = 17

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
        self.form = form
        self.several = SensorRows()
        # several sensors: each row has its own link line, and "Connect all" connects them; the
        # one sensor's address, Connect and link rows give way (the panel stays short enough
        # for the drill's Start button at the default window size)
        self.several.toggled.connect(self._several_shown)
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

    def _several_shown(self, on: bool) -> None:
        self.address.setVisible(not on)
        self.connect_button.setVisible(not on)
        for label in (self.battery, self.rssi, self.rate, self.loss):
            self.form.setRowVisible(label, not on)

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
        self.several.set_live(live)

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


class ElidedLabel(QLabel):
    """A one-line label that shows as much of its text as fits, with "…", the whole text in
    its tooltip. Its size never follows its text (no re-layout of the window when it
    changes): as wide as its place, one line high."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self.full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.set_full(text)

    def set_full(self, text: str) -> None:
        if text != self.full:
            self.full = text
            self.setToolTip(text)
            self._elide()

    def _elide(self) -> None:
        width = self.contentsRect().width()
        shown = self.full if width <= 0 else self.fontMetrics().elidedText(
            self.full, Qt.TextElideMode.ElideRight, width)
        _set_text(self, shown)

    def sizeHint(self) -> QSize:
        return QSize(0, self.fontMetrics().height())

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._elide()


class SensorRow(QWidget):
    """One sensor of the several: its role (and × to remove it) above its address, the full
    width of the panel, and under them its link line once connected."""

    def __init__(self, role: Role) -> None:
        super().__init__()
        self.role_box = QComboBox()
        self.role_box.addItem(role, role)
        self.role_box.setToolTip("where this sensor is strapped")
        self.role_box.setStyleSheet("font-weight: bold;")
        self.primary_tag = QLabel("analysed")
        self.primary_tag.setStyleSheet(f"color: {theme.AP_COLOUR}; font-weight: bold;")
        self.primary_tag.setToolTip("the drill is analysed on this sensor")
        self.primary_tag.setVisible(False)
        self.remove_button = QToolButton()
        self.remove_button.setText("×")
        self.remove_button.setToolTip("remove this sensor")
        self.address_box = QComboBox()
        self.address_box.setEditable(True)
        edit = self.address_box.lineEdit()
        if edit is not None:  # an editable combo shows its line edit's placeholder
            edit.setPlaceholderText("address: Scan, or type one")
        # sized for a whole MAC address, whatever the scan labels: never wider than the panel
        self.address_box.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.address_box.setMinimumContentsLength(ADDRESS_CHARS)
        self.address_box.currentIndexChanged.connect(self._picked)
        self.link = ElidedLabel()
        self.link.setObjectName("sensorLink")
        self.link.setStyleSheet(_link_style(theme.MUTED))
        self.link.setVisible(False)

        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.role_box, 1)
        top.addWidget(self.primary_tag)
        top.addWidget(self.remove_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 8)  # a gap between sensors
        lay.setSpacing(2)
        lay.addLayout(top)
        lay.addWidget(self.address_box)
        lay.addWidget(self.link)

    @property
    def role(self) -> Role:
        return cast(Role, self.role_box.currentData())

    def offer_roles(self, roles: list[Role], current: Role) -> None:
        """The role list: ``current`` and ``roles`` (the ones no other row has), in ROLES order;
        rebuilt only when it changes (no signal)."""
        wanted = [r for r in ROLES if r == current or r in roles]
        have = [self.role_box.itemData(i) for i in range(self.role_box.count())]
        if have != wanted:
            self.role_box.blockSignals(True)
            self.role_box.clear()
            for r in wanted:
                self.role_box.addItem(r, r)
            self.role_box.blockSignals(False)
        if self.role_box.currentData() != current:
            self.role_box.blockSignals(True)
            self.role_box.setCurrentIndex(self.role_box.findData(current))
            self.role_box.blockSignals(False)

    def address(self) -> str:
        """The address chosen (a scanned sensor) or typed (its first word)."""
        box = self.address_box
        text = box.currentText().strip()
        data = box.currentData() if box.currentIndex() >= 0 and \
            box.itemText(box.currentIndex()) == box.currentText() else None
        return str(data or (text.split()[0] if text else ""))

    def mark_address(self, problem: str | None) -> None:
        """A malformed typed address: a red frame and the reason as tooltip (None: plain)."""
        bad = problem is not None and bool(self.address())
        style = f"QComboBox {{ border: 1px solid {theme.LOSS_COLOUR}; }}" if bad else ""
        if self.address_box.styleSheet() != style:
            self.address_box.setStyleSheet(style)
            self.address_box.setProperty("badAddress", bad)
        edit = self.address_box.lineEdit()
        if edit is not None:
            edit.setToolTip(str(problem) if bad else "")

    def set_address(self, address: str) -> None:
        if self.address_box.currentText() != address:
            self.address_box.setEditText(address)
            edit = self.address_box.lineEdit()
            if edit is not None:
                edit.setCursorPosition(0)

    def set_devices(self, devices: list[tuple[str, str]], pick: str | None) -> None:
        """Scan results (address, label) in the list; a typed address is kept, else ``pick``."""
        box = self.address_box
        typed = box.currentText()
        box.blockSignals(True)
        box.clear()
        for address, label in devices:
            box.addItem(label, address)
        box.setCurrentIndex(-1)
        box.blockSignals(False)
        self.set_address(typed or pick or "")
        box.setToolTip("\n".join(label for _, label in devices))

    def _picked(self, index: int) -> None:
        """A scanned sensor chosen: the field shows its address (the list keeps name and
        signal), from its start."""
        address = self.address_box.itemData(index) if index >= 0 else None
        if address:
            self.set_address(str(address))


class SensorRows(QGroupBox):
    """Several sensors: a checkable box (closed: one sensor, as always) with one row per sensor
    (:class:`SensorRow`: role above the whole address, its link line below once connected):
    two to one per role, each role offered once; "Connect all" only for a set that can
    connect (``trainer.training.sensors.rows_problem``: the rules and messages of ``record
    --device``), else the reason under it."""

    def __init__(self) -> None:
        super().__init__("Several sensors")
        self.setCheckable(True)
        self.setChecked(False)
        self.rows: list[SensorRow] = []
        self._devices: list[tuple[str, str]] = []
        self._live = False
        self._locked = False
        self.body = QWidget()
        self.rows_layout = QVBoxLayout(self.body)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(0)
        self.add_button = QPushButton("+ Add sensor")
        self.add_button.setToolTip("one more sensor (one per role)")
        self.add_button.clicked.connect(lambda: self.add_row())
        self.connect_button = QPushButton("Connect all")
        self.connect_button.setToolTip("connect these sensors together; Simulator simulates "
                                       "these roles")
        self.reason = ElidedLabel()
        self.reason.setObjectName("sensorRowsReason")
        self.reason.setStyleSheet("color: #ffb000; font-size: 12px;")
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.connect_button, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.body)
        lay.addLayout(buttons)
        lay.addWidget(self.reason)
        for role in DEFAULT_ROLES:
            self.add_row(role)
        self.toggled.connect(self._show)
        self._show(False)

    # -- the rows ------------------------------------------------------------------------------
    @property
    def roles(self) -> list[QComboBox]:
        return [row.role_box for row in self.rows]

    @property
    def addresses(self) -> list[QComboBox]:
        return [row.address_box for row in self.rows]

    @property
    def links(self) -> list[ElidedLabel]:
        return [row.link for row in self.rows]

    def add_row(self, role: Role | None = None) -> SensorRow | None:
        """One more row: ``role``, else the first role no row has (None: every role has one);
        its address the first scanned sensor no row has."""
        used = [row.role for row in self.rows]
        free = [r for r in ROLES if r not in used]
        if not free or (role is not None and role not in free):
            return None
        row = SensorRow(role or free[0])
        taken = {row.address() for row in self.rows}
        row.set_devices(self._devices, next((a for a, _ in self._devices if a not in taken),
                                            None))
        row.role_box.currentIndexChanged.connect(self._changed)
        row.address_box.editTextChanged.connect(self._changed)
        row.remove_button.clicked.connect(lambda: self.remove_row(row))
        row.role_box.setEnabled(not self._locked)
        row.address_box.setEnabled(not self._locked)
        row.remove_button.setVisible(not self._locked)
        self.rows.append(row)
        self.rows_layout.addWidget(row)
        self._changed()
        return row

    def remove_row(self, row: SensorRow) -> bool:
        """Take ``row`` away (never below MIN_ROWS)."""
        if len(self.rows) <= MIN_ROWS or row not in self.rows:
            return False
        self.rows.remove(row)
        self.rows_layout.removeWidget(row)
        row.setParent(None)
        row.deleteLater()
        self._changed()
        return True

    def set_rows(self, rows: list[tuple[Role, str]]) -> None:
        """Exactly these (role, address) rows (at least MIN_ROWS: spare rows keep the next
        free roles)."""
        while len(self.rows) > max(MIN_ROWS, len(rows)):
            self.remove_row(self.rows[-1])
        roles = [r for r, _ in rows]
        spare = [r for r in ROLES if r not in roles]
        while len(self.rows) < len(rows):
            self.add_row(next(r for r in ROLES if r not in [w.role for w in self.rows]))
        wanted = roles + spare[:len(self.rows) - len(rows)]
        for row, role in zip(self.rows, wanted, strict=True):
            row.offer_roles([role], role)
        for row, (_, address) in zip(self.rows, rows, strict=False):
            row.set_address(address)
        self._changed()

    def _changed(self) -> None:
        """A role or an address changed (by the user or a row added/removed): each row offers
        its role and the free ones, the buttons and the reason follow."""
        used = [row.role for row in self.rows]
        free = [r for r in ROLES if r not in used]
        for row in self.rows:
            row.offer_roles(free, row.role)
            row.remove_button.setEnabled(len(self.rows) > MIN_ROWS and not self._locked)
        self.add_button.setEnabled(bool(free) and not self._locked)
        self._check()

    def problem(self) -> str | None:
        """Why "Connect all" cannot connect these rows (None: it can)."""
        from trainer.training.sensors import rows_problem

        return rows_problem([(row.address(), row.role) for row in self.rows])

    def _check(self) -> None:
        why = None if self._live else self.problem()
        self.connect_button.setEnabled(not self._live and why is None)
        self.reason.set_full(why or "")
        self.reason.setVisible(why is not None and self.isChecked())
        for row in self.rows:  # the row whose typed address is malformed: marked, and why
            row.mark_address(None if self._live else address_problem(row.address() or ""))

    def set_live(self, live: bool) -> None:
        """A source streams (nothing to connect) or not."""
        if live != self._live:
            self._live = live
            self._check()

    def _show(self, on: bool) -> None:
        self.body.setVisible(on)
        self.add_button.setVisible(on)
        self.connect_button.setVisible(on)
        self._check()

    def set_devices(self, devices: list[tuple[str, str]]) -> None:
        """Scan results into every row's address list (a typed address is kept; an empty row
        gets the next scanned sensor no row has)."""
        self._devices = list(devices)
        taken = {row.address() for row in self.rows}
        for row in self.rows:
            pick = None
            if not row.address():
                pick = next((a for a, _ in devices if a not in taken), None)
                taken.add(pick or "")
            row.set_devices(devices, pick)
        self._check()

    def chosen(self) -> list[tuple[str, Role]]:
        """(address, role) of every row with an address."""
        return [(row.address(), row.role) for row in self.rows if row.address()]

    def chosen_roles(self) -> tuple[Role, ...]:
        """The roles of the rows (for the simulator), in row order."""
        return tuple(row.role for row in self.rows)

    # -- connected -----------------------------------------------------------------------------
    def show_sensors(self, sensors: list[tuple[str, Role, str, bool]]) -> None:
        """The sensors streaming now (address, role, link line, analysed), primary first: one
        row each (locked while they stream), the box open. Empty: the link lines go."""
        if not sensors:
            if self._locked:
                self._lock(False)
                for row in self.rows:
                    row.link.setVisible(False)
                    row.link.set_full("")
                    row.primary_tag.setVisible(False)
            return
        self.setChecked(True)
        wanted = [(role, address) for address, role, _, _ in sensors]
        shown = [(row.role, row.address()) for row in self.rows[:len(sensors)]]
        if shown != wanted or len(self.rows) != max(MIN_ROWS, len(sensors)):
            self.set_rows(wanted)
        if not self._locked:
            self._lock(True)
        for row, (_, _, line, primary) in zip(self.rows, sensors, strict=False):
            _set_link(row.link, line)
            if row.primary_tag.isHidden() == primary:
                row.primary_tag.setVisible(primary)

    def _lock(self, locked: bool) -> None:
        """Rows that show connected sensors are not edited (Disconnect first)."""
        self._locked = locked
        for row in self.rows:
            row.role_box.setEnabled(not locked)
            row.address_box.setEnabled(not locked)
            row.remove_button.setVisible(not locked)
        self._changed()

    def set_link(self, row: int, line: str) -> None:
        _set_link(self.rows[row].link, line)


def _link_style(colour: str) -> str:
    return f"color: {colour}; font-size: 12px;"


def _set_link(link: ElidedLabel, line: str) -> None:
    """A link line, coloured by its state (its first word); only what changed is set: a style
    sheet set again re-polishes the label."""
    state = line.split(" ", 1)[0]
    link.set_full(line)
    style = _link_style(STATE_COLOURS.get(state, theme.MUTED))
    if link.styleSheet() != style:
        link.setStyleSheet(style)
    if link.isHidden():
        link.setVisible(True)


def _set_text(label: QLabel, text: str) -> None:
    if label.text() != text:
        label.setText(text)
