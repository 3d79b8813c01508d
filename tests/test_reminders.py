"""Tests for :mod:`cocflow.tracking.reminders`: business days, the schedule, UIDs, the feed.

``tests/golden/reminders.ics`` holds the expected feed, byte for byte. After an intended change,
regenerate it and review the diff::

    COCFLOW_UPDATE_GOLDEN=1 pytest tests/test_reminders.py
"""

from __future__ import annotations

import dataclasses
import os
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import holidays
import ics  # type: ignore[import-untyped]  # ics 0.7.3 ships no type hints
import pytest
from icalendar import Calendar

from cocflow.tracking.reminders import (
    PRODID,
    Obligation,
    Reminder,
    business_day_before,
    schedule,
    to_ics,
    uid,
)

GOLDEN = Path(__file__).resolve().parent / "golden" / "reminders.ics"
STAMP = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SSA = "https://www.ssa.gov/international/CoC_link.html"
TRICKY = "Call SSA, then fax; keep the receipt\nand a copy \\ scan"


def _ob(
    due: date,
    *,
    case_id: str = "3f9a1c2e7b4d5a60",
    kind: str = "file_by",
    key: str = "",
    title: str = "File the Certificate of Coverage request",
    detail: str = "Send the request to SSA Office of International Programs.",
    source: str | None = SSA,
) -> Obligation:
    return Obligation(case_id, kind, due, title, detail, source, key)


def _obligations() -> list[Obligation]:
    return [
        _ob(date(2027, 7, 4)),
        _ob(
            date(2027, 1, 15),
            kind="follow_up",
            title="Chase the certificate, if not received",
            detail="No answer after 90 days: call SSA; ask for the request status.",
        ),
        _ob(
            date(2028, 1, 1),
            case_id="0b1d2e3f4a5b6c7d",
            kind="certificate_ending",
            title="Certificate ends; ask for an extension?",
            detail="Line one,\nline two; with a semicolon.",
            source=None,
        ),
        _ob(
            date(2027, 4, 15),
            kind="schedule_se",
            key="2026",
            title=TRICKY,
            detail="Attach the certificate copy to Form 1040; write 'Exempt, see attached'.",
            source="https://www.irs.gov/forms-pubs/about-schedule-se-form-1040",
        ),
    ]


# --- the holidays package, as relied upon ---------------------------------------------------


def test_holidays_package_has_the_observed_days() -> None:
    us = holidays.country_holidays("US", years=[2027, 2028])
    assert us.get(date(2027, 7, 4)) == "Independence Day"
    assert date(2027, 7, 4).weekday() == 6  # a Sunday
    assert us.get(date(2027, 7, 5)) == "Independence Day (observed)"
    assert us.get(date(2028, 1, 1)) == "New Year's Day"
    assert date(2028, 1, 1).weekday() == 5  # a Saturday
    assert us.get(date(2027, 12, 31)) == "New Year's Day (observed)"


# --- business_day_before ----------------------------------------------------------------------


def test_business_day_unchanged() -> None:
    assert business_day_before(date(2026, 11, 25)) == (date(2026, 11, 25), None)


def test_saturday_and_sunday() -> None:
    assert business_day_before(date(2026, 11, 28)) == (
        date(2026, 11, 27),
        "2026-11-28 is a Saturday: moved to the business day before, 2026-11-27.",
    )
    assert business_day_before(date(2026, 11, 29)) == (
        date(2026, 11, 27),
        "2026-11-29 is a Sunday: moved to the business day before, 2026-11-27.",
    )


def test_independence_day_on_a_sunday() -> None:
    assert business_day_before(date(2027, 7, 4)) == (
        date(2027, 7, 2),
        "2027-07-04 is a U.S. federal holiday (Independence Day): "
        "moved to the business day before, 2027-07-02.",
    )


def test_independence_day_observed_monday() -> None:
    assert business_day_before(date(2027, 7, 5)) == (
        date(2027, 7, 2),
        "2027-07-05 is a U.S. federal holiday (Independence Day (observed)): "
        "moved to the business day before, 2027-07-02, also skipping 2027-07-04 "
        "(Independence Day).",
    )


