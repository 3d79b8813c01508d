"""The screening services: the rules in force, one case screened, its follow-up questions, and an
agreement looked up by id or country."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from cocflow.case import Business, Case, Employer, Engagement, Residence, Worker
from cocflow.errors import InputError
from cocflow.io.casefile import read_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.screening import (
    check_complete,
    conditions,
    find_agreement,
    follow_up_questions,
    rules_for,
    screen_case,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURE_RULES = ROOT / "tests" / "rules_fixture"
TODAY = date(2026, 11, 25)
US_HOME = (Residence("US", date(2015, 1, 1)),)


def _self_employed(country: str, statements: dict[str, bool] | None = None) -> Case:
    """A U.S.-resident sole proprietor working in ``country`` through 2027."""
    return Case(
        worker=Worker("self_employed", US_HOME, statements=statements or {}),
        engagements=(Engagement(country, date(2027, 1, 15), date(2027, 12, 31)),),
        business=Business(operating_since=date(2018, 1, 1)),
    )


# --- rules_for -------------------------------------------------------------------------------


def test_the_shipped_rules_are_used_when_no_folder_is_set(tmp_path: Path, rules: RuleBook) -> None:
    found = rules_for(Settings(home=tmp_path, rules_dir=None))
    assert found.version == rules.version
    assert set(found.agreements) == set(rules.agreements)


def test_a_rules_folder_in_the_settings_replaces_the_shipped_rules(tmp_path: Path) -> None:
    found = rules_for(Settings(home=tmp_path, rules_dir=FIXTURE_RULES))
    assert "DE" not in found.agreements
    assert "AR" in found.agreements


# --- screen_case and check_complete ----------------------------------------------------------


def test_a_complete_case_is_screened_as_of_the_day_given(rules: RuleBook) -> None:
    case = read_case(EXAMPLES / "filing-complete.yaml")
    check_complete(case)  # nothing missing: no error
    decision = screen_case(case, TODAY, rules)
    assert decision.outcome == "go"
    assert decision.as_of == TODAY
    assert decision.rules_version == rules.version
    assert decision.file_by == date(2026, 12, 17)  # 2027-03-01 less 60 days less a 14-day buffer


def test_the_processing_window_moves_the_file_by_date(rules: RuleBook) -> None:
    case = read_case(EXAMPLES / "filing-complete.yaml")
    default = screen_case(case, TODAY, rules)
    shorter = screen_case(case, TODAY, rules, processing_days=30)
    assert default.file_by is not None and shorter.file_by is not None
    assert (shorter.file_by - default.file_by).days == 30


@pytest.mark.parametrize(
    ("case", "paths"),
    [
        (Case(), ["worker.kind", "worker.residence", "engagements"]),
        (
            Case(
                worker=Worker("employee", US_HOME),
                engagements=(Engagement("DE", date(2027, 1, 1), date(2027, 12, 31)),),
            ),
            ["employer.name", "employer.country"],
        ),
        (
            Case(
                worker=Worker("employee", US_HOME),
                employer=Employer(name="Acme Inc."),
                engagements=(Engagement("DE", date(2027, 1, 1)),),
            ),
            ["employer.country"],
        ),
        (Case(worker=Worker("self_employed"), engagements=()), ["worker.residence", "engagements"]),
    ],
    ids=["empty", "employee without employer", "employer without country", "no stays"],
)
def test_an_incomplete_case_is_refused_naming_every_missing_fact(
    rules: RuleBook, case: Case, paths: list[str]
) -> None:
    with pytest.raises(InputError) as caught:
        screen_case(case, TODAY, rules, source="client.yaml")
    problems = caught.value.problems
    assert [p.path for p in problems] == paths
    assert {p.code for p in problems} == {"MISSING_FACT"}
    assert caught.value.source == "client.yaml"
    assert all("answer the question about it" in p.fix for p in problems)


def test_unknown_statements_are_refused_each_by_its_path(rules: RuleBook) -> None:
    case = _self_employed(
        "FR", statements={"privat_health": True, "private_health_insurance": True, "zz": False}
    )
    with pytest.raises(InputError) as caught:
        screen_case(case, TODAY, rules)
    problems = caught.value.problems
    assert [(p.path, p.code) for p in problems] == [
        ("worker.statements.privat_health", "UNKNOWN_STATEMENT"),
        ("worker.statements.zz", "UNKNOWN_STATEMENT"),
    ]
    assert "private_health_insurance" in problems[0].fix


@pytest.mark.parametrize(
    ("statements", "outcome"),
    [({}, "pause"), ({"private_health_insurance": True}, "go")],
    ids=["unanswered", "answered yes"],
)
def test_a_known_statement_is_taken_into_account(
    rules: RuleBook, statements: dict[str, bool], outcome: str
) -> None:
    assert screen_case(_self_employed("FR", statements=statements), TODAY, rules).outcome == outcome


# --- conditions and follow_up_questions ------------------------------------------------------


def test_conditions_are_every_statement_a_rule_may_need_in_one_line(rules: RuleBook) -> None:
    found = conditions(rules)
    assert "private_health_insurance" in found
    assert "France" in found["private_health_insurance"]
    for text in found.values():
        assert text and "\n" not in text and "  " not in text


@pytest.mark.parametrize(
    ("case", "ids"),
    [
        (read_case(EXAMPLES / "filing-complete.yaml"), set()),
        (read_case(EXAMPLES / "thailand-stay.yaml"), set()),
        (_self_employed("FR"), {"statement:private_health_insurance"}),
        (
            replace(_self_employed("FR"), business=None),
            {"operating_since", "statement:private_health_insurance"},
        ),
    ],
    ids=["go", "no_go", "pause on a statement", "pause on a statement and a date"],
)
def test_only_a_pause_asks_questions_one_per_missing_fact(
    rules: RuleBook, case: Case, ids: set[str]
) -> None:
    decision = screen_case(case, TODAY, rules)
    questions = follow_up_questions(case, decision, rules)
    assert {q.id for q in questions} == ids
    assert {q.path for q in questions} <= set(decision.missing_facts)
    if ids:
        assert decision.outcome == "pause"


def test_a_statement_question_quotes_the_rule(rules: RuleBook) -> None:
    case = _self_employed("FR")
    (question,) = follow_up_questions(case, screen_case(case, TODAY, rules), rules)
    assert question.path == "worker.statements.private_health_insurance"
    assert question.kind == "yes_no"
    assert conditions(rules)["private_health_insurance"] in question.text


# --- find_agreement --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "agreement"),
    [
        ("DE", "DE"),
        ("de", "DE"),
        (" ca-qc ", "CA-QC"),
        ("Germany", "DE"),
        ("United Kingdom", "GB"),
        ("Canada", "CA"),
        ("japan", "JP"),
    ],
)
def test_an_agreement_is_found_by_id_or_country(
    rules: RuleBook, given: str, agreement: str
) -> None:
    assert find_agreement(rules, given).id == agreement


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("Atlantis", "BAD_COUNTRY"),
        ("", "BAD_COUNTRY"),
        ("Thailand", "NO_AGREEMENT"),
        ("TH", "NO_AGREEMENT"),
        ("US", "NO_AGREEMENT"),
    ],
)
def test_a_country_without_an_agreement_is_refused(rules: RuleBook, given: str, code: str) -> None:
    with pytest.raises(InputError) as caught:
        find_agreement(rules, given)
    (problem,) = caught.value.problems
    assert (problem.path, problem.code) == ("COUNTRY", code)
