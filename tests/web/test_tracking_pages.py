"""The travel and work log, the watcher, the reminders and the case file in and out, as pages:
in process (Starlette's TestClient), then in a real browser (axe, screenshots)."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from starlette.applications import Starlette
from starlette.testclient import TestClient

from cocflow.documents.pdf import extract_text
from cocflow.io.casefile import parse_case, read_case
from cocflow.io.settings import Settings
from cocflow.io.yamlio import loads
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for
from cocflow.services.tracking import Logbook
from cocflow.web.routes import tracking
from tests.web.conftest import BASE_URL
from tests.web.support import LiveServer, check_a11y, make_app, new_token, running, screenshot

ROOT = Path(__file__).resolve().parents[2]
DRIFT_CASE = ROOT / "examples" / "drift-case.yaml"
DRIFT_TRIPS = ROOT / "examples" / "drift-trips.csv"
TODAY = date(2027, 5, 15)
SSN = "123-45-6781"  # the drift example's
BROKEN_CSV = (
    "country,start,end,purpose,note\n"
    "GB,2027-03-01,2027-03-05,work,\n"
    "Atlantis,2027-04-01,,work,\n"
    "FR,2027-02-30,,work,\n"
)
BROKEN_CASE = """\
cocflow_case: 1
worker:
  kind: freelancer
  residence: [{country: US, from: 2015-01-01}]
engagements:
  - {country: PT, start: 2027-03-01, end: 2027-02-30}
"""


def _drift_case(work: Casework, folder: Path) -> str:
    """The drift example, stored with its certificate for March to June 2027 (GB)."""
    case_id, _ = work.new_case(read_case(DRIFT_CASE), date(2026, 11, 25))
    certificate = folder / "certificate.pdf"
    certificate.write_bytes(b"%PDF-1.4 certificate GB 2027-03-01 to 2027-06-30\n")
    details = {
        "period_start": "2027-03-01",
        "period_end": "2027-06-30",
        "country": "GB",
        "control_number": "X",
    }
    work.add(case_id, "certificate", certificate, details)
    return case_id


def _tracking_app(settings: Settings, token: str, work: Casework) -> Starlette:
    app = make_app(settings, token, routes=tracking.routes())
    app.state.work = work
    app.state.today = TODAY
    return app


@pytest.fixture
def work(settings: Settings) -> Iterator[Casework]:
    opened = open_casework(settings, rules_for(settings))
    yield opened
    opened.close()


@pytest.fixture
def web(settings: Settings, token: str, work: Casework) -> Iterator[TestClient]:
    app = _tracking_app(settings, token, work)
    with TestClient(app, base_url=BASE_URL, raise_server_exceptions=False) as client:
        assert client.get(f"/?token={token}").status_code == 200
        yield client


@pytest.fixture
def case_id(work: Casework, tmp_path: Path) -> str:
    return _drift_case(work, tmp_path)


def _csrf(client: TestClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found, f"no form token on {path}"
    return found.group(1)


def _summary_links(html: str) -> list[tuple[str, str]]:
    """The error summary's links: (target id, text)."""
    summary = html.split('class="error-summary"', 1)[1].split("</div>", 1)[0]
    return [
        (target, re.sub(r"\s+", " ", text).strip())
        for target, text in re.findall(r'<a href="#([^"]+)">(.*?)</a>', summary, re.S)
    ]


def _add(client: TestClient, case_id: str, **fields: str) -> Any:
    path = f"/cases/{case_id}/trips"
    form = {"csrf_token": _csrf(client, path), "form": "add", "purpose": "work", **fields}
    return client.post(path, data=form, follow_redirects=False)


def _import(client: TestClient, case_id: str, name: str, data: bytes) -> Any:
    path = f"/cases/{case_id}/trips"
    form = {"csrf_token": _csrf(client, path), "form": "import"}
    files = {"trips-file": (name, data, "text/csv")}
    return client.post(path, data=form, files=files, follow_redirects=False)


def _title(html: str) -> str:
    found = re.search(r"<title>(.*?)</title>", html, re.S)
    assert found
    return found.group(1).strip()


# --- the log ---------------------------------------------------------------------------------