def test_christmas_2026() -> None:
    assert business_day_before(date(2026, 12, 25)) == (
        date(2026, 12, 24),
        "2026-12-25 is a U.S. federal holiday (Christmas Day): "
        "moved to the business day before, 2026-12-24.",
    )


@pytest.mark.parametrize(
    ("thanksgiving", "wednesday"),
    [(date(2026, 11, 26), date(2026, 11, 25)), (date(2027, 11, 25), date(2027, 11, 24))],
)
def test_thanksgiving(thanksgiving: date, wednesday: date) -> None:
    on, why = business_day_before(thanksgiving)
    assert on == wednesday
    assert why is not None
    assert "(Thanksgiving Day)" in why


def test_new_year_2028_on_a_saturday_observed_the_friday_before() -> None:
    assert business_day_before(date(2028, 1, 1)) == (
        date(2027, 12, 30),
        "2028-01-01 is a U.S. federal holiday (New Year's Day): moved to the business day "
        "before, 2027-12-30, also skipping 2027-12-31 (New Year's Day (observed)).",
    )
    on, why = business_day_before(date(2027, 12, 31))
    assert on == date(2027, 12, 30)
    assert why is not None
    assert why.startswith("2027-12-31 is a U.S. federal holiday (New Year's Day (observed))")


def test_chain_of_several_steps() -> None:
    # Sunday 26, Christmas on Saturday 25, observed on Friday 24: back to Thursday 23.
    assert business_day_before(date(2027, 12, 26)) == (
        date(2027, 12, 23),
        "2027-12-26 is a Sunday: moved to the business day before, 2027-12-23, also skipping "
        "2027-12-25 (Christmas Day) and 2027-12-24 (Christmas Day (observed)).",
    )
    # Saturday 4 July 2026, observed Friday 3: back to Thursday 2.
    assert business_day_before(date(2026, 7, 4))[0] == date(2026, 7, 2)
    # Monday 1 January 2029 back over the weekend to Friday 29 December 2028.
    assert business_day_before(date(2029, 1, 1))[0] == date(2028, 12, 29)


def test_every_day_lands_on_the_nearest_earlier_business_day() -> None:
    us = holidays.country_holidays("US", years=range(2025, 2036))

    def business(day: date) -> bool:
        return day.weekday() < 5 and day not in us

    day = date(2026, 1, 1)
    while day < date(2036, 1, 1):
        on, why = business_day_before(day)
        assert business(on)
        assert on <= day
        assert all(not business(on + timedelta(n)) for n in range(1, (day - on).days + 1))
        assert (why is None) == (on == day)
        day += timedelta(days=1)


# --- schedule ---------------------------------------------------------------------------------


def test_schedule_orders_by_day_then_case_then_kind() -> None:
    day = date(2027, 3, 10)  # a Wednesday
    a = _ob(day, case_id="b", kind="follow_up")
    b = _ob(day, case_id="a", kind="follow_up")
    c = _ob(day, case_id="a", kind="delivery_chaser")
    d = _ob(date(2027, 3, 13), case_id="0", kind="file_by")  # Saturday -> Friday 12
    e = _ob(date(2027, 3, 11), case_id="z", kind="schedule_se", key="2026")
    got = schedule([d, a, e, b, c])
    assert [r.obligation for r in got] == [c, b, a, e, d]
    assert [r.on for r in got] == [day, day, day, date(2027, 3, 11), date(2027, 3, 12)]
    assert (
        got[-1].moved == "2027-03-13 is a Saturday: moved to the business day before, 2027-03-12."
    )
    assert all(r.moved is None for r in got[:-1])
    assert schedule(reversed([d, a, e, b, c])) == got


def test_schedule_of_nothing() -> None:
    assert schedule([]) == []


def test_obligation_needs_ids_and_title() -> None:
    with pytest.raises(ValueError, match="case_id"):
        _ob(date(2027, 1, 4), case_id=" ")
    with pytest.raises(ValueError, match="kind"):
        _ob(date(2027, 1, 4), kind="")
    with pytest.raises(ValueError, match="title"):
        _ob(date(2027, 1, 4), title="")


