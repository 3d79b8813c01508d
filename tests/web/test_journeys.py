"""Three people, start to finish, in a real browser (Debian's chromium), every page checked with
axe and kept as a screenshot:

- a U.S. freelancer working five months in Portugal for a German client, from the start page to
  "Rely on the exemption: yes", with every upload;
- a U.S. citizen living in Portugal: no go, and the foreign path;
- a year in Thailand then Spain: a pause, then answered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.web.support import check_a11y, screenshot


class Person:
    """A person at the browser: each page looked at (axe, a screenshot), then answered."""

    def __init__(self, page: Any, name: str) -> None:
        self.page, self.name, self.count = page, name, 0

    def look(self, step: str) -> None:
        self.count += 1
        assert self.page.locator("h1").count() == 1, self.page.url
        check_a11y(self.page)
        screenshot(self.page, f"journey-{self.name}-{self.count:02d}-{step}")

    def fill(self, label: str, value: str) -> None:
        self.page.get_by_label(label, exact=False).first.fill(value)

    def save(self) -> None:
        self.page.get_by_role("button", name="Save and continue").click()

    def start(self) -> None:
        self.page.get_by_role("link", name="Start now").click()
        self.look("cases")
        self.page.get_by_role("button", name="Start a new case").click()
        self.page.wait_for_url("**/q/kind")

    def answer_work(self, citizenship: str = "US", since: str = "2019-06-01") -> None:
        self.look("kind")
        self.page.get_by_label("I work for myself").check()
        self.save()
        self.look("citizenship")
        self.fill("Which citizenships", citizenship)
        self.save()
        self.look("business-since")
        self.fill("When did your business start", since)
        self.save()

    def home(self, country: str, since: str) -> None:
        self.page.wait_for_url("**/home/edit**")
        self.look("home")
        self.fill("Country", country)
        self.fill("Living there since", since)
        self.save()

    def stay(self, country: str, start: str, end: str, client: str = "", where: str = "") -> None:
        self.page.wait_for_url("**/stays/edit**")
        self.look("stay")
        self.fill("Country where you will physically do the work", country)
        self.fill("First day of the work there", start)
        self.fill("Last day", end)
        self.fill("Client or company", client)
        self.fill("The client's country", where)
        self.save()
        self.page.wait_for_url("**/check")

    def confirm(self) -> str:
        self.look("check")
        self.page.get_by_role("button", name="Confirm and see the answer").click()
        self.page.wait_for_url("**/answer")
        self.look("answer")
        return str(self.page.locator("h1").inner_text())


def test_a_citizen_living_in_portugal_gets_the_foreign_path(page: Any) -> None:
    person = Person(page, "resident")
    person.start()
    person.answer_work()
    person.home("Portugal", "2020-01-01")
    person.stay("Portugal", "2027-01-10", "2027-12-31")
    assert person.confirm() == "No go"
    text = page.locator("main").inner_text()
    assert "Get Portugal's certificate of coverage" in text and "Schedule SE" in text
    assert "if you lived in the United States for the whole time" in text


def test_a_year_in_thailand_then_spain_pauses_then_is_answered(page: Any) -> None:
    person = Person(page, "thailand-spain")
    person.start()
    person.answer_work()
    person.home("United States", "2015-01-01")
    person.stay("Thailand", "2027-01-10", "2027-04-30")
    page.get_by_role("link", name="Add another stay").click()
    person.stay("Spain", "2027-05-01", "2027-12-31")
    assert person.confirm() == "Pause"
    assert "no work in Thailand" in page.locator("main").inner_text()
    # The months in Thailand were a holiday: the person removes that stay and confirms again.
    page.get_by_role("link", name="change your answers").click()
    page.wait_for_url("**/check")
    page.get_by_role("button", name="Remove stay 1").click()
    page.wait_for_url("**/check")
    assert person.confirm() == "Go"
    assert "Spain" in page.locator("main").inner_text()


def _upload(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


DETAILS = {
    "full_legal_name": "Dana Whitfield",
    "ssn": "123-45-6789",
    "date_of_birth": "1990-02-14",
    "place_of_birth": "Denver, Colorado, United States",
    "business_name": "Dana Whitfield",
    "activity": "Brand identity and web design for small businesses",
    "card_name": "Dana Whitfield",
    "card_ssn": "123-45-6789",
}
ADDRESS = {
    "Street and number": "410 Larimer Street",
    "City or town": "Denver",
    "State, province or region": "CO",
    "ZIP or postal code": "80202",
    "Country": "United States",
}


def _filing_details(person: Person) -> None:
    page = person.page
    page.get_by_role("link", name="Continue to the filing details").click()
    page.wait_for_url("**/q/**")
    while "/q/" in page.url:
        qid = page.url.split("/q/")[1].split("?")[0]
        person.look(f"details-{qid}")
        if qid == "business_address":
            person.save()  # nothing typed: every missing part listed and linked
            assert page.locator(".error-summary a").count() == 3
            person.look("details-address-errors")
            for label, value in ADDRESS.items():
                person.fill(label, value)
        else:
            page.locator("#answer").fill(DETAILS[qid])
        person.save()
        page.wait_for_load_state()
    person.look("details-summary")
    assert "XXX-XX-6789" in page.locator("main").inner_text()


def _documents(person: Person) -> None:
    page = person.page
    page.get_by_role("button", name="Confirm the details").click()
    page.wait_for_url("**/documents")
    person.look("documents-ready")
    page.get_by_role("button", name="Prepare the request").click()
    page.wait_for_url("**/documents?prepared=1")
    person.look("documents-prepared")
    with page.expect_download() as letter:
        page.locator("a[href$='/documents/request-letter.pdf']").first.click()
    assert letter.value.suggested_filename == "request-letter.pdf"


def _record(person: Person, kind: str, fields: dict[str, str], file: str, button: str) -> None:
    page = person.page
    for field, value in fields.items():
        if value == "check":
            page.locator(f"#{kind}-{field}").check()
        else:
            page.locator(f"#{kind}-{field}").fill(value)
    page.locator(f"#{kind}-file").set_input_files(file)
    page.get_by_role("button", name=button).click()
    page.wait_for_url(f"**/proof?added={kind}")
    person.look(f"proof-{kind}")


def test_a_freelancer_in_portugal_for_a_german_client_relies_on_the_exemption(
    page: Any, tmp_path: Path
) -> None:
    person = Person(page, "freelancer")
    person.start()
    person.answer_work()
    person.home("United States", "2015-01-01")
    person.stay("Portugal", "2027-03-01", "2027-07-31", "Müller Digital GmbH", "Germany")
    assert person.confirm() == "Go"
    assert "The client is in Germany" in page.locator("main").inner_text()
    _filing_details(person)
    _documents(person)
    page.goto(page.url.split("/documents")[0] + "/proof")
    person.look("proof-start")
    upload = lambda name, text: _upload(tmp_path, name, text)  # noqa: E731
    _record(person, "submission", {"channel": "check", "control-number": "A1B2C3"},
            upload("confirmation.txt", "SSA online request received. A1B2C3"),
            "Record the submission")  # fmt: skip
    _record(person, "approval", {}, upload("approval.txt", "Your request is approved."),
            "Upload the approval")  # fmt: skip
    _record(person, "certificate", {"country": "Portugal", "period-start": "2027-03-01",
                                    "period-end": "2027-07-31"},
            upload("certificate.pdf", "%PDF-1.4 U.S. certificate of coverage, Portugal"),
            "Upload the certificate")  # fmt: skip
    _record(person, "delivery", {"to": "Müller Digital GmbH", "channel": "check"},
            upload("receipt.txt", "Received your certificate of coverage, thank you."),
            "Record the delivery")  # fmt: skip
    assert "Rely on the exemption: yes" in page.locator("main").inner_text()
    page.goto(page.url.split("/proof")[0] + "/timeline")
    person.look("timeline")
    page.goto(page.url.split("/timeline")[0])
    person.look("task-list-done")
    assert "Rely on the exemption: yes" in page.locator("main").inner_text()
    assert "123-45-6789" not in page.content()