def test_a_stay_typed_in_is_listed(web: TestClient, case_id: str, work: Casework) -> None:
    page = web.get(f"/cases/{case_id}/trips")
    assert page.status_code == 200
    assert _title(page.text) == "Travel and work log \u2013 cocflow"
    assert f'href="/cases/{case_id}"' in page.text  # back to the case's hub
    assert "No stays are logged yet" in page.text
    assert "a country name or code" in page.text.lower()
    sent = _add(
        web, case_id, country="Portugal", start="2027-01-15", end="2027-01-31", note="Kick-off"
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/cases/{case_id}/trips?added=1"
    listed = web.get(sent.headers["location"]).text
    assert "The stay is added to the log." in listed
    assert "Portugal" in listed and "15 Jan 2027" in listed and "31 Jan 2027" in listed
    assert "Kick-off" in listed and "Typed in" in listed
    ((_, trip),) = Logbook(work).trips(case_id)
    assert (trip.country, trip.start, trip.end) == ("PT", date(2027, 1, 15), date(2027, 1, 31))


def test_a_bad_country_links_the_error_summary_to_the_country_field(
    web: TestClient, case_id: str, work: Casework
) -> None:
    sent = _add(web, case_id, country="Atlantis", start="2027-01-15", note="kept")
    assert sent.status_code == 400
    assert _title(sent.text).startswith("Error: ")
    ((target, text),) = _summary_links(sent.text)
    assert target == "country" and "Atlantis" in text
    assert 'id="country-error"' in sent.text and 'aria-invalid="true"' in sent.text
    assert 'value="Atlantis"' in sent.text and 'value="kept"' in sent.text  # nothing retyped
    assert Logbook(work).trips(case_id) == []


def test_an_end_before_the_start_is_an_error_on_the_end(
    web: TestClient, case_id: str, work: Casework
) -> None:
    sent = _add(web, case_id, country="PT", start="2027-01-15", end="2027-01-10")
    assert sent.status_code == 400
    ((target, text),) = _summary_links(sent.text)
    assert target == "end" and "2027-01-10 is before 2027-01-15" in text
    assert Logbook(work).trips(case_id) == []


def test_missing_and_unreadable_fields_are_listed_together(web: TestClient, case_id: str) -> None:
    sent = _add(web, case_id, country="", start="15/01/2027", end="soon", purpose="holiday")
    assert sent.status_code == 400
    assert [t for t, _ in _summary_links(sent.text)] == ["country", "start", "end", "purpose"]


def test_the_drift_csv_is_imported(web: TestClient, case_id: str, work: Casework) -> None:
    sent = _import(web, case_id, "drift-trips.csv", DRIFT_TRIPS.read_bytes())
    assert sent.status_code == 303
    listed = web.get(sent.headers["location"]).text
    assert "5 stays imported from the file." in listed
    assert listed.count(">CSV file</td>") == 5
    assert "Ireland" in listed and "Workshop in Dublin" in listed
    assert len(Logbook(work).trips(case_id)) == 5


def test_a_broken_csv_lists_every_bad_row_and_imports_nothing(
    web: TestClient, case_id: str, work: Casework
) -> None:
    sent = _import(web, case_id, "my trips.csv", BROKEN_CSV.encode())
    assert sent.status_code == 400
    links = _summary_links(sent.text)
    assert {t for t, _ in links} == {"trips-file"}
    texts = [t for _, t in links]
    assert any(t.startswith("line 3: country:") and "Atlantis" in t for t in texts)
    assert any(t.startswith("line 4: start:") and "2027-02-30" in t for t in texts)
    assert "Nothing was imported" in sent.text
    assert Logbook(work).trips(case_id) == []


def test_a_calendar_file_is_imported(web: TestClient, case_id: str, work: Casework) -> None:
    calendar = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        b"UID:lisbon-1\r\nDTSTART;VALUE=DATE:20270301\r\nDTEND;VALUE=DATE:20270311\r\n"
        b"SUMMARY:Workshop\r\nLOCATION:Lisbon, Portugal\r\nCATEGORIES:work\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    sent = _import(web, case_id, "calendar.ics", calendar)
    assert sent.status_code == 303
    assert "1 stay imported from the file." in web.get(sent.headers["location"]).text
    ((_, trip),) = Logbook(work).trips(case_id)
    assert (trip.country, trip.start, trip.end, trip.origin) == (
        "PT",
        date(2027, 3, 1),
        date(2027, 3, 10),
        "calendar",
    )


def test_no_file_chosen_is_an_error(web: TestClient, case_id: str) -> None:
    sent = _import(web, case_id, "", b"")
    assert sent.status_code == 400
    assert _summary_links(sent.text) == [
        ("trips-file", "Choose a CSV or iCalendar (.ics) file to import")
    ]


def test_an_overlap_is_flagged_after_the_change(web: TestClient, case_id: str) -> None:
    _import(web, case_id, "drift-trips.csv", DRIFT_TRIPS.read_bytes())
    sent = _add(web, case_id, country="FR", start="2027-03-10", end="2027-03-12")
    listed = web.get(sent.headers["location"]).text
    assert "Overlap" in listed
    assert "United Kingdom (1 March 2027 to 15 April 2027) and France" in listed


def test_a_gap_is_flagged(web: TestClient, case_id: str) -> None:
    _add(web, case_id, country="PT", start="2027-01-01", end="2027-01-10")
    _add(web, case_id, country="PT", start="2027-01-20")
    listed = web.get(f"/cases/{case_id}/trips").text
    assert "Nothing is logged from 11 January 2027 to 19 January 2027." in listed


def test_a_stay_is_removed_after_a_confirmation(
    web: TestClient, case_id: str, work: Casework
) -> None:
    _add(web, case_id, country="PT", start="2027-01-15", end="2027-01-31")
    ((trip_id, _),) = Logbook(work).trips(case_id)
    listed = web.get(f"/cases/{case_id}/trips").text
    address = f"/cases/{case_id}/trips/remove/{trip_id}"
    assert f'href="{address}"' in listed
    asked = web.get(address)
    assert asked.status_code == 200
    assert _title(asked.text) == "Remove this stay? \u2013 cocflow"
    assert "Portugal" in asked.text
    assert len(Logbook(work).trips(case_id)) == 1  # asking changes nothing
    sent = web.post(address, data={"csrf_token": _csrf(web, address)}, follow_redirects=False)
    assert sent.status_code == 303
    assert "The stay is removed from the log." in web.get(sent.headers["location"]).text
    assert Logbook(work).trips(case_id) == []
    assert web.get(address).status_code == 404


def test_day_counts_for_a_year(web: TestClient, case_id: str) -> None:
    _import(web, case_id, "drift-trips.csv", DRIFT_TRIPS.read_bytes())
    shown = web.get(f"/cases/{case_id}/trips/days?year=2027")
    assert shown.status_code == 200
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", shown.text))
    assert "Calendar year 2027 (1 January to 31 December)" in text
    assert "UK tax year 2027 to 2028 (6 April 2027 to 5 April 2028)" in text
    assert "Ireland 7 7" in text and "United Kingdom 135 135" in text
    assert "Arrival and departure days count as days present" in text
    strict = web.get(f"/cases/{case_id}/trips/days?year=2027&counting=chosen&departure=yes")
    assert "Departure days count but arrival days do not" in strict.text
    assert "Ireland 6 6" in re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", strict.text))


def test_a_bad_year_is_an_error(web: TestClient, case_id: str) -> None:
    shown = web.get(f"/cases/{case_id}/trips/days?year=27x")
    assert shown.status_code == 400
    assert [t for t, _ in _summary_links(shown.text)] == ["year"]
    assert 'value="27x"' in shown.text


# --- the watcher -----------------------------------------------------------------------------


def test_the_watch_page_says_what_changed_in_words(
    web: TestClient, case_id: str, work: Casework
) -> None:
    Logbook(work).import_file(case_id, DRIFT_TRIPS)
    before = len(work.entries(case_id))
    shown = web.get(f"/cases/{case_id}/watch")
    assert shown.status_code == 200
    text = re.sub(r"\s+", " ", shown.text)
    # WORK_OUTSIDE_CERTIFICATE, in words: what changed, the rule, what to do.
    assert "Work outside the certificate&#39;s dates" in text
    assert "from 2027-07-01 to 2027-07-20 that no certificate on file covers" in text
    assert "Pause for those days: no certificate covers them." in text
    assert "Ask SSA to extend or correct the certificate" in text
    assert "WORK_OUTSIDE_CERTIFICATE" not in text  # words, not codes
    assert "Work in a country no certificate covers" in text  # Ireland
    assert "Draft the letter" in text
    assert len(work.entries(case_id)) == before  # looking records nothing


def test_drafting_gives_the_letter_as_a_pdf(web: TestClient, case_id: str, work: Casework) -> None:
    Logbook(work).import_file(case_id, DRIFT_TRIPS)
    address = f"/cases/{case_id}/watch"
    sent = web.post(f"{address}/letter", data={"csrf_token": _csrf(web, address)})
    assert sent.status_code == 200
    assert sent.headers["content-type"] == "application/pdf"
    assert sent.headers["content-disposition"] == (
        f'attachment; filename="cocflow-extension-letter-{case_id[:8]}.pdf"'
    )
    assert sent.headers["cache-control"] == "no-store"
    letter = extract_text(sent.content)
    assert "extend" in letter and "30 June 2027" in letter and "Rivera" in letter
    kinds = [e.kind for e in work.entries(case_id)]
    assert kinds[-2:] == ["request_prepared", "watch_findings"]


def test_nothing_to_draft_says_so(web: TestClient, case_id: str, work: Casework) -> None:
    Logbook(work).log_stay(case_id, "GB", date(2027, 3, 1), date(2027, 4, 30))
    address = f"/cases/{case_id}/watch"
    assert "Nothing needs action" in web.get(address).text
    token = _csrf(web, f"/cases/{case_id}/trips")
    sent = web.post(f"{address}/letter", data={"csrf_token": token})
    assert sent.status_code == 200 and "There is no letter to draft today" in sent.text


def test_an_unconfirmed_case_has_nothing_to_watch(web: TestClient, work: Casework) -> None:
    draft = work.start_case()
    shown = web.get(f"/cases/{draft}/watch")
    assert shown.status_code == 200 and "not confirmed yet" in shown.text
    assert "Draft the letter" not in shown.text


# --- reminders -----------------------------------------------------------------------------


def test_reminders_name_the_case_and_mark_what_is_overdue(web: TestClient, case_id: str) -> None:
    shown = web.get("/reminders")
    assert shown.status_code == 200
    assert _title(shown.text) == "Reminders \u2013 cocflow"
    assert "Certificate ends soon: United Kingdom from 2027-03-01" in shown.text
    assert "Ana Rivera" not in shown.text  # a case without a label is named by its places
    assert "Overdue" in shown.text  # the certificate's 60-day mark, 1 May 2027
    assert "moved to the business day before" in shown.text
    assert f'href="/cases/{case_id}"' in shown.text
    assert 'href="/reminders.ics"' in shown.text
    assert "snapshot" in shown.text and "subscribe" in shown.text


def test_the_calendar_file_parses(web: TestClient, case_id: str) -> None:
    sent = web.get("/reminders.ics")
    assert sent.status_code == 200
    assert sent.headers["content-type"].startswith("text/calendar")
    assert sent.headers["content-disposition"] == 'attachment; filename="cocflow-reminders.ics"'
    events = Calendar.from_ical(sent.content).walk("VEVENT")
    assert len(events) >= 3
    assert any("Certificate ends soon" in str(e["SUMMARY"]) for e in events)


# --- the case file in and out -----------------------------------------------------------------


def _send_case(client: TestClient, name: str, data: bytes) -> Any:
    form = {"csrf_token": _csrf(client, "/cases/import")}
    files = {"case-file": (name, data, "application/yaml")}
    return client.post("/cases/import", data=form, files=files, follow_redirects=False)


def test_a_case_file_is_imported_into_a_new_case(web: TestClient, work: Casework) -> None:
    shown = web.get("/cases/import")
    assert shown.status_code == 200 and _title(shown.text) == "Import a case file \u2013 cocflow"
    sent = _send_case(web, "drift-case.yaml", DRIFT_CASE.read_bytes())
    assert sent.status_code == 303
    (stored,) = work.cases()
    assert sent.headers["location"] == f"/cases/{stored.id}"
    assert work.working_copy(stored.id) == read_case(DRIFT_CASE)


def test_a_broken_case_file_lists_each_problem_with_its_path(
    web: TestClient, work: Casework
) -> None:
    sent = _send_case(web, "broken.yaml", BROKEN_CASE.encode())
    assert sent.status_code == 400
    assert _title(sent.text).startswith("Error: ")
    links = _summary_links(sent.text)
    assert {t for t, _ in links} == {"case-file"}
    texts = [t for _, t in links]
    assert any(t.startswith("worker.kind: ") for t in texts)
    assert any(t.startswith("engagements[0].end: ") and "2027-02-30" in t for t in texts)
    assert "Nothing was stored" in sent.text
    assert work.cases() == []


def test_a_file_that_is_not_a_case_file_is_refused(web: TestClient, work: Casework) -> None:
    sent = _send_case(web, "notes.txt", b"hello")
    assert sent.status_code == 400
    assert "is not a .yaml, .yml or .json file" in sent.text
    assert _send_case(web, "broken.json", b"{").status_code == 400
    assert work.cases() == []


def test_the_case_file_downloads_and_reads_back(
    web: TestClient, case_id: str, work: Casework
) -> None:
    listed = web.get(f"/cases/{case_id}/trips").text
    assert f'href="/cases/{case_id}/case-file"' in listed
    assert "holds the Social Security number" in listed
    sent = web.get(f"/cases/{case_id}/case-file")
    assert sent.status_code == 200
    assert sent.headers["content-disposition"] == (
        f'attachment; filename="cocflow-case-{case_id[:8]}.yaml"'
    )
    assert sent.headers["cache-control"] == "no-store"
    assert parse_case(loads(sent.text, ".yaml")).to_case() == work.case(case_id)


# --- every page ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/trips", "/trips/days", "/trips/remove/1", "/watch", "/case-file"],
)
def test_an_unknown_case_is_not_found(web: TestClient, path: str) -> None:
    assert web.get(f"/cases/0123456789abcdef{path}").status_code == 404