# --- uid --------------------------------------------------------------------------------------


def test_uid_is_stable_when_the_date_or_text_changes() -> None:
    ob = _ob(date(2027, 7, 4))
    assert uid(ob) == "file_by-3f9a1c2e7b4d5a60@cocflow"
    moved = dataclasses.replace(
        ob, due=date(2027, 9, 1), title="Other", detail="Other", source=None
    )
    assert uid(moved) == uid(ob)
    se = _ob(date(2027, 4, 15), kind="schedule_se", key="2026")
    assert uid(se) == "schedule_se-3f9a1c2e7b4d5a60-2026@cocflow"
    assert uid(dataclasses.replace(se, due=date(2027, 10, 15))) == uid(se)


def test_uid_differs_across_cases_kinds_and_keys() -> None:
    base = _ob(date(2027, 7, 4), case_id="c-1", kind="schedule_se", key="2026")
    variants = [
        base,
        dataclasses.replace(base, case_id="c-2"),
        dataclasses.replace(base, kind="uk_self_assessment"),
        dataclasses.replace(base, key="2027"),
        dataclasses.replace(base, key=""),
        # Would collide with naive "-" joining: schedule_se-c-1-2026.
        dataclasses.replace(base, case_id="c", key="1-2026"),
        dataclasses.replace(base, case_id="c-1-2026", key=""),
        dataclasses.replace(base, case_id="c@1"),
    ]
    uids = [uid(v) for v in variants]
    assert len(set(uids)) == len(uids)
    assert all(u.endswith("@cocflow") and u.count("@") == 1 for u in uids)


# --- to_ics -----------------------------------------------------------------------------------


def _feed(stamp: datetime = STAMP) -> tuple[list[Reminder], bytes]:
    reminders = schedule(_obligations())
    return reminders, to_ics(reminders, stamp=stamp)


def test_golden() -> None:
    _, data = _feed()
    if os.environ.get("COCFLOW_UPDATE_GOLDEN") == "1":
        GOLDEN.write_bytes(data)
    assert data == GOLDEN.read_bytes(), "reminders.ics differs from the golden file"


def test_crlf_and_folded_lines() -> None:
    _, data = _feed()
    assert data.endswith(b"\r\n")
    lines = data.split(b"\r\n")
    assert b"\n" not in data.replace(b"\r\n", b"")
    assert all(len(line) <= 75 for line in lines)


def test_parsed_back_with_icalendar() -> None:
    reminders, data = _feed()
    cal = Calendar.from_ical(data)
    assert str(cal["PRODID"]) == PRODID == "-//cocflow//reminders//EN"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["X-WR-CALNAME"]) == "cocflow"
    events = cal.walk("VEVENT")
    assert len(events) == len(reminders) == 4
    sequence = int(STAMP.timestamp()) // 60
    for event, reminder in zip(events, reminders, strict=True):
        ob = reminder.obligation
        assert event.decoded("DTSTART") == reminder.on
        assert event["DTSTART"].params.get("VALUE") == "DATE"
        assert event.decoded("DTEND") == reminder.on + timedelta(days=1)
        assert str(event["UID"]) == uid(ob)
        assert event.decoded("DTSTAMP") == STAMP
        assert event.decoded("LAST-MODIFIED") == STAMP
        assert event.decoded("SEQUENCE") == sequence
        assert str(event["SUMMARY"]) == ob.title
        description = str(event["DESCRIPTION"])
        assert description.startswith(ob.detail + "\n")
        assert f"Due: {ob.due.isoformat()}" in description
        if reminder.moved is None:
            assert "moved" not in description
        else:
            assert reminder.moved in description
        if ob.source is None:
            assert "URL" not in event
            assert "Source:" not in description
        else:
            assert str(event["URL"]) == ob.source
            assert description.endswith(f"\nSource: {ob.source}")
        assert event["CATEGORIES"].to_ical() == ob.kind.encode()
        assert str(event["TRANSP"]) == "TRANSPARENT"
        (alarm,) = event.walk("VALARM")
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm.decoded("TRIGGER") == timedelta(days=-1)
        assert str(alarm["DESCRIPTION"]) == ob.title


