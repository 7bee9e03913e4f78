"""Session directories (format v1): writer, crash-safe reader, CSV import/export, replay.

Public API: :class:`SessionWriter`, :func:`open_session`, :func:`recover_session`,
:class:`Session`, :class:`SessionError` (and ``ReplaySource`` in ``trainer.recording.replay``,
CSV in ``trainer.recording.csvio``).
"""

from trainer.recording.errors import SessionError
from trainer.recording.reader import Session, open_session, recover_session
from trainer.recording.writer import SessionWriter

__all__ = ["Session", "SessionError", "SessionWriter", "open_session", "recover_session"]
