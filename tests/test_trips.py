"""The travel and work log: CSV and iCalendar import, overlaps, gaps and day counts."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar, Event

from cocflow.io.tripfiles import parse_trips_csv, parse_trips_ics
from cocflow.tracking.trips import (
    TRIP_COLUMNS,
    Counting,
    DayCount,
    Trip,
    day_counts,
    gaps,
    overlaps,
    uk_tax_year,
)

D = date
HEADER = ",".join(TRIP_COLUMNS)


def trip(country: str, start: date, end: date | None = None, purpose: Any = "work") -> Trip:
    return Trip(country, start, end or start, purpose)


# --------------------------------------------------------------------------------------- CSV


def test_csv_good_file() -> None:
    text = (
        "\ufeffCountry, Start ,end,purpose,note\r\n"
        "PT,2024-01-01,2024-01-10,,Lisbon office\r\n"
        "\r\n"
        "Spain,2024-01-10,,personal,\r\n"
        'gb,2024-02-01,2024-02-03,TRANSIT,"quoted, with comma"\r\n'
    )
    trips, problems = parse_trips_csv(text)
    assert problems == []
    assert trips == [
        Trip("PT", D(2024, 1, 1), D(2024, 1, 10), "work", "Lisbon office", "csv"),
        Trip("ES", D(2024, 1, 10), D(2024, 1, 10), "personal", None, "csv"),
        Trip("GB", D(2024, 2, 1), D(2024, 2, 3), "transit", "quoted, with comma", "csv"),
    ]


def test_csv_optional_columns_may_be_absent() -> None:
    trips, problems = parse_trips_csv("start,country\n2024-03-01,DE\n")
    assert problems == []
    assert trips == [Trip("DE", D(2024, 3, 1), D(2024, 3, 1), "work", None, "csv")]


@pytest.mark.parametrize(
    ("row", "codes"),
    [
        ("XX,2024-01-01,,,", [("country", "BAD_COUNTRY")]),
        ("UK,2024-01-01,,,", [("country", "BAD_COUNTRY")]),
        (",2024-01-01,,,", [("country", "MISSING_VALUE")]),
        ("PT,,2024-01-02,,", [("start", "MISSING_VALUE")]),
        ("PT,01/02/2024,,,", [("start", "BAD_DATE")]),
        ("PT,2024-02-30,,,", [("start", "BAD_DATE")]),
        ("PT,2024-01-01,2024-13-01,,", [("end", "BAD_DATE")]),
        ("PT,2024-01-05,2024-01-04,,", [("end", "END_BEFORE_START")]),
        ("PT,2024-01-05,,holiday,", [("purpose", "BAD_PURPOSE")]),
        ("PT,2024-01-05,,,note,extra", [("", "TOO_MANY_FIELDS")]),
        (
            "Narnia,someday,never,fun,",
            [
                ("country", "BAD_COUNTRY"),
                ("start", "BAD_DATE"),
                ("end", "BAD_DATE"),
                ("purpose", "BAD_PURPOSE"),
            ],
        ),
    ],
)
def test_csv_bad_row(row: str, codes: list[tuple[str, str]]) -> None:
    trips, problems = parse_trips_csv(f"{HEADER}\nPT,2024-01-01,,,\n{row}\n")
    assert len(trips) == 1  # the good row is parsed; the caller imports nothing
    assert [(line, p.path, p.code) for line, p in problems] == [(3, *c) for c in codes]
    assert all(p.message and p.fix for _, p in problems)


def test_csv_reports_every_bad_row_with_its_line() -> None:
    text = (
        f"{HEADER}\n"
        "PT,2024-01-01,,,\n"  # 2 good
        "XX,2024-01-01,,,\n"  # 3
        'PT,2024-01-01,,,"a note\nover two lines"\n'  # 4-5 good
        "PT,bad,,,\n"  # 6
        "\n"  # 7 blank
        "PT,2024-01-01,,nope,\n"  # 8
    )
    trips, problems = parse_trips_csv(text)
    assert len(trips) == 2
    assert [(line, p.code) for line, p in problems] == [
        (3, "BAD_COUNTRY"),
        (6, "BAD_DATE"),
        (8, "BAD_PURPOSE"),
    ]


@pytest.mark.parametrize(
    ("header", "codes"),
    [
        ("country,start,end,purpose,note,city", [("city", "UNKNOWN_COLUMN")]),
        ("country,end", [("start", "MISSING_COLUMN")]),
        ("country,start,start", [("start", "DUPLICATE_COLUMN")]),
        ("PT,2024-01-01", [("pt", "UNKNOWN_COLUMN"), ("2024-01-01", "UNKNOWN_COLUMN")]),
    ],
)
def test_csv_header_problems_are_line_1(header: str, codes: list[tuple[str, str]]) -> None:
    trips, problems = parse_trips_csv(f"{header}\nPT,2024-01-01\n")
    assert trips == []
    found = [(line, p.path, p.code) for line, p in problems]
    assert all(line == 1 for line, _, _ in found)
    assert [(path, code) for _, path, code in found][: len(codes)] == codes


@pytest.mark.parametrize("text", ["", "\n\n", "\ufeff"])
def test_csv_empty_file_has_no_header(text: str) -> None:
    assert [(line, p.code) for line, p in parse_trips_csv(text)[1]] == [(1, "NO_HEADER")]


def test_csv_header_only_is_an_empty_log() -> None:
    assert parse_trips_csv(HEADER + "\n") == ([], [])


# ---------------------------------------------------------------------------------- iCalendar


def ics(*events: dict[str, Any]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//cocflow tests//EN")
    cal.add("version", "2.0")
    for spec in events:
        event = Event()
        for key, value in spec.items():
            event.add(key, value)
        cal.add_component(event)
    return bytes(cal.to_ical())


def test_ics_all_day_multi_day_event_ends_the_day_before_dtend() -> None:
    data = ics(
        {
            "uid": "a",
            "summary": "Lisbon office",
            "dtstart": D(2024, 3, 1),
            "dtend": D(2024, 3, 11),
            "location": "PT",
        }
    )
    assert parse_trips_ics(data) == (
        [Trip("PT", D(2024, 3, 1), D(2024, 3, 10), "work", "Lisbon office", "calendar")],
        [],
    )


def test_ics_all_day_event_without_dtend_is_one_day() -> None:
    trips, _ = parse_trips_ics(ics({"uid": "a", "dtstart": D(2024, 3, 1), "location": "Spain"}))
    assert [(t.country, t.start, t.end) for t in trips] == [("ES", D(2024, 3, 1), D(2024, 3, 1))]


def test_ics_timed_events_cover_the_local_dates_they_touch() -> None:
    ny, lisbon = ZoneInfo("America/New_York"), ZoneInfo("Europe/Lisbon")
    data = ics(
        {  # overnight flight: 22:00 in New York to 10:00 next day in Lisbon
            "uid": "flight",
            "dtstart": datetime(2024, 5, 1, 22, 0, tzinfo=ny),
            "dtend": datetime(2024, 5, 2, 10, 0, tzinfo=lisbon),
            "location": "Lisbon, Portugal",
            "categories": ["transit"],
        },
        {  # ends at midnight: does not touch 5 May
            "uid": "dinner",
            "dtstart": datetime(2024, 5, 4, 20, 0, tzinfo=lisbon),
            "dtend": datetime(2024, 5, 5, 0, 0, tzinfo=lisbon),
            "location": "Porto, Portugal",
            "categories": ["personal"],
        },
        {  # DURATION instead of DTEND
            "uid": "workshop",
            "dtstart": datetime(2024, 5, 6, 18, 0, tzinfo=lisbon),
            "duration": timedelta(hours=31),  # to 01:00 on 8 May
            "location": "Portugal",
        },
    )
    trips, problems = parse_trips_ics(data)
    assert problems == []
    assert [(t.start, t.end, t.purpose) for t in trips] == [
        (D(2024, 5, 1), D(2024, 5, 2), "transit"),
        (D(2024, 5, 4), D(2024, 5, 4), "personal"),
        (D(2024, 5, 6), D(2024, 5, 8), "work"),
    ]
    assert {t.country for t in trips} == {"PT"}


@pytest.mark.parametrize(
    ("extra", "country", "purpose"),
    [
        ({"location": "Lisbon, Portugal"}, "PT", "work"),
        ({"location": "Rua Augusta 1, 1100-048 Lisboa, PT"}, "PT", "work"),
        ({"location": "Germany"}, "DE", "work"),
        ({"location": "Hotel Adlon", "categories": ["Personal", "Germany"]}, "DE", "personal"),
        ({"categories": ["transit", "JP"]}, "JP", "transit"),
        ({"location": "Lisbon, Portugal", "categories": ["ES"]}, "PT", "work"),  # LOCATION wins
    ],
)
def test_ics_country_and_purpose(extra: dict[str, Any], country: str, purpose: str) -> None:
    trips, problems = parse_trips_ics(ics({"uid": "x", "dtstart": D(2024, 1, 1), **extra}))
    assert problems == []
    assert [(t.country, t.purpose) for t in trips] == [(country, purpose)]


def test_ics_problems_are_keyed_by_uid_and_every_event_is_reported() -> None:
    data = ics(
        {"uid": "good", "dtstart": D(2024, 1, 1), "location": "FR"},
        {"uid": "city-only", "dtstart": D(2024, 1, 2), "location": "Lisbon"},
        {"dtstart": D(2024, 1, 3), "summary": "no uid, no place"},
        {"uid": "weekly", "dtstart": D(2024, 1, 4), "location": "FR", "rrule": {"FREQ": "WEEKLY"}},
        {"uid": "off", "dtstart": D(2024, 1, 5), "location": "FR", "status": "CANCELLED"},
        {
            "uid": "both",
            "dtstart": D(2024, 1, 6),
            "location": "FR",
            "categories": ["work", "personal"],
        },
        {"uid": "no-start", "location": "FR"},
    )
    trips, problems = parse_trips_ics(data)
    assert [t.country for t in trips] == ["FR"]
    assert [(key, p.path, p.code) for key, p in problems] == [
        ("city-only", "LOCATION", "NO_COUNTRY"),
        ("event 3", "LOCATION", "NO_COUNTRY"),
        ("weekly", "RRULE", "RECURRING"),
        ("off", "STATUS", "CANCELLED"),
        ("both", "CATEGORIES", "CONFLICTING_PURPOSE"),
        ("no-start", "DTSTART", "BAD_DATES"),
    ]
    assert "expand the recurrence" in problems[2][1].fix


def test_ics_broken_date_and_broken_file() -> None:
    broken = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:b\r\n"
        b"DTSTART;VALUE=DATE:2024023\r\nLOCATION:PT\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert [(k, p.code) for k, p in parse_trips_ics(broken)[1]] == [("b", "BAD_DATES")]
    lone = b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20240101\r\nEND:VEVENT\r\n"
    assert [(k, p.code) for k, p in parse_trips_ics(lone)[1]] == [("calendar", "BAD_CALENDAR")]
    assert [(k, p.code) for k, p in parse_trips_ics(b"not a calendar")[1]] == [
        ("calendar", "BAD_CALENDAR")
    ]


# ---------------------------------------------------------------------------- overlaps, gaps


def test_same_day_travel_is_not_an_overlap() -> None:
    log = [trip("PT", D(2024, 1, 1), D(2024, 1, 10)), trip("ES", D(2024, 1, 10), D(2024, 1, 20))]
    assert overlaps(log) == []
    assert gaps(log) == []


@pytest.mark.parametrize(
    ("a", "b", "flagged"),
    [
        (("PT", (1, 1), (1, 10)), ("ES", (1, 9), (1, 20)), True),  # two shared days
        (("PT", (1, 1), (1, 10)), ("ES", (1, 5), (1, 5)), True),  # day trip inside a stay
        (("PT", (1, 1), (1, 10)), ("ES", (1, 1), (1, 1)), False),  # leave on the first day
        (("PT", (1, 1), (1, 1)), ("ES", (1, 1), (1, 1)), False),  # one day, both countries
        (("PT", (1, 1), (1, 10)), ("PT", (1, 5), (1, 20)), False),  # same country
        (("PT", (1, 1), (1, 10)), ("ES", (1, 11), (1, 20)), False),  # next day
        (("ES", (1, 1), (1, 31)), ("PT", (1, 2), (1, 30)), True),  # contained
    ],
)
def test_overlaps(a: tuple[Any, ...], b: tuple[Any, ...], flagged: bool) -> None:
    def make(spec: tuple[Any, ...]) -> Trip:
        country, (m1, d1), (m2, d2) = spec
        return trip(country, D(2024, m1, d1), D(2024, m2, d2))

    first, second = make(a), make(b)
    assert overlaps([second, first]) == ([(first, second)] if flagged else [])


def test_overlaps_finds_every_pair() -> None:
    long = trip("ES", D(2024, 1, 1), D(2024, 3, 1))
    inner = [trip("PT", D(2024, 1, 5), D(2024, 1, 7)), trip("FR", D(2024, 2, 1), D(2024, 2, 3))]
    assert overlaps([*inner, long]) == [(long, inner[0]), (long, inner[1])]


def test_gaps() -> None:
    log = [
        trip("PT", D(2024, 1, 1), D(2024, 1, 10)),
        trip("ES", D(2024, 1, 11), D(2024, 1, 12)),  # adjacent: no gap
        trip("FR", D(2024, 1, 15)),
        trip("DE", D(2024, 1, 14), D(2024, 1, 20)),
        trip("IT", D(2024, 2, 28), D(2024, 3, 2)),
    ]
    assert gaps(log) == [(D(2024, 1, 13), D(2024, 1, 13)), (D(2024, 1, 21), D(2024, 2, 27))]
    assert gaps([]) == []


# ------------------------------------------------------------------------------- day counts


def test_day_counts_leap_year_and_clipping() -> None:
    log = [trip("PT", D(2023, 12, 20), D(2025, 1, 5))]
    assert day_counts(log, 2024) == {"PT": DayCount(366, 366)}
    assert day_counts(log, 2023) == {"PT": DayCount(12, 12)}
    assert day_counts(log, 2025) == {"PT": DayCount(5, 5)}
    assert day_counts(log, 2026) == {}
    feb = [trip("ES", D(2024, 2, 28), D(2024, 3, 1), "personal")]
    assert day_counts(feb, 2024) == {"ES": DayCount(3, 0)}


def test_uk_tax_year_boundary() -> None:
    assert uk_tax_year(D(2024, 4, 5)) == 2023
    assert uk_tax_year(D(2024, 4, 6)) == 2024
    assert uk_tax_year(D(2025, 1, 1)) == 2024
    log = [trip("GB", D(2024, 4, 5), D(2024, 4, 6)), trip("GB", D(2025, 4, 5), D(2025, 4, 6))]
    assert day_counts(log, 2024, tax_year="uk") == {"GB": DayCount(2, 2)}  # 6 Apr 24 + 5 Apr 25
    assert day_counts(log, 2023, tax_year="uk") == {"GB": DayCount(1, 1)}
    assert day_counts(log, 2025, tax_year="uk") == {"GB": DayCount(1, 1)}
    whole = [trip("GB", D(2023, 1, 1), D(2026, 12, 31))]
    assert day_counts(whole, 2023, tax_year="uk")["GB"].days == 366  # includes 29 Feb 2024
    assert day_counts(whole, 2024, tax_year="uk")["GB"].days == 365


TRAVEL = [
    trip("PT", D(2024, 1, 1), D(2024, 1, 10)),
    trip("ES", D(2024, 1, 10), D(2024, 1, 20), "personal"),
    trip("ES", D(2024, 1, 21), D(2024, 1, 25)),  # same stay, logged as a work trip
    trip("FR", D(2024, 1, 25)),  # same-day visit, leaving again that day
    trip("ES", D(2024, 1, 25), D(2024, 1, 26)),  # back to Spain the same day
]


@pytest.mark.parametrize(
    ("counting", "expected"),
    [
        (Counting(), {"PT": (10, 10), "ES": (17, 6), "FR": (1, 1)}),
        (Counting(departure_counts=False), {"PT": (9, 9), "ES": (16, 5)}),
        (Counting(arrival_counts=False), {"PT": (9, 9), "ES": (16, 6)}),
        (Counting(False, False), {"PT": (8, 8), "ES": (15, 5)}),
    ],
)
def test_day_counts_arrival_and_departure(
    counting: Counting, expected: dict[str, tuple[int, int]]
) -> None:
    # Spain: 10-26 Jan is one stay (the trips touch or share days); France is one travel day.
    counts = day_counts(TRAVEL, 2024, counting)
    assert {c: (n.days, n.work_days) for c, n in counts.items()} == expected


def test_a_stay_logged_as_two_trips_across_the_year_end_is_not_a_departure() -> None:
    log = [trip("ES", D(2023, 12, 28), D(2023, 12, 31)), trip("ES", D(2024, 1, 1), D(2024, 1, 3))]
    neither = Counting(False, False)
    assert day_counts(log, 2023, neither) == {"ES": DayCount(3, 3)}  # 29-31 Dec
    assert day_counts(log, 2024, neither) == {"ES": DayCount(2, 2)}  # 1-2 Jan
    uk = [trip("GB", D(2024, 4, 1), D(2024, 4, 5)), trip("GB", D(2024, 4, 6), D(2024, 4, 9))]
    assert day_counts(uk, 2023, neither, tax_year="uk") == {"GB": DayCount(4, 4)}  # 2-5 Apr
    assert day_counts(uk, 2024, neither, tax_year="uk") == {"GB": DayCount(3, 3)}  # 6-8 Apr


def test_counting_describe() -> None:
    sentences = {Counting(a, d).describe() for a in (True, False) for d in (True, False)}
    assert len(sentences) == 4
    assert Counting().describe() == (
        "Arrival and departure days count as days present in a country, "
        "so a travel day counts for both countries."
    )
    assert all(s.endswith(".") for s in sentences)


def test_trip_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        Trip("PT", D(2024, 1, 2), D(2024, 1, 1), "work", None, "typed")


# ------------------------------------------------------------------------------- properties

COUNTRIES = ["PT", "ES", "FR"]
BASE = D(2023, 12, 25)  # logs straddle the 2023/2024 year end


@st.composite
def logs(draw: st.DrawFn) -> list[Trip]:
    n = draw(st.integers(0, 8))
    out = []
    for _ in range(n):
        start = BASE + timedelta(days=draw(st.integers(0, 20)))
        length = draw(st.integers(0, 6))
        out.append(
            Trip(
                draw(st.sampled_from(COUNTRIES)),
                start,
                start + timedelta(days=length),
                draw(st.sampled_from(["work", "personal", "transit"])),
            )
        )
    return out


def naive_counts(log: list[Trip], year: int, counting: Counting) -> dict[str, DayCount]:
    def covered(country: str, day: date, work: bool = False) -> bool:
        return any(
            t.country == country and t.start <= day <= t.end and (not work or t.purpose == "work")
            for t in log
        )

    out = {}
    for country in COUNTRIES:
        days = work_days = 0
        day = D(year, 1, 1)
        while day.year == year:
            present = (
                covered(country, day)
                and (counting.arrival_counts or covered(country, day - timedelta(days=1)))
                and (counting.departure_counts or covered(country, day + timedelta(days=1)))
            )
            days += present
            work_days += present and covered(country, day, work=True)
            day += timedelta(days=1)
        if days:
            out[country] = DayCount(days, work_days)
    return out


@settings(max_examples=150, deadline=None)
@given(logs(), st.booleans(), st.booleans(), st.sampled_from([2023, 2024]))
def test_day_counts_match_a_naive_count(
    log: list[Trip], arrival: bool, departure: bool, year: int
) -> None:
    counting = Counting(arrival, departure)
    assert day_counts(log, year, counting) == naive_counts(log, year, counting)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-400, 800), st.integers(0, 400)), max_size=6))
def test_days_in_a_year_never_exceed_its_length(spans: list[tuple[int, int]]) -> None:
    log = [
        Trip("PT", D(2024, 1, 1) + timedelta(days=s), D(2024, 1, 1) + timedelta(days=s + n))
        for s, n in spans
    ]
    for year in (2023, 2024, 2025):
        length = (D(year + 1, 1, 1) - D(year, 1, 1)).days
        assert all(c.days <= length for c in day_counts(log, year).values())
        assert all(c.days <= 366 for c in day_counts(log, year, tax_year="uk").values())


@settings(max_examples=150, deadline=None)
@given(logs())
def test_gaps_and_trips_cover_every_day_exactly(log: list[Trip]) -> None:
    holes = gaps(log)
    if not log:
        assert holes == []
        return
    first, last = min(t.start for t in log), max(t.end for t in log)
    day = first
    while day <= last:
        in_trip = any(t.start <= day <= t.end for t in log)
        in_gap = sum(a <= day <= b for a, b in holes)
        assert in_gap == (0 if in_trip else 1), day
        day += timedelta(days=1)
    assert all(first < a <= b < last for a, b in holes)


def naive_overlaps(log: list[Trip]) -> set[tuple[Trip, Trip]]:
    found = set()
    for a in log:
        for b in log:
            days = {a.start + timedelta(days=i) for i in range((a.end - a.start).days + 1)}
            shared = {d for d in days if b.start <= d <= b.end}
            travel_day = len(shared) == 1 and (a.end == b.start or b.end == a.start)
            if a is not b and a.country != b.country and shared and not travel_day:
                found.add((a, b))
    return found


@settings(max_examples=150, deadline=None)
@given(logs())
def test_overlaps_match_a_naive_pairwise_check(log: list[Trip]) -> None:
    log = [replace(t, note=str(i)) for i, t in enumerate(log)]  # equal trips made distinct
    pairs = overlaps(log)
    assert len(pairs) == len(set(pairs))
    assert all(a.start <= b.start for a, b in pairs)
    both_ways = {p for a, b in pairs for p in ((a, b), (b, a))}
    assert both_ways == naive_overlaps(log)
