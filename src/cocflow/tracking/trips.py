"""The travel and work log: trips and day counts.

A :class:`Trip` is a stay in one country from ``start`` to ``end`` (both days included). Trips come
from three places (``origin``): typed in, a CSV file or a calendar export (the parsers are at the
edge, in :mod:`cocflow.io.tripfiles`).

Checks on a log: :func:`overlaps` (two countries on the same days) and :func:`gaps` (days no trip
covers). :func:`day_counts` counts the days present, and the work days, per country in a calendar
year or a UK tax year, under a :class:`Counting` rule for arrival and departure days.

Everything here is pure: no files, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, TypeVar, get_args

if TYPE_CHECKING:
    pass

__all__ = [
    "TRIP_COLUMNS",
    "Counting",
    "DayCount",
    "Origin",
    "Purpose",
    "Trip",
    "day_counts",
    "gaps",
    "overlaps",
    "uk_tax_year",
]

Purpose = Literal["work", "personal", "transit"]
Origin = Literal["typed", "csv", "calendar"]

PURPOSES: tuple[Purpose, ...] = get_args(Purpose)
TRIP_COLUMNS = ("country", "start", "end", "purpose", "note")
_REQUIRED = ("country", "start")
_ONE_DAY = timedelta(days=1)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Trip:
    """A stay in ``country`` (ISO alpha-2) from ``start`` to ``end``, both days included."""

    country: str
    start: date
    end: date
    purpose: Purpose = "work"
    note: str | None = None
    origin: Origin = "typed"

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"a trip cannot end ({self.end}) before it starts ({self.start})")


def _order(trip: Trip) -> tuple[date, date, str, str, str, str]:
    return (trip.start, trip.end, trip.country, trip.purpose, trip.note or "", trip.origin)


def overlaps(trips: Iterable[Trip]) -> list[tuple[Trip, Trip]]:
    """Pairs of trips in different countries that put the person in both on the same days.

    The rule: two trips in different countries overlap when they share two or more days, or share
    exactly one day that is not a travel day. A travel day is the end of one trip being the start
    of the other (leave Portugal and arrive in Spain on 5 May); it is normal and not reported,
    since the default :class:`Counting` rule counts it for both countries. A one-day trip inside a
    longer trip elsewhere (Spain 1-10 May, Portugal 5 May) is reported: split the longer trip.
    Trips in the same country never overlap here. Pairs come in start order, earlier trip first.
    """
    found: list[tuple[Trip, Trip]] = []
    active: list[tuple[date, date, str, Trip]] = []  # (end, start, country, trip), started
    for trip in sorted(trips, key=_order):
        start, end, country = trip.start, trip.end, trip.country
        active = [a for a in active if a[0] >= start]
        for other_end, other_start, other_country, other in active:
            # other starts on or before start, so they share min(ends) - start + 1 days.
            one_day = min(other_end, end) == start
            if other_country != country and not (one_day and start in (other_end, other_start)):
                found.append((other, trip))
        active.append((end, start, country, trip))
    return found


def _merged(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, disjoint intervals of day ordinals; touching intervals are joined."""
    out: list[tuple[int, int]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1] + 1:
            if b > out[-1][1]:
                out[-1] = (out[-1][0], b)
        else:
            out.append((a, b))
    return out


def gaps(trips: Iterable[Trip]) -> list[tuple[date, date]]:
    """Periods (first day, last day) between the first start and the last end no trip covers."""
    spans = _merged((t.start.toordinal(), t.end.toordinal()) for t in trips)
    return [
        (date.fromordinal(b + 1), date.fromordinal(a - 1)) for (_, b), (a, _) in pairwise(spans)
    ]


# ----------------------------------------------------------------------------- day counts


@dataclass(frozen=True, slots=True)
class Counting:
    """Whether the day of arrival in a country and the day of departure from it count as days
    present there. A stay is the run of consecutive days in one country, however many trips it is
    logged as: only its first day is an arrival and only its last day a departure."""

    arrival_counts: bool = True
    departure_counts: bool = True

    def describe(self) -> str:
        """One sentence stating the rule."""
        rule, travel = {
            (True, True): ("Arrival and departure days count", "both countries"),
            (True, False): (
                "Arrival days count but departure days do not",
                "the country arrived in",
            ),
            (False, True): ("Departure days count but arrival days do not", "the country left"),
            (False, False): ("Neither arrival nor departure days count", "neither country"),
        }[(self.arrival_counts, self.departure_counts)]
        return f"{rule} as days present in a country, so a travel day counts for {travel}."


@dataclass(frozen=True, slots=True)
class DayCount:
    """Days present in a country in a year, and how many of them were on work trips."""

    days: int
    work_days: int


def uk_tax_year(day: date) -> int:
    """The UK tax year of ``day``, named by the year it starts in (6 April to 5 April)."""
    return day.year if (day.month, day.day) >= (4, 6) else day.year - 1


def _overlap_days(xs: list[tuple[int, int]], ys: list[tuple[int, int]]) -> int:
    """Days in both of two sorted, disjoint interval lists."""
    total, i, j = 0, 0, 0
    while i < len(xs) and j < len(ys):
        a, b = xs[i]
        c, d = ys[j]
        low, high = max(a, c), min(b, d)
        if low <= high:
            total += high - low + 1
        if b < d:
            i += 1
        else:
            j += 1
    return total


def day_counts(
    trips: Iterable[Trip],
    year: int,
    counting: Counting = Counting(),  # frozen, so one shared default is safe
    *,
    tax_year: Literal["calendar", "uk"] = "calendar",
) -> dict[str, DayCount]:
    """Days present and work days per country in a calendar year or the UK tax year ``year``.

    The calendar year runs 1 January to 31 December; the UK tax year ``year`` runs 6 April
    ``year`` to 5 April ``year + 1``. A day counts for every country the person is in that day
    (under the default rule a travel day counts for both), except the first day of a stay when
    arrival days do not count and its last day when departure days do not (see
    :class:`Counting`). Work days are counted days covered by a trip with purpose work. Countries
    with no counted day are left out; keys are sorted.
    """
    if tax_year == "uk":
        first, last = date(year, 4, 6).toordinal(), date(year + 1, 4, 5).toordinal()
    else:
        first, last = date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal()
    # A stay's ends inside the year are decided by the days either side, so look one day wider.
    low, high = date.fromordinal(first - 1), date.fromordinal(last + 1)
    spans: dict[str, list[tuple[int, int]]] = {}
    work: dict[str, list[tuple[int, int]]] = {}
    for t in trips:
        if t.start <= high and t.end >= low:
            span = (t.start.toordinal(), t.end.toordinal())
            spans.setdefault(t.country, []).append(span)
            if t.purpose == "work":
                work.setdefault(t.country, []).append(span)
    cut_start, cut_end = int(not counting.arrival_counts), int(not counting.departure_counts)
    counts: dict[str, DayCount] = {}
    for country in sorted(spans):
        present = []
        for a, b in _merged(spans[country]):
            low_day, high_day = max(a + cut_start, first), min(b - cut_end, last)
            if low_day <= high_day:
                present.append((low_day, high_day))
        if present:
            days = sum(b - a + 1 for a, b in present)
            work_days = _overlap_days(present, _merged(work.get(country, [])))
            counts[country] = DayCount(days, work_days)
    return counts
