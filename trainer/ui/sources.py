"""Open the dashboard's sources (simulator, BLE device, replay) with one-line errors.

Heavy modules are imported lazily so the window starts even when an optional part is missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trainer.training.sources import SimSettings
from trainer.vocab.clock import Clock, wall_clock
from trainer.vocab.roles import Role
from trainer.vocab.source import Source

if TYPE_CHECKING:
    from trainer.training.sensors import Sensors

#: The dashboard's simulated person: occasional balance losses (1.5 a minute) to see them.
DEMO_SIM = SimSettings(seed=1, losses_per_min=1.5)


class SourceError(Exception):
    """A source that cannot be opened (one line for the status bar)."""


def simulated_source(rate_hz: float = 100.0, *, drill_id: str = "single-leg-balance",
                     side: str = "left", placement: str | None = None, eyes: str = "open",
                     surface: str = "firm", duration_s: float | None = None,
                     sim: SimSettings = DEMO_SIM, clock: Clock = wall_clock) -> Source:
    """An endless simulated drill (``trainer.training.sources``, as `record --simulate`; the
    dashboard's default person loses balance now and then)."""
    from trainer.training.session import TrainingError
    from trainer.training.sources import simulated_source as simulated

    try:
        return simulated(rate_hz=rate_hz, drill_id=drill_id, side=side, placement=placement,
                         eyes=eyes, surface=surface, duration_s=duration_s, sim=sim,
                         clock=clock)
    except TrainingError as exc:
        raise SourceError(f"bad simulator settings: {exc}") from None


def device_source(address: str, timeout_s: float = 30.0) -> Source:
    """A connected, streaming BLE source. BLOCKS until the first connection (up to
    ``timeout_s``): call it from a worker thread, never the GUI thread."""
    try:
        from firmware_bridge.ble.source import BleConnectError, connect_source
    except ImportError as exc:
        raise SourceError(f"Bluetooth support is not available: {exc}") from None
    try:
        return connect_source(address, timeout_s=timeout_s)
    except BleConnectError as exc:
        raise SourceError(str(exc)) from None
    except Exception as exc:
        raise SourceError(f"cannot use sensor {address}: {exc}") from None


def sensors_source(addresses: dict[Role, str], ordered: tuple[Role, ...],
                   timeout_s: float = 30.0) -> Sensors:
    """Several connected, streaming BLE sensors (``trainer.training.sensors.Sensors``), the
    first of ``ordered`` the primary. BLOCKS until all are connected (up to ``timeout_s``):
    call it from a worker thread."""
    try:
        from trainer.training.sensors import connect_sensors
    except ImportError as exc:
        raise SourceError(f"Bluetooth support is not available: {exc}") from None
    from trainer.training.session import TrainingError

    try:
        return connect_sensors(addresses, ordered, timeout_s=timeout_s)
    except TrainingError as exc:
        raise SourceError(str(exc)) from None
    except Exception as exc:
        raise SourceError(f"cannot use sensors {', '.join(addresses.values())}: {exc}") from None


def replay_source(path: str, speed: float = 1.0, clock: Clock = wall_clock
                  ) -> tuple[Source, Any]:
    """(player, Session) for a session directory: a ReplaySource, or for a session with
    several sensors a ReplayView playing them all."""
    from trainer.recording import SessionError, open_session

    try:
        session = open_session(path)
    except SessionError as exc:
        raise SourceError(str(exc)) from None
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        from trainer.recording.multi_replay import replay_sources
    except ImportError as exc:
        raise SourceError(f"replay is not available: {exc}") from None
    if session.n_samples == 0:
        raise SourceError(f"{path}: the session has no samples")
    try:  # several sensors: every one, on the session clock (a ReplayView)
        player: Any = replay_sources(session, speed, clock=clock)
        return player, session
    except SessionError as exc:
        raise SourceError(str(exc)) from None
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from None


def scan_devices(timeout_s: float = 5.0) -> list[tuple[str, str]]:
    """(address, label) of nearby supported sensors; blocking — call from a worker thread."""
    try:
        from firmware_bridge.ble import scan  # type: ignore[attr-defined]
    except ImportError as exc:
        raise SourceError(f"Bluetooth support is not available: {exc}") from None
    try:
        found = scan(timeout_s)
    except Exception as exc:
        raise SourceError(f"scan failed: {exc}") from None
    out = []
    for d in found:
        address = getattr(d, "address", None) or d["address"]
        name = getattr(d, "name", None) or (d.get("name") if isinstance(d, dict) else "") or "?"
        rssi = getattr(d, "rssi", None) if not isinstance(d, dict) else d.get("rssi")
        label = f"{address}  {name}" + (f"  {rssi} dBm" if rssi is not None else "")
        out.append((str(address), label))
    return out