def test_description_lines() -> None:
    reminders = schedule([_ob(date(2027, 7, 4))])
    event = Calendar.from_ical(to_ics(reminders, stamp=STAMP)).walk("VEVENT")[0]
    assert str(event["DESCRIPTION"]).split("\n") == [
        "Send the request to SSA Office of International Programs.",
        "2027-07-04 is a U.S. federal holiday (Independence Day): "
        "moved to the business day before, 2027-07-02.",
        "Due: 2027-07-04",
        f"Source: {SSA}",
    ]


def test_parsed_back_with_ics_package() -> None:
    reminders, data = _feed()
    cal = ics.Calendar(data.decode("utf-8"))
    events = sorted(cal.events, key=lambda e: (e.begin, e.uid))
    assert len(events) == len(reminders)
    by_uid = {uid(r.obligation): r for r in reminders}
    assert {e.uid for e in events} == set(by_uid)
    for event in events:
        reminder = by_uid[event.uid]
        assert event.name == reminder.obligation.title
        assert event.all_day
        assert event.begin.date() == reminder.on
        assert event.description.startswith(reminder.obligation.detail)


def test_special_characters_round_trip_through_both_parsers() -> None:
    titles = [TRICKY, "a,b;c", "semi;colon", "comma, only", "new\nline", "back\\slash"]
    obs = [
        _ob(date(2027, 3, 1), kind=f"k{i}", title=t, detail=t + "\n;,")
        for i, t in enumerate(titles)
    ]
    data = to_ics(schedule(obs), stamp=STAMP)
    parsed = Calendar.from_ical(data).walk("VEVENT")
    assert sorted(str(e["SUMMARY"]) for e in parsed) == sorted(titles)
    assert all(str(e["DESCRIPTION"]).startswith(str(e["SUMMARY"]) + "\n;,\n") for e in parsed)
    other = ics.Calendar(data.decode("utf-8"))
    assert sorted(e.name for e in other.events) == sorted(titles)
    assert all(e.description.startswith(e.name + "\n;,\n") for e in other.events)


def test_sequence_grows_with_the_stamp_and_uid_stays() -> None:
    later = STAMP + timedelta(days=3, minutes=7)
    obs = _obligations()
    first = Calendar.from_ical(to_ics(schedule(obs), stamp=STAMP)).walk("VEVENT")
    moved = [dataclasses.replace(o, due=o.due + timedelta(days=-20)) for o in obs]
    second = Calendar.from_ical(to_ics(schedule(moved), stamp=later)).walk("VEVENT")
    assert {str(e["UID"]) for e in first} == {str(e["UID"]) for e in second}
    assert min(e.decoded("SEQUENCE") for e in second) > max(e.decoded("SEQUENCE") for e in first)
    assert second[0].decoded("SEQUENCE") - first[0].decoded("SEQUENCE") == 3 * 24 * 60 + 7


def test_stamp_in_another_zone_is_written_in_utc() -> None:
    paris = timezone(timedelta(hours=1))
    _, data = _feed(datetime(2026, 11, 25, 13, 0, 0, 999, tzinfo=paris))
    assert data == _feed()[1]


def test_naive_stamp_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        to_ics([], stamp=datetime(2026, 11, 25, 12, 0))


def test_duplicate_uid_refused() -> None:
    ob = _ob(date(2027, 7, 4))
    twice = schedule([ob, dataclasses.replace(ob, due=date(2027, 8, 4))])
    with pytest.raises(ValueError, match="share the UID"):
        to_ics(twice, stamp=STAMP)


def test_empty_feed_is_a_valid_calendar() -> None:
    data = to_ics([], stamp=STAMP)
    assert Calendar.from_ical(data).walk("VEVENT") == []
    assert len(ics.Calendar(data.decode("utf-8")).events) == 0
