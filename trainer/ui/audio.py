"""Audio output for the sonification: a PortAudio stream (``sounddevice``) pulling from a Synth.

PySide6-Essentials has no QtMultimedia. Everything degrades gracefully: no PortAudio library, no
output device (CI, servers) or a stream error → ``available`` is False and ``reason`` says why in
one line; the dashboard shows it and carries on silently.
"""

from __future__ import annotations

from typing import Any

from trainer.feedback import Synth


class AudioFeedback:
    def __init__(self, sample_rate_hz: float = 44100.0, block_frames: int = 512) -> None:
        self.synth = Synth(sample_rate_hz)
        self.sample_rate_hz = sample_rate_hz
        self.block_frames = block_frames
        self._stream: Any = None
        self.available = False
        self.reason = ""
        self._probe()

    def _probe(self) -> None:
        try:
            import sounddevice as sd
        except (ImportError, OSError) as exc:  # OSError: libportaudio2 missing
            self.reason = f"no PortAudio ({exc})".splitlines()[0]
            return
        try:
            sd.query_devices(kind="output")
        except Exception as exc:
            self.reason = f"no audio output device ({exc})".splitlines()[0]
            return
        self.available = True

    @property
    def playing(self) -> bool:
        return self._stream is not None

    def start(self) -> bool:
        """Open the output stream; False (and ``reason``) when it cannot."""
        if self._stream is not None:
            return True
        if not self.available:
            return False
        try:
            import sounddevice as sd

            def callback(outdata: Any, frames: int, _time: Any, _status: Any) -> None:
                outdata[:] = self.synth.render(frames)

            self._stream = sd.OutputStream(
                samplerate=self.sample_rate_hz, channels=2, dtype="float32",
                blocksize=self.block_frames, latency="low", callback=callback)
            self._stream.start()
        except Exception as exc:
            self._stream = None
            self.available = False
            self.reason = f"audio output failed ({exc})".splitlines()[0]
            return False
        return True

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception:
                pass
