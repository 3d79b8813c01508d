"""Tokens: random enough, stored only as keyed digests, and refused with a reason."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocflow.accounts.tokens import Grant, TokenKind, grant_problem, new_token, token_digest

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
URLSAFE = re.compile(r"[A-Za-z0-9_-]+")


# --- new tokens ------------------------------------------------------------------------------


def test_a_token_is_256_random_bits_in_urlsafe_base64() -> None:
    token = new_token()
    assert len(token) == 43
    assert URLSAFE.fullmatch(token)
    assert len(base64.urlsafe_b64decode(token + "=")) == 32


def test_tokens_differ() -> None:
    assert len({new_token() for _ in range(1000)}) == 1000


def test_a_prefix_is_kept_in_front() -> None:
    token = new_token("cfpat_")
    assert token.startswith("cfpat_")
    assert len(token) == len("cfpat_") + 43
    assert URLSAFE.fullmatch(token.removeprefix("cfpat_"))


@pytest.mark.parametrize("prefix", ["CFPAT_", "cf pat_", "../", "_cf", "cf__", "é_"])
def test_a_prefix_that_is_not_plain_lowercase_is_an_error(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        new_token(prefix)


# --- digests ---------------------------------------------------------------------------------


def test_the_digest_is_hmac_sha256_as_in_rfc_4231() -> None:
    # RFC 4231 section 4.2, test case 1.
    assert token_digest(b"\x0b" * 20, "Hi There") == (
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
    )


def test_the_digest_is_stable_for_a_key_and_token() -> None:
    token = new_token()
    digest = token_digest(KEY, token)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    assert token_digest(KEY, token) == digest
    assert token not in digest


def test_the_digest_is_not_a_plain_sha256() -> None:
    token = new_token()
    assert token_digest(KEY, token) != hashlib.sha256(token.encode()).hexdigest()


def test_the_digest_differs_per_key_and_per_token() -> None:
    token = new_token()
    assert token_digest(KEY, token) != token_digest(OTHER_KEY, token)
    assert token_digest(KEY, token) != token_digest(KEY, new_token())


def test_a_short_key_is_an_error() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        token_digest(b"x" * 15, new_token())


# --- grants ----------------------------------------------------------------------------------


def grant(kind: TokenKind = TokenKind.INVITATION, **changes: object) -> Grant:
    fields: dict[str, object] = {"expires_at": NOON, "used_at": None, "revoked": False}
    fields.update(changes)
    return Grant(kind, **fields)  # type: ignore[arg-type]


def test_a_fresh_grant_is_usable() -> None:
    assert grant_problem(grant(), NOON - timedelta(days=1)) is None


def test_a_grant_expires_at_its_expiry_instant() -> None:
    assert grant_problem(grant(), NOON - timedelta(microseconds=1)) is None
    assert grant_problem(grant(), NOON) == (
        "This link has expired. Ask the person who invited you to send a new invitation."
    )


def test_times_in_other_zones_are_compared_as_instants() -> None:
    # 13:30 at UTC+2 is 11:30 UTC: before noon UTC, though its clock reads later.
    berlin_summer = timezone(timedelta(hours=2))
    assert grant_problem(grant(), datetime(2026, 11, 25, 13, 30, tzinfo=berlin_summer)) is None
    # 07:30 at UTC-5 is 12:30 UTC: after noon UTC, though its clock reads earlier.
    new_york = timezone(timedelta(hours=-5))
    assert grant_problem(grant(), datetime(2026, 11, 25, 7, 30, tzinfo=new_york)) is not None


def test_a_used_link_is_refused() -> None:
    used = grant(TokenKind.PASSWORD_RESET, used_at=NOON - timedelta(hours=2))
    assert grant_problem(used, NOON - timedelta(hours=1)) == (
        "This link was already used; each one works once. "
        "Ask for a new password-reset link on the sign-in page."
    )


def test_a_withdrawn_link_is_refused_and_that_reason_comes_first() -> None:
    withdrawn = grant(TokenKind.QUESTIONNAIRE, revoked=True, used_at=NOON)
    expected = "This link was withdrawn. Ask the person who sent it for a new link."
    assert grant_problem(withdrawn, NOON - timedelta(hours=1)) == expected
    assert grant_problem(withdrawn, NOON + timedelta(days=30)) == expected


def test_used_comes_before_expired() -> None:
    used = grant(used_at=NOON - timedelta(hours=1))
    problem = grant_problem(used, NOON + timedelta(days=1))
    assert problem is not None
    assert problem.startswith("This link was already used")


def test_an_access_token_is_not_ended_by_being_used() -> None:
    pat = grant(TokenKind.ACCESS_TOKEN, used_at=NOON - timedelta(days=3))
    assert grant_problem(pat, NOON - timedelta(days=1)) is None
    assert grant_problem(pat, NOON) == (
        "This token has expired. Make a new token in your account settings."
    )
    assert grant_problem(dataclasses.replace(pat, revoked=True), NOON - timedelta(days=1)) == (
        "This token was withdrawn. Make a new token in your account settings."
    )


def test_only_access_tokens_and_calendar_feeds_are_reusable() -> None:
    reusable = [kind for kind in TokenKind if not kind.single_use]
    assert reusable == [TokenKind.ACCESS_TOKEN, TokenKind.CALENDAR_FEED]


def test_a_kind_may_be_given_as_its_stored_text() -> None:
    assert Grant("password_reset", expires_at=NOON).kind is TokenKind.PASSWORD_RESET  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="magic_link"):
        Grant("magic_link", expires_at=NOON)  # type: ignore[arg-type]


def test_naive_times_are_refused() -> None:
    naive = datetime(2026, 11, 25, 12, 0)
    with pytest.raises(ValueError, match="expires_at must be timezone-aware"):
        grant(expires_at=naive)
    with pytest.raises(ValueError, match="used_at must be timezone-aware"):
        grant(used_at=naive)
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        grant_problem(grant(), naive)


def test_a_grant_cannot_be_changed_in_place() -> None:
    g = grant()
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.revoked = True  # type: ignore[misc]


@given(
    st.sampled_from(list(TokenKind)),
    st.integers(min_value=-(10**9), max_value=10**9),
)
def test_expired_exactly_when_now_is_at_or_after_expiry(kind: TokenKind, seconds: int) -> None:
    now = NOON + timedelta(seconds=seconds)
    problem = grant_problem(grant(kind), now)
    if seconds >= 0:
        assert problem is not None
        assert "has expired" in problem
    else:
        assert problem is None
