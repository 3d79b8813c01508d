"""Passwords: Argon2id storage, equal timing for unknown users, and the new-password rules."""

from __future__ import annotations

import unicodedata
from importlib.resources import files

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from cocflow.accounts import passwords
from cocflow.accounts.passwords import (
    MAX_LENGTH,
    burn_time,
    common_passwords,
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)

PW = "tulip staircase mongoose 42"
STORED = hash_password(PW)  # Argon2 is slow on purpose: hash once for the whole module
OUR_PARAMETERS = "$argon2id$v=19$m=65536,t=3,p=4$"


class CountingHasher(PasswordHasher):
    """The real hasher, counting the hashes it verifies against."""

    def __init__(self) -> None:
        super().__init__()
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # type: ignore[override]
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    return hasher


# --- storing ---------------------------------------------------------------------------------


def test_the_hash_is_argon2id_with_the_default_parameters() -> None:
    assert STORED.startswith(OUR_PARAMETERS)
    assert PW not in STORED


def test_the_right_password_verifies_and_others_do_not() -> None:
    assert verify_password(STORED, PW) is True
    assert verify_password(STORED, PW.upper()) is False
    assert verify_password(STORED, PW + " ") is False
    assert verify_password(STORED, "") is False


def test_each_hash_has_its_own_salt() -> None:
    again = hash_password(PW)
    assert again != STORED
    assert verify_password(again, PW)


def test_passwords_are_compared_after_nfkc_normalisation() -> None:
    composed = "caf\u00e9 au lait, s'il vous pla\u00eet"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    stored = hash_password(composed)
    assert verify_password(stored, decomposed)
    # NFKC also folds compatibility forms: full-width letters are the plain ones.
    assert verify_password(hash_password("\uff50\uff41\uff53\uff53"), "pass")


def test_a_lone_surrogate_is_hashed_not_raised() -> None:
    stored = hash_password("broken \ud800 input")
    assert verify_password(stored, "broken \ud800 input")
    assert not verify_password(stored, "broken  input")


@pytest.mark.parametrize(
    "stored",
    [
        "",
        "plain text password",
        "caf\u00e9",  # not ASCII: argon2-cffi cannot even read it
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",  # bcrypt
        "$argon2id$garbage",
        OUR_PARAMETERS + "c2FsdA$",  # hash part missing
    ],
)
def test_a_stored_string_that_is_not_an_argon2_hash_is_false_not_an_error(stored: str) -> None:
    assert verify_password(stored, PW) is False


def test_a_foreign_stored_string_still_costs_a_verification(counting: CountingHasher) -> None:
    assert verify_password("$2b$12$not-argon2", PW) is False
    assert counting.verified[-1] == passwords.DUMMY_HASH


def test_a_fresh_hash_needs_no_rehash() -> None:
    assert needs_rehash(STORED) is False


def test_a_hash_with_weaker_parameters_needs_a_rehash() -> None:
    old = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PW)
    assert verify_password(old, PW)  # it still lets the person in...
    assert needs_rehash(old) is True  # ...and is replaced at that moment


@pytest.mark.parametrize("stored", ["", "caf\u00e9", "$2b$12$abc"])
def test_a_string_that_is_not_an_argon2_hash_needs_a_rehash(stored: str) -> None:
    assert needs_rehash(stored) is True


# --- unknown users cost the same ---------------------------------------------------------------


def test_the_dummy_hash_is_made_like_a_real_one() -> None:
    dummy = passwords.DUMMY_HASH
    assert dummy.startswith(OUR_PARAMETERS)
    assert needs_rehash(dummy) is False  # same parameters, so the same cost to verify
    assert dummy == passwords.DUMMY_HASH  # made once


def test_the_dummy_hash_is_made_on_first_use_not_at_import() -> None:
    assert "DUMMY_HASH" not in vars(passwords)


def test_other_missing_names_are_still_missing() -> None:
    with pytest.raises(AttributeError, match="NOT_THERE"):
        _ = passwords.NOT_THERE


def test_burn_time_verifies_the_typed_password_against_the_dummy(
    counting: CountingHasher,
) -> None:
    burn_time(PW)
    assert counting.verified == [passwords.DUMMY_HASH]


def test_burn_time_does_not_raise_for_odd_input() -> None:
    burn_time("")
    burn_time("\ud800")


# --- the common-passwords list -------------------------------------------------------------


