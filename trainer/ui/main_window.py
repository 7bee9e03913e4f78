"""The dashboard window: layout and wiring. Panels on the left, big numbers and the cue on top,
plots in the middle, the replay bar below.

The work is elsewhere, passed in or built from what is passed in (constructor injection):
:class:`~trainer.ui.source_control.SourceControl` (what streams: simulator, sensor, replay, with
the typed replay controls) over a :class:`~trainer.ui.source_control.SourceFactory`;
:class:`~trainer.ui.drill_control.DrillControl` (a guided drill as a training session);
:class:`~trainer.ui.live_view.LiveView` (what a frame draws, with the feedback policy);
``trainer.ui.status_view`` (how a source status looks). A 60 Hz ``QTimer`` calls :meth:`tick`:
pump the stream, hand what happened to the controls, redraw. Every time comes from the injected
``clock``, so tests drive the window frame by frame (timer stopped, :meth:`tick` called).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trainer.training.session import TrainingSession
from trainer.training.sources import SimSettings
from trainer.ui import safety_dialog, theme
from trainer.ui.audio import AudioFeedback
from trainer.ui.calibration_wizard import open_wizard
from trainer.ui.device_panel import DevicePanel
from trainer.ui.drill_control import DrillControl
from trainer.ui.drill_panel import DrillPanel
from trainer.ui.feedback_panel import FeedbackPanel
from trainer.ui.history_panel import HistoryPanel
from trainer.ui.live import LiveSession, PipelineLike
from trainer.ui.live_view import LiveView
from trainer.ui.logs import log_hint
from trainer.ui.lsl_control import LslControl
from trainer.ui.metrics_panel import CueBanner, MetricsPanel, RecordingIndicator
from trainer.ui.multi_live import SensorLinks
from trainer.ui.plots import ScrollingPlots, SwayPlot
from trainer.ui.proprio_panel import ProprioPanel
from trainer.ui.recent import RecentSessions
from trainer.ui.replay_panel import ReplayPanel
from trainer.ui.sensor_traces import SensorTracePlots
from trainer.ui.settings import DrillSettings, FeedbackSettings, open_settings
from trainer.ui.source_control import DefaultSources, SourceControl, SourceFactory, Streaming
from trainer.ui.sources import DEMO_SIM
from trainer.ui.status_view import show_status
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.roles import Role
from trainer.vocab.source import Source, SourceStatus

FRAME_MS = 16  # ~60 Hz
LINK_EVERY_S = 0.5

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The dashboard. Collaborators: ``sources`` — where sources come from (default: the real
    ones, the simulated person ``sim``, paced by ``clock``); ``clock`` — every time the window
    uses; ``settings`` — the settings store (recent sessions); ``ask_screening`` /
    ``ask_confirm`` — how a pre-start check is asked (default: dialogs; tests answer them)."""

    def __init__(self, *, window_s: float = 10.0, trace_s: float = 5.0, audio: bool = True,
                 settings: QSettings | None = None, sim: SimSettings = DEMO_SIM,
                 sources: SourceFactory | None = None, clock: Clock = wall_clock,
                 ask_screening: Callable[[Any], bool] | None = None,
                 ask_confirm: Callable[[Any], bool] | None = None) -> None:
        super().__init__()
        theme.configure_pyqtgraph()
        self.setWindowTitle("Ankle balance trainer")
        self.setStyleSheet(theme.STYLESHEET)
        self.clock = clock
        self.settings_store = settings or open_settings()
        self.audio = AudioFeedback() if audio else None
        self.sources = SourceControl(sources or DefaultSources(sim, clock), clock=clock,
                                     window_s=window_s, trace_s=trace_s)
        self.drills = DrillControl(self.sources, clock=clock,
                                   ask_screening=ask_screening or self._ask_screening,
                                   ask_confirm=ask_confirm or self._ask_confirm,
                                   ask_placement=self.ask_placement,
                                   target_radius_deg=lambda: self.view.feedback.target_radius_deg)
        self.sources.before_stop = self.drills.abort
        self._dirty = True
        self._last_link = -float("inf")
        self._device_loss_pct: float | None = None
        self._build(window_s, trace_s)
        self._wire()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        if self.audio is not None and not self.audio.available:
            self.feedback_panel.set_audio_unavailable(self.audio.reason)
        elif self.audio is None:
            self.feedback_panel.set_audio_unavailable("disabled (--no-audio)")

    # ------------------------------------------------------------------------------ layout
    def _build(self, window_s: float, trace_s: float) -> None:
        fb = FeedbackSettings()
        self.device_panel = DevicePanel()
        self.drill_panel = DrillPanel()
        self.feedback_panel = FeedbackPanel()
        self.metrics = MetricsPanel()
        self.proprio = ProprioPanel()  # joint position sense / lunge test: gauge and trials
        self.proprio.setVisible(False)
        self.cue = CueBanner()
        self.rec = RecordingIndicator()
        self.sway = SwayPlot(fb.range_deg, fb.target_radius_deg)
        self.time_plots = ScrollingPlots(window_s, fb.range_deg)
        # the other sensors of a multi-sensor session: their tilt under the primary's
        self.sensor_plots = SensorTracePlots(self.time_plots.tilt, window_s, fb.range_deg,
                                             gives_way=self.time_plots.gyr)
        # every sensor's link in the sensor panel (several sensors)
        self.sensor_links = SensorLinks(self.clock)
        self.replay_panel = ReplayPanel()
        self.history = HistoryPanel()
        self.view = LiveView(self.sway, self.time_plots, self.metrics, self.drills, self.audio,
                             trace_s)
        # the extra sensors' tilt on the primary's scale (±30° while a drill moves on purpose)
        self.view.tilt_range_listeners.append(self.sensor_plots.set_range)
        self.source_label = QLabel("no source")
        self.source_label.setObjectName("sourceLabel")
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.source_label.setStyleSheet(f"color: {theme.MUTED};")

        # the side column: the sensor and feedback panels scroll (four or five sensor rows are
        # taller than the window); the drill panel stays below them, Start always in view
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.device_panel, self.feedback_panel):
            side_lay.addWidget(w)
        side_lay.addStretch(1)
        self.side_scroll = side_scroll = QScrollArea()
        side_scroll.setWidget(side)
        side_scroll.setWidgetResizable(True)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        column = QWidget()
        column.setFixedWidth(340)
        column_lay = QVBoxLayout(column)
        column_lay.setContentsMargins(0, 0, 0, 0)
        column_lay.addWidget(side_scroll, 1)
        column_lay.addWidget(self.drill_panel)

        top = QHBoxLayout()
        top.addWidget(self.cue, 1)
        top.addWidget(self.rec)
        plots_right = QSplitter(Qt.Orientation.Vertical)
        plots_right.addWidget(self.time_plots.tilt)
        plots_right.addWidget(self.sensor_plots.widget)
        plots_right.addWidget(self.time_plots.gyr)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.sway)
        plots.addWidget(plots_right)
        plots.setStretchFactor(0, 2)
        plots.setStretchFactor(1, 3)

        live = QWidget()
        live_lay = QVBoxLayout(live)
        live_lay.addLayout(top)
        live_lay.addWidget(self.metrics)
        live_lay.addWidget(self.proprio, 2)
        live_lay.addWidget(plots, 1)
        live_lay.addWidget(self.source_label)
        live_lay.addWidget(self.replay_panel)

        train = QWidget()
        train_lay = QHBoxLayout(train)
        train_lay.setContentsMargins(4, 4, 4, 4)
        train_lay.addWidget(column)
        train_lay.addWidget(live, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(train, "Train")
        self.tabs.addTab(self.history, "History")
        self.setCentralWidget(self.tabs)
        self.status_rec = QLabel("")
        self.statusBar().addPermanentWidget(self.status_rec)
        self._build_menu()

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Session")
        self._action(menu, "&Open recording…", lambda: self._open_requested(""),
                     QKeySequence.StandardKey.Open)
        self.recent = RecentSessions(self.settings_store, menu.addMenu("Open &recent"),
                                     self.replay_panel.set_recent, self.open_replay)
        self._action(menu, "&Simulated sensor", self.start_simulator)
        self.marker_action = self._action(menu, "Add &marker",
                                          lambda: self.drills.user_event("marker"),
                                          QKeySequence(Qt.Key.Key_M))
        self.touchdown_action = self._action(menu, "I &touched down",
                                             lambda: self.drills.user_event("user_touchdown"),
                                             QKeySequence(Qt.Key.Key_T))
        self.lsl = LslControl(self, self.message)  # the LSL switch: menu, sensor panel, status
        menu.addAction(self.lsl.action)
        cast(QVBoxLayout, self.device_panel.layout()).addWidget(self.lsl.checkbox)
        self.statusBar().insertPermanentWidget(0, self.lsl.label)
        menu.addSeparator()
        self._action(menu, "&Quit", self.close, QKeySequence.StandardKey.Quit)
        # big-key control for someone standing 2 m away with a keyboard or a presenter remote
        for key, slot in ((Qt.Key.Key_Space, self.space_pressed),
                          (Qt.Key.Key_Right, lambda: self.sources.jump_event(+1)),
                          (Qt.Key.Key_Left, lambda: self.sources.jump_event(-1))):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(slot)
        tools = self.menuBar().addMenu("&Tools")
        self.calibrate_action = self._action(tools, "&Calibrate sensor…", self.open_calibration)

    def _action(self, menu: Any, text: str, slot: Callable[[], object],
                shortcut: Any = None) -> QAction:
        act = QAction(text, self)
        if shortcut is not None:
            act.setShortcut(shortcut)
        act.triggered.connect(slot)
        menu.addAction(act)
        return act

    # ------------------------------------------------------------------------------ wiring
    def _wire(self) -> None:
        dp, rp, src, dr = self.device_panel, self.replay_panel, self.sources, self.drills
        dp.scan_requested.connect(src.scan)
        dp.connect_requested.connect(self.connect_device)
        dp.connect_several_requested.connect(self.connect_sensors)
        dp.disconnect_requested.connect(self.disconnect_source)
        dp.simulate_requested.connect(lambda: self.start_simulator())
        self.drill_panel.start_requested.connect(self.start_drill)
        self.drill_panel.stop_requested.connect(dr.stop)
        self.drill_panel.pain_rated.connect(dr.rate_pain)
        self.drill_panel.pain_skipped.connect(dr.skip_pain)
        self.drill_panel.skip_jump_requested.connect(dr.skip_sync_jump)
        self.feedback_panel.changed.connect(self.apply_feedback_settings)
        rp.open_requested.connect(self._open_requested)
        rp.play_toggled.connect(src.set_playing)
        rp.speed_changed.connect(src.set_speed)
        rp.seek_requested.connect(self.seek)
        rp.prev_event.connect(lambda: src.jump_event(-1))
        rp.next_event.connect(lambda: src.jump_event(+1))
        self.tabs.currentChanged.connect(self._tab_changed)
        for messages in (src.message, dr.message):
            messages.connect(self.message)
        src.started.connect(self._on_started)
        src.stopped.connect(lambda: dp.set_state("disconnected"))
        src.state.connect(dp.set_state)
        src.scanned.connect(dp.show_scan)
        src.connected.connect(self._on_connected)
        src.sensors_connected.connect(self._on_sensors_connected)
        src.replay_position.connect(rp.set_position)
        src.replay_playing.connect(rp.set_playing)
        dr.cue.connect(self.cue.show_cue)
        dr.running.connect(self._on_running)
        dr.recording.connect(self._on_recording)
        dr.progress.connect(self.drill_panel.set_progress)
        dr.proprio.connect(self._on_proprio)
        dr.pain_question.connect(lambda q: self.drill_panel.show_pain(q is not None, q or None))
        dr.beep.connect(self.view.beep)
        dr.leg.connect(self._follow_leg)
        dr.jump_wait.connect(self.drill_panel.show_skip_jump)
        dr.finished.connect(self.history.request_reload)

    def _on_started(self, s: Streaming) -> None:
        self._device_loss_pct = None
        self.view.set_side(s.side)
        self.view.replay_drill = (s.conditions or {}).get("drill") if s.is_replay else None
        self.source_label.setText(s.label)
        self.source_label.setToolTip(s.label)
        self.source_label.setStyleSheet(f"color: {theme.FG};")
        self.setWindowTitle(f"Ankle balance trainer — {s.label}")
        self.replay_panel.set_enabled_controls(s.is_replay)
        self.replay_panel.set_playing(s.is_replay)
        self.drill_panel.set_replay(s.conditions if s.is_replay else None)
        self.device_panel.set_state("replay" if s.is_replay else "connecting")
        self.cue.show_cue("Space: play / pause · ← → : events" if s.is_replay
                          else "Press Start (or Space) for a guided drill", theme.MUTED)
        self._dirty = True

    def _on_connected(self, address: str, src: Source) -> None:
        self.sources.use_device(address, src, side=self.drill_panel.side.currentText(),
                                placement=self.drill_panel.placement(), drill_id=self._drill_id(),
                                target_radius_deg=self.view.feedback.target_radius_deg)

    def _on_sensors_connected(self, sensors: Any) -> None:
        self.sources.use_sensors(sensors, side=self.drill_panel.side.currentText(),
                                 placement=self.drill_panel.placement(),
                                 drill_id=self._drill_id(),
                                 target_radius_deg=self.view.feedback.target_radius_deg)

    def _on_running(self, on: bool) -> None:
        self.drill_panel.set_running(on)
        if on:
            self.view.drill_started()

    def _on_recording(self, path: Path | None, elapsed_s: float) -> None:
        self.rec.set_recording(path is not None, elapsed_s, str(path or ""))
        self.status_rec.setText(f"recording to {path}" if path is not None else "")

    def _on_proprio(self, view: Any) -> None:
        self.proprio.setVisible(bool(view))
        self.proprio.show_view(view)

    def _follow_leg(self, side: str, placement: str) -> None:
        """Plots and sound follow the drill's leg (the tilt convention depends on it)."""
        if self.sources.follow_leg(side, placement):
            self.view.set_side(side)
            self.message(f"tilt now for the {side} {placement}")

    # ------------------------------------------------------------------------------ actions
    def set_source(self, source: Source, kind: str, *, label: str = "", session: Any = None,
                   calibration: Any = None, placement: str = "shank", side: str = "left",
                   pipeline: Callable[[], PipelineLike] | None = None,
                   drill_id: str | None = None) -> None:
        """Stream from any source (``SourceControl.use``); ``drill_id``: the drill panel's."""
        self.sources.use(source, kind, label=label, session=session, calibration=calibration,
                         placement=placement, side=side, pipeline=pipeline,
                         drill_id=drill_id or self._drill_id(),
                         target_radius_deg=self.view.feedback.target_radius_deg)

    def start_simulator(self, rate_hz: float | None = None, *, drill: str | None = None,
                        side: str | None = None, roles: tuple[Role, ...] | None = None) -> None:
        """Stream the simulated sensor doing ``drill`` on ``side`` (default: the panel's);
        ``roles`` (default: the sensor panel's when "Several sensors" is open): several
        simulated sensors on one person, as ``record --simulate --roles``."""
        from trainer.training.sensors import sensor_plan
        from trainer.training.session import TrainingError

        dp = self.drill_panel
        side = side or dp.side.currentText()
        drill_id = drill or self._drill_id()
        several = self.device_panel.several
        if roles is None and several.isChecked():
            roles = several.chosen_roles()
        if roles:
            try:
                plan = sensor_plan([], roles, simulate=True, side=side, placement=dp.placement())
            except TrainingError as exc:
                self.message(str(exc))
                return
            roles = None if plan is None else tuple(r for _, r in plan)
        eyes, surface = dp.eyes_surface()
        self.sources.simulate(float(rate_hz or 100.0), drill_id=drill_id, side=side,
                              eyes=eyes, surface=surface,
                              target_radius_deg=self.view.feedback.target_radius_deg,
                              roles=roles)

    def connect_sensors(self, devices: list[tuple[str, Role | None]]) -> None:
        """Connect several sensors together (``dashboard --device ADDR:ROLE …``, the sensor
        panel's "Connect all"): checked as ``record`` checks them; one sensor without a role
        (or at the drill's own leg) is the plain one-sensor connection. The red-flag questions
        first, then all connect in a worker thread; the primary follows the drill panel."""
        from trainer.training.sensors import primary_first, sensor_plan
        from trainer.training.session import TrainingError

        if not devices:
            self.message("give each sensor a role and an address (Scan fills the addresses)")
            return
        side, placement = self.drill_panel.side.currentText(), self.drill_panel.placement()
        try:
            plan = sensor_plan(devices, None, simulate=False, side=side, placement=placement)
        except TrainingError as exc:
            self.message(str(exc))
            return
        if plan is None:
            self.connect_device(devices[0][0])
            return
        if self.sources.connecting:
            return
        if not self.drills.settle_checks(None, real_sensor=True):
            self.device_panel.set_state("disconnected")
            return
        addresses = {r: str(a) for a, r in plan}
        self.sources.connect_sensors(addresses, primary_first(list(addresses), side, placement))

    def connect_device(self, address: str) -> None:
        """The red-flag questions first (before any sample is used, as `record --device`),
        then connect in a worker thread."""
        if self.sources.connecting:
            return
        if not self.drills.settle_checks(None, real_sensor=True):
            self.device_panel.set_state("disconnected")
            return
        self.sources.connect_device(address)

    def disconnect_source(self) -> None:
        self.sources.stop()
        self.source_label.setText("no source")
        self.source_label.setStyleSheet(f"color: {theme.MUTED};")
        self.message("disconnected")

    def _open_requested(self, path: str) -> None:
        if not path:
            from trainer.paths import sessions_dir

            path = QFileDialog.getExistingDirectory(self, "Open a recorded session",
                                                    str(sessions_dir()))
            if not path:
                return
        self.open_replay(path)

    def open_replay(self, path: str, speed: float = 1.0) -> bool:
        if not self.sources.open_replay(path, speed):
            return False
        self.replay_panel.set_speed(speed)
        self.recent.remember(str(Path(path).resolve()))
        return True

    def seek(self, position_s: float) -> None:
        if self.sources.seek(position_s):
            self._dirty = True
            self.view.refresh_metrics_now()

    def start_drill(self, settings: DrillSettings) -> None:
        self.drills.start(settings)

    def choose_drill(self, *, drill: str | None = None, side: str | None = None,
                     placement: str | None = None, eyes: str | None = None,
                     surface: str | None = None) -> None:
        """Preset the drill panel (``dashboard --drill … --side …``); ``placement`` overrides the
        drill's own for the next drills."""
        self.drill_panel.choose(drill=drill, side=side, eyes=eyes, surface=surface)
        if placement is not None:
            self.drills.placement_choice = placement

    def space_pressed(self) -> None:
        """Space: "there" while reproducing a joint position; skip the sync jump the drill
        waits for; play/pause a replay; otherwise start or stop the drill."""
        if self.drills.there() or self.drills.skip_sync_jump():
            return
        if self.sources.kind == "replay":
            self.replay_panel.play_button.click()
        elif self.drill_panel.start_button.isEnabled():
            self.drill_panel.start_button.click()

    def apply_feedback_settings(self, fb: FeedbackSettings) -> None:
        self.view.set_feedback(fb, self.live)
        if self.audio is not None:
            if fb.audio and not self.audio.start():
                self.feedback_panel.set_audio_unavailable(self.audio.reason)
                self.message(f"no sound: {self.audio.reason}")
            elif not fb.audio:
                self.audio.stop()
        self._dirty = True

    def _drill_id(self) -> str:
        return str(self.drill_panel.drill.currentData())

    # ------------------------------------------------------------------------------ the frame
    def tick(self) -> None:
        """One frame: pump, react to status/events, redraw. Never raises."""
        try:
            self._tick()
        except Exception as exc:  # a bug must not freeze or kill the dashboard: logged, shown
            log.exception("internal error in the frame (kept running)")
            self.message(f"internal error (kept running, see {log_hint()}): "
                         f"{type(exc).__name__}: {exc}")

    def _tick(self) -> None:
        now = self.clock()
        live, drills = self.live, self.drills
        self.lsl.sync(live.session if live is not None else None)
        self.sensor_plots.sync(live.source if live is not None else None, side=self.sources.side,
                               calibrations=self.sources.sensor_calibrations)
        if self.sensor_links.sync(live.source if live is not None else None):
            self._show_sensor_links(now)
        if live is not None:
            res = live.pump()
            for err in res.errors:
                self.message(err)
                self.device_panel.set_state("error")
            for st in res.statuses:
                self._on_status(st)
            for ev in res.events:
                drills.on_pipeline_event(ev)
            if res.drill_events:
                drills.events(res.drill_events)
                self._dirty = True
            if res.n_new or res.n_shown:
                self._dirty = True
            if live.running and live.source.finished and self.sources.kind == "replay":
                self.replay_panel.set_playing(False)
            if res.done in ("duration", "source finished") and drills.active:
                drills.done(reason=res.done)
        drills.refresh()
        if self._dirty:
            self.redraw(now)
            self._dirty = False
        if live is not None and now - self._last_link >= LINK_EVERY_S:
            self._last_link = now
            loss = (self._device_loss_pct if self._device_loss_pct is not None
                    else live.link.loss_pct)
            # samples per second of the session (a 2x replay delivers 200 a wall second at 100 Hz)
            rate = live.link.rate_hz(now) / self.sources.playback_speed()
            self.device_panel.set_link(rate, self.sources.nominal_hz, loss)
            self._show_sensor_links(now)
            position = self.sources.link_view()
            if position is not None:
                self.replay_panel.set_position(*position)

    def _show_sensor_links(self, now: float) -> None:
        links, primary = self.sensor_links.links, self.sensor_links.primary
        speed = self.sources.playback_speed()
        self.device_panel.several.show_sensors(
            [(link.address, role, link.line(now, speed), role == primary)
             for role, link in links.items()])

    def redraw(self, now: float | None = None) -> None:
        self.view.redraw(self.live, self.clock() if now is None else now)
        live = self.live
        self.sensor_plots.update(live.latest_t_s if live is not None else None,
                                 live.jump_t_s if live is not None else None)

    def _on_status(self, st: SourceStatus) -> None:
        loss = show_status(st, self.sources.kind, self.device_panel, self.message)
        if loss is not None:
            self._device_loss_pct = loss

    # ------------------------------------------------------------------------------ misc
    def message(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def ask_placement(self, message: str, needed: str) -> str:
        return safety_dialog.ask_placement(self, message, needed)

    def _ask_screening(self, check: Any) -> bool:
        return safety_dialog.ask_screening(self, check.message)

    def _ask_confirm(self, check: Any) -> bool:
        return safety_dialog.ask_confirm(self, check.message)

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.history:
            self.history.ensure_loaded()

    def open_calibration(self) -> None:
        live = self.live
        address = live.source.info.address if live and self.sources.kind == "device" else None
        several = self.sources.sensors if self.sources.kind == "device" else None
        sensors = None
        if several is not None:  # choose which one; its role gives leg and placement
            infos = several.infos()
            sensors = [(str(r), str(infos[r].address)) for r in several.roles]
        self._wizard = open_wizard(self, address=address, side=self.drill_panel.side.currentText(),
                                   placement=self.drill_panel.placement(), message=self.message,
                                   sensors=sensors, connected=self.connected_sensor)

    def connected_sensor(self, address: str) -> Any:
        """The calibration wizard's sensor at ``address`` when it is connected: one of several
        connected sensors read through the set (``SensorTap``: nothing is disconnected, the set
        stays as it is); None: the wizard connects it itself — a single sensor streaming at that
        address is disconnected first (one BLE connection per sensor)."""
        from trainer.training.sensors import SensorTap

        def view() -> Any:
            several = self.sources.sensors if self.sources.kind == "device" else None
            return None if several is None else several.view

        several = self.sources.sensors if self.sources.kind == "device" else None
        if several is not None:
            role = several.role_of(address)
            return None if role is None else SensorTap(view, role, several.infos()[role])
        live = self.live
        if self.sources.kind == "device" and live is not None \
                and str(live.source.info.address).upper() == address.strip().upper():
            self.disconnect_source()
        return None

    def closeEvent(self, event: QCloseEvent) -> None:
        self.sources.closing = True
        self.timer.stop()
        self.sources.stop("window closed")
        self.lsl.close()
        self.sensor_plots.close()
        self.sensor_links.close()
        if self.audio is not None:
            self.audio.stop()
        self.history.shutdown()
        super().closeEvent(event)

    # ------------------------------------------------------------------------------ state
    @property
    def live(self) -> LiveSession | None:
        return self.sources.live

    @property
    def drill(self) -> TrainingSession | None:
        return self.drills.drill

    @property
    def recording_path(self) -> Path | None:
        return self.drills.recording_path

    def drill_state(self) -> str:
        return self.drills.state
