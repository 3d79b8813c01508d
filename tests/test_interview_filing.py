"""The filing details as questions: asked only for what the check finds missing, checked by the
same rules as `cocflow check`, and enough to reach a clean check without writing YAML."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cocflow.case import Employer
from cocflow.cli.app import app
from cocflow.interview import questions as interview
from cocflow.rules.loader import RuleBook
from cocflow.services.filing import check_case, filing_details_needed
from tests.conftest import cli

TODAY = date(2026, 12, 2)
LISBON = {
    "kind": "self_employed",
    "citizenship": ("US",),
    "home": "US",
    "home_since": date(2015, 1, 1),
    "operating_since": date(2019, 6, 1),
    "work_country": "PT",
    "work_start": date(2027, 3, 1),
    "work_end": date(2027, 12, 31),
}
TYPED = {
    "person.full_legal_name": "Jane Quinn Doe",
    "person.ssn": "123 45 6789",
    "person.date_of_birth": "1988-04-12",
    "person.place_of_birth": "Dayton, Ohio, United States",
    "business.legal_name": "Jane Quinn Doe",
    "business.nature_of_activity": "UX research and interface design",
    "employer.place_of_hire": "Austin, Texas",
    "records[ssn_card].full_legal_name": "Jane Quinn Doe",
    "records[ssn_card].ssn": "123-45-6789",
    "records[passport].full_legal_name": "JANE Q DOE",
}
ADDRESS = {"line1": "12 Main Street", "city": "Austin", "region": "TX", "postal_code": "78701",
           "country": "United States"}  # fmt: skip


def _answer(question: interview.Question) -> object:
    if question.kind == "address":
        return interview.parse_address(ADDRESS)
    if question.path.startswith("extras."):
        return "US, IT"
    return interview.parse_answer(question, TYPED[question.path])


def test_a_self_employed_person_reaches_a_clean_check_by_answering(rules: RuleBook) -> None:
    case = interview.build(LISBON)
    questions = filing_details_needed(case, TODAY, rules)
    assert [q.path for q in questions] == [
        "person.full_legal_name", "person.ssn", "person.date_of_birth", "person.place_of_birth",
        "business.legal_name", "business.address", "business.nature_of_activity",
        "records[ssn_card].full_legal_name", "records[ssn_card].ssn",
        "records[passport].full_legal_name",
    ]  # fmt: skip
    for question in questions:
        assert question.why and question.text.endswith("?")
        case = interview.with_answer(case, question, _answer(question))
    report = check_case(case, TODAY, rules)
    assert report.ready, report.findings
    assert case.person is not None and case.person.ssn == "123-45-6789"
    assert filing_details_needed(case, TODAY, rules) == ()  # nothing left to ask


def test_an_employee_is_asked_for_the_employer_and_the_place_of_work(rules: RuleBook) -> None:
    answers = {**LISBON, "kind": "employee", "employer_name": "Acme Inc.",
               "employer_country": "US", "employer_hired": date(2019, 3, 1)}  # fmt: skip
    case = interview.build(answers)
    paths = [q.path for q in filing_details_needed(case, TODAY, rules)]
    assert {"employer.address", "employer.host_address", "employer.place_of_hire"} <= set(paths)
    assert not any(p.startswith("business.") for p in paths)


def test_an_agreement_item_becomes_a_question_in_the_agreements_words(rules: RuleBook) -> None:
    case = interview.build({**LISBON, "work_country": "IT"})
    extras = [q for q in filing_details_needed(case, TODAY, rules) if q.path.startswith("extras")]
    assert extras and all("the request needs" in q.text for q in extras)
    for question in filing_details_needed(case, TODAY, rules):
        case = interview.with_answer(case, question, _answer(question))
    assert not [f for f in check_case(case, TODAY, rules).findings if f.path.startswith("extras")]


def test_nothing_is_asked_before_the_answer_is_go(rules: RuleBook) -> None:
    case = interview.build({**LISBON, "work_country": "TH"})
    assert filing_details_needed(case, TODAY, rules) == ()


@pytest.mark.parametrize(
    ("text", "shown"),
    [("000-12-3456", "000, 666 or 900-999"), ("12-3456789", "employer identification"),
     ("12345", "nine digits")],
)  # fmt: skip
def test_an_ssn_answer_is_checked_as_the_check_does(text: str, shown: str) -> None:
    question = next(q for q in interview_filing() if q.kind == "ssn")
    with pytest.raises(ValueError, match=shown) as caught:
        interview.parse_answer(question, text)
    assert text not in str(caught.value) or len(text) < 9  # a full number is never echoed


def interview_filing() -> tuple[interview.Question, ...]:
    from cocflow.interview.filing import FILING_QUESTIONS

    return FILING_QUESTIONS


@pytest.mark.parametrize(
    ("missing", "message"), [("line1", "Street and number"), ("city", "City or town"),
                             ("country", "Country")],
)  # fmt: skip
def test_an_address_names_the_part_that_is_missing(missing: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        interview.parse_address({**ADDRESS, missing: " "})
    with pytest.raises(ValueError, match="Country"):
        interview.parse_address({**ADDRESS, "country": "Atlantis"})


def test_with_answer_updates_the_record_of_its_kind(rules: RuleBook) -> None:
    case = replace(interview.build(LISBON), employer=Employer("Acme", "US"))
    question = next(q for q in interview_filing() if q.path == "employer.place_of_hire")
    case = interview.with_answer(case, question, "Austin, Texas")
    assert case.employer == Employer("Acme", "US", place_of_hire="Austin, Texas")


def test_cocflow_details_completes_the_file(home: Path, tmp_path: Path) -> None:
    case_file = tmp_path / "lisbon.yaml"
    typed = "1\nUS\nUS\n2015-01-01\n2019-06-01\nPortugal\n2027-03-01\n2027-12-31\n\n"
    result = CliRunner().invoke(app, ["new", str(case_file), "--as-of", "2026-12-02"], input=typed)
    assert "Next: cocflow details" in result.stdout
    answers = [
        "Jane Quinn Doe", "123-45-6789", "1988-04-12", "Dayton, Ohio, United States",
        "Jane Quinn Doe", "12 Main Street", "", "Austin", "TX", "78701", "US",
        "UX research and interface design", "Jane Quinn Doe", "123-45-6789", "",
    ]  # fmt: skip
    result = CliRunner().invoke(
        app, ["details", str(case_file), "--as-of", "2026-12-02"], input="\n".join(answers) + "\n"
    )
    assert result.exit_code == 0, result.stderr
    assert "finds 0 error(s)" in result.stdout and "Next: cocflow request" in result.stdout
    assert "ssn: 123-45-6789" in case_file.read_text()  # kept as typed, in the private file
    assert "READY to file" in cli("check", str(case_file), "--as-of", "2026-12-02")


def test_at_a_terminal_new_goes_on_to_the_details(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cocflow.cli.screening._interactive", lambda: True)
    case_file = tmp_path / "lisbon.yaml"
    typed = "1\nUS\nUS\n2015-01-01\n2019-06-01\nPortugal\n2027-03-01\n2027-12-31\n\nn\n"
    result = CliRunner().invoke(app, ["new", str(case_file), "--as-of", "2026-12-02"], input=typed)
    assert result.exit_code == 0, result.stderr
    assert "Go on with the details the request needs" in result.stdout + result.stderr
    assert "Next: cocflow details" in result.stdout
