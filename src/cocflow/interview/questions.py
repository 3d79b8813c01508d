"""The interview: the questions that build a case file, defined once, as data.

Each question says what it asks in plain words, why it is asked, which fact of the case file it
fills (its path), how an answer is checked (the same checks as the case file), and when it is
needed (employer questions for employees only, ...). The terminal (``cocflow new``) asks them
now; a web page can render the same definitions. Answers build the case file's data; nothing
here reads or writes a file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from cocflow.countries import normalize_country
from cocflow.isodate import parse_iso_date

__all__ = [
    "QUESTIONS",
    "Question",
    "answers_to_case",
    "describe",
    "needed",
    "parse_answer",
    "template",
]

Kind = Literal["choice", "date", "country", "countries", "text"]
Answers = Mapping[str, Any]


def _always(_: Answers) -> bool:
    return True


def _employee(answers: Answers) -> bool:
    return answers.get("kind") == "employee"


def _self_employed(answers: Answers) -> bool:
    return answers.get("kind") == "self_employed"


@dataclass(frozen=True)
class Question:
    """One question: ``id`` names the answer, ``path`` the case-file fact it fills."""

    id: str
    path: str
    text: str
    why: str
    kind: Kind
    choices: tuple[tuple[str, str], ...] = ()  # (value, what a person reads)
    optional: bool = False
    example: str = ""
    when: Callable[[Answers], bool] = field(default=_always, compare=False)


QUESTIONS: tuple[Question, ...] = (
    Question(
        "kind",
        "worker.kind",
        "How are you paid for this work?",
        "The agreements have one rule for employees sent abroad and another for the self-employed.",
        "choice",
        (
            ("self_employed", "I work for myself (freelancer, contractor, sole proprietor)"),
            ("employee", "An employer pays my wages"),
        ),
    ),
    Question(
        "citizenship",
        "worker.citizenship",
        "Which citizenships do you hold?",
        "A few agreements (Italy's) decide by nationality; the others never use it.",
        "countries",
        optional=True,
        example="US, or US IT for two",
    ),
    Question(
        "home",
        "worker.residence[0].country",
        "In which country do you live?",
        "Several agreements decide a self-employed person's coverage by where they live.",
        "country",
        example="US",
    ),
    Question(
        "home_since",
        "worker.residence[0].from",
        "Since when have you lived there?",
        "Residence is judged over the time of the work abroad.",
        "date",
        example="2015-01-01",
    ),
    Question(
        "employer_name",
        "employer.name",
        "What is your employer's name?",
        "The certificate is requested by, and names, the employer who pays the wages.",
        "text",
        when=_employee,
    ),
    Question(
        "employer_country",
        "employer.country",
        "In which country is that employer?",
        "A posting keeps U.S. coverage only when a U.S. employer sends the worker.",
        "country",
        example="US",
        when=_employee,
    ),
    Question(
        "employer_hired",
        "employer.hired",
        "When did that employer hire you?",
        "A posting keeps home coverage only for a job that existed before the transfer.",
        "date",
        example="2019-03-01",
        when=_employee,
    ),
    Question(
        "operating_since",
        "business.operating_since",
        "When did your business start operating in the United States?",
        "Where the place of work decides, only a business that already operated at home keeps "
        "U.S. coverage when it moves abroad for a while.",
        "date",
        optional=True,
        example="2019-06-01",
        when=_self_employed,
    ),
    Question(
        "work_country",
        "engagements[0].country",
        "In which country will you physically do the work?",
        "Only the place where the work is done counts, never the client's country.",
        "country",
        example="PT",
    ),
    Question(
        "work_start",
        "engagements[0].start",
        "On what day does the work there start?",
        "The rule in force on the first day decides, and the request should reach SSA before.",
        "date",
        example="2027-01-15",
    ),
    Question(
        "work_end",
        "engagements[0].end",
        "On what day does it end (leave empty if it has no end date)?",
        "Most agreements keep U.S. coverage only for stays expected to last up to a limit.",
        "date",
        optional=True,
        example="2027-12-31",
    ),
    Question(
        "label",
        "label",
        "What should this case be called in your lists?",
        "Only to recognise it later; it never changes the answer.",
        "text",
        optional=True,
        example="Lisbon 2027",
    ),
)


def parse_answer(question: Question, text: str) -> Any:
    """The value of an answer, or ``ValueError`` saying what is wrong (in the product's words)."""
    text = text.strip()
    if not text:
        if question.optional:
            return None
        raise ValueError("an answer is needed")
    if question.kind == "choice":
        spelled = text.lower().replace("-", "_").replace(" ", "_")
        for number, (value, label) in enumerate(question.choices, start=1):
            if text in (str(number), value) or spelled == value or text.lower() == label.lower():
                return value
        raise ValueError(f"answer with a number from 1 to {len(question.choices)}")
    if question.kind == "date":
        day: date = parse_iso_date(text)
        return day.isoformat()
    if question.kind == "country":
        return normalize_country(text)
    if question.kind == "countries":
        return [normalize_country(part) for part in text.replace(",", " ").split()]
    return text


def answers_to_case(answers: Answers) -> dict[str, Any]:
    """The case file (as data) the answers make."""
    case: dict[str, Any] = {"cocflow_case": 1}
    if answers.get("label"):
        case["label"] = answers["label"]
    worker: dict[str, Any] = {"kind": answers["kind"]}
    if answers.get("citizenship"):
        worker["citizenship"] = list(answers["citizenship"])
    worker["residence"] = [{"country": answers["home"], "from": answers["home_since"]}]
    case["worker"] = worker
    if answers["kind"] == "employee":
        case["employer"] = {
            "name": answers["employer_name"],
            "country": answers["employer_country"],
            "hired": answers["employer_hired"],
        }
    elif answers.get("operating_since"):
        case["business"] = {"operating_since": answers["operating_since"]}
    engagement: dict[str, Any] = {
        "country": answers["work_country"],
        "start": answers["work_start"],
    }
    if answers.get("work_end"):
        engagement["end"] = answers["work_end"]
    case["engagements"] = [engagement]
    return case


def template(kind: str) -> str:
    """A commented case-file template for ``kind`` (self_employed or employee)."""
    lines = [
        "# A cocflow case file. Fill in the values, keep the indentation, then run:",
        "#   cocflow screen THIS_FILE",
        "# Dates are YYYY-MM-DD; countries are ISO codes (US, PT) or English names.",
        "cocflow_case: 1",
        "label: My work abroad          # optional: how your lists name this case",
        "worker:",
        f"  kind: {kind}",
        "  citizenship: [US]            # optional; Italy's agreement decides by nationality",
        "  residence:                   # where you live, over time (one row per home)",
        "    - country: US",
        "      from: 2015-01-01",
        "      # to: 2026-12-31         # only if you moved; leave it out while you live there",
    ]
    if kind == "employee":
        lines += [
            "employer:                     # who pays your wages",
            "  name: Example Employer Inc.",
            "  country: US",
            "  hired: 2019-03-01           # a posting keeps U.S. coverage for an existing job",
        ]
    else:
        lines += [
            "business:",
            "  operating_since: 2019-06-01 # when your U.S. business began (transfer rules)",
        ]
    lines += [
        "engagements:                  # where the work is PHYSICALLY done, one row per stay",
        "  - country: PT",
        "    start: 2027-01-15",
        "    end: 2027-12-31            # leave it out if the stay has no end date",
        "    # client: {name: Example Client Lda, country: PT}   # context only, never decides",
    ]
    return "\n".join(lines) + "\n"


def describe(question: Question) -> str:
    """The question as a terminal shows it: the text, the choices, why it is asked."""
    parts = [question.text]
    parts += [f"  {n}. {label}" for n, (_, label) in enumerate(question.choices, start=1)]
    if question.example:
        parts.append(f"  (for example {question.example})")
    parts.append(f"  Why we ask: {question.why}")
    return "\n".join(parts)


def needed(answers: Answers) -> list[Question]:
    """The questions to ask, in order, given the answers so far."""
    return [q for q in QUESTIONS if q.when(answers)]
