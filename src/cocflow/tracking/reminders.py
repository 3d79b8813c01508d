"""Reminders for dated obligations, and an iCalendar feed of them.

An :class:`Obligation` is something a case must do by a date (file the request, chase a
certificate, file Schedule SE...). :func:`schedule` turns obligations into :class:`Reminder`
values: the day to act is the due date, moved back to the nearest earlier business day when the
due date is a Saturday, a Sunday or a U.S. federal holiday (observed days included, see
:func:`business_day_before`). :func:`to_ics` renders reminders as one iCalendar (RFC 5545)
document. Everything here is pure: values in, values or bytes out, no clock, no files.

Decisions a reader should know:

* **UID** (:func:`uid`) is built from ``case_id``, ``kind`` and ``key`` only, never from the
  date: the same case + kind + key gives the same UID even when the due date moves, so a
  calendar app *updates* the event instead of adding a duplicate. ``key`` tells apart
  obligations of one kind that recur for a case (``schedule_se`` per tax year: ``key="2026"``).
* **SEQUENCE** is the number of whole minutes between the Unix epoch and ``stamp``. RFC 5545
  wants a higher SEQUENCE for a revised event with the same UID; deriving it from the due date
  would go *down* when a date moves earlier, and a constant 0 makes some clients ignore a
  revision. The generation time only grows between two generations (at least a minute apart),
  so every regenerated feed supersedes the previous one, changed or not. It stays below
  2**31 until the year 6053. ``DTSTAMP`` and ``LAST-MODIFIED`` are ``stamp`` too; ``stamp`` is
  a parameter so the output is deterministic.
* Two reminders with the same UID in one feed are refused (:class:`ValueError`): a client
  would keep only one of them.
* Each event has a ``DISPLAY`` alarm one day before (``TRIGGER:-P1D``).

The tests compare a feed with ``tests/golden/reminders.ics`` byte for byte. After an intended
change, regenerate it and review the diff::

    COCFLOW_UPDATE_GOLDEN=1 pytest tests/test_reminders.py
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from types import MappingProxyType
from urllib.parse import quote

import holidays
from icalendar import Alarm, Calendar, Event

__all__ = [
    "PRODID",
    "Obligation",
    "Reminder",
    "business_day_before",
    "schedule",
    "to_ics",
    "uid",
]

PRODID = "-//cocflow//reminders//EN"
UID_DOMAIN = "cocflow"
ONE_DAY = timedelta(days=1)
_WEEKEND = {5: "Saturday", 6: "Sunday"}


@dataclass(frozen=True)
class Obligation:
    """Something ``case_id`` must do by ``due``.

    ``kind`` names the obligation ("file_by", "follow_up", "certificate_ending",
    "extension_deadline", "schedule_se", "uk_self_assessment", "delivery_chaser"...);
    ``source`` is the URL of the rule behind it, if any; ``key`` tells apart obligations of one
    kind that recur for one case (the tax year of a ``schedule_se``) and is part of the UID.
    """

    case_id: str
    kind: str
    due: date
    title: str
    detail: str
    source: str | None
    key: str = ""

    def __post_init__(self) -> None:
        for name in ("case_id", "kind", "title"):
            if not getattr(self, name).strip():
                raise ValueError(f"an obligation needs a non-empty {name}")


@dataclass(frozen=True)
class Reminder:
    """An obligation and the day to act on it (``on`` <= ``obligation.due``).

    ``moved`` says why, when ``on`` differs from the due date.
    """

    obligation: Obligation
    on: date
    moved: str | None


@lru_cache(maxsize=64)
def _federal_holidays(year: int) -> Mapping[date, str]:
    """U.S. federal holidays falling in ``year``, observed days included (cached per year).

    An observed day belongs to the year it falls in: New Year's Day 2028 (a Saturday) is
    observed on Friday 2027-12-31, which is in the 2027 calendar.
    """
    calendar = holidays.country_holidays("US", years=year, expand=False)
    return MappingProxyType({day: str(name) for day, name in calendar.items()})


def _holiday(day: date) -> str | None:
    return _federal_holidays(day.year).get(day)


def _is_business_day(day: date) -> bool:
    return day.weekday() not in _WEEKEND and _holiday(day) is None


def business_day_before(day: date) -> tuple[date, str | None]:
    """``day`` itself when it is a business day, else the nearest earlier business day.

    A business day is a Monday to Friday that is not a U.S. federal holiday (``holidays``
    package, country "US" without a subdivision; observed days count as holidays). The second
    value is ``None`` when nothing moved, else one sentence saying why: the holiday when ``day``
    is one (even on a weekend), else the weekday, plus any holiday skipped on the way back::

        2027-07-04 is a U.S. federal holiday (Independence Day): moved to the business day
        before, 2027-07-02.
    """
    if _is_business_day(day):
        return day, None
    holiday = _holiday(day)
    reason = (
        f"a U.S. federal holiday ({holiday})"
        if holiday is not None
        else f"a {_WEEKEND[day.weekday()]}"
    )
    skipped: list[str] = []
    target = day - ONE_DAY
    while not _is_business_day(target):
        name = _holiday(target)
        if name is not None:
            skipped.append(f"{target.isoformat()} ({name})")
        target -= ONE_DAY
    also = f", also skipping {' and '.join(skipped)}" if skipped else ""
    sentence = (
        f"{day.isoformat()} is {reason}: moved to the business day before, "
        f"{target.isoformat()}{also}."
    )
    return target, sentence


def schedule(obligations: Iterable[Obligation]) -> list[Reminder]:
    """One reminder per obligation, sorted by day to act, then case id, then kind.

    Key, due date and title break any remaining tie, so the order never depends on the input.
    """
    reminders = []
    for ob in obligations:
        on, moved = business_day_before(ob.due)
        reminders.append(Reminder(obligation=ob, on=on, moved=moved))
    reminders.sort(
        key=lambda r: (
            r.on,
            r.obligation.case_id,
            r.obligation.kind,
            r.obligation.key,
            r.obligation.due,
            r.obligation.title,
        )
    )
    return reminders


def _uid_part(text: str) -> str:
    """Percent-encode everything but letters, digits, "_", "." and "~" (so "-" separates)."""
    return quote(text, safe="").replace("-", "%2D")


def uid(ob: Obligation) -> str:
    """The iCalendar UID of ``ob``: ``{kind}-{case_id}[-{key}]@cocflow``.

    Same case + kind + key => same UID, even if the due date (or title, detail, source)
    changes, so a calendar app updates the event rather than duplicating it. Different case,
    kind or key => different UID: each part is percent-encoded ("-" and "@" included), so no
    two triples share one.
    """
    parts = [ob.kind, ob.case_id] + ([ob.key] if ob.key else [])
    return "-".join(_uid_part(part) for part in parts) + f"@{UID_DOMAIN}"


def _description(reminder: Reminder) -> str:
    ob = reminder.obligation
    lines = [ob.detail] if ob.detail else []
    if reminder.moved:
        lines.append(reminder.moved)
    lines.append(f"Due: {ob.due.isoformat()}")
    if ob.source:
        lines.append(f"Source: {ob.source}")
    return "\n".join(lines)


def _utc(stamp: datetime) -> datetime:
    if stamp.tzinfo is None or stamp.utcoffset() is None:
        raise ValueError("stamp must be timezone-aware (DTSTAMP is written in UTC)")
    return stamp.astimezone(UTC).replace(microsecond=0)


def to_ics(reminders: Sequence[Reminder], *, stamp: datetime) -> bytes:
    """One VCALENDAR with one all-day VEVENT per reminder, as CRLF-terminated bytes.

    ``stamp`` (timezone-aware) is the generation time: DTSTAMP, LAST-MODIFIED and SEQUENCE
    (whole minutes since the Unix epoch) come from it; see the module docstring. Text is
    escaped by ``icalendar`` (commas, semicolons, backslashes and newlines round-trip).
    """
    when = _utc(stamp)
    sequence = int(when.timestamp()) // 60
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", "cocflow")
    seen: dict[str, Reminder] = {}
    for reminder in reminders:
        ob = reminder.obligation
        ident = uid(ob)
        if ident in seen:
            raise ValueError(f"two reminders share the UID {ident}: give them different keys")
        seen[ident] = reminder
        event = Event()
        event.add("uid", ident)
        event.add("dtstamp", when)
        event.add("last-modified", when)
        event.add("sequence", sequence)
        event.add("dtstart", reminder.on)
        event.add("dtend", reminder.on + ONE_DAY)
        event.add("summary", ob.title)
        event.add("description", _description(reminder))
        if ob.source:
            event.add("url", ob.source)
        event.add("categories", [ob.kind])
        event.add("transp", "TRANSPARENT")
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -ONE_DAY)
        alarm.add("description", ob.title)
        event.add_component(alarm)
        cal.add_component(event)
    data: bytes = cal.to_ical()
    return data
