"""The tracking services on a stored case: the travel and work log, the day counts, the change
watcher and the reminders."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Literal

import pytest
from icalendar import Calendar

from cocflow.errors import InputError
from cocflow.io.casefile import read_case
from cocflow.services.cases import Casework
from cocflow.services.tracking import Logbook
from cocflow.tracking.trips import Counting, DayCount, Trip

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# A U.S. certificate for work in the United Kingdom from 2027-03-01 to 2027-06-30.
LONDON = replace(read_case(EXAMPLES / "drift-case.yaml"), label="Ana, London")
CERTIFICATE = {"country": "GB", "period_start": "2027-03-01", "period_end": "2027-06-30"}
STORED_ON = date(2026, 11, 25)
CSV_HEADER = "country,start,end,purpose,note\n"


@pytest.fixture
def log(work: Casework) -> Logbook:
    return Logbook(work)


@pytest.fixture
def case_id(work: Casework) -> str:
    case_id, _ = work.new_case(LONDON, STORED_ON)
    return case_id


def _certified(work: Casework, tmp_path: Path) -> str:
    """The London case stored with its certificate on file."""
    case_id, _ = work.new_case(LONDON, STORED_ON)
    certificate = tmp_path / "certificate.pdf"
    certificate.write_bytes(b"%PDF-1.4 certificate GB 2027-03-01 to 2027-06-30")
    work.add(case_id, "certificate", certificate, CERTIFICATE)
    return case_id


def _csv(tmp_path: Path, rows: str, name: str = "trips.csv") -> Path:
    path = tmp_path / name
    path.write_text(CSV_HEADER + rows, encoding="utf-8")
    return path


# --- resolve ---------------------------------------------------------------------------------


def test_the_only_case_is_the_one_meant(log: Logbook, case_id: str) -> None:
    assert log.resolve(None) == case_id
    assert log.resolve(case_id[:4]) == case_id


def test_with_several_cases_the_case_must_be_named(log: Logbook, work: Casework) -> None:
    first, _ = work.new_case(LONDON, STORED_ON)
    second, _ = work.new_case(LONDON, STORED_ON)
    with pytest.raises(InputError) as caught:
        log.resolve(None)
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == ("--case", "CASE_REQUIRED")
    assert "2 cases" in problem.message
    assert log.resolve(second) == second and log.resolve(first) == first


def test_with_no_case_stored_the_fix_is_to_store_one(log: Logbook) -> None:
    with pytest.raises(InputError) as caught:
        log.resolve(None)
    (problem,) = caught.value.problems
    assert "say which one" not in problem.message
    assert "case new" in problem.fix


# --- log_stay and add ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "code"),
    [("United Kingdom", "GB"), ("ie", "IE"), ("Portugal", "PT"), (" fr ", "FR")],
)
def test_a_stay_is_logged_with_its_country_by_code_or_name(
    log: Logbook, case_id: str, country: str, code: str
) -> None:
    result = log.log_stay(case_id, country, date(2027, 3, 1), date(2027, 3, 10))
    assert result.added == 1
    ((trip_id, trip),) = log.trips(case_id)
    assert trip_id > 0
    assert trip == Trip(code, date(2027, 3, 1), date(2027, 3, 10), "work", None, "typed")


def test_a_stay_without_an_end_is_one_day_and_keeps_its_purpose_and_note(
    log: Logbook, case_id: str
) -> None:
    log.log_stay(case_id, "IE", date(2027, 3, 20), purpose="personal", note="a wedding")
    ((_, trip),) = log.trips(case_id)
    assert (trip.start, trip.end) == (date(2027, 3, 20), date(2027, 3, 20))
    assert (trip.purpose, trip.note) == ("personal", "a wedding")


@pytest.mark.parametrize(
    ("country", "start", "end", "path", "code"),
    [
        ("GB", date(2027, 3, 5), date(2027, 3, 1), "END", "DATES_OUT_OF_ORDER"),
        ("Atlantis", date(2027, 3, 1), None, "COUNTRY", "BAD_COUNTRY"),
        ("", date(2027, 3, 1), None, "COUNTRY", "BAD_COUNTRY"),
    ],
    ids=["end before start", "no such country", "no country"],
)
def test_a_bad_stay_is_refused_and_nothing_logged(
    log: Logbook,
    case_id: str,
    *,
    country: str,
    start: date,
    end: date | None,
    path: str,
    code: str,
) -> None:
    with pytest.raises(InputError) as caught:
        log.log_stay(case_id, country, start, end)
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == (path, code)
    assert log.trips(case_id) == []


@pytest.mark.parametrize("note", ["a\x00b", "a\x1b[2Jb"], ids=["nul", "escape"])
def test_a_typed_note_with_a_control_character_is_refused(
    log: Logbook, case_id: str, note: str
) -> None:
    with pytest.raises(InputError) as caught:
        log.log_stay(case_id, "GB", date(2027, 3, 1), note=note)
    assert caught.value.problems[0].code == "CONTROL_CHARACTER"
    assert log.trips(case_id) == []


def test_each_change_reports_the_overlaps_and_gaps_of_the_whole_log(
    log: Logbook, case_id: str
) -> None:
    log.log_stay(case_id, "GB", date(2027, 3, 1), date(2027, 3, 10))
    later = log.log_stay(case_id, "GB", date(2027, 3, 20), date(2027, 3, 31))
    assert later.gaps == [(date(2027, 3, 11), date(2027, 3, 19))] and later.overlaps == []
    inside = log.add(case_id, [Trip("FR", date(2027, 3, 5), date(2027, 3, 6))])
    assert inside.added == 1
    assert [(a.country, b.country) for a, b in inside.overlaps] == [("GB", "FR")]
    assert inside.gaps == later.gaps


def test_a_stay_for_an_unknown_case_is_refused(log: Logbook) -> None:
    with pytest.raises(InputError) as caught:
        log.log_stay("0000000000000000", "GB", date(2027, 3, 1))
    assert caught.value.problems[0].code == "UNKNOWN_CASE"


# --- import_file -----------------------------------------------------------------------------


def test_a_clean_csv_is_imported_whole(log: Logbook, case_id: str) -> None:
    result = log.import_file(case_id, EXAMPLES / "drift-trips.csv")
    assert result.added == 5
    trips = [t for _, t in log.trips(case_id)]
    assert [t.country for t in trips] == ["GB", "US", "GB", "IE", "US"]
    assert {t.origin for t in trips} == {"csv"}
    assert trips[1].purpose == "personal" and trips[0].note == "London client site"


def test_a_csv_with_bad_rows_adds_nothing_and_reports_every_one(
    log: Logbook, case_id: str, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path,
        "GB,2027-03-01,2027-03-05,work,fine\n"
        "Atlantis,2027-04-01,,work,\n"
        "FR,2027-02-30,,,\n"
        "DE,2027-05-02,2027-05-01,holiday,\n"
        ",,,,\n"
        "ES,2027-06-01,2027-06-02,work,fine\n",
    )
    with pytest.raises(InputError) as caught:
        log.import_file(case_id, path)
    assert caught.value.source == str(path)
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("line 3: country", "BAD_COUNTRY"),
        ("line 4: start", "BAD_DATE"),
        ("line 5: purpose", "BAD_PURPOSE"),
        ("line 5: end", "END_BEFORE_START"),
    ]
    assert log.trips(case_id) == []


def test_a_csv_with_a_byte_order_mark_is_read(log: Logbook, case_id: str, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(("\ufeff" + CSV_HEADER + "Portugal,2027-03-01,,work,\n").encode())
    assert log.import_file(case_id, path).added == 1
    assert [t.country for _, t in log.trips(case_id)] == ["PT"]


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("trips.csv", (CSV_HEADER + "PT,2027-03-01,,work,Caf\xe9\n").encode("latin-1"), "NOT_UTF8"),
        ("trips.txt", (CSV_HEADER + "PT,2027-03-01,,work,\n").encode(), "BAD_FILE_TYPE"),
        ("trips.csv", b"land,from\nPT,2027-03-01\n", "UNKNOWN_COLUMN"),
    ],
    ids=["not utf-8", "not csv or ics", "wrong header"],
)
def test_a_file_that_is_not_a_trip_log_is_refused(
    log: Logbook, case_id: str, tmp_path: Path, *, name: str, data: bytes, code: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        log.import_file(case_id, path)
    assert caught.value.problems[0].code == code
    assert log.trips(case_id) == []


def test_a_calendar_export_is_imported_and_its_bad_events_named(
    log: Logbook, case_id: str, tmp_path: Path
) -> None:
    def event(uid: str, start: str, end: str, location: str) -> str:
        return (
            f"BEGIN:VEVENT\r\nUID:{uid}\r\nSUMMARY:Client visit\r\nDTSTART;VALUE=DATE:{start}\r\n"
            f"DTEND;VALUE=DATE:{end}\r\nLOCATION:{location}\r\nEND:VEVENT\r\n"
        )

    def calendar(*events: str) -> bytes:
        body = "".join(events)
        return (
            f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{body}END:VCALENDAR\r\n".encode()
        )

    london = event("a1", "20270301", "20270311", "London\\, United Kingdom")
    moon = event("b2", "20270401", "20270402", "Moon")
    bad = tmp_path / "bad.ics"
    bad.write_bytes(calendar(london, moon))
    with pytest.raises(InputError) as caught:
        log.import_file(case_id, bad)
    assert [(p.path, p.code) for p in caught.value.problems] == [("b2.LOCATION", "NO_COUNTRY")]
    assert log.trips(case_id) == []
    good = tmp_path / "good.ics"
    good.write_bytes(calendar(london))
    assert log.import_file(case_id, good).added == 1
    ((_, trip),) = log.trips(case_id)
    assert (trip.country, trip.start, trip.end) == ("GB", date(2027, 3, 1), date(2027, 3, 10))
    assert (trip.origin, trip.note) == ("calendar", "Client visit")


# --- trips and remove ------------------------------------------------------------------------


def test_trips_are_listed_by_start_and_one_can_be_removed(log: Logbook, case_id: str) -> None:
    log.log_stay(case_id, "IE", date(2027, 7, 21), date(2027, 7, 27))
    log.log_stay(case_id, "GB", date(2027, 3, 1), date(2027, 7, 20))
    listed = log.trips(case_id)
    assert [t.country for _, t in listed] == ["GB", "IE"]
    log.remove(case_id, listed[1][0])
    assert log.trips(case_id) == listed[:1]


def test_a_trip_is_removed_only_from_its_own_case(
    log: Logbook, work: Casework, case_id: str
) -> None:
    other, _ = work.new_case(LONDON, STORED_ON)
    log.log_stay(case_id, "GB", date(2027, 3, 1))
    ((trip_id, _),) = log.trips(case_id)
    for target, trip in ((other, trip_id), (case_id, trip_id + 1)):
        with pytest.raises(InputError) as caught:
            log.remove(target, trip)
        assert caught.value.problems[0].code == "UNKNOWN_TRIP"
    assert len(log.trips(case_id)) == 1


# --- days ------------------------------------------------------------------------------------


@pytest.fixture
def year_log(log: Logbook, case_id: str) -> str:
    """Stays around the turn of the year and the start of the UK tax year (6 April)."""
    log.log_stay(case_id, "GB", date(2026, 12, 28), date(2027, 1, 3))
    log.log_stay(case_id, "GB", date(2027, 4, 1), date(2027, 4, 10))
    log.log_stay(case_id, "IE", date(2027, 4, 10), date(2027, 4, 12), purpose="personal")
    log.log_stay(case_id, "GB", date(2028, 4, 3), date(2028, 4, 8))
    return case_id


@pytest.mark.parametrize(
    ("year", "counting", "tax_year", "expected"),
    [
        (2027, Counting(), "calendar", {"GB": DayCount(13, 13), "IE": DayCount(3, 0)}),
        (2026, Counting(), "calendar", {"GB": DayCount(4, 4)}),
        (2026, Counting(), "uk", {"GB": DayCount(12, 12)}),
        (2027, Counting(), "uk", {"GB": DayCount(8, 8), "IE": DayCount(3, 0)}),
        (2027, Counting(False, False), "uk", {"GB": DayCount(6, 6), "IE": DayCount(1, 0)}),
        (2028, Counting(), "calendar", {"GB": DayCount(6, 6)}),
        (2025, Counting(), "calendar", {}),
    ],
    ids=[
        "calendar 2027",
        "calendar 2026",
        "uk 2026-27",
        "uk 2027-28",
        "uk 2027-28 without travel days",
        "calendar 2028",
        "a year with no stay",
    ],
)
def test_days_present_per_country_in_a_calendar_or_uk_tax_year(
    log: Logbook,
    year_log: str,
    *,
    year: int,
    counting: Counting,
    tax_year: Literal["calendar", "uk"],
    expected: dict[str, DayCount],
) -> None:
    assert log.days(year_log, year, counting, tax_year) == expected


# --- watch -----------------------------------------------------------------------------------


def test_work_outside_the_certificate_is_found_and_recorded(
    log: Logbook, work: Casework, tmp_path: Path
) -> None:
    case_id = _certified(work, tmp_path)
    log.log_stay(case_id, "GB", date(2027, 3, 1), date(2027, 7, 10))
    result = log.watch(case_id, date(2027, 7, 15), None)
    assert result.case_id == case_id and result.letters == []
    (finding,) = result.findings
    assert finding.code == "WORK_OUTSIDE_CERTIFICATE" and finding.needs_action
    assert "2027-07-01 to 2027-07-10" in finding.changed
    assert finding.letter == "extension"
    entry = work.entries(case_id)[-1]
    assert entry.kind == "watch_findings"
    assert json.loads(entry.payload) == {
        "as_of": "2027-07-15",
        "codes": ["WORK_OUTSIDE_CERTIFICATE"],
        "needs_action": True,
        "letters": [],
    }
    assert work.verify(case_id) is None


def test_with_a_letters_folder_the_letter_is_drafted_and_recorded_as_a_request(
    log: Logbook, work: Casework, tmp_path: Path
) -> None:
    case_id = _certified(work, tmp_path)
    log.log_stay(case_id, "GB", date(2027, 3, 1), date(2027, 7, 10))
    letters = tmp_path / "letters"
    result = log.watch(case_id, date(2027, 7, 15), letters)
    assert result.letters == [letters / f"extension-letter-{case_id}.pdf"]
    assert result.letters[0].read_bytes().startswith(b"%PDF")
    assert result.not_ready == []
    kinds = [e.kind for e in work.entries(case_id)]
    assert kinds[-2:] == ["request_prepared", "watch_findings"]
    prepared = json.loads(work.entries(case_id)[-2].payload)
    assert (prepared["purpose"], prepared["ready"]) == ("extension", True)
    assert json.loads(work.entries(case_id)[-1].payload)["letters"] == [result.letters[0].name]


def test_work_inside_the_certificate_finds_nothing_and_records_nothing(
    log: Logbook, work: Casework, tmp_path: Path
) -> None:
    case_id = _certified(work, tmp_path)
    log.log_stay(case_id, "GB", date(2027, 3, 1), date(2027, 4, 10))
    before = len(work.entries(case_id))
    assert log.watch(case_id, date(2027, 3, 15), tmp_path / "letters").findings == []
    assert len(work.entries(case_id)) == before
    assert not (tmp_path / "letters").exists()


def test_watching_every_case_reports_one_that_cannot_be_read_and_runs_the_others(
    log: Logbook, work: Casework, tmp_path: Path
) -> None:
    case_id = _certified(work, tmp_path)
    results = log.watch_all(["0000000000000000", case_id], date(2027, 3, 15), None)
    missing, watched = results
    assert isinstance(missing, tuple) and missing[0] == "0000000000000000"
    assert "there is no case" in missing[1]
    assert not isinstance(watched, tuple) and watched.case_id == case_id


# --- reminders and ics -----------------------------------------------------------------------


def test_reminders_name_the_case_by_its_label(log: Logbook, case_id: str) -> None:
    reminders = log.reminders(None, STORED_ON)
    kinds = [r.obligation.kind for r in reminders]
    assert kinds == ["file_by", "uk_self_assessment", "uk_self_assessment"]
    assert all(r.obligation.title.endswith(": Ana, London") for r in reminders)
    assert {r.obligation.case_id for r in reminders} == {case_id}
    assert reminders[0].obligation.due == date(2026, 12, 17)  # 2027-03-01 less 60 and 14 days


def test_the_processing_window_moves_the_file_by_reminder(log: Logbook, case_id: str) -> None:
    (file_by,) = [r for r in log.reminders(30, STORED_ON) if r.obligation.kind == "file_by"]
    assert file_by.obligation.due == date(2027, 1, 16)
    assert "assumes 30 days" in file_by.obligation.detail


def test_dates_already_past_are_still_reminded(
    log: Logbook, work: Casework, tmp_path: Path
) -> None:
    _certified(work, tmp_path)
    today = date(2027, 8, 1)
    reminders = log.reminders(None, today)
    due = {r.obligation.kind: r for r in reminders}
    assert set(due) == {"certificate_ending", "extension_deadline", "uk_self_assessment"}
    ending = due["certificate_ending"]
    assert ending.obligation.due == date(2027, 5, 1) < today
    assert ending.on == date(2027, 4, 30) and ending.moved is not None  # a Saturday
    assert due["extension_deadline"].obligation.due == date(2027, 6, 30) < today


def test_the_calendar_feed_has_one_event_per_reminder_named_for_its_case(
    log: Logbook, work: Casework, tmp_path: Path
) -> None:
    first = _certified(work, tmp_path)
    second, _ = work.new_case(replace(LONDON, label="Ben, Leeds"), STORED_ON)
    today = date(2027, 8, 1)
    reminders = log.reminders(None, today)
    events = Calendar.from_ical(log.ics(None, today)).walk("VEVENT")
    assert len(events) == len(reminders)
    summaries = [str(e["SUMMARY"]) for e in events]
    assert summaries == [r.obligation.title for r in reminders]
    uids = [str(e["UID"]) for e in events]
    assert len(set(uids)) == len(uids)
    for case_id, label in ((first, "Ana, London"), (second, "Ben, Leeds")):
        mine = [s for s, u in zip(summaries, uids, strict=True) if case_id in u]
        assert mine and all(s.endswith(f": {label}") for s in mine)
    assert [e.decoded("DTSTART") for e in events] == [r.on for r in reminders]
