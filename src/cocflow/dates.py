"""Date arithmetic for limits expressed in months.

A stay limited to N months and starting on day D may end on the day before day D, N months
later. When day D does not exist in that month (31 January plus one month, 29 February plus
five years), careful readings differ: the *strict* last day is the day before the clamped
date (one month from 31 January: 27 February in a common year), the *lenient* one is the last
day of the month (28 February). :func:`limit_window` returns both, so callers can refuse to
guess when an end date falls between them.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import Enum

__all__ = [
    "MONTHS",
    "Fit",
    "add_months",
    "fit_within",
    "limit_window",
    "long_date",
    "month_end",
    "next_day",
]

ONE_DAY = timedelta(days=1)
MONTHS = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip


def long_date(day: date) -> str:
    """``25 November 2026``, whatever the locale."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def next_day(day: date) -> date:
    """The day after ``day`` (``date.max`` stays ``date.max``: "for ever" has no day after)."""
    return day if day == date.max else day + ONE_DAY


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month
    (and to ``date.min``/``date.max`` at the ends of the calendar)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    if year > date.max.year:
        return date.max
    if year < date.min.year:
        return date.min
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def limit_window(start: date, months: int) -> tuple[date, date]:
    """The strict and the lenient last day of a stay of ``months`` months from ``start``.

    Both are equal unless ``start.day`` is missing from the month ``months`` later.
    """
    clamped = add_months(start, months)
    if clamped == date.max:
        return date.max, date.max
    strict = clamped - ONE_DAY
    # A clamped date differs from start.day only when it was moved to a shorter month's end.
    return strict, strict if clamped.day == start.day else clamped


class Fit(Enum):
    """How a stay's end relates to a limit."""

    WITHIN = "within"
    OVER = "over"
    AMBIGUOUS = "ambiguous"


def fit_within(start: date, end: date, months: int) -> Fit:
    """Whether a stay from ``start`` to ``end`` (both inclusive) lasts at most ``months``."""
    strict, lenient = limit_window(start, months)
    if end <= strict:
        return Fit.WITHIN
    if end > lenient:
        return Fit.OVER
    return Fit.AMBIGUOUS