def test_the_shipped_list_names_its_source_and_holds_at_least_3000_passwords() -> None:
    text = (files("cocflow.accounts") / "data" / "common-passwords.txt").read_text("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("# source: https://")
    entries = [line for line in lines if not line.startswith("#")]
    assert len(entries) >= 3000
    assert all(entry == entry.strip().lower() and entry for entry in entries)
    assert len(set(entries)) == len(entries)


def test_the_loaded_list_skips_comments_and_is_read_once() -> None:
    common = common_passwords()
    assert {"password", "123456", "qwerty", "letmein", "iloveyou"} <= common
    assert not any(entry.startswith("#") for entry in common)
    assert len(common) == 10_000
    assert common_passwords() is common


# --- new-password rules --------------------------------------------------------------------


def length_problems(problems: list[str]) -> list[str]:
    return [p for p in problems if "characters" in p]


def test_a_long_passphrase_is_fine_without_any_composition_rule() -> None:
    assert password_problems("correct horse battery staple", second_factor=False) == []
    assert password_problems("all lowercase no digits", second_factor=False) == []
    assert password_problems("938475610293847", second_factor=False) == []


@pytest.mark.parametrize(
    ("length", "second_factor", "fine"),
    [
        (14, False, False),
        (15, False, True),
        (7, True, False),
        (8, True, True),
        (64, False, True),
        (MAX_LENGTH, False, True),
        (MAX_LENGTH + 1, False, False),
        (MAX_LENGTH + 1, True, False),
    ],
)
def test_the_length_limits(length: int, second_factor: bool, fine: bool) -> None:
    pw = ("tk7q" * 100)[:length]
    assert (password_problems(pw, second_factor=second_factor) == []) is fine


def test_a_short_password_is_told_the_minimum_and_its_length() -> None:
    assert password_problems("tk7qzv9wme", second_factor=False) == [
        "Use at least 15 characters; this password has 10. "
        "A few unrelated words make a long password that is easy to remember."
    ]
    assert password_problems("tk7qzv", second_factor=True) == [
        "Use at least 8 characters; this password has 6."
    ]


def test_an_empty_password_is_asked_for() -> None:
    assert password_problems("", second_factor=True) == [
        "Enter a password of at least 8 characters."
    ]


def test_a_too_long_password_is_told_the_maximum() -> None:
    assert password_problems("z" * 300, second_factor=True) == [
        "Use at most 256 characters; this password has 300."
    ]


def test_length_counts_code_points_after_nfkc() -> None:
    decomposed = "e\u0301" * 15  # 30 code points as typed, 15 once "é" is composed
    assert password_problems(decomposed, second_factor=False) == []
    short = "e\u0301" * 14
    assert length_problems(password_problems(short, second_factor=False))
    emoji = "\U0001f600" * 8  # one code point each (four UTF-8 bytes, two UTF-16 units)
    assert password_problems(emoji, second_factor=True) == []
    # The "ﬁ" ligature is two characters after NFKC: 7 ligatures are 14 characters.
    assert "has 14" in password_problems("\ufb01" * 7, second_factor=False)[0]


@given(st.text(alphabet="qzk7 ", max_size=300), st.booleans())
def test_a_length_problem_exactly_when_outside_the_limits(pw: str, second_factor: bool) -> None:
    minimum = 8 if second_factor else 15
    told = length_problems(password_problems(pw, second_factor=second_factor))
    assert bool(told) == (not minimum <= len(pw) <= MAX_LENGTH)


@pytest.mark.parametrize("pw", ["password", "PassWord", "baseball", "PASSWORD1", "trustno1"])
def test_a_common_password_is_refused_whatever_its_case(pw: str) -> None:
    assert password_problems(pw, second_factor=True) == [
        "This is one of the most common passwords, which attackers try first. Choose another."
    ]


def test_a_short_common_password_gets_both_messages() -> None:
    problems = password_problems("dragon", second_factor=False)
    assert len(problems) == 2
    assert problems[0].startswith("Use at least 15 characters")
    assert problems[1].startswith("This is one of the most common passwords")


def test_a_password_containing_a_word_of_the_account_is_refused() -> None:
    problems = password_problems(
        "Janes garden party 2026",
        second_factor=False,
        context=["jane.doe", "Acme Payroll GmbH"],
    )
    assert problems == [
        'Leave out "jane": words from your account or this service are easy to guess.'
    ]


def test_a_password_equal_to_a_context_item_is_refused_naming_it_once() -> None:
    problems = password_problems(
        "ACME Payroll GmbH", second_factor=False, context=["Acme Payroll GmbH"]
    )
    assert problems == [
        'Leave out "acme payroll gmbh": words from your account or this service are easy to guess.'
    ]


def test_several_context_words_are_named_together() -> None:
    problems = password_problems(
        "acme staff: jane and her payroll", second_factor=False, context=["jane", "acme-payroll"]
    )
    assert problems == [
        'Leave out "jane", "acme", "payroll": words from your account or this service are '
        "easy to guess."
    ]


def test_the_application_name_is_always_refused() -> None:
    problems = password_problems("my very own CocFlow password", second_factor=False)
    assert problems == [
        'Leave out "cocflow": words from your account or this service are easy to guess.'
    ]


def test_context_words_shorter_than_four_characters_are_ignored() -> None:
    assert password_problems("a big doe in the forest", second_factor=False, context=["doe"]) == []
    assert password_problems("a jo jo jo jo jo jo", second_factor=False, context=["j.o"]) == []


def test_context_matching_ignores_case_and_compatibility_forms() -> None:
    fullwidth = "\uff2a\uff21\uff2e\uff25"  # "JANE" in full-width letters
    problems = password_problems(
        f"{fullwidth} in the garden", second_factor=False, context=["Jane"]
    )
    assert problems == [
        'Leave out "jane": words from your account or this service are easy to guess.'
    ]
