"""Sessions of the web face: opened by the per-launch token, kept in memory only.

The token printed by ``cocflow serve`` is exchanged once per browser for a session: a random
identifier in a cookie and a form token (CSRF) tied to it. Sessions live in the server's memory,
so stopping the server ends them all; each also ends after ``idle`` seconds without a request and
``lifetime`` seconds after it began, whichever comes first.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import HTTPConnection

__all__ = ["IDLE_SECONDS", "LIFETIME_SECONDS", "Session", "Sessions", "session_of"]

IDLE_SECONDS = 30 * 60
LIFETIME_SECONDS = 12 * 60 * 60
MIN_TOKEN_LENGTH = 32


def same(offered: str, expected: str) -> bool:
    """Whether two secrets are equal, compared in constant time (any text, not only ASCII)."""
    return hmac.compare_digest(offered.encode("utf-8"), expected.encode("utf-8"))


@dataclass(slots=True)
class Session:
    """One browser's session: ``id`` is the cookie's value, ``csrf_token`` goes in its forms."""

    id: str
    csrf_token: str
    started: float
    seen: float


class Sessions:
    """The sessions opened with one launch token."""

    def __init__(
        self,
        launch_token: str,
        *,
        idle: float = IDLE_SECONDS,
        lifetime: float = LIFETIME_SECONDS,
        limit: int = 64,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if len(launch_token) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"the launch token must be at least {MIN_TOKEN_LENGTH} characters of a random "
                "secret (secrets.token_urlsafe(32))"
            )
        self._token = launch_token
        self._idle = idle
        self._lifetime = lifetime
        self._limit = limit
        self._clock = clock
        self._open: dict[str, Session] = {}

    def open(self, offered: str) -> Session | None:
        """A new session when ``offered`` is the launch token, else None."""
        if not same(offered, self._token):
            return None
        now = self._clock()
        self._forget_expired(now)
        while len(self._open) >= self._limit:  # the oldest goes first
            del self._open[next(iter(self._open))]
        session = Session(secrets.token_urlsafe(32), secrets.token_urlsafe(32), now, now)
        self._open[session.id] = session
        return session

    def find(self, session_id: str | None) -> Session | None:
        """The live session with this id (its idle time starts again), else None."""
        if not session_id:
            return None
        session = self._open.get(session_id)
        if session is None:
            return None
        now = self._clock()
        if self._expired(session, now):
            del self._open[session_id]
            return None
        session.seen = now
        return session

    def close(self, session_id: str) -> None:
        """End a session (signing out)."""
        self._open.pop(session_id, None)

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.seen > self._idle or now - session.started > self._lifetime

    def _forget_expired(self, now: float) -> None:
        for key in [k for k, s in self._open.items() if self._expired(s, now)]:
            del self._open[key]


def session_of(connection: HTTPConnection) -> Session | None:
    """The session the launch gate found for this request (None before the gate, or outside)."""
    found = connection.scope.get("state", {}).get("session")
    return found if isinstance(found, Session) else None