def test_no_page_shows_the_ssn(web: TestClient, case_id: str, work: Casework) -> None:
    Logbook(work).import_file(case_id, DRIFT_TRIPS)
    for path in (
        f"/cases/{case_id}/trips",
        f"/cases/{case_id}/trips/days?year=2027",
        f"/cases/{case_id}/trips/remove/1",
        f"/cases/{case_id}/watch",
        "/reminders",
        "/cases/import",
    ):
        shown = web.get(path)
        assert shown.status_code == 200, path
        assert SSN not in shown.text and "6781" not in shown.text, path
        assert shown.text.count("<h1") == 1, path


def test_a_letter_for_each_kind_comes_in_one_zip(
    web: TestClient, case_id: str, work: Casework, tmp_path: Path
) -> None:
    Logbook(work).import_file(case_id, DRIFT_TRIPS)
    # A residence changed after the certificate needs a correction, besides the extension.
    moved = tmp_path / "moved.yaml"
    moved.write_text(DRIFT_CASE.read_text().replace("from: 2010-05-01", "from: 2011-05-01"))
    work.update_case(case_id, read_case(moved), date(2027, 5, 1))
    address = f"/cases/{case_id}/watch"
    assert "The residence changed" in web.get(address).text
    sent = web.post(f"{address}/letter", data={"csrf_token": _csrf(web, address)})
    assert sent.headers["content-type"] == "application/zip"
    assert sent.headers["content-disposition"] == (
        f'attachment; filename="cocflow-letters-{case_id[:8]}.zip"'
    )
    names = zipfile.ZipFile(io.BytesIO(sent.content)).namelist()
    assert sorted(names) == [
        f"cocflow-correction-letter-{case_id[:8]}.pdf",
        f"cocflow-extension-letter-{case_id[:8]}.pdf",
    ]


