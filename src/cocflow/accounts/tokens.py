"""Secrets handed out as links or tokens, and whether a stored one may still be used.

Kinds: invitation links, password-reset links, client questionnaire links (each works once)
and personal access tokens (for scripts; they work until they expire or are withdrawn).

A token is 256 random bits (:func:`new_token`), more than anyone can guess online or
offline (ASVS 5.0 V7.2.3 asks for at least 128). The database never holds the token itself,
only :func:`token_digest`, an HMAC-SHA-256 under a server key kept outside the database: a
copied database then gives no usable links, and, unlike a plain SHA-256, a digest cannot be
checked against guesses without the key. Looking a token up is then an equality lookup on
the digest column, which reveals nothing to time.

:class:`Grant` is the stored state of one token and :func:`grant_problem` says, in words for
the person who followed the link, why it can no longer be used."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = [
    "MIN_KEY_BYTES",
    "TOKEN_BYTES",
    "Grant",
    "TokenKind",
    "grant_problem",
    "new_token",
    "token_digest",
]

TOKEN_BYTES = 32  # 256 bits
MIN_KEY_BYTES = 16  # 128 bits: a shorter HMAC key would be the weak point, not the token
_PREFIX = re.compile(r"[a-z][a-z0-9]*_?")


class TokenKind(StrEnum):
    """What a token grants; the value is what the store keeps."""

    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"
    QUESTIONNAIRE = "questionnaire"
    ACCESS_TOKEN = "access_token"
    CALENDAR_FEED = "calendar_feed"

    @property
    def single_use(self) -> bool:
        """Links work once; an access token or a calendar feed's address is used again and
        again (until it expires or is withdrawn)."""
        return self not in {TokenKind.ACCESS_TOKEN, TokenKind.CALENDAR_FEED}


# What the person can do next, per kind: the end of every message of grant_problem.
_NEXT_STEP = {
    TokenKind.INVITATION: "Ask the person who invited you to send a new invitation.",
    TokenKind.PASSWORD_RESET: "Ask for a new password-reset link on the sign-in page.",
    TokenKind.QUESTIONNAIRE: "Ask the person who sent it for a new link.",
    TokenKind.ACCESS_TOKEN: "Make a new token in your account settings.",
    TokenKind.CALENDAR_FEED: "Make a new calendar address on your account page.",
}


def new_token(prefix: str = "") -> str:
    """A new secret: ``prefix`` followed by 32 random bytes in URL-safe base64 (43
    characters, fit for a link as it is).

    The prefix (lowercase letters and digits, optionally ending in ``_``, such as
    ``"cfpat_"``) says what the token is to a person or a secret scanner that finds it in
    a log or a repository; it adds no secrecy."""
    if prefix and not _PREFIX.fullmatch(prefix):
        raise ValueError(f"a token prefix is lowercase letters and digits, not {prefix!r}")
    return prefix + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(key: bytes, token: str) -> str:
    """The HMAC-SHA-256 of ``token`` under ``key``, as 64 hex characters: what the store
    keeps and looks tokens up by. ``key`` is a server secret of at least 16 bytes."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the token key must have at least {MIN_KEY_BYTES} bytes")
    return hmac.new(key, token.encode("utf-8"), hashlib.sha256).hexdigest()


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), not {value.isoformat()}")


@dataclass(frozen=True, slots=True)
class Grant:
    """The stored state of one token.

    ``expires_at``: the first instant it no longer works. ``used_at``: when a single-use
    token was used (for an access token: when it was last used, which does not end it).
    ``revoked``: withdrawn by its owner or an administrator. Times must be timezone-aware,
    so no naive local time is ever compared with UTC by mistake."""

    kind: TokenKind
    expires_at: datetime
    used_at: datetime | None = None
    revoked: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", TokenKind(self.kind))
        _require_aware("expires_at", self.expires_at)
        if self.used_at is not None:
            _require_aware("used_at", self.used_at)


def grant_problem(grant: Grant, now: datetime) -> str | None:
    """Why the token described by ``grant`` cannot be used at ``now``, in words for the
    person holding it, or None when it can.

    When several reasons hold, the one the person can least argue with is told: withdrawn,
    then already used, then expired."""
    _require_aware("now", now)
    thing = "token" if grant.kind is TokenKind.ACCESS_TOKEN else "link"
    next_step = _NEXT_STEP[grant.kind]
    if grant.revoked:
        return f"This {thing} was withdrawn. {next_step}"
    if grant.kind.single_use and grant.used_at is not None:
        return f"This {thing} was already used; each one works once. {next_step}"
    if now >= grant.expires_at:
        return f"This {thing} has expired. {next_step}"
    return None
