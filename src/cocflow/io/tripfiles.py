"""Trips from files: a CSV log and a calendar export (iCalendar), with every problem found.

Both parsers return the trips *and* every problem; the caller imports nothing unless the list of
problems is empty (all or nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, TypeVar

from cocflow.countries import normalize_country
from cocflow.errors import Problem, clip
from cocflow.io.csvio import MAX_CELL, CsvSyntaxError, records
from cocflow.isodate import check_plausible, parse_iso_date
from cocflow.text import control_character
from cocflow.tracking.trips import PURPOSES, TRIP_COLUMNS, Purpose, Trip

if TYPE_CHECKING:
    from icalendar import Event

__all__ = ["parse_trips_csv", "parse_trips_ics"]

_REQUIRED = ("country", "start")
_ONE_DAY = timedelta(days=1)
_T = TypeVar("_T")


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
