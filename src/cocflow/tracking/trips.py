"""The travel and work log: trips, their import from CSV and iCalendar, and day counts.

A :class:`Trip` is a stay in one country from ``start`` to ``end`` (both days included). Trips come
from three places (``origin``): typed in, a CSV file (:func:`parse_trips_csv`) or a calendar
export (:func:`parse_trips_ics`). Both parsers return the trips *and* every problem found; the
caller imports nothing unless the list of problems is empty (all or nothing).

Checks on a log: :func:`overlaps` (two countries on the same days) and :func:`gaps` (days no trip
covers). :func:`day_counts` counts the days present, and the work days, per country in a calendar
year or a UK tax year, under a :class:`Counting` rule for arrival and departure days.

Everything here is pure: no files, no database, no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import TYPE_CHECKING, Literal, TypeVar, get_args

from cocflow.countries import normalize_country
from cocflow.errors import Problem, clip
from cocflow.io.csvio import MAX_CELL, CsvSyntaxError, records
from cocflow.isodate import check_plausible, parse_iso_date
from cocflow.text import control_character

if TYPE_CHECKING:
    from icalendar import Event

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
    "parse_trips_csv",
    "parse_trips_ics",
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


# --------------------------------------------------------------------------------------- CSV


class _Bad(Exception):
    def __init__(self, path: str, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.problem = Problem(path, code, message, fix)


_PURPOSE: dict[str, Purpose] = {p: p for p in PURPOSES}
_CELL_FIXES = {
    "country": ("BAD_COUNTRY", "use an ISO 3166-1 alpha-2 code such as PT, or an English name."),
    "start": ("BAD_DATE", "write the date as YYYY-MM-DD."),
    "end": ("BAD_DATE", "write the date as YYYY-MM-DD."),
    "purpose": ("BAD_PURPOSE", "write work, personal or transit (empty means work)."),
}


def _purpose(text: str) -> Purpose:
    if text.lower() not in _PURPOSE:
        raise ValueError(f"'{text}' is not a trip purpose")
    return _PURPOSE[text.lower()]


def _cell(
    cells: dict[str, str], column: str, parse: Callable[[str], _T], problems: list[Problem]
) -> _T | None:
    """The parsed cell, or None when it is empty or bad (a problem is then added if due)."""
    text = cells.get(column, "").strip()
    if not text:
        if column in _REQUIRED:
            problems.append(
                Problem(column, "MISSING_VALUE", f"the {column} is empty.", "fill it in.")
            )
        return None
    try:
        return parse(text)
    except ValueError as exc:
        code, fix = _CELL_FIXES[column]
        problems.append(Problem(column, code, f"{exc}.", fix))
        return None


def _csv_row(cells: dict[str, str]) -> Trip | list[Problem]:
    """One data row as a trip, or every problem in it (one per bad column)."""
    problems: list[Problem] = []
    country = _cell(cells, "country", normalize_country, problems)
    start = _cell(cells, "start", parse_iso_date, problems)
    end = _cell(cells, "end", parse_iso_date, problems)
    purpose = _cell(cells, "purpose", _purpose, problems) or "work"
    if start is not None and end is not None and end < start:
        message = f"the trip ends ({end}) before it starts ({start})."
        problems.append(Problem("end", "END_BEFORE_START", message, "correct the dates."))
    if problems or country is None or start is None:
        return problems
    note = cells.get("note", "").strip() or None
    if note is not None and (bad := control_character(note)):
        message = f"the note contains a control character ({bad})."
        return [Problem("note", "CONTROL_CHARACTER", message, "remove it.")]
    return Trip(country, start, end or start, purpose, note, "csv")


def _header_problems(header: Sequence[str]) -> list[Problem]:
    fix = f"rename or remove it; the columns are {', '.join(TRIP_COLUMNS)}."
    return (
        [
            Problem(name, "UNKNOWN_COLUMN", f"'{name}' is not a trip column.", fix)
            for name in header
            if name not in TRIP_COLUMNS
        ]
        + [
            Problem(name, "DUPLICATE_COLUMN", f"the {name} column appears twice.", "keep one.")
            for name in TRIP_COLUMNS
            if header.count(name) > 1
        ]
        + [
            Problem(name, "MISSING_COLUMN", f"there is no {name} column.", "add the column.")
            for name in _REQUIRED
            if name not in header
        ]
    )


def parse_trips_csv(text: str) -> tuple[list[Trip], list[tuple[int, Problem]]]:
    """Parse a CSV trip log with a header of :data:`TRIP_COLUMNS` (country and start required).

    Returns the trips and ``(line, problem)`` for every problem, the header being line 1 and a
    row's line being the line it starts on; ``problem.path`` is the column (empty for a row-wide
    problem). Every bad cell of every bad row is reported. Header problems stop the parse. Blank
    rows are skipped. Column names are case-insensitive. Import nothing unless there are no
    problems.
    """
    trips: list[Trip] = []
    problems: list[tuple[int, Problem]] = []
    header: list[str] | None = None
    try:
        for line, row in records(text):
            if header is None:
                header = [cell.strip().lower() for cell in row]
                if found := _header_problems(header):
                    return [], [(line, p) for p in found]
            elif len(row) > len(header):
                message = f"the row has {len(row)} fields; the header has {len(header)}."
                fix = "quote values that contain commas."
                problems.append((line, Problem("", "TOO_MANY_FIELDS", message, fix)))
            elif long := [h for h, cell in zip(header, row, strict=False) if len(cell) > MAX_CELL]:
                message = f"the value is longer than {MAX_CELL:,} characters."
                problems += [
                    (line, Problem(h, "VALUE_TOO_LONG", message, "shorten it.")) for h in long
                ]
            else:
                result = _csv_row(dict(zip(header, row, strict=False)))
                if isinstance(result, Trip):
                    trips.append(result)
                else:
                    problems += [(line, p) for p in result]
    except CsvSyntaxError as exc:
        problems.append((exc.line, Problem("", "BAD_CSV", f"{exc}.", "check the quotes.")))
    if header is None:
        fix = f"start with the header {','.join(TRIP_COLUMNS)}."
        problems.append((1, Problem("", "NO_HEADER", "the file has no header.", fix)))
    return trips, problems


# ----------------------------------------------------------------------------------- iCalendar


def _local_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _last_day(start: date | datetime, end: date | datetime) -> date:
    """The last local date an event touches (DTEND of an all-day event is exclusive; an event
    ending at exactly midnight does not touch the day it ends on)."""
    if not isinstance(end, datetime) or end.time() == datetime.min.time():
        return max(_local_date(start), _local_date(end) - _ONE_DAY)
    return max(_local_date(start), end.date())


def _event_country(location: str | None, categories: Iterable[str]) -> str | None:
    candidates: list[str] = []
    if location and location.strip():
        candidates.append(location)
        if "," in location:
            candidates.append(location.rsplit(",", 1)[1])
    candidates += [c for c in categories if c.strip().lower() not in PURPOSES]
    for text in candidates:
        try:
            return normalize_country(text)
        except ValueError:
            continue
    return None


def _event_trip(event: Event) -> Trip:
    """One VEVENT as a trip, or :class:`_Bad` saying why it cannot be one."""
    if event.get("RRULE") is not None or event.get("RDATE") is not None:
        fix = "expand the recurrence before importing (one event per trip)."
        raise _Bad("RRULE", "RECURRING", "the event repeats, so it is not one trip.", fix)
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        fix = "delete the cancelled event from the export."
        raise _Bad("STATUS", "CANCELLED", "the event is cancelled, not a trip taken.", fix)
    try:
        first, last = event.start, event.end
        if _local_date(last) < _local_date(first) or (type(first) is type(last) and last < first):
            fix = "correct DTSTART or DTEND (the end comes after the start)."
            raise _Bad("DTEND", "END_BEFORE_START", "the event ends before it starts.", fix)
        start, end = check_plausible(_local_date(first)), check_plausible(_last_day(first, last))
    except _Bad:
        raise
    except Exception as exc:  # icalendar's IncompleteComponent, InvalidCalendar, broken values
        fix = "give the event a valid DTSTART and DTEND (dates from 1900 to 2099)."
        raise _Bad("DTSTART", "BAD_DATES", f"the dates cannot be read ({exc}).", fix) from None
    categories = [str(c) for c in event.categories]
    country = _event_country(event.location, categories)
    if country is None:
        message = f"no country in the location ({event.location or 'none'}) or categories."
        fix = "set LOCATION to a country or 'City, Country', or add the country as a category."
        raise _Bad("LOCATION", "NO_COUNTRY", message, fix)
    purposes = sorted({c.strip().lower() for c in categories} & set(PURPOSES))
    if len(purposes) > 1:
        message = f"the event has the categories {', '.join(purposes)}."
        raise _Bad("CATEGORIES", "CONFLICTING_PURPOSE", message, "keep only one of them.")
    purpose = _PURPOSE[purposes[0]] if purposes else "work"
    note = (event.summary or "").strip() or None
    if note is not None and (bad := control_character(note)):
        message = f"the summary contains a control character ({bad})."
        raise _Bad("SUMMARY", "CONTROL_CHARACTER", message, "remove it from the event.")
    return Trip(country, start, end, purpose, note, "calendar")


def parse_trips_ics(data: bytes) -> tuple[list[Trip], list[tuple[str, Problem]]]:
    """Parse an iCalendar export: one trip per VEVENT.

    Dates: an all-day event runs from DTSTART to the day before DTEND (DTEND is exclusive); a
    timed event covers the local dates it touches, each end read in its own time zone (an event
    ending at exactly midnight does not touch the day it ends on). DURATION stands in for DTEND.
    Country: LOCATION as a country code or name, else its last comma-separated part ("Lisbon,
    Portugal"), else the first CATEGORIES value that is a country. Purpose: a CATEGORIES value
    work, personal or transit (default work). Note: SUMMARY.

    Problems are keyed by the event's UID, or "event N" (N counting VEVENTs from 1) when it has
    none; a problem with the file itself is keyed "calendar". Repeating (RRULE/RDATE) and
    cancelled events and events without a recognisable country are problems, never skipped.
    Import nothing unless the problems are empty.
    """
    from icalendar import Calendar

    try:
        calendar = Calendar.from_ical(data)
    except ValueError as exc:  # the library's own words on a broken line are useful
        message = f"the file is not an iCalendar file ({clip(str(exc), 160)})."
        return [], [("calendar", Problem("", "BAD_CALENDAR", message, "export it as .ics."))]
    except Exception:  # a parameter or time zone the library trips over
        message = (
            "the file is not an iCalendar file this tool can read "
            "(a broken parameter or time zone)."
        )
        return [], [("calendar", Problem("", "BAD_CALENDAR", message, "export it as .ics."))]
    if not isinstance(calendar, Calendar):  # e.g. a lone VEVENT
        message = f"the file holds a {calendar.name}, not a VCALENDAR."
        return [], [("calendar", Problem("", "BAD_CALENDAR", message, "export it as .ics."))]
    trips: list[Trip] = []
    problems: list[tuple[str, Problem]] = []
    for number, event in enumerate(calendar.events, start=1):
        key = str(event.get("UID", "")).strip() or f"event {number}"
        try:
            trips.append(_event_trip(event))
        except _Bad as bad:
            problems.append((key, bad.problem))
        except Exception as exc:  # a value the calendar library cannot read (a broken TZID...)
            message = f"the event cannot be read ({clip(str(exc) or type(exc).__name__, 120)})."
            problems.append((key, Problem("", "BAD_EVENT", message, "export the event again.")))
    return trips, problems


# ----------------------------------------------------------------------------- log checks


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
