"""Open the dashboard's sources (simulator, BLE device, replay) with one-line errors.

Heavy modules are imported lazily so the window starts even when an optional part is missing.
"""

from __future__ import annotations

from typing import Any

from trainer.vocab.source import Source


class SourceError(Exception):
    """A source that cannot be opened (one line for the status bar)."""


def simulated_source(rate_hz: float = 100.0, *, seed: int = 1, side: str = "left",
                     scenario: str = "single-leg-balance", loss_rate_per_min: float = 1.5,
                     packet_loss: float = 0.0, duration_s: float | None = None) -> Source:
    """An endless simulated drill (default: single-leg stance with occasional balance losses)."""
    from firmware_bridge.simulator import SimConfig, SimulatedSource

    try:
        cfg = SimConfig(seed=seed, sample_rate_hz=rate_hz, duration_s=duration_s, side=side,
                        scenario=scenario, balance_loss_rate_per_min=loss_rate_per_min,
                        packet_loss=packet_loss)
    except ValueError as exc:
        raise SourceError(f"bad simulator settings: {exc}") from None
    return SimulatedSource(cfg)


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


def replay_source(path: str, speed: float = 1.0) -> tuple[Source, Any]:
    """(ReplaySource, Session) for a session directory."""
    from trainer.recording import SessionError, open_session

    try:
        session = open_session(path)
    except SessionError as exc:
        raise SourceError(str(exc)) from None
    except OSError as exc:
        raise SourceError(f"cannot open {path}: {exc.strerror or exc}") from None
    try:
        from trainer.recording.replay import ReplaySource  # type: ignore[import-not-found]
    except ImportError as exc:
        raise SourceError(f"replay is not available: {exc}") from None
    if session.n_samples == 0:
        raise SourceError(f"{path}: the session has no samples")
    return ReplaySource(session, speed=speed), session


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
