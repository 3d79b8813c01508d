"""Time-based one-time codes (TOTP, RFC 6238) for the second factor.

The parameters are the ones every authenticator app understands: HMAC-SHA-1, 6 digits, a
new code every 30 seconds. (SHA-1's collision weakness does not touch HMAC; RFC 6238 and
ASVS 5.0 V6.5 accept it, and apps that read other algorithms from the QR code are few.)

The service keeps, per user, the secret (encrypted) and the last time step that was
accepted. :func:`check` accepts the current step and one step either side, for a phone
clock that is a little off, and refuses any step up to the last accepted one, so a code seen
over a shoulder or in a proxy log cannot be used a second time (ASVS 6.5.1)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

__all__ = ["DIGITS", "DRIFT_STEPS", "STEP_SECONDS", "check", "code_at", "new_secret", "otpauth_uri"]

STEP_SECONDS = 30
DIGITS = 6
DRIFT_STEPS = 1  # steps accepted either side of the current one (RFC 6238 section 5.2)
SECRET_BYTES = 20  # 160 bits: RFC 4226 section 4 asks for at least 128 and recommends 160


def new_secret() -> str:
    """A new shared secret: 160 random bits as base32 (32 characters, no padding), the form
    authenticator apps accept in a QR code or typed by hand."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def _key(secret: str) -> bytes:
    """The bytes of a base32 ``secret``, tolerating lowercase, spaces and missing padding
    (how people copy a secret by hand). Raises ValueError for one that is not base32."""
    text = "".join(secret.split()).upper()
    text += "=" * (-len(text) % 8)
    try:
        key = base64.b32decode(text)
    except binascii.Error as e:
        raise ValueError("the TOTP secret is not base32") from e
    if not key:
        raise ValueError("the TOTP secret is empty")
    return key


def otpauth_uri(secret: str, account: str, issuer: str = "cocflow") -> str:
    """The ``otpauth://`` URI to show as a QR code, in the Key URI format that Google
    Authenticator defined and other apps follow.

    The label is ``issuer:account``, each part percent-encoded on its own (a colon inside
    either becomes ``%3A`` so it cannot be read as the separator); the issuer is repeated as
    a parameter, as the format recommends; the algorithm, digits and period are spelled out
    so no app has to guess."""
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    query = urlencode(
        {
            "secret": "".join(secret.split()).upper().rstrip("="),
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": STEP_SECONDS,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


def _step(unix_time: float) -> int:
    if unix_time < 0:
        raise ValueError("TOTP needs a time at or after 1970-01-01")
    return int(unix_time // STEP_SECONDS)


def _code(key: bytes, step: int, digits: int) -> str:
    """HOTP (RFC 4226 section 5.3) of ``step``: HMAC-SHA-1 of the 8-byte counter, dynamic
    truncation to 31 bits, the last ``digits`` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    number = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def code_at(secret: str, unix_time: float, digits: int = DIGITS) -> str:
    """The code for ``secret`` at ``unix_time`` (seconds since 1970, UTC), zero-padded to
    ``digits`` digits (6 to 10; the tests use 8 for RFC 6238's own vectors)."""
    if not 6 <= digits <= 10:
        raise ValueError("TOTP codes have 6 to 10 digits")
    return _code(_key(secret), _step(unix_time), digits)


def check(secret: str, code: str, unix_time: float, *, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to, if it is a valid code for ``secret`` at
    ``unix_time``; None otherwise.

    Accepted: the current step and :data:`DRIFT_STEPS` either side. Refused: a step at or
    before ``last_step`` (the last step the service accepted for this user; None if never),
    so each code works once; anything that is not exactly six digits once spaces are taken
    out ("123 456" is fine). Every candidate is compared in constant time, so the time taken
    does not tell how much of a code was right. The service stores the returned step as the
    new ``last_step``."""
    typed = "".join(code.split())
    if len(typed) != DIGITS or not (typed.isascii() and typed.isdigit()):
        return None
    key = _key(secret)
    now = _step(unix_time)
    found: int | None = None
    # Current step first, so a code that (by a one-in-a-million chance) also matches a
    # neighbour is counted for now. Every candidate is computed and compared.
    for step in (now, *range(now - DRIFT_STEPS, now), *range(now + 1, now + DRIFT_STEPS + 1)):
        if step < 0:
            continue
        matches = hmac.compare_digest(_code(key, step, DIGITS), typed)
        fresh = last_step is None or step > last_step
        if matches and fresh and found is None:
            found = step
    return found