# --- in a real browser -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    folder = tmp_path_factory.mktemp("tracking")
    settings = Settings.from_env({"COCFLOW_HOME": str(folder / "home")})
    work = open_casework(settings, rules_for(settings))
    case_id = _drift_case(work, folder)
    Logbook(work).import_file(case_id, DRIFT_TRIPS)
    token = new_token()
    try:
        with running(_tracking_app(settings, token, work), token) as live:
            yield live, case_id
    finally:
        work.close()


@pytest.fixture
def signed_in(browser: Any, tracking_server: tuple[LiveServer, str]) -> Iterator[Any]:
    live, _ = tracking_server
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.goto(live.login_url)
    try:
        yield opened
    finally:
        context.close()


def _focused_summary(page: Any) -> bool:
    return bool(page.evaluate("document.activeElement.hasAttribute('data-error-summary')"))


def test_the_log_with_an_error_in_the_browser(
    signed_in: Any, tracking_server: tuple[LiveServer, str]
) -> None:
    live, case_id = tracking_server
    page = signed_in
    page.goto(f"{live.url}/cases/{case_id}/trips")
    check_a11y(page)
    screenshot(page, "trips")
    page.fill("#country", "Atlantis")
    page.fill("#start", "2027-08-01")
    page.get_by_role("button", name="Add the stay").click()
    page.wait_for_load_state()
    assert page.title().startswith("Error: ")
    assert _focused_summary(page)
    check_a11y(page)
    screenshot(page, "trips-error")
    page.get_by_role("link", name=re.compile("Atlantis")).click()
    assert page.evaluate("document.activeElement.id") == "country"


