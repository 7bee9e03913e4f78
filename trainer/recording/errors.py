"""The one error type of the recording package: a session that cannot be used, in one line."""

from __future__ import annotations


class SessionError(Exception):
    """A missing, truncated, garbage or incompatible session (or import file).

    The message is one line meant for the user (the CLI prints it and exits with status 2).
    """
