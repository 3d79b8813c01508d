"""Passwords: storing them (Argon2id), checking new ones, and timing that tells nothing.

Storing. A password is kept only as an Argon2id hash made with argon2-cffi's defaults
(t=3 passes, m=64 MiB, p=4 lanes: RFC 9106's second recommended option, above OWASP's
minimum). :func:`needs_rehash` tells, after a successful sign-in, when a stored hash was made
with older parameters, so the service can store a new one while it has the password.

Normalising. Every password is NFKC-normalised before it is hashed, verified or counted
(NIST SP 800-63B 3.1.1.2), so the same password typed on two keyboards that compose "é"
differently is the same password.

Timing. Signing in as an unknown user must cost what a wrong password costs, or the time of
the answer tells which e-mail addresses have accounts. The service calls :func:`burn_time`
with the typed password when it finds no user; it verifies against :data:`DUMMY_HASH`, a hash
of a random secret made with the same parameters.

Checking a new password (:func:`password_problems`), after ASVS 5.0 V6.2 and NIST 800-63B:
at least 15 characters when the password is the only factor and 8 with a second factor;
up to 256 accepted; no composition rules ("one digit, one capital"), which make passwords
harder to remember and no harder to guess; no password from a list of the 10,000 most common
ones; no password built on a word from the account (the e-mail's name, the organisation,
"cocflow").
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Iterable
from contextlib import suppress
from functools import cache
from importlib.resources import files

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError, VerifyMismatchError

__all__ = [
    "APP_WORDS",
    "DUMMY_HASH",
    "MAX_LENGTH",
    "MIN_CONTEXT_WORD",
    "MIN_LENGTH_ALONE",
    "MIN_LENGTH_WITH_SECOND_FACTOR",
    "burn_time",
    "common_passwords",
    "hash_password",
    "needs_rehash",
    "password_problems",
    "verify_password",
]

MIN_LENGTH_ALONE = 15  # ASVS 6.2.1 / NIST 800-63B-4: a password that is the only factor
MIN_LENGTH_WITH_SECOND_FACTOR = 8  # NIST 800-63B-4: a password used with a second factor
MAX_LENGTH = 256  # ASVS 6.2.9 asks that at least 64 be allowed; beyond 256 is a paste mistake
MIN_CONTEXT_WORD = 4  # shorter account words ("jo", "abc") would refuse too many passwords
APP_WORDS = ("cocflow",)  # words every account shares: always refused inside a password

# One hasher for the process: argon2-cffi's defaults are the parameters we mean to use, and
# comparing stored hashes against a single instance is what makes needs_rehash meaningful.
_HASHER = PasswordHasher()

_DATA_FILE = "common-passwords.txt"
_WORD_BREAK = re.compile(r"[\W_]+")


def _normal(pw: str) -> str:
    """``pw`` in NFKC, the form it is hashed and counted in."""
    return unicodedata.normalize("NFKC", pw)


def _secret_bytes(pw: str) -> bytes:
    """The bytes that are hashed: NFKC, UTF-8. Lone surrogates (which some form decoders
    produce from broken input) are kept rather than made to raise, so verifying never fails
    on what a person could type or paste."""
    return _normal(pw).encode("utf-8", "surrogatepass")


def hash_password(pw: str) -> str:
    """The Argon2id hash to store for ``pw`` (salted; two calls give different strings)."""
    return _HASHER.hash(_secret_bytes(pw))


def verify_password(stored: str, pw: str) -> bool:
    """Whether ``pw`` is the password hashed in ``stored``.

    False, never an exception, for a wrong password and for a stored string that is not an
    Argon2 hash (empty, damaged, from another scheme): a sign-in form must answer "wrong
    e-mail or password" in every such case. A stored string that cannot even be tried still
    costs a verification, so it cannot be told apart by time either."""
    try:
        return _HASHER.verify(stored, _secret_bytes(pw))
    except VerifyMismatchError:
        return False
    except (VerificationError, ValueError, TypeError):  # not a hash Argon2 can even try
        burn_time(pw)
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` should be replaced by a fresh :func:`hash_password` at the next
    successful sign-in: it was made with other parameters than ours, or is not an Argon2
    hash at all."""
    try:
        return _HASHER.check_needs_rehash(stored)
    except ValueError:  # InvalidHashError and a non-ASCII string among them
        return True