def test_the_import_with_an_error_in_the_browser(
    signed_in: Any, tracking_server: tuple[LiveServer, str], tmp_path: Path
) -> None:
    live, _ = tracking_server
    page = signed_in
    page.goto(f"{live.url}/cases/import")
    check_a11y(page)
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN_CASE)
    page.set_input_files("#case-file", str(broken))
    page.get_by_role("button", name="Import the case file").click()
    page.wait_for_load_state()
    assert "engagements[0].end" in page.locator(".error-summary").inner_text()
    assert _focused_summary(page)
    check_a11y(page)
    screenshot(page, "import-error")


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/cases/{case_id}/watch", "watch"),
        ("/reminders", "reminders"),
        ("/cases/{case_id}/trips/days?year=2027", "days"),
        ("/cases/{case_id}/trips/remove/1", "remove-stay"),
    ],
)
def test_the_pages_in_the_browser(
    signed_in: Any, tracking_server: tuple[LiveServer, str], path: str, name: str
) -> None:
    live, case_id = tracking_server
    page = signed_in
    page.goto(live.url + path.format(case_id=case_id))
    assert page.locator("h1").count() == 1
    check_a11y(page)
    screenshot(page, name)


def test_the_log_works_without_javascript(
    browser: Any, tracking_server: tuple[LiveServer, str]
) -> None:
    live, case_id = tracking_server
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(live.login_url)
        page.goto(f"{live.url}/cases/{case_id}/trips")
        page.fill("#country", "Portugal")
        page.fill("#start", "2027-09-01")
        page.check("#purpose-2")
        page.get_by_role("button", name="Add the stay").click()
        page.wait_for_url("**/trips?added=1")
        assert "The stay is added to the log." in page.locator("main").inner_text()
        page.get_by_role("link", name=re.compile("Remove the stay in Portugal")).click()
        page.get_by_role("button", name="Remove the stay").click()
        page.wait_for_url("**/trips?removed=1")
        assert "Portugal" not in page.locator("table").inner_text()
    finally:
        context.close()


