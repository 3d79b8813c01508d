"""TOTP (RFC 6238): the RFC's own test vectors, the drift window, replay and odd input."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cocflow.accounts.totp import check, code_at, new_secret, otpauth_uri

# RFC 6238 Appendix B: the SHA-1 key is the ASCII string "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]
T = 1111111111  # in step 37037037, 1 s after it began
STEP = T // 30


def test_the_rfc_secret_is_the_ascii_key_in_base32() -> None:
    assert RFC_SECRET == "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(("unix_time", "expected"), RFC_VECTORS)
def test_rfc_6238_appendix_b_sha1_vectors(unix_time: int, expected: str) -> None:
    assert code_at(RFC_SECRET, unix_time, digits=8) == expected


@pytest.mark.parametrize(("unix_time", "expected"), RFC_VECTORS)
def test_six_digit_codes_are_the_last_six_digits(unix_time: int, expected: str) -> None:
    assert code_at(RFC_SECRET, unix_time) == expected[-6:]


def test_a_code_holds_for_the_whole_30_second_step() -> None:
    assert code_at(RFC_SECRET, 1111111110) == code_at(RFC_SECRET, 1111111139.9) == "050471"
    assert code_at(RFC_SECRET, 1111111109) == "081804"  # the step before


def test_the_secret_may_be_typed_in_lowercase_with_spaces() -> None:
    spaced = " ".join(RFC_SECRET.lower()[i : i + 4] for i in range(0, 32, 4))
    assert code_at(spaced, 59, digits=8) == "94287082"


@pytest.mark.parametrize("secret", ["", "not base32!", "GEZDGNB1"])
def test_a_secret_that_is_not_base32_is_an_error(secret: str) -> None:
    with pytest.raises(ValueError, match="TOTP secret"):
        code_at(secret, 59)


def test_times_before_1970_and_odd_digit_counts_are_errors() -> None:
    with pytest.raises(ValueError, match="1970"):
        code_at(RFC_SECRET, -1)
    with pytest.raises(ValueError, match="digits"):
        code_at(RFC_SECRET, 59, digits=5)


def test_a_new_secret_is_160_random_bits_in_base32() -> None:
    secret = new_secret()
    assert len(secret) == 32
    assert len(base64.b32decode(secret)) == 20
    assert len({new_secret() for _ in range(50)}) == 50


# --- the otpauth URI -------------------------------------------------------------------------


def test_the_otpauth_uri_names_every_parameter() -> None:
    assert otpauth_uri(RFC_SECRET, "jane@example.com") == (
        "otpauth://totp/cocflow:jane%40example.com"
        "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=cocflow"
        "&algorithm=SHA1&digits=6&period=30"
    )


def test_the_label_parts_are_quoted_so_a_colon_cannot_split_them() -> None:
    uri = otpauth_uri(RFC_SECRET, "Jane Doe: payroll", issuer="Acme & Söhne")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Acme%20%26%20S%C3%B6hne:Jane%20Doe%3A%20payroll"
    issuer, account = parts.path[1:].split(":")
    assert (unquote(issuer), unquote(account)) == ("Acme & Söhne", "Jane Doe: payroll")
    assert parse_qs(parts.query)["issuer"] == ["Acme & Söhne"]
    assert "+" not in uri  # spaces are %20: some apps show a "+" literally


# --- checking a typed code -----------------------------------------------------------------


def test_the_current_code_is_accepted_and_its_step_returned() -> None:
    assert check(RFC_SECRET, "050471", T, last_step=None) == STEP


@pytest.mark.parametrize("offset", [-1, 1])
def test_one_step_of_clock_drift_either_way_is_accepted(offset: int) -> None:
    code = code_at(RFC_SECRET, T + 30 * offset)
    assert check(RFC_SECRET, code, T, last_step=None) == STEP + offset


@pytest.mark.parametrize("offset", [-2, 2])
def test_two_steps_off_is_refused(offset: int) -> None:
    code = code_at(RFC_SECRET, T + 30 * offset)
    assert check(RFC_SECRET, code, T, last_step=None) is None


def test_a_wrong_code_is_refused() -> None:
    assert check(RFC_SECRET, "050472", T, last_step=None) is None


def test_a_used_step_cannot_be_used_again() -> None:
    step = check(RFC_SECRET, "050471", T, last_step=None)
    assert step == STEP
    assert check(RFC_SECRET, "050471", T + 5, last_step=step) is None
    # An older code still inside the drift window is refused too: steps only move forward.
    older = code_at(RFC_SECRET, T - 30)
    assert check(RFC_SECRET, older, T, last_step=step) is None
    # The next step's code is fine.
    assert check(RFC_SECRET, code_at(RFC_SECRET, T + 30), T + 30, last_step=step) == STEP + 1


@pytest.mark.parametrize("typed", ["050 471", " 050471 ", "05 04 71", "050\t471\n"])
def test_spaces_in_the_typed_code_are_ignored(typed: str) -> None:
    assert check(RFC_SECRET, typed, T, last_step=None) == STEP


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "50471",  # a leading zero dropped
        "0504710",
        "14050471",  # the 8-digit code
        "05047a",
        "050-471",
        "\uff10\uff15\uff10\uff14\uff17\uff11",  # full-width digits: isdigit() but not ASCII
        "\u0660\u0665\u0660\u0664\u0667\u0661",  # Arabic-Indic digits
    ],
)
def test_anything_but_six_ascii_digits_is_refused(typed: str) -> None:
    assert check(RFC_SECRET, typed, T, last_step=None) is None


def test_the_first_step_after_1970_has_no_step_before_it() -> None:
    assert check(RFC_SECRET, code_at(RFC_SECRET, 0), 10, last_step=None) == 0
    assert check(RFC_SECRET, code_at(RFC_SECRET, 30), 10, last_step=None) == 1


# --- properties ------------------------------------------------------------------------------

secrets_ = st.binary(min_size=10, max_size=64).map(lambda b: base64.b32encode(b).decode())
times = st.integers(min_value=120, max_value=2**34)


@given(secrets_, times, st.sampled_from([-30, 0, 30]))
def test_a_code_is_accepted_within_30_seconds(secret: str, t: int, delta: int) -> None:
    code = code_at(secret, t)
    assert check(secret, code, t + delta, last_step=None) == t // 30


@given(secrets_, times, st.sampled_from([-90, 90]))
def test_a_code_is_refused_90_seconds_away(secret: str, t: int, delta: int) -> None:
    code = code_at(secret, t)
    later = t + delta
    # Six digits collide by chance one time in a million; such a draw says nothing.
    window = [later + 30 * k for k in (-1, 0, 1)]
    assume(all(code_at(secret, w) != code for w in window))
    assert check(secret, code, later, last_step=None) is None


@given(secrets_, times, st.sampled_from([0, 5, 29, 30]))
def test_a_code_accepted_once_is_refused_after(secret: str, t: int, wait: int) -> None:
    code = code_at(secret, t)
    step = check(secret, code, t, last_step=None)
    assert step == t // 30
    assert check(secret, code, t + wait, last_step=step) is None
