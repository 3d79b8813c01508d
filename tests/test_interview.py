"""The interview: questions as data, answers to a valid case file, and 'cocflow new'."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cocflow.case import missing
from cocflow.cli.app import app
from cocflow.interview import questions as interview
from cocflow.io.casefile import case_data, load_case, parse_case
from cocflow.rules.loader import RuleBook
from cocflow.services.screening import follow_up_questions, screen_case

runner = CliRunner()

SELF_EMPLOYED = {
    "kind": "self_employed",
    "citizenship": ("US",),
    "home": "US",
    "home_since": date(2015, 1, 1),
    "operating_since": date(2019, 6, 1),
    "work_country": "PT",
    "work_start": date(2027, 1, 15),
    "work_end": date(2027, 12, 31),
    "label": "Lisbon 2027",
}


def test_every_question_fills_a_fact_of_the_case() -> None:
    employee = {**SELF_EMPLOYED, "kind": "employee", "employer_name": "Acme",
                "employer_country": "US", "employer_hired": date(2019, 3, 1)}  # fmt: skip
    for answers in (SELF_EMPLOYED, employee):
        case = interview.build(answers)
        assert missing(case) == ()
        assert parse_case(case_data(case)).to_case() == case
        asked = {q.id for q in interview.needed(answers)}
        assert ("employer_name" in asked) == (answers["kind"] == "employee")
        assert case.label == "Lisbon 2027"
        assert interview.next_question(answers) is None
    for question in interview.QUESTIONS:
        assert question.text.endswith("?") or question.text.endswith(")?")
        assert question.why and question.path


def test_the_next_question_is_rejudged_on_the_case_the_answers_make() -> None:
    answers: dict[str, object] = {}
    asked = []
    script = {"kind": "employee", "citizenship": None, "home": "US",
              "home_since": date(2010, 1, 1), "employer_name": "Acme",
              "employer_country": "US", "employer_hired": date(2019, 3, 1),
              "work_country": "DE", "work_start": date(2027, 1, 4), "work_end": None,
              "label": None}  # fmt: skip
    while (question := interview.next_question(answers)) is not None:
        asked.append(question.id)
        answers[question.id] = script[question.id]
    assert "operating_since" not in asked and "employer_hired" in asked
    assert missing(interview.build(answers)) == ()
    half = interview.build({"kind": "self_employed", "home": "US"})
    assert [m.path for m in missing(half)] == ["worker.residence", "engagements"]


def test_a_pause_turns_its_missing_facts_into_questions(rules: RuleBook) -> None:
    case = interview.build({**SELF_EMPLOYED, "work_country": "FR", "work_end": None})
    decision = screen_case(case, date(2026, 12, 2), rules)
    assert decision.outcome == "pause"
    questions = follow_up_questions(case, decision, rules)
    assert {q.path for q in questions} == set(decision.missing_facts)
    for question in questions:
        value = interview.parse_answer(question, "2027-12-31" if question.kind == "date" else "yes")
        case = interview.with_answer(case, question, value)
    assert screen_case(case, date(2026, 12, 2), rules).outcome == "go"


@pytest.mark.parametrize(
    ("qid", "text", "value"),
    [
        ("kind", "1", "self_employed"),
        ("kind", "employee", "employee"),
        ("home", "Portugal", "PT"),
        ("citizenship", "US, IT", ("US", "IT")),
        ("work_end", "", None),
        ("work_start", "2027-01-15", date(2027, 1, 15)),
    ],
)
def test_answers_are_read_with_the_case_file_checks(qid: str, text: str, value: object) -> None:
    question = next(q for q in interview.QUESTIONS if q.id == qid)
    assert interview.parse_answer(question, text) == value


@pytest.mark.parametrize(
    ("qid", "text"),
    [("kind", "7"), ("home", "Atlantis"), ("work_start", "03/01/2027"), ("work_start", "")],
)
def test_bad_answers_say_what_is_wrong(qid: str, text: str) -> None:
    question = next(q for q in interview.QUESTIONS if q.id == qid)
    with pytest.raises(ValueError, match=r"\w"):
        interview.parse_answer(question, text)


def test_cocflow_new_asks_and_writes_a_case_that_screens(tmp_path: Path) -> None:
    out = tmp_path / "lisbon.yaml"
    typed = "3\nself-employed\nUS\nUS\n2015-01-01\n2019-06-01\nPortugal\n2027-01-15\n2027-12-31\n\n"
    result = runner.invoke(app, ["new", str(out), "--as-of", "2026-12-02"], input=typed)
    assert result.exit_code == 0, result.stderr
    assert "answer with a number from 1 to 2" in result.stderr  # "3" was asked again
    assert "Why we ask" in result.stderr
    assert "Answer: GO." in result.stdout and "Next: cocflow details" in result.stdout
    case = load_case(out)
    assert case.worker.kind == "self_employed" and case.engagements[0].country == "PT"
    assert runner.invoke(app, ["new", str(out)]).exit_code == 2  # never overwritten


@pytest.mark.parametrize("kind", ["self_employed", "employee"])
def test_templates_are_valid_commented_case_files(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "t.yaml"
    result = runner.invoke(app, ["new", str(out), "--template", kind])
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert text.count("#") > 8 and yaml.safe_load(text)["worker"]["kind"] == kind
    screened = runner.invoke(app, ["screen", str(out), "--as-of", "2026-12-02"])
    assert screened.exit_code == 0, screened.stderr


def test_cocflow_new_asks_what_a_pause_lacks_then_answers(tmp_path: Path) -> None:
    out = tmp_path / "paris.yaml"
    typed = "1\nUS\nUS\n2015-01-01\n2019-06-01\nFrance\n2027-01-15\n\nParis\n2027-09-30\nyes\n"
    result = runner.invoke(app, ["new", str(out), "--as-of", "2026-12-02"], input=typed)
    assert result.exit_code == 0, result.stderr
    assert "pause until 2 more fact(s) are known" in result.stderr
    assert "private health insurance" in result.stderr
    assert "Answer: GO." in result.stdout
    case = load_case(out)
    assert case.worker.statements == {"private_health_insurance": True}
    assert str(case.engagements[0].end) == "2027-09-30"
