"""Month arithmetic for limits: exact boundaries, leap years and month ends."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocflow.dates import Fit, add_months, fit_within, limit_window

days = st.dates(min_value=date(1970, 1, 1), max_value=date(2099, 12, 31))
months = st.integers(min_value=1, max_value=240)


@pytest.mark.parametrize(
    ("start", "end", "limit", "fit"),
    [
        (date(2027, 1, 1), date(2031, 12, 31), 60, Fit.WITHIN),  # exactly five years
        (date(2027, 1, 1), date(2032, 1, 1), 60, Fit.OVER),  # one day more
        (date(2027, 1, 15), date(2029, 1, 14), 24, Fit.WITHIN),
        (date(2027, 1, 15), date(2029, 1, 15), 24, Fit.OVER),
        (date(2028, 2, 29), date(2033, 2, 27), 60, Fit.WITHIN),  # leap day start
        (date(2028, 2, 29), date(2033, 2, 28), 60, Fit.AMBIGUOUS),
        (date(2028, 2, 29), date(2033, 3, 1), 60, Fit.OVER),
        (date(2027, 1, 31), date(2027, 2, 27), 1, Fit.WITHIN),  # month end
        (date(2027, 1, 31), date(2027, 2, 28), 1, Fit.AMBIGUOUS),
        (date(2028, 1, 29), date(2028, 2, 28), 1, Fit.WITHIN),  # 29 Feb exists in 2028
        (date(2028, 1, 29), date(2028, 2, 29), 1, Fit.OVER),
    ],
)
def test_fit_table(start: date, end: date, limit: int, fit: Fit) -> None:
    assert fit_within(start, end, limit) is fit


@given(days, months)
def test_window_is_ordered_and_at_most_one_day_wide_beyond_a_clamp(start: date, n: int) -> None:
    strict, lenient = limit_window(start, n)
    assert start <= strict <= lenient
    assert (lenient - strict).days <= 1 or start.day > 28
    assert (lenient - strict).days <= 3


@given(days, months)
def test_strict_end_is_within_and_next_day_after_lenient_is_over(start: date, n: int) -> None:
    strict, lenient = limit_window(start, n)
    assert fit_within(start, strict, n) is Fit.WITHIN
    assert fit_within(start, lenient + timedelta(days=1), n) is Fit.OVER


@given(days, months)
def test_limit_is_monotonic_in_months(start: date, n: int) -> None:
    assert limit_window(start, n)[0] < limit_window(start, n + 1)[0]


@given(days, st.integers(min_value=-240, max_value=240))
def test_add_months_keeps_the_day_or_clamps_to_month_end(day: date, n: int) -> None:
    moved = add_months(day, n)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == n
    assert moved.day == day.day or (moved.day < day.day and (moved + timedelta(days=1)).day == 1)


@given(days)
def test_first_of_month_starts_have_no_ambiguity(day: date) -> None:
    start = day.replace(day=1)
    strict, lenient = limit_window(start, 12)
    assert strict == lenient == date(start.year + 1, start.month, 1) - timedelta(days=1)
