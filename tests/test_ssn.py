"""SSN checks (SSA POMS RM 10201.035): one row per rule, never more than four digits shown."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocflow.filing.ssn import check_ssn, mask, normalize


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("000-12-3456", "SSN_INVALID_AREA"),
        ("666-12-3456", "SSN_INVALID_AREA"),
        ("912-34-5678", "SSN_INVALID_AREA"),  # 9xx with a group no ITIN uses
        ("912-70-5678", "SSN_IS_ITIN"),
        ("123-00-4567", "SSN_INVALID_GROUP"),
        ("123-45-0000", "SSN_INVALID_SERIAL"),
        ("12345678", "SSN_FORMAT"),
        ("123-45-67890", "SSN_FORMAT"),
        ("ABC-DE-FGHI", "SSN_FORMAT"),
        ("078-05-1120", "SSN_KNOWN_SAMPLE"),
        ("219-09-9999", "SSN_KNOWN_SAMPLE"),
        ("12-3456789", "SSN_IS_EIN"),
        ("123-45-6789", None),
        ("123 45 6789", None),
        ("123456789", None),
    ],
)
def test_ssn_rules(value: str, code: str | None) -> None:
    problem = check_ssn(value)
    assert (problem.code if problem else None) == code


@given(st.from_regex(r"\d{3}-\d{2}-\d{4}", fullmatch=True))
def test_messages_never_show_more_than_the_last_four_digits(value: str) -> None:
    problem = check_ssn(value)
    if problem is not None:
        text = problem.message + problem.fix
        allowed = {value[-4:], "000", "00", "0000", "666", "900", "999"}
        assert set(re.findall(r"\d+", text)) <= allowed


@given(st.from_regex(r"\d{3}[- ]?\d{2}[- ]?\d{4}", fullmatch=True))
def test_mask_and_normalize(value: str) -> None:
    digits = re.sub(r"\D", "", value)
    assert mask(value) == f"XXX-XX-{digits[-4:]}"
    assert normalize(value).replace("-", "") == digits