@cache
def _dummy_hash() -> str:
    # A random secret nobody knows, hashed like a real password, so verifying against it
    # costs the same time and can never succeed.
    return hash_password(secrets.token_urlsafe(32))


DUMMY_HASH: str  # made on first use (below): hashing at import would slow every CLI start


def __getattr__(name: str) -> str:
    """Makes :data:`DUMMY_HASH` on first use (PEP 562)."""
    if name == "DUMMY_HASH":
        return _dummy_hash()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def burn_time(pw: str) -> None:
    """Spend the time a real verification of ``pw`` would spend, and learn nothing.

    Call it when no user has the e-mail that was typed, then answer as for a wrong password."""
    with suppress(VerificationError):
        _HASHER.verify(_dummy_hash(), _secret_bytes(pw))


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lowercase, read once on first use.

    Lines starting with ``#`` (the list's source) and blank lines are skipped."""
    text = (files("cocflow.accounts") / "data" / _DATA_FILE).read_text(encoding="utf-8")
    return frozenset(
        line.strip().casefold()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    )


def _context_words(context: Iterable[str]) -> list[str]:
    """The guessable words in ``context``: each item whole and its parts split at anything
    that is not a letter or digit ("jane.doe" gives "jane.doe", "jane", "doe"), casefolded,
    kept when at least :data:`MIN_CONTEXT_WORD` characters long, in first-seen order."""
    words: list[str] = []
    for item in (*APP_WORDS, *context):
        whole = _normal(item).strip().casefold()
        for word in (whole, *_WORD_BREAK.split(whole)):
            if len(word) >= MIN_CONTEXT_WORD and word not in words:
                words.append(word)
    return words


def _characters(n: int) -> str:
    return f"{n} character" if n == 1 else f"{n} characters"


def password_problems(pw: str, *, second_factor: bool, context: Iterable[str] = ()) -> list[str]:
    """What is wrong with ``pw`` as a new password, one message a problem; empty when it is
    fine.

    ``second_factor`` says whether the account also signs in with a second factor (a code
    from an authenticator app), which lowers the minimum length from 15 to 8. ``context``
    holds words an attacker would try first for this account: the e-mail's local part, the
    person's and the organisation's names ("cocflow" is always included). Lengths count
    Unicode characters (code points) after NFKC normalisation, so "é" counts once however
    it was typed; spaces count like any other character."""
    normal = _normal(pw)
    length = len(normal)
    minimum = MIN_LENGTH_WITH_SECOND_FACTOR if second_factor else MIN_LENGTH_ALONE
    problems: list[str] = []

    if length == 0:
        problems.append(f"Enter a password of at least {_characters(minimum)}.")
        return problems
    if length < minimum:
        hint = (
            ""
            if second_factor
            else " A few unrelated words make a long password that is easy to remember."
        )
        problems.append(f"Use at least {_characters(minimum)}; this password has {length}.{hint}")
    elif length > MAX_LENGTH:
        problems.append(f"Use at most {_characters(MAX_LENGTH)}; this password has {length}.")

    folded = normal.casefold()
    if folded in common_passwords():
        problems.append(
            "This is one of the most common passwords, which attackers try first. Choose another."
        )
    found = [word for word in _context_words(context) if word in folded]
    found = [word for word in found if not any(word != other and word in other for other in found)]
    if found:
        quoted = ", ".join(f'"{word}"' for word in found)
        problems.append(
            f"Leave out {quoted}: words from your account or this service are easy to guess."
        )
    return problems
