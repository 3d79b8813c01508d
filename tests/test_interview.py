"""The interview: questions as data, answers to a valid case file, and 'cocflow new'."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cocflow.cli.app import app
from cocflow.interview import questions as interview
from cocflow.io.casefile import load_case, parse_case

runner = CliRunner()

SELF_EMPLOYED = {
    "kind": "self_employed",
    "citizenship": ["US"],
    "home": "US",
    "home_since": "2015-01-01",
    "operating_since": "2019-06-01",
    "work_country": "PT",
    "work_start": "2027-01-15",
    "work_end": "2027-12-31",
    "label": "Lisbon 2027",
}


def test_every_question_fills_a_fact_of_the_case_file() -> None:
    employee = {**SELF_EMPLOYED, "kind": "employee", "employer_name": "Acme",
                "employer_country": "US", "employer_hired": "2019-03-01"}  # fmt: skip
    for answers in (SELF_EMPLOYED, employee):
        case = parse_case(interview.answers_to_case(answers))
        asked = {q.id for q in interview.needed(answers)}
        assert ("employer_name" in asked) == (answers["kind"] == "employee")
        assert case.label == "Lisbon 2027"
    for question in interview.QUESTIONS:
        assert question.text.endswith("?") or question.text.endswith(")?")
        assert question.why and question.path


@pytest.mark.parametrize(
    ("qid", "text", "value"),
    [
        ("kind", "1", "self_employed"),
        ("kind", "employee", "employee"),
        ("home", "Portugal", "PT"),
        ("citizenship", "US, IT", ["US", "IT"]),
        ("work_end", "", None),
        ("work_start", "2027-01-15", "2027-01-15"),
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
    assert "Answer: GO. Next: cocflow screen" in result.stdout
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
