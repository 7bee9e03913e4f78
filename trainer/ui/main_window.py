"""The dashboard window: panels on the left, big numbers and the cue on top, plots in the middle.

Data path (DESIGN.md): a 60 Hz ``QTimer`` pulls from the source through :class:`LiveSession`
(source → pipeline → recorder → ring buffers), then redraws with fixed ranges. Only low-rate
status becomes Qt signals (``status_received``). Nothing on this thread blocks: BLE has its own
thread, scanning runs in a worker thread, session files are memory-mapped.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import numpy as np
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from trainer.feedback import FadingSchedule, SonificationParams, Zone, map_tilt, zone_of
from trainer.feedback.policy import FeedbackNow, feedback_now
from trainer.recording.keyframes import PipelineKeyframes
from trainer.training.session import TrainingPlan, TrainingSession, new_session_dir
from trainer.training.sources import SimSettings
from trainer.ui import theme
from trainer.ui.audio import AudioFeedback
from trainer.ui.device_panel import DevicePanel
from trainer.ui.drill_panel import DrillPanel
from trainer.ui.ellipse import prediction_ellipse
from trainer.ui.feedback_panel import FeedbackPanel
from trainer.ui.guided import ACTIVE, DONE, PAIN, plan_for, progress
from trainer.ui.history_panel import HistoryPanel
from trainer.ui.live import AP, ML, LiveSession, PipelineLike, T, free_session
from trainer.ui.logs import log_hint
from trainer.ui.lsl_control import LslControl
from trainer.ui.metrics_panel import CueBanner, MetricsPanel, RecordingIndicator
from trainer.ui.plots import ScrollingPlots, SwayPlot
from trainer.ui.proprio_panel import ProprioPanel
from trainer.ui.replay_panel import ReplayPanel
from trainer.ui.settings import DrillSettings, FeedbackSettings, open_settings
from trainer.ui.sources import (
    DEMO_SIM,
    SourceError,
    device_source,
    replay_source,
    scan_devices,
    simulated_source,
)
from trainer.ui.status_view import present
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.source import Source, SourceStatus

FRAME_MS = 16  # ~60 Hz
METRICS_EVERY_S = 0.25
LINK_EVERY_S = 0.5
MAX_RECENT = 10
EVENT_PRE_ROLL_S = 1.0  # a jump to an event lands this much before it, like a video chapter

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    """The dashboard. ``set_source`` plugs in any :class:`Source`; the rest follows."""

    status_received = Signal(object)  # SourceStatus, low rate
    scan_finished = Signal(object)  # list[(address, label)] or an error string
    connect_finished = Signal(object)  # (address, Source) or an error string

    def __init__(self, *, window_s: float = 10.0, trace_s: float = 5.0, audio: bool = True,
                 settings: QSettings | None = None, sim: SimSettings = DEMO_SIM,
                 ask_screening: Callable[[Any], bool] | None = None,
                 ask_confirm: Callable[[Any], bool] | None = None,
                 clock: Clock = wall_clock) -> None:
        """Collaborators: ``sim`` — the simulated person and link (seed, losses, speed);
        ``ask_screening`` / ``ask_confirm`` — how a pre-start check is asked (default: dialogs;
        tests answer them). Sources are plugged in with :meth:`set_source`."""
        super().__init__()
        theme.configure_pyqtgraph()
        self.setWindowTitle("Ankle balance trainer")
        self.setStyleSheet(theme.STYLESHEET)
        self.window_s = window_s
        self.trace_s = trace_s
        self.settings_store = settings or open_settings()
        self.live: LiveSession | None = None
        self.source_kind = ""  # simulated | device | replay
        self.session: Any = None  # the replayed Session
        self.drill: TrainingSession | None = None  # the current (or last) drill's session
        self.sim = sim
        self.clock = clock  # paces the simulator, the replay and the window's timers
        self.ask_screening: Callable[[Any], bool] = ask_screening or self._ask_screening
        self.ask_confirm: Callable[[Any], bool] = ask_confirm or self._ask_confirm
        self._real_sensor = False  # streaming a sensor connected here (the red flags were asked)
        self.placement_choice: str | None = None  # None: where each drill wants the sensor
        self.recording_path: Path | None = None
        self._recording_t0 = 0.0
        self.feedback = FeedbackSettings()
        self.schedule = FadingSchedule("concurrent", 1.0)  # over drill progress 0…1
        self.sonify = SonificationParams()
        self.audio = AudioFeedback() if audio else None
        self.frames = 0
        self._dirty = True
        self._last_metrics = 0.0
        self._last_link = 0.0
        self._loss_flash_until = 0.0
        self._summary: dict[str, Any] = {}
        self._stream_losses = 0
        self._nominal_hz = 0.0
        self.countdown_s = 3.0
        self._connecting = False
        self._closing = False
        self._device_loss_pct: float | None = None
        self._markers = 0
        self._calibration: Any = None
        self._source_placement = "shank"
        self._source_side = "left"
        self._pipeline_override: Callable[[], PipelineLike] | None = None
        self._jumped_to: float | None = None
        self._last_view = 0.0

        self._build()
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(FRAME_MS)
        self.timer.timeout.connect(self.tick)
        self.timer.start()
        self.status_received.connect(self._on_status)
        self.scan_finished.connect(self._on_scan_finished)
        self.connect_finished.connect(self._on_connected)
        if self.audio is not None and not self.audio.available:
            self.feedback_panel.set_audio_unavailable(self.audio.reason)
        elif self.audio is None:
            self.feedback_panel.set_audio_unavailable("disabled (--no-audio)")
        self._load_recent()

    # ------------------------------------------------------------------------------ layout
    def _build(self) -> None:
        self.device_panel = DevicePanel()
        self.drill_panel = DrillPanel()
        self.feedback_panel = FeedbackPanel()
        self.metrics = MetricsPanel()
        self.proprio = ProprioPanel()  # joint position sense / lunge test: gauge and trials
        self.proprio.setVisible(False)
        self.cue = CueBanner()
        self.rec = RecordingIndicator()
        self.sway = SwayPlot(self.feedback.range_deg, self.feedback.target_radius_deg)
        self.time_plots = ScrollingPlots(self.window_s, self.feedback.range_deg)
        self.replay_panel = ReplayPanel()
        self.history = HistoryPanel()
        self.source_label = QLabel("no source")
        self.source_label.setObjectName("sourceLabel")
        self.source_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.source_label.setStyleSheet(f"color: {theme.MUTED};")

        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(0, 0, 0, 0)
        for w in (self.device_panel, self.drill_panel, self.feedback_panel):
            side_lay.addWidget(w)
        side_lay.addStretch(1)
        side_scroll = QScrollArea()
        side_scroll.setWidget(side)
        side_scroll.setWidgetResizable(True)
        side_scroll.setFixedWidth(340)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setFrameShape(QScrollArea.Shape.NoFrame)

        top = QHBoxLayout()
        top.addWidget(self.cue, 1)
        top.addWidget(self.rec)

        plots_right = QSplitter(Qt.Orientation.Vertical)
        plots_right.addWidget(self.time_plots.tilt)
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
        train_lay.addWidget(side_scroll)
        train_lay.addWidget(live, 1)

        self.tabs = QTabWidget()
        self.tabs.addTab(train, "Train")
        self.tabs.addTab(self.history, "History")
        self.setCentralWidget(self.tabs)
        self.status_rec = QLabel("")
        self.statusBar().addPermanentWidget(self.status_rec)
        self._build_menu()

        dp = self.device_panel
        dp.scan_requested.connect(self.start_scan)
        dp.connect_requested.connect(self.connect_device)
        dp.disconnect_requested.connect(self.disconnect_source)
        dp.simulate_requested.connect(self.start_simulator)
        self.drill_panel.start_requested.connect(self.start_drill)
        self.drill_panel.stop_requested.connect(self.stop_drill)
        self.drill_panel.pain_rated.connect(self.rate_pain)
        self.drill_panel.pain_skipped.connect(self.skip_pain)
        self.feedback_panel.changed.connect(self.apply_feedback_settings)
        rp = self.replay_panel
        rp.open_requested.connect(self._open_requested)
        rp.play_toggled.connect(self.set_playing)
        rp.speed_changed.connect(self.set_replay_speed)
        rp.seek_requested.connect(self.seek)
        rp.prev_event.connect(lambda: self.jump_event(-1))
        rp.next_event.connect(lambda: self.jump_event(+1))
        self.tabs.currentChanged.connect(self._tab_changed)

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&Session")
        act = QAction("&Open recording…", self)
        act.setShortcut(QKeySequence.StandardKey.Open)
        act.triggered.connect(lambda: self._open_requested(""))
        menu.addAction(act)
        self.recent_menu = menu.addMenu("Open &recent")
        act = QAction("&Simulated sensor", self)
        act.triggered.connect(self.start_simulator)
        menu.addAction(act)
        self.marker_action = QAction("Add &marker", self)
        self.marker_action.setShortcut(QKeySequence(Qt.Key.Key_M))
        self.marker_action.triggered.connect(self.add_marker)
        menu.addAction(self.marker_action)
        self.touchdown_action = QAction("I &touched down", self)
        self.touchdown_action.setShortcut(QKeySequence(Qt.Key.Key_T))
        self.touchdown_action.triggered.connect(self.user_touchdown)
        menu.addAction(self.touchdown_action)
        self.lsl = LslControl(self, self.message)  # the LSL switch: menu, sensor panel, status
        menu.addAction(self.lsl.action)
        cast(QVBoxLayout, self.device_panel.layout()).addWidget(self.lsl.checkbox)
        self.statusBar().insertPermanentWidget(0, self.lsl.label)
        menu.addSeparator()
        act = QAction("&Quit", self)
        act.setShortcut(QKeySequence.StandardKey.Quit)
        act.triggered.connect(self.close)
        menu.addAction(act)
        # big-key control for someone standing 2 m away with a keyboard or a presenter remote
        for key, slot in ((Qt.Key.Key_Space, self.space_pressed),
                          (Qt.Key.Key_Right, lambda: self.jump_event(+1)),
                          (Qt.Key.Key_Left, lambda: self.jump_event(-1))):
            sc = QShortcut(QKeySequence(key), self)
            sc.setContext(Qt.ShortcutContext.WindowShortcut)
            sc.activated.connect(slot)
        tools = self.menuBar().addMenu("&Tools")
        self.calibrate_action = QAction("&Calibrate sensor…", self)
        self.calibrate_action.triggered.connect(self.open_calibration)
        tools.addAction(self.calibrate_action)

    # ------------------------------------------------------------------------------ sources
    def set_source(self, source: Source, kind: str, *, label: str = "",
                   session: Any = None, calibration: Any = None,
                   placement: str = "shank", side: str = "left",
                   pipeline: Callable[[], PipelineLike] | None = None,
                   drill_id: str | None = None) -> None:
        """Stop the current source (finishing any recording) and stream from ``source`` in a
        free training session (no guide, not recorded) until a drill starts.

        ``pipeline``: a factory replacing the core pipeline (tests drive the UI with exact tilt).
        ``drill_id``: the drill the stream is (replay: the recorded one; default: the drill
        panel's), which decides e.g. whether balance losses are detected.
        """
        self._stop_live()
        self.source_kind = kind
        self.session = session
        self._calibration = calibration
        self._source_placement = placement
        self._source_side = side
        self._pipeline_override = pipeline
        self.sway.set_side(side)
        # pan toward the side the user leans to (ML is + lateral: left for the left leg)
        self.sonify = replace(self.sonify, ml_sign=self.sway.ml_screen_sign)
        rate = float(source.info.sample_rate_hz or 100.0)
        self._nominal_hz = rate
        model = free_session(source, drill_id=drill_id or str(self.drill_panel.drill.currentData()),
                             side=side, placement=placement, calibration=calibration,
                             pipeline_factory=pipeline,
                             target_radius_deg=self.feedback.target_radius_deg)
        self.live = LiveSession(model, window_s=self.window_s, sample_rate_hz=rate,
                                trace_s=self.trace_s, clock=self.clock)
        self.live.target_radius_deg = self.feedback.target_radius_deg
        self._device_loss_pct = None
        self._stream_losses = 0
        try:
            self.live.start()
        except Exception as exc:
            log.exception("could not start %s", label or kind)
            self.message(f"could not start {label or kind}: {exc}")
            self.live = None
            self.device_panel.set_state("error")
            return
        self.source_label.setText(label or kind)
        self.source_label.setToolTip(label or kind)
        self.source_label.setStyleSheet(f"color: {theme.FG};")
        self.setWindowTitle(f"Ankle balance trainer — {label or kind}")
        is_replay = kind == "replay"
        self.replay_panel.set_enabled_controls(is_replay)
        self.replay_panel.set_playing(is_replay)
        self.drill_panel.set_replay(session.conditions() if is_replay and session is not None
                                    and hasattr(session, "conditions") else None)
        self.device_panel.set_state("replay" if is_replay else "connecting")
        self.cue.show_cue("Space: play / pause · ← → : events" if is_replay
                          else "Press Start (or Space) for a guided drill", theme.MUTED)
        self._dirty = True

    def _stop_live(self, reason: str = "source changed") -> None:
        self.abort_drill(reason)
        if self.live is not None:
            self.live.stop()
            self.live = None
        self.device_panel.set_state("disconnected")

    def start_simulator(self, rate_hz: float | None = None, *, drill: str | None = None,
                        side: str | None = None) -> None:
        """Stream the simulated sensor doing ``drill`` on ``side`` (default: the drill panel's)."""
        side = side or self.drill_panel.side.currentText()
        drill = drill or str(self.drill_panel.drill.currentData())
        try:
            src = simulated_source(float(rate_hz or 100.0), drill_id=drill, side=side,
                                   eyes=self.drill_panel.eyes.currentText(),
                                   surface=self.drill_panel.surface.currentText(), sim=self.sim,
                                   clock=self.clock)
        except SourceError as exc:
            self.message(str(exc))
            return
        placement = getattr(getattr(src, "config", None), "effective_placement", "shank")
        self._real_sensor = False
        self.set_source(src, "simulated",
                        label=f"Simulated sensor · {src.info.sample_rate_hz:g} Hz",
                        side=side, placement=placement, drill_id=drill)
        self.message(f"streaming the simulated sensor ({drill}, {side} {placement})")

    def connect_device(self, address: str) -> None:
        """Connect in a worker thread (the BLE source has its own thread and loop; the first
        connection can take seconds), then stream. The window stays responsive meanwhile."""
        if self._connecting:
            return
        # a person is about to train on a real sensor: the red-flag questions first, before
        # any sample is used (as `record --device`)
        if not self.settle_checks(None, real_sensor=True):
            self.device_panel.set_state("disconnected")
            return
        self._connecting = True
        self.device_panel.set_state("connecting", address)
        self.message(f"connecting to {address}…")

        def work() -> None:
            try:
                result: object = (address, device_source(address))
            except SourceError as exc:
                result = str(exc)
            except Exception as exc:  # never let a worker thread die silently
                log.exception("connecting to %s failed", address)
                result = f"cannot connect to {address}: {exc}"
            self.connect_finished.emit(result)

        threading.Thread(target=work, name="ble-connect", daemon=True).start()

    def _on_connected(self, result: object) -> None:
        self._connecting = False
        if isinstance(result, str):
            self.message(result)
            self.device_panel.set_state("error")
            return
        address, src = cast(tuple[str, Source], result)
        if self._closing:
            src.stop()
            return
        side = self.drill_panel.side.currentText()
        placement = self._placement()
        calibration, note = None, ""
        try:
            from trainer.training.session import stored_calibration

            calibration, note = stored_calibration(src.info, side=side, placement=placement)
        except Exception as exc:  # a bad profile file must not stop a sensor from connecting
            log.exception("calibration for %s not loaded", address)
            note = f"calibration not loaded: {exc}"
        self._real_sensor = True
        self.set_source(src, "device", label=f"Sensor {src.info.name} ({address}) · "
                        f"{src.info.profile} · {src.info.sample_rate_hz:g} Hz",
                        calibration=calibration, side=side, placement=placement)
        self.message(f"connected to {address}. {note}".strip())

    def _placement(self) -> str:
        """Where the selected drill wants the sensor (shank or foot)."""
        from trainer.drills import CatalogError, get_drill

        try:
            return str(get_drill(str(self.drill_panel.drill.currentData())).placement)
        except CatalogError:
            return "shank"

    def disconnect_source(self) -> None:
        self._stop_live()
        self.source_label.setText("no source")
        self.source_label.setStyleSheet(f"color: {theme.MUTED};")
        self.message("disconnected")

    def start_scan(self) -> None:
        def work() -> None:
            try:
                result: object = scan_devices()
            except SourceError as exc:
                result = str(exc)
            except Exception as exc:  # never let a worker thread die silently
                log.exception("scan failed")
                result = f"scan failed: {exc}"
            self.scan_finished.emit(result)

        threading.Thread(target=work, name="ble-scan", daemon=True).start()
        self.message("scanning for sensors…")

    def _on_scan_finished(self, result: object) -> None:
        if isinstance(result, str):
            self.device_panel.scan_failed()
            self.device_panel.set_state("disconnected")
            self.message(result)
            return
        devices = list(result)  # type: ignore[call-overload]
        self.device_panel.set_scan_results(devices)
        self.device_panel.set_state("disconnected")
        self.message(f"found {len(devices)} sensor(s)" if devices else "no sensors found")

    # ------------------------------------------------------------------------------ replay
    def _open_requested(self, path: str) -> None:
        if not path:
            start = str(self._sessions_dir())
            path = QFileDialog.getExistingDirectory(self, "Open a recorded session", start)
            if not path:
                return
        self.open_replay(path)

    def open_replay(self, path: str, speed: float = 1.0) -> bool:
        try:
            src, session = replay_source(path, speed, self.clock)
        except SourceError as exc:
            self.message(f"cannot replay: {exc}")
            return False
        meta = session.meta
        drill = (meta.get("drill") or {}).get("id", "?")
        self._real_sensor = False
        self.set_source(src, "replay", label=f"Replay · {Path(path).name} · {drill} "
                        f"({session.side})", session=session, calibration=session.calibration,
                        placement=session.placement, side=session.side,
                        drill_id=session.drill_id)
        self.replay_panel.set_position(0.0, session.duration_s)
        self.replay_panel.set_speed(speed)
        self._replay_keyframes()  # start building them now, in the background
        self._remember_recent(str(Path(path).resolve()))
        note = " (recovered after a crash)" if session.status == "recovered" else ""
        self.message(f"replaying {Path(path).name}{note}")
        return True

    def set_playing(self, on: bool) -> None:
        src = self.live.source if self.live is not None else None
        if src is None or self.source_kind != "replay":
            return
        if on and src.finished:
            self.seek(0.0)  # play again from the start, like a video player
        (src.resume if on else src.pause)()  # type: ignore[attr-defined]
        self.replay_panel.set_playing(on)

    def set_replay_speed(self, speed: float) -> None:
        if self.live is not None and self.source_kind == "replay":
            self.live.source.set_speed(speed)  # type: ignore[attr-defined]

    def _replay_keyframes(self) -> PipelineKeyframes[PipelineLike]:
        """Keyframes of the pipeline over the replayed session (built in a background thread
        from the first call: ``open_replay`` calls it), so a seek processes ≤ 20 s of samples."""
        kf: PipelineKeyframes[PipelineLike] | None = getattr(self, "_keyframes", None)
        if kf is None or kf.session is not self.session or self.live is None:
            if kf is not None:
                kf.close()
            assert self.live is not None and self.session is not None
            kf = PipelineKeyframes(self.session, self.live.session.new_pipeline)
            self._keyframes = kf
        return kf

    def seek(self, position_s: float) -> None:
        """Jump to ``position_s`` from the start: the pipeline state there is a keyframe's
        (see ``trainer.recording.keyframes``) advanced to the position, so what follows equals
        the uninterrupted replay."""
        if self.live is None or self.source_kind != "replay" or self.session is None:
            return
        src = self.live.source
        position_s = float(np.clip(position_s, 0.0, self.session.duration_s))
        try:
            src.seek(position_s)  # type: ignore[attr-defined]
            self.live.reset_view()
            t_abs = self.session.start_t_s + position_s
            pipe, out = self._replay_keyframes().restore(position_s, lead_s=self.window_s)
            self.live.session.pipeline = pipe
            if out is not None:
                self.live.ingest(out)
            for e in self.session.events_of("balance_loss"):
                if e.get("t_s") is not None and float(e["t_s"]) <= t_abs:
                    self.live.add_loss(float(e["t_s"]))
        except Exception as exc:
            log.exception("seek to %.2f s failed", position_s)
            self.message(f"seek failed: {exc}")
            return
        self.replay_panel.set_position(position_s, self.session.duration_s)
        self._dirty = True
        self._last_metrics = 0.0

    def replay_events(self) -> list[dict[str, Any]]:
        if self.session is None:
            return []
        return [e for e in self.session.events if e.get("t_s") is not None]

    def jump_event(self, direction: int) -> None:
        """Go to the next/previous recorded event, landing ``EVENT_PRE_ROLL_S`` before it."""
        if self.live is None or self.session is None:
            return
        pos = float(self.live.source.position_s)  # type: ignore[attr-defined]
        t0 = self.session.start_t_s
        times = sorted({float(e["t_s"]) - t0 for e in self.replay_events()})
        ref, at_chapter = pos, False
        if self._jumped_to is not None and abs(pos - (self._jumped_to - EVENT_PRE_ROLL_S)) < 0.6:
            ref, at_chapter = self._jumped_to, True  # step relative to the event we jumped to
        if direction > 0:
            nxt = [t for t in times if t > ref + 1e-3]
            target = nxt[0] if nxt else None
        else:
            limit = ref - 1e-3 if at_chapter else ref - EVENT_PRE_ROLL_S
            prv = [t for t in times if t < limit]
            target = prv[-1] if prv else None
        if target is None:
            self.message("no later event" if direction > 0 else "no earlier event")
            return
        self.seek(max(0.0, target - EVENT_PRE_ROLL_S))
        self._jumped_to = target
        kinds = sorted({str(e.get("type")) for e in self.replay_events()
                        if abs(float(e["t_s"]) - t0 - target) < 1e-6})
        self.message(f"event at {target:.1f} s: {', '.join(kinds)}")

    # ------------------------------------------------------------------------------ drills
    def drill_active(self) -> bool:
        return self.drill is not None and self.drill.outcome is None

    def start_drill(self, settings: DrillSettings) -> None:
        """Run a guided drill in its own training session (``trainer.training``, as `record`):
        a fresh pipeline configured from the drill, the guide at the user's level, the
        recording from its first sample. The simulated person does the chosen drill."""
        if self.live is None:
            self.message("connect a sensor or start the simulator first")
            return
        if self.drill_active():
            return
        if self.source_kind == "replay":
            self.message("a replay is read-only: its drill is the recorded one")
            return
        from trainer.training.session import TrainingError

        placement = self.placement_choice or self._drill_placement(settings.drill_id)
        if placement is None:
            return
        try:
            out = new_session_dir(settings.drill_id, settings.side) if settings.record else None
            plan = plan_for(settings, out=out, target_radius_deg=self.feedback.target_radius_deg,
                            countdown_s=self.countdown_s, placement=placement)
            # the placement was settled just above (with a third answer: "moved")
            if not self.settle_checks(plan, real_sensor=self._real_sensor, skip=("placement",)):
                return
            session = self._drill_session(plan)
        except (TrainingError, SourceError, OSError) as exc:
            self.message(f"cannot start the drill: {exc}")
            return
        self.drill = session
        self.schedule = FadingSchedule(self.feedback.mode, 1.0)
        self._summary = {}
        self._follow_leg(plan.side, session.placement)
        self.drill_panel.set_running(True)
        if session.recording:
            self.recording_path = session.path
            self._recording_t0 = self.clock()
            self.rec.set_recording(True, 0.0, str(session.path))
            self.status_rec.setText(f"recording to {session.path}")
        self._show_drill_view()

    def choose_drill(self, *, drill: str | None = None, side: str | None = None,
                     placement: str | None = None, eyes: str | None = None,
                     surface: str | None = None) -> None:
        """Preset the drill panel (``dashboard --drill … --side …``); ``placement`` overrides the
        drill's own for the next drills."""
        self.drill_panel.choose(drill=drill, side=side, eyes=eyes, surface=surface)
        if placement is not None:
            self.placement_choice = placement

    def _drill_session(self, plan: TrainingPlan) -> TrainingSession:
        """The drill's training session, started and shown. A simulated sensor is restarted for
        the drill (its person follows the guide, as in `record --simulate`); a sensor goes on
        streaming into the new session."""
        from trainer.training.session import (
            TrainingSession,
            drill_guide,
            follow_guide,
            stored_calibration,
        )

        live = self.live
        assert live is not None
        if self.source_kind == "simulated":
            guide = drill_guide(plan, self._nominal_hz)
            src = follow_guide(simulated_source(
                self._nominal_hz, drill_id=plan.drill_id, side=plan.side,
                placement=plan.placement, eyes=str(plan.choices.get("eyes") or "open"),
                surface=str(plan.choices.get("surface") or "firm"), sim=self.sim,
                clock=self.clock), guide)
            calibration, _ = stored_calibration(src.info, side=plan.side,
                                                placement=plan.placement or guide.placement)
            session = TrainingSession(src, plan, guide=guide, calibration=calibration,
                                      pipeline_factory=self._pipeline_override)
            session.start()  # may raise: the preview keeps streaming then
            live.source.stop()  # the preview's simulated person
        else:
            session = TrainingSession(live.source, plan, calibration=self._calibration,
                                      source_started=True, update_progress=self._real_sensor
                                      or None, pipeline_factory=self._pipeline_override)
            session.start()
        live.begin(session)
        return session

    def _drill_placement(self, drill_id: str) -> str | None:
        """Where the drill is measured: where the sensor is when it can measure the drill there
        (one strap on the shank serves balance, calf raises and the stretch), else the drill's
        own placement once the person has moved the sensor; None: cancelled. Asks before the
        drill starts (``trainer.drills.placement``)."""
        from trainer.drills import get_drill
        from trainer.drills.placement import placement_check

        spec = get_drill(drill_id)
        here = self._source_placement
        if self.source_kind == "simulated" or placement_check(spec, here).measurable:
            return here if self.source_kind != "simulated" else str(spec.placement)
        answer = self.ask_placement(placement_check(spec, here).message, spec.placement)
        if answer == "moved":
            return str(spec.placement)
        return here if answer == "continue" else None

    def ask_placement(self, message: str, needed: str) -> str:
        """The pre-start dialog: "moved" (the sensor is now on ``needed``), "continue" (train
        unmeasured) or "cancel"."""
        box = QMessageBox(QMessageBox.Icon.Information, "Sensor placement", message,
                          parent=self)
        moved = box.addButton(f"Sensor is on the {needed} now", QMessageBox.ButtonRole.AcceptRole)
        go_on = box.addButton("Continue without measurement", QMessageBox.ButtonRole.ActionRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return "moved" if clicked is moved else "continue" if clicked is go_on else "cancel"

    def _follow_leg(self, side: str, placement: str) -> None:
        """Plots and sound follow the drill's leg (the tilt convention depends on it)."""
        if (side, placement) == (self._source_side, self._source_placement):
            return
        self._source_side, self._source_placement = side, placement
        self.sway.set_side(side)
        self.sonify = replace(self.sonify, ml_sign=self.sway.ml_screen_sign)
        self.message(f"tilt now for the {side} {placement}")

    def settle_checks(self, plan: TrainingPlan | None, *, real_sensor: bool,
                      skip: tuple[str, ...] = ()) -> bool:
        """The pre-start checks (``trainer.training.checks``), asked in dialogs; False: do not
        start (the reason is on the status bar)."""
        from trainer.training.checks import SCREENING, pre_start_checks

        try:
            checks = [c for c in pre_start_checks(plan, real_sensor=real_sensor)
                      if c.id not in skip]
        except (OSError, ValueError) as exc:
            log.exception("pre-start checks failed")
            self.message(f"not started: the safety answers cannot be read: {exc}")
            return False
        for check in checks:
            ok = (self.ask_screening(check) if check.kind == SCREENING
                  else self.ask_confirm(check))
            if not ok:
                self.message(f"not started: {check.message}", 20000)
                return False
        return True

    def _ask_screening(self, check: Any) -> bool:
        from trainer.ui.safety_dialog import ask_screening

        return ask_screening(self, check.message)

    def _ask_confirm(self, check: Any) -> bool:
        answer = QMessageBox.question(self, "Before you start", check.message)
        return answer == QMessageBox.StandardButton.Yes

    def stop_drill(self) -> None:
        """The user stops early: the recording stops, the drill asks for the pain rating."""
        session = self.drill
        if session is None or not self.drill_active() or session.drill_over:
            return
        if session.phase == "ready":  # not a sample yet: nothing began, nothing to rate
            self._drill_done(aborted=True, reason="stopped")
            return
        session.stop_recording("stopped")
        self._drill_events(session.stop_drill())

    def rate_pain(self, rating: int) -> None:
        session = self.drill
        if session is None or not self.drill_active() or session.phase != PAIN:
            return
        self._drill_events(session.rate_pain(int(rating)))

    def skip_pain(self) -> None:
        session = self.drill
        if session is None or not self.drill_active() or session.phase != PAIN:
            return
        self._drill_events(session.skip_pain())

    def abort_drill(self, reason: str = "stopped") -> None:
        """Source switched or window closed mid-drill: the session ends as `record` ends on
        Ctrl-C (pain skipped), the recording is complete with its summary."""
        if not self.drill_active():
            return
        self._drill_done(aborted=True, reason=reason)

    def _drill_events(self, events: list[Any], finishing: bool = False) -> None:
        live = self.live
        done = False
        cues: list[str] = []
        for ev in events:
            if ev.type == "cue":
                cues.append(str(ev.data.get("text", "")))
                level = ev.data.get("level", "info")
                colour = theme.LOSS_COLOUR if level == "warning" else theme.FG
                self.cue.show_cue(str(ev.data.get("text", "")), colour)
                if level == "warning":
                    self._loss_flash_until = self.clock() + 2.0
            elif ev.type == "beep":
                # drill cues by ear (eyes-closed drills); independent of the feedback fading
                if self.audio is not None and self.audio.playing and self.feedback.audio:
                    self.audio.synth.beep(str(ev.data.get("kind", "tick")))
            elif ev.type == "balance_loss" and live is not None:
                live.add_loss(float(ev.t_s))
                self.message(f"balance loss at {float(ev.t_s):.1f} s")
            elif ev.type == "phase" and not finishing:
                phase = ev.data.get("phase")
                if phase == PAIN:
                    self._ask_pain()
                elif phase == DONE:
                    done = True
        if done:
            self._drill_done()  # the summary replaces the last cue on the banner
            if cues:  # e.g. the advice for the pain rating, then what it means for the level
                note = self.drill.outcome.progress_note if self.drill and self.drill.outcome \
                    else None
                self.message(" ".join(cues) + (f" — {note}" if note else ""), 20000)
        self._dirty = True

    def _ask_pain(self) -> None:
        session = self.drill
        if session is None or session.drill is None:
            return
        session.stop_recording("drill done" if not session.drill.stopped else "stopped")
        if not session.asks_pain:  # stopped before a set began: nothing to rate
            self._drill_events(session.skip_pain())
            return
        view = session.drill.view()
        q = (view.get("pain_scale") or {}).get("question")
        self.drill_panel.show_pain(True, q)
        self.cue.show_cue("How much pain? Tap 0–10", theme.ML_COLOUR)

    def _show_drill_view(self) -> None:
        """Cue banner and progress from the drill session's view (a few times a second)."""
        if self.drill is None or not self.drill_active() or self.drill.drill is None:
            return
        guide = self.drill.drill
        v = guide.view()
        phase = v.get("phase")
        self.proprio.setVisible(bool(v.get("proprio")))
        self.proprio.show_view(v.get("proprio"))
        n_sets = v.get("n_sets") or 1
        k = v.get("set") or 0
        left = v.get("remaining_s")
        text = f"set {k}/{n_sets}" if k else ""
        if left is not None:
            text += f" · {left:.0f} s left"
        if v.get("reps") is not None:
            text += f" · {v['reps']}/{v.get('target_reps') or '?'} reps"
        self.drill_panel.set_progress(progress(guide), text)
        if self.clock() < self._loss_flash_until or phase == PAIN:
            return
        if phase in ("countdown", "ready"):  # ready: until the drill's first sample arrives
            self.cue.show_cue(f"Get ready… {v.get('countdown') or ''}", theme.ML_COLOUR)
        elif phase == "rest":
            self.cue.show_cue(f"Rest — next set in {left or 0:.0f} s", theme.AP_COLOUR)
        elif phase == ACTIVE:
            cue = str(v.get("cue") or self.drill.spec.name)
            if v.get("reps") is not None:
                cue = f"{cue} — {v['reps']}/{v.get('target_reps') or '?'}"
            self.cue.show_cue(cue)

    def _drill_done(self, aborted: bool = False, reason: str = "drill done") -> None:
        session = self.drill
        if session is None or session.outcome is not None:
            return
        outcome = session.finish(reason, stop_source=False)
        summary = outcome.summary
        self._summary = summary
        for err in outcome.errors:
            log.error("drill session: %s", err)
            self.message(err)
        live = self.live
        if live is not None and live.session is session:
            # the stream goes on (preview) in a free session on the same source
            live.begin(free_session(session.source, drill_id=session.plan.drill_id,
                                    side=session.plan.side, placement=session.placement,
                                    calibration=session.calibration,
                                    pipeline_factory=self._pipeline_override,
                                    source_started=True), keep_view=True)
        self.drill_panel.set_running(False)
        if self.rec.recording:
            self.rec.set_recording(False)
            self.status_rec.setText("")
        guide = session.drill
        parts = ["Stopped" if aborted or (guide is not None and guide.stopped) else "Done!"]
        area = summary.get("ellipse_area")
        pct = summary.get("time_in_target_pct")
        if area is not None:
            parts.append(f"area {area:.1f} °²")
        if pct is not None:
            parts.append(f"in target {pct:.0f} %")
        if session.spec.kind == "balance":
            parts.append(f"losses {summary.get('losses', 0)}")
        result = summary.get("result") or {}
        if result.get("reps") is not None:
            parts.append(f"reps {result['reps']}")
        self.cue.show_cue(" · ".join(parts), theme.TARGET_COLOUR)
        note = f" {outcome.progress_note}" if outcome.progress_note else ""
        self.message("drill finished" + (f", saved to {outcome.path}" if outcome.path else "")
                     + ("." + note if note else ""), 20000)
        if aborted:
            self.drill = None
        self.history.request_reload()

    # ------------------------------------------------------------------------------ recording
    def _sessions_dir(self) -> Path:
        from trainer.paths import sessions_dir

        return sessions_dir()

    # ------------------------------------------------------------------------------ feedback
    def apply_feedback_settings(self, fb: FeedbackSettings) -> None:
        old = self.feedback
        self.feedback = fb
        if fb.target_radius_deg != old.target_radius_deg:
            if self.live is not None:
                self.live.target_radius_deg = fb.target_radius_deg
            self.sway.set_target(fb.target_radius_deg)
            self.time_plots.set_target(fb.target_radius_deg)
        if fb.range_deg != old.range_deg:
            self.sway.set_range(fb.range_deg)
            self.time_plots.set_tilt_range(fb.range_deg)
        if not self._drill_in_set():
            self.schedule = FadingSchedule(fb.mode, 1.0)
        if self.audio is not None:
            if fb.audio and not self.audio.start():
                self.feedback_panel.set_audio_unavailable(self.audio.reason)
                self.message(f"no sound: {self.audio.reason}")
            elif not fb.audio:
                self.audio.stop()
        self._dirty = True

    def _drill_in_set(self) -> bool:
        return self.drill_active() and self.drill is not None and self.drill.phase == ACTIVE

    def _feedback_now(self, zone: Zone) -> FeedbackNow:
        guide = self.drill.drill if self.drill is not None else None
        active = self._drill_in_set() and guide is not None
        return feedback_now(self.schedule, zone, drill_active=active,
                            progress=progress(guide) if active else 0.0)

    # ------------------------------------------------------------------------------ the frame
    def tick(self) -> None:
        """One frame: pump, react to status/events, advance the drill, redraw. Never raises."""
        try:
            self._tick()
        except Exception as exc:  # a bug must not freeze or kill the dashboard: logged, shown
            log.exception("internal error in the frame (kept running)")
            self.message(f"internal error (kept running, see {log_hint()}): "
                         f"{type(exc).__name__}: {exc}")

    def _tick(self) -> None:
        now = self.clock()
        live = self.live
        self.lsl.sync(live.session if live is not None else None)
        if live is not None:
            res = live.pump()
            for err in res.errors:
                self.message(err)
                self.device_panel.set_state("error")
            for st in res.statuses:
                self.status_received.emit(st)
            for ev in res.events:
                self._on_pipeline_event(ev, now)
            if res.drill_events:
                self._drill_events(res.drill_events)
            if res.n_new:
                self._dirty = True
            if live.running and live.source.finished and self.source_kind == "replay":
                self.replay_panel.set_playing(False)
            if res.done in ("duration", "source finished") and self.drill_active():
                self._drill_done(reason=res.done)
        if self.drill is not None and now - self._last_view >= 0.1:
            self._last_view = now
            self._show_drill_view()
        if self.rec.recording:
            self.rec.set_recording(True, now - self._recording_t0, str(self.recording_path))
        if self._dirty:
            self.redraw(now)
            self._dirty = False
        if live is not None and now - self._last_link >= LINK_EVERY_S:
            self._last_link = now
            loss = (self._device_loss_pct if self._device_loss_pct is not None
                    else live.link.loss_pct)
            self.device_panel.set_link(live.link.rate_hz(self.clock()), self._nominal_hz,
                                       loss)
            if self.source_kind == "replay":
                src = live.source
                self.replay_panel.set_position(float(src.position_s),  # type: ignore[attr-defined]
                                               float(src.duration_s))  # type: ignore[attr-defined]

    def redraw(self, now: float | None = None) -> None:
        now = self.clock() if now is None else now
        self.frames += 1
        live = self.live
        if live is None:
            return
        rows = live.ring.view()
        self.time_plots.update(rows, live.losses_t_s)
        if rows.shape[0] == 0:
            self.sway.update_dot(None, None, Zone.INSIDE, False)
            return
        n_trace = int(self.trace_s * live.sample_rate_hz)
        trace = rows[-n_trace:]
        self.sway.update_trace(trace[:, AP], trace[:, ML])
        ap, ml = float(rows[-1, AP]), float(rows[-1, ML])
        zone = zone_of(ap, ml, self.feedback.target_radius_deg)
        fb = self._feedback_now(zone)
        if fb.summary_only:
            self.sway.update_dot(None, None, zone, False)
        else:
            self.sway.update_dot(ap, ml, zone, fb.show and self.feedback.visual)
        self._update_audio(ap, ml, fb.show)
        if now - self._last_metrics >= METRICS_EVERY_S:
            self._last_metrics = now
            self._update_metrics(trace, rows, now)

    def _update_audio(self, ap: float, ml: float, show: bool) -> None:
        if self.audio is None or not self.audio.playing:
            return
        if not (show and self.feedback.audio):
            self.audio.synth.silence()
            return
        f, p, g = map_tilt(ap, ml, self.sonify)
        self.audio.synth.set_target(float(f), float(p), float(g))

    def _current_metrics(self) -> dict[str, Any]:
        live = self.live
        out: dict[str, Any] = {}
        if live is None:
            return out
        m = live.update_metrics()
        for key in ("ellipse_area", "mean_velocity", "rms", "path_length"):
            if key in m and m[key] is not None and np.isfinite(m[key]):
                out[key] = float(m[key])
        if live.in_target_total:
            out["time_in_target_pct"] = 100.0 * live.in_target_count / live.in_target_total
        out["losses"] = float(len(live.losses_t_s))
        if self.drill is not None and self.drill_active():
            pct = self.drill.sway.in_target_pct()
            if pct is not None:
                out["time_in_target_pct"] = pct
        return out

    def _update_metrics(self, trace: Any, rows: Any, now: float) -> None:
        assert self.live is not None
        values: dict[str, Any] = dict(self._current_metrics())
        guide = self.drill.drill if self.drill is not None and self.drill_active() else None
        view = guide.view() if guide is not None else {}
        values["time_left_s"] = view.get("remaining_s")
        self.metrics.set_values(values)
        ell = prediction_ellipse(self.sway.ml_screen_sign * trace[:, ML], trace[:, AP])
        self.sway.update_ellipse(ell)
        # loss markers on the sway view: the tilt at each loss still in the buffer
        if self.live.losses_t_s:
            t = rows[:, T]
            lt = np.asarray(self.live.losses_t_s)
            lt = lt[(lt >= t[0]) & (lt <= t[-1])]
            idx = np.clip(np.searchsorted(t, lt), 0, len(t) - 1)
            self.sway.update_losses(rows[idx, AP].tolist(), rows[idx, ML].tolist())
        else:
            self.sway.update_losses([], [])

    def _on_pipeline_event(self, ev: dict[str, Any], now: float) -> None:
        kind = str(ev.get("type", ""))
        if self.drill is not None and self.drill.spec.kind in ("position-sense", "lunge"):
            return  # the foot or shank moves on purpose: no balance to lose
        if kind in ("balance_loss", "loss", "balance-loss"):
            self._stream_losses += 1
            self.cue.show_cue("Balance lost!", theme.LOSS_COLOUR)
            self._loss_flash_until = now + 2.0
            self.message(f"balance loss at {float(ev.get('t_s') or 0):.1f} s")

    # ------------------------------------------------------------------------------ status
    def _on_status(self, st: SourceStatus) -> None:
        view = present(st, self.source_kind)
        dp = self.device_panel
        if view.battery_given:
            dp.set_battery(view.battery_pct)
        if view.rssi_given:
            dp.set_rssi(view.rssi_dbm)
        if view.loss_pct is not None:
            self._device_loss_pct = view.loss_pct
        if view.state is not None:
            dp.set_state(view.state)
        if view.message:
            self.message(view.message, view.message_ms)

    # ------------------------------------------------------------------------------ misc
    def message(self, text: str, timeout_ms: int = 8000) -> None:
        self.statusBar().showMessage(text, timeout_ms)

    def add_marker(self) -> None:
        """A user marker in the recording (M): 'something happened here' for the replay."""
        if self.live is None or self.live.recorder is None or self.live.latest_t_s is None:
            self.message("markers go into a recording: start a drill with recording on")
            return
        self._markers += 1
        session = self.live.session
        try:
            session.user_event("marker", t_s=self.live.latest_t_s, label=f"marker {self._markers}")
        except Exception as exc:
            log.exception("marker not recorded")
            self.message(f"marker not recorded: {exc}")
            return
        self.message(f"marker {self._markers} at {self.live.latest_t_s:.1f} s")

    def user_touchdown(self) -> None:
        """T: the person (or the clinician) marks "the lifted foot touched down": stored as a
        ``user_touchdown`` event; it ends the trial's stance time and steady-state sway, and the
        report compares it with the automatic detection."""
        if self.live is None or self.live.latest_t_s is None:
            self.message("touchdown marks need a running sensor")
            return
        t = float(self.live.latest_t_s)
        try:  # into the recording, and the session's per-trial sway ends the trial there
            self.live.session.user_event("user_touchdown", t_s=t)
        except Exception as exc:
            log.exception("touchdown not recorded")
            self.message(f"touchdown not recorded: {exc}")
            return
        self.message(f"touchdown marked at {t:.1f} s")

    def space_pressed(self) -> None:
        """Space: play/pause a replay; "there" while reproducing a joint position; otherwise
        start or stop the drill."""
        if (self.drill is not None and self.drill_active() and self.drill.phase == ACTIVE
                and self.drill.spec.kind == "position-sense"):
            self._drill_events(self.drill.there())
            return
        if self.source_kind == "replay":
            self.replay_panel.play_button.click()
        elif self.drill_panel.start_button.isEnabled():
            self.drill_panel.start_button.click()

    def _tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.history:
            self.history.ensure_loaded()

    def _load_recent(self) -> None:
        value = self.settings_store.value("recent_sessions", [])
        paths = [str(v) for v in (value if isinstance(value, list) else [value]) if v]
        self._set_recent(paths)

    def _remember_recent(self, path: str) -> None:
        value = self.settings_store.value("recent_sessions", [])
        paths = [str(v) for v in (value if isinstance(value, list) else [value]) if v]
        paths = [path] + [p for p in paths if p != path]
        paths = paths[:MAX_RECENT]
        self.settings_store.setValue("recent_sessions", paths)
        self._set_recent(paths)

    def _set_recent(self, paths: list[str]) -> None:
        self.replay_panel.set_recent(paths)
        self.recent_menu.clear()
        for p in paths:
            act = QAction(Path(p).name, self)
            act.triggered.connect(lambda _c=False, p=p: self.open_replay(p))
            self.recent_menu.addAction(act)
        self.recent_menu.setEnabled(bool(paths))

    def open_calibration(self) -> None:
        try:
            from trainer.ui import calibration_wizard  # type: ignore[attr-defined]
        except ImportError:
            self.message("the calibration wizard is not available yet; use "
                         "`balance-trainer calibrate`")
            return
        cls = getattr(calibration_wizard, "CalibrationWizard", None)
        if cls is None:
            self.message("the calibration wizard is not available")
            return
        address = None
        if self.live is not None and self.source_kind == "device":
            address = self.live.source.info.address
        try:
            self._wizard = cls(parent=self, address=address,
                               side=self.drill_panel.side.currentText(),
                               placement=self._placement())
            self._wizard.profile_saved.connect(
                lambda _p: self.message("calibration saved; reconnect the sensor to apply it"))
            self._wizard.show()
        except Exception as exc:
            self.message(f"calibration wizard failed: {exc}")

    def closeEvent(self, event: QCloseEvent) -> None:
        self._closing = True
        self.timer.stop()
        self._stop_live("window closed")
        self.lsl.close()
        if self.audio is not None:
            self.audio.stop()
        self.history.shutdown()
        super().closeEvent(event)

    def drill_state(self) -> str:
        return "idle" if self.drill is None else self.drill.phase