def test_a_calendar_app_subscribes_with_the_feed_key_only(
    tmp_path: Path,
) -> None:
    settings = Settings.from_env({"COCFLOW_HOME": str(tmp_path / "home")})
    token = new_token()
    app = make_app(settings, token)
    work = open_casework(settings, rules_for(settings))
    app.state.work, app.state.today = work, date(2027, 5, 15)
    work.new_case(read_case(ROOT / "examples" / "drift-case.yaml"), date(2027, 5, 15))
    with TestClient(app, base_url="http://127.0.0.1:8000") as browser:
        browser.get(f"/?token={token}")
        page = browser.get("/reminders").text
        found = re.search(r"http://127\.0\.0\.1:8000(/calendar\.ics\?feed=[0-9a-f]{32})", page)
        assert found, "the reminders page gives the feed's address"
    with TestClient(app, base_url="http://127.0.0.1:8000") as calendar_app:  # no session
        feed = calendar_app.get(found[1])
        assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
        assert len(list(Calendar.from_ical(feed.content).walk("VEVENT"))) >= 1
        assert calendar_app.get("/calendar.ics?feed=" + "0" * 32).status_code == 403
        assert calendar_app.get("/calendar.ics").status_code == 403
        assert calendar_app.get("/reminders").status_code == 403  # nothing else opens
    work.close()
