"""Pre-submit checks: each check on its own, against a complete filing with one mistake added."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cocflow.filing.checks import CheckReport, Filing, check_filing
from cocflow.io.casefile import load_case, parse_case
from cocflow.rules.loader import RuleBook
from cocflow.screening.screen import screen

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 25)


@pytest.fixture(scope="module")
def complete() -> dict[str, Any]:
    return load_case(ROOT / "examples" / "filing-complete.yaml").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )


def run(data: dict[str, Any], rules: RuleBook) -> CheckReport:
    case_file = parse_case(data)
    decision = screen(case_file.to_case(), rules, TODAY)
    return check_filing(Filing(case_file.to_case(), decision, rules, TODAY))


def codes(report: CheckReport) -> set[tuple[str, str, str]]:
    return {(f.path, f.code, f.severity) for f in report.findings}


def edit(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    out = copy.deepcopy(data)
    node: Any = out
    parts = path.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[int(parts[-1]) if parts[-1].isdigit() else parts[-1]] = value
    return out


def test_the_complete_example_is_ready(complete: dict[str, Any], rules: RuleBook) -> None:
    report = run(complete, rules)
    assert report.ready and report.findings == ()


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        # required items
        ("person.ssn", None, ("person.ssn", "REQUIRED_FOR_FILING", "error")),
        ("person.place_of_birth", None, ("person.place_of_birth", "REQUIRED_FOR_FILING", "error")),
        ("worker.citizenship", None, ("worker.citizenship", "REQUIRED_FOR_FILING", "error")),
        ("business.address", None, ("business.address", "REQUIRED_FOR_FILING", "error")),
        ("engagements.0.end", None, ("engagements[0].end", "REQUIRED_FOR_FILING", "error")),
        # SSN
        ("person.ssn", "666-12-3456", ("person.ssn", "SSN_INVALID_AREA", "error")),
        ("person.ssn", "912-70-1234", ("person.ssn", "SSN_IS_ITIN", "error")),
        ("person.ssn", "12-3456789", ("person.ssn", "SSN_IS_EIN", "error")),
        ("person.ssn", "123-45-6780", ("person.ssn", "SSN_DIFFERS_FROM_RECORD", "error")),
        # dates
        ("person.date_of_birth", "2030-01-01", ("person.date_of_birth", "DOB_IN_FUTURE", "error")),
        (
            "person.date_of_birth",
            "2016-01-01",
            ("person.date_of_birth", "DOB_IMPLAUSIBLE", "warning"),
        ),
        ("person.date_of_birth", "1988-04-13", ("person.date_of_birth", "DATE_DIFFERS", "error")),
        ("engagements.0.start", "2027-03-02", ("engagements[0].start", "DATE_DIFFERS", "error")),
        # business vs client
        (
            "business.legal_name",
            "LISBOA DESIGN LDA",
            ("business.legal_name", "BUSINESS_IS_CLIENT", "error"),
        ),
        # activity
        (
            "business.nature_of_activity",
            "IT consulting services",
            ("business.nature_of_activity", "ACTIVITY_VAGUE", "error"),
        ),
        (
            "engagements.0.description",
            "Plumbing repairs in private homes",
            ("engagements[0].description", "ACTIVITY_DIFFERS", "warning"),
        ),
        # work country
        ("records.3.country", "ES", ("engagements[0].country", "WORK_COUNTRY_DIFFERS", "error")),
        # names and addresses
        (
            "person.full_legal_name",
            "Jane Q. Doe",
            ("person.full_legal_name", "NAME_DIFFERS", "error"),
        ),
        (
            "person.full_legal_name",
            "Jane Quinn Do\u0435",  # Cyrillic e
            ("person.full_legal_name", "TEXT_MIXED_SCRIPT", "error"),
        ),
        (
            "person.full_legal_name",
            "Jane Quinn\u202e Doe",
            ("person.full_legal_name", "TEXT_INVISIBLE_CHAR", "error"),
        ),
        (
            "business.address.line1",
            "14 Main Street",
            ("business.address", "ADDRESS_DIFFERS", "warning"),
        ),
        # what the letter's font cannot print (it showed "??? Tokyo ?? ? Ohio")
        (
            "person.place_of_birth",
            "東京都 Tokyo, Japan",
            ("person.place_of_birth", "NOT_PRINTABLE", "error"),
        ),
        # field lengths
        (
            "business.nature_of_activity",
            "UX research, interface design and usability testing for mobile banking apps used by "
            "retail customers of small regional banks in Portugal",
            ("business.nature_of_activity", "FIELD_TOO_LONG", "warning"),
        ),
    ],
)
def test_one_mistake_one_finding(
    complete: dict[str, Any], rules: RuleBook, path: str, value: Any, expected: tuple[str, str, str]
) -> None:
    report = run(edit(complete, path, value), rules)
    assert expected in codes(report)
    assert report.ready == (
        expected[2] != "error" and all(f.severity != "error" for f in report.findings)
    )


def test_equivalent_spellings_are_not_drift(complete: dict[str, Any], rules: RuleBook) -> None:
    data = edit(complete, "person.full_legal_name", "JANE  QUINN DOE")
    data = edit(data, "business.address.line1", "12 Main St.")
    data = edit(data, "business.legal_name", "Jane Quinn Doe")
    assert run(data, rules).ready
    assert not {c for c in codes(run(data, rules)) if c[1].endswith("DIFFERS")}


def test_a_name_cut_before_the_surname_is_an_error(
    complete: dict[str, Any], rules: RuleBook
) -> None:
    long_name = "Maria Fernanda Alexandra Guadalupe Josefina Catalina de los Santos Ybarra"
    data = edit(complete, "person.full_legal_name", long_name)
    data["records"] = [r for r in data["records"] if "full_legal_name" not in r]
    report = run(data, rules)
    finding = next(f for f in report.findings if f.code == "FIELD_CUT_LOSES_NAME")
    assert finding.severity == "error" and "Ybarra" not in finding.message.split("'")[1]


def complete_in(country: str) -> dict[str, Any]:
    """The complete filing example with its work (and contract) moved to ``country``."""
    data = load_case(ROOT / "examples" / "filing-complete.yaml").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    for e in data["engagements"]:
        e["country"] = country
    for r in data["records"]:
        if r.get("country"):
            r["country"] = country
    return data


def test_agreement_extras_are_required(rules: RuleBook) -> None:
    data = complete_in("PL")
    report = run(data, rules)
    assert ("extras.polish_nip", "AGREEMENT_ITEM_MISSING", "error") in codes(report)
    data["extras"] = {"polish_nip": "1234563218"}
    assert ("extras.polish_nip", "AGREEMENT_ITEM_MISSING", "error") not in codes(run(data, rules))


def test_a_business_address_abroad_is_an_error(complete: dict[str, Any], rules: RuleBook) -> None:
    # The request is about the U.S. business (the seed's rule): not the client's address.
    data = edit(complete, "business.address.country", "PT")
    report = run(data, rules)
    assert ("business.address", "BUSINESS_ADDRESS_NOT_US", "error") in codes(report)
    assert not report.ready
    assert ("business.address", "BUSINESS_ADDRESS_NOT_US", "error") not in codes(
        run(complete, rules)
    )


@pytest.mark.parametrize("kind", ["self_employed", "employee"])
def test_france_health_insurance_statement_is_required(rules: RuleBook, kind: str) -> None:
    # RS 02001.530 (self-employed transfer) and RS 02001.525 (employees): U.S. coverage needs
    # private health insurance in France, so the statement is an error when missing.
    data = complete_in("FR")
    data["worker"]["statements"] = {"private_health_insurance": True}
    if kind == "employee":
        data["worker"]["kind"] = "employee"
        data.pop("business")
        data["employer"] = {"name": "Acme Analytics Inc.", "country": "US", "hired": "2019-03-01"}
    report = run(data, rules)
    wanted = ("extras.private_health_insurance_statement", "AGREEMENT_ITEM_MISSING", "error")
    assert wanted in codes(report)
    data.setdefault("extras", {})["private_health_insurance_statement"] = "yes"
    assert wanted not in codes(run(data, rules))


def test_screening_must_say_go(complete: dict[str, Any], rules: RuleBook) -> None:
    data = edit(complete, "worker.residence.0.country", "PT")
    assert ("engagements", "SCREENING_NOT_GO", "error") in codes(run(data, rules))
    data = copy.deepcopy(complete)
    data["engagements"].append({"country": "ES", "start": "2028-01-01", "end": "2028-02-01"})
    assert ("engagements", "WORK_COUNTRIES_SEVERAL", "error") in codes(run(data, rules))


def test_no_message_shows_a_full_ssn_or_a_birth_date(rules: RuleBook) -> None:
    mistakes = load_case(ROOT / "examples" / "filing-with-mistakes.yaml").model_dump(
        mode="json", by_alias=True, exclude_none=True
    )
    mistakes["records"].append({"kind": "passport", "date_of_birth": "1988-05-12"})
    report = run(mistakes, rules)
    text = " ".join(f.message + f.fix for f in report.findings)
    assert "912-70" not in text and "91270" not in text
    assert "1988-04-12" not in text and "1988-05-12" not in text
    assert not report.ready


def test_name_advice_can_always_be_followed(complete: dict[str, Any], rules: RuleBook) -> None:
    # The SSN card governs the name SSA matches: a card "Jane Q Doe" and a passport "Jane Quinn
    # Doe" must not give two pieces of advice that cannot both be followed.
    data = copy.deepcopy(complete)
    for record in data["records"]:
        if record["kind"] == "ssn_card":
            record["full_legal_name"] = "Jane Q Doe"
    data = edit(data, "person.full_legal_name", "Jane Q. Doe")
    assert not [c for c in codes(run(data, rules)) if c[1] == "NAME_DIFFERS"]
    # With no card on file, a middle initial where the passport has the full name is fine too.
    data["records"] = [r for r in data["records"] if r["kind"] != "ssn_card"]
    assert not [c for c in codes(run(data, rules)) if c[1] == "NAME_DIFFERS"]
    # A middle name left out is still worth a look.
    data = edit(data, "person.full_legal_name", "Jane Doe")
    assert ("person.full_legal_name", "NAME_DIFFERS", "warning") in codes(run(data, rules))
