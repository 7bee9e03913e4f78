"""BleSource: a BLE IMU as a :class:`~trainer.vocab.source.Source`.

One worker thread runs its own asyncio loop with bleak (never the GUI's loop: QtAsyncio cannot
run bleak's D-Bus backend and qasync would tie BLE timing to the GUI). The thread scans for the
address, connects (``bleak-retry-connector``), runs the profile's start script, and decodes every
notification in the callback into a thread-safe :class:`~trainer.vocab.source.BatchBuffer`;
consumers ``read()`` from any thread.

On link loss it keeps going: status ``lost``, reconnect with exponential backoff (0.5 s … 5 s),
re-run the start script, ``restored``; the decoder marks the outage as a ``gap`` on the session
clock, so nothing recorded before it is lost and the hole is visible. Statuses include periodic
``link`` snapshots (:class:`~firmware_bridge.ble.link_stats.LinkStats`) for ``events.jsonl``.

``stop()`` stops streaming (best effort), disconnects, closes bleak's D-Bus connections, closes the
loop and joins the thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from firmware_bridge.ble.address import is_ble_address
from firmware_bridge.ble.errors import explain, is_fatal
from firmware_bridge.ble.link_stats import LinkStats, LinkStatsTracker
from firmware_bridge.profiles import (
    Advertisement,
    DeviceProfile,
    ProfileError,
    make_profile,
    match_profile,
)
from firmware_bridge.profiles.base import DecodeOutput, Decoder
from trainer.vocab.batch import SampleBatch
from trainer.vocab.source import BatchBuffer, SourceInfo, SourceStatus

log = logging.getLogger(__name__)
# statuses the recorder keeps in events.jsonl get the current link statistics attached
_MAX_PAIRS = 20_000  # clock pairs kept for a SensorSet (minutes of notifications)
_WITH_LINK = frozenset({"lost", "restored", "gap", "battery"})


class BleConnectError(RuntimeError):
    """The sensor could not be connected (one line, says what to do)."""


def connect_source(
    address: str,
    profile: DeviceProfile | str | None = None,
    *,
    rate_hz: float | None = None,
    timeout_s: float = 30.0,
    first_data_s: float = 5.0,
    **kwargs: Any,
) -> BleSource:
    """A started BleSource whose first connection is up (so ``info`` names the profile and
    rate), or :class:`BleConnectError`. Waits up to ``first_data_s`` more for the first samples
    (the start-up rate check), so ``info.sample_rate_hz`` is the stream's real rate. Used by
    ``record --device``."""
    if not is_ble_address(address):
        raise BleConnectError(
            f"not a Bluetooth address: {address!r} (expected AA:BB:CC:DD:EE:FF; "
            "`balance-trainer scan` lists nearby sensors)"
        )
    try:
        src = BleSource(address, profile, rate_hz=rate_hz, **kwargs)
    except ProfileError as exc:
        raise BleConnectError(str(exc)) from None
    src.start()
    if not src.wait_connected(timeout_s):
        src.stop()
        if src.unavailable:
            raise BleConnectError(f"BLE support not available: {src.error}")
        raise BleConnectError(
            src.error or f"could not connect to {src.address} within {timeout_s:g} s"
        )
    src.wait_streaming(first_data_s)  # no data yet is not an error: the recording waits
    return src


class BleSource:
    """Streams one BLE sensor. ``profile`` is a profile instance, a profile name, or None to pick
    it from the advertisement (service UUID or name)."""

    def __init__(
        self,
        address: str,
        profile: DeviceProfile | str | None = None,
        *,
        rate_hz: float | None = None,
        name: str | None = None,
        scan_timeout_s: float = 10.0,
        connect_attempts: int = 3,
        reconnect: bool = True,
        max_backoff_s: float = 5.0,
        stats_interval_s: float = 10.0,
        battery_interval_s: float = 60.0,
        buffer: BatchBuffer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.address = address.upper()
        if isinstance(profile, str):
            profile = make_profile(profile, rate_hz)
        self.profile: DeviceProfile | None = profile
        self._rate_hz = rate_hz
        self.scan_timeout_s = scan_timeout_s
        self.connect_attempts = connect_attempts
        self.reconnect = reconnect
        self.max_backoff_s = max_backoff_s
        self.stats_interval_s = stats_interval_s
        self.battery_interval_s = battery_interval_s
        self._buffer = buffer if buffer is not None else BatchBuffer()
        self._clock = clock
        self.info = SourceInfo(
            name=name or self.address,
            address=self.address,
            profile=profile.name if profile else "auto",
            # until the advertisement names the profile: the requested or the usual rate
            sample_rate_hz=profile.rate_hz if profile else float(rate_hz or 100.0),
        )
        self._stats = LinkStatsTracker(self.address, self.info.profile, self.info.sample_rate_hz)
        self._decoder: Decoder | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._connected_once = threading.Event()
        self._streaming_once = threading.Event()
        self._ready = threading.Event()
        self._stopping = False
        self._finished = False
        self.error: str | None = None
        self.unavailable = False  # the Bluetooth stack itself is unusable (no adapter, off, …)
        self._last_t: float | None = None
        self._streaming = False
        self.callback_errors = 0
        self._pairs_lock = threading.Lock()
        self._pairs: tuple[list[float], list[float]] = ([], [])

    # -- Source protocol --------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name=f"ble-{self.address}", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stopping = True
        thread, loop, ev = self._thread, self._loop, self._stop_event
        if thread is None:
            return
        if loop is not None and ev is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # loop closed meanwhile
                loop.call_soon_threadsafe(ev.set)
        thread.join(timeout_s)
        if thread.is_alive():
            log.warning("BLE thread for %s did not stop within %.0f s", self.address, timeout_s)

    def read(self) -> SampleBatch:
        return self._buffer.take()

    def drain_status(self) -> list[SourceStatus]:
        return self._buffer.take_status()

    def device_time(self, batch: SampleBatch) -> np.ndarray:
        """The device's own time of each sample: its timestamp counter where the profile has
        one, else its sample counter (``seq``, gaps included) over the stamping rate — never
        the arrival-derived times a counter-less decoder stamps (a SensorSet maps this onto the
        session clock)."""
        if self.profile is not None and self.profile.has_device_clock:
            return batch.t_s
        return batch.seq.astype(np.float64) / float(self.info.sample_rate_hz)

    def take_clock_pairs(self) -> tuple[list[float], list[float]]:
        """``(t_device_s, arrival_s)`` of each notification that released samples since the
        last call (``ClockedSource``: a SensorSet maps the device clock onto the session clock)."""
        with self._pairs_lock:
            out, self._pairs = self._pairs, ([], [])
        return out

    @property
    def finished(self) -> bool:
        """True once the worker gave up (fatal error); a live source otherwise never finishes."""
        return self._finished

    # -- extras -------------------------------------------------------------------------------
    def wait_connected(self, timeout_s: float) -> bool:
        """Block until the first connection is up (True) or failed for good / timed out."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._connected_once.is_set():
                return True
            if self._finished:
                return False
            time.sleep(0.02)
        return self._connected_once.is_set()

    def wait_streaming(self, timeout_s: float) -> bool:
        """Block until the first samples arrived (then ``info.sample_rate_hz`` is the rate the
        stream is stamped at, which may be the sensor's own when it differs from the asked one)."""
        return self._streaming_once.wait(timeout_s)

    def link_stats(self) -> LinkStats:
        return self._stats.snapshot(self._clock())

    # -- worker thread ------------------------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as exc:  # the thread must end cleanly whatever happens
            self._fail(explain(exc))
            log.exception("BLE worker for %s crashed", self.address)
        finally:
            try:
                from firmware_bridge.ble.bluez import release_loop_resources

                loop.run_until_complete(release_loop_resources())
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for t in pending:
                    t.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()
                self._ready.set()

    def _status(self, kind: str, message: str = "", **data: Any) -> None:
        self._put_status(SourceStatus(kind, message, t_s=self._last_t, data=data))

    def _put_status(self, status: SourceStatus) -> None:
        if status.kind in _WITH_LINK:
            snap = self._stats.snapshot(self._clock()).as_dict()
            status = dataclasses.replace(status, data={**status.data, "link": snap})
        self._buffer.put_status(status)

    def _fail(self, message: str) -> None:
        self.error = message
        self._stats.update(state="error", connected=False)
        self._status("error", message)
        self._finished = True

    def _emit(self, out: DecodeOutput) -> None:
        batch = out.batch
        if batch is not None and len(batch):
            self._buffer.put(batch)
            self._stats.on_samples(len(batch), self._clock())
            self._last_t = float(batch.t_s[-1])
            if not self._streaming:
                self._streaming = True
                rate = self._decoder.rate_hz if self._decoder is not None else None
                if rate is not None and abs(rate - self.info.sample_rate_hz) > 1e-6:
                    self.info = dataclasses.replace(self.info, sample_rate_hz=rate)
                    self._stats.update(nominal_rate_hz=rate)
                self._status("streaming", f"{self.info.profile} streaming")
                self._streaming_once.set()
        if self._decoder is not None:
            st = self._decoder.stats
            self._stats.update(missing=st.missing_samples, gaps=st.gaps, malformed=st.malformed)
        for ev in out.events:
            if ev.kind == "battery":
                self._stats.update(battery=ev.data.get("percent"))
            self._put_status(ev)

    def _on_notify(self, uuid: str, data: bytes) -> None:
        """bleak's notification callback (BLE thread): decode, buffer, count."""
        arrival = self._clock()
        try:
            assert self._decoder is not None
            out = self._decoder.feed(uuid, data, arrival)
            self._stats.on_notification(arrival)
            self._emit(out)
            if out.batch is not None and len(out.batch):
                with self._pairs_lock:  # bounded: a single-sensor session never takes them
                    t_dev, arrivals = self._pairs
                    if len(t_dev) >= _MAX_PAIRS:
                        del t_dev[: _MAX_PAIRS // 2], arrivals[: _MAX_PAIRS // 2]
                    t_dev.append(float(self.device_time(out.batch)[-1]))
                    arrivals.append(arrival)
        except Exception:  # a decoder bug must not kill the link
            self.callback_errors += 1
            log.exception("notification callback failed")

    async def _main(self) -> None:
        self._stop_event = asyncio.Event()
        stop = self._stop_event
        self._ready.set()
        failures = 0
        ever_connected = False
        while not stop.is_set() and not self._stopping:
            self._status("reconnecting" if ever_connected else "connecting", self.address,
                         attempt=failures + 1)
            self._stats.update(state="reconnecting" if ever_connected else "connecting")
            session: tuple[Any, Any, asyncio.Event] | None = None
            try:
                session = await self._connect()
                if session is None:  # stopped while connecting
                    break
                client, io, disconnected = session
                self._stats.link_up(self._clock(), reconnect=ever_connected)
                self._status("restored" if ever_connected else "connected",
                             f"{self.info.profile} {self.address}")
                ever_connected = True
                failures = 0
                self._connected_once.set()
                await self._stream(io, disconnected)
                if stop.is_set():
                    await self._shutdown(io, client)
                    break
                self._link_lost()
                await self._disconnect(client)  # releases the client's D-Bus connection
                continue
            except ProfileError as exc:
                self._fail(str(exc))
                if session is not None:
                    await self._disconnect(session[0])
                break
            except Exception as exc:
                message = str(exc) if isinstance(exc, LookupError) else explain(exc)
                if session is not None:
                    await self._disconnect(session[0])
                if stop.is_set():
                    break
                failures += 1
                give_up = (
                    is_fatal(exc)
                    or (ever_connected and not self.reconnect)
                    or (not ever_connected and failures >= self.connect_attempts)
                )
                if give_up:
                    self.unavailable = is_fatal(exc)
                    self._fail(message)
                    break
                self._status("error", message, fatal=False)
                if ever_connected:
                    self._link_lost(already=True)
            delay = min(self.max_backoff_s, 0.5 * 2 ** (failures - 1))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
        await self._finish()

    async def _connect(self) -> tuple[Any, Any, asyncio.Event] | None:
        """Scan, connect and run the profile's start script; None if stop() came first."""
        from bleak import BleakClient
        from bleak_retry_connector import establish_connection

        from firmware_bridge.ble.bluez import BleakGattIO, ensure_bluez_checked, find_device

        await ensure_bluez_checked()
        found = await self._until_stopped(find_device(self.address, self.scan_timeout_s))
        if self._stop_event is None or self._stop_event.is_set():
            return None
        if found is None:
            raise LookupError(
                f"sensor {self.address} not found: is it switched on, charged and in range? "
                "(`balance-trainer scan` lists what is advertising)"
            )
        device, adv = found
        self._use_advertisement(adv)
        assert self.profile is not None and self._decoder is not None
        disconnected = asyncio.Event()
        client = await self._until_stopped(establish_connection(
            BleakClient, device, self.info.name,
            disconnected_callback=lambda _c: disconnected.set(), max_attempts=2,
        ))
        if client is None:
            return None
        try:
            io = BleakGattIO(client, self._on_notify)
            await self.profile.start(io, self._decoder)
        except BaseException:
            await self._disconnect(client)
            raise
        return client, io, disconnected

    async def _disconnect(self, client: Any) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.disconnect(), 5.0)

    async def _until_stopped(self, coro: Any) -> Any:
        """Await ``coro`` unless stop() comes first (then cancel it and return None)."""
        assert self._stop_event is not None
        task = asyncio.ensure_future(coro)
        stopper = asyncio.ensure_future(self._stop_event.wait())
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if task in done:
            return task.result()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        return None

    def _use_advertisement(self, adv: Advertisement) -> None:
        self._stats.update(rssi=adv.rssi)
        if self.profile is None:
            cls = match_profile(adv)
            if cls is None:
                raise ProfileError(
                    f"{self.address} ({adv.name or 'no name'}) is not a supported sensor "
                    "(see `balance-trainer scan --all`)"
                )
            self.profile = cls(self._rate_hz)
        if self._decoder is None:
            self._decoder = self.profile.make_decoder()
            named = self.info.name != self.address
            self.info = dataclasses.replace(
                self.info,
                name=self.info.name if named else (adv.name or self.address),
                profile=self.profile.name,
                sample_rate_hz=self.profile.rate_hz,
                extra={"rssi_dbm": adv.rssi, "profile_title": self.profile.title},
            )
            self._stats.update(profile=self.profile.name, nominal_rate_hz=self.profile.rate_hz)
        self._status("rssi", f"{adv.rssi} dBm", rssi_dbm=adv.rssi)

    async def _stream(self, io: Any, disconnected: asyncio.Event) -> None:
        """Run until the link drops or stop(); meanwhile report stats and battery."""
        assert self._stop_event is not None and self.profile is not None
        stop = self._stop_event
        await self._battery(io)
        next_stats = self._clock() + self.stats_interval_s
        next_battery = self._clock() + self.battery_interval_s
        while not stop.is_set() and not disconnected.is_set():
            waiters = {asyncio.ensure_future(stop.wait()),
                       asyncio.ensure_future(disconnected.wait())}
            timeout = max(0.0, min(next_stats, next_battery, self._clock() + 0.1) - self._clock())
            await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for w in waiters:
                w.cancel()
            now = self._clock()
            if self._decoder is not None:
                self._emit(self._decoder.poll(now))
            if now >= next_stats:
                next_stats = now + self.stats_interval_s
                self._emit_stats()
            if now >= next_battery and not disconnected.is_set():
                next_battery = now + self.battery_interval_s
                await self._battery(io)

    async def _battery(self, io: Any) -> None:
        assert self.profile is not None
        try:
            pct = await asyncio.wait_for(self.profile.request_battery(io), 5.0)
        except Exception as exc:  # battery is a nicety: never break the link for it
            log.debug("battery read failed: %s", exc)
            return
        if pct is not None:
            self._stats.update(battery=pct)
            self._status("battery", f"battery {pct} %", percent=pct)

    def _emit_stats(self) -> None:
        snap = self.link_stats()
        self._buffer.put_status(
            SourceStatus("link", snap.summary(), t_s=self._last_t, data=snap.as_dict())
        )

    def _link_lost(self, already: bool = False) -> None:
        if self._decoder is not None:
            self._emit(self._decoder.mark_discontinuity())
        if not already:
            self._stats.link_lost(self._clock())
            self._status("lost", f"link to {self.address} lost; reconnecting")
            self._emit_stats()
        self._streaming = False

    async def _shutdown(self, io: Any, client: Any) -> None:
        assert self.profile is not None
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.profile.stop(io), 2.0)
        await self._disconnect(client)

    async def _finish(self) -> None:
        if self._decoder is not None:
            self._emit(self._decoder.flush())
        if not self._finished:
            self._stats.update(state="stopped", connected=False)
            self._emit_stats()
            self._status("stopped", f"{self.address} stopped")
