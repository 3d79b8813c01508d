"""The interview: the questions that build a case, defined once, as data.

Each question says what it asks in plain words, why it is asked, which fact of the case it fills
(its case-file path), how an answer is checked (the same checks as the case file), and when it is
needed, judged on the case the answers so far make (employer questions for employees only, ...).
The terminal (``cocflow new``) asks them; the web pages render the same definitions.

The interview is a checklist, not a flowchart: :func:`next_question` is the first needed question
not answered yet, re-judged after every answer, and :func:`build` turns the answers into a
:class:`~cocflow.case.Case` (incomplete while questions remain). After screening, a pause names
the facts it lacks; :func:`follow_up` turns them into the next questions. Nothing here reads or
writes a file.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from cocflow.case import (
    Address,
    Business,
    Case,
    Employer,
    Engagement,
    Person,
    Record,
    Residence,
    Worker,
)
from cocflow.countries import country_name, normalize_country
from cocflow.filing.ssn import check_ssn
from cocflow.filing.ssn import normalize as normalize_ssn
from cocflow.isodate import parse_iso_date

__all__ = [
    "ADDRESS_PARTS",
    "QUESTIONS",
    "Question",
    "address_problems",
    "as_text",
    "build",
    "current",
    "describe",
    "follow_up",
    "needed",
    "next_question",
    "parse_address",
    "parse_answer",
    "template",
    "with_answer",
]

Kind = Literal["choice", "date", "country", "countries", "text", "yes_no", "ssn", "address"]
Answers = Mapping[str, Any]


def _always(_: Case) -> bool:
    return True


def _employee(case: Case) -> bool:
    return case.worker.kind == "employee"


def _self_employed(case: Case) -> bool:
    return case.worker.kind == "self_employed"


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
    when: Callable[[Case], bool] = field(default=_always, compare=False)


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


YES_NO = (("yes", "Yes"), ("no", "No"))


def parse_answer(question: Question, text: str) -> Any:
    """The value of an answer, or ``ValueError`` saying what is wrong (in the product's words).

    Dates come back as :class:`datetime.date`, citizenships as a tuple, yes/no as a bool."""
    text = text.strip()
    if not text:
        if question.optional:
            return None
        raise ValueError("an answer is needed")
    if question.kind in ("choice", "yes_no"):
        choices = question.choices or YES_NO
        spelled = text.lower().replace("-", "_").replace(" ", "_")
        for number, (value, label) in enumerate(choices, start=1):
            if text in (str(number), value) or spelled == value or text.lower() == label.lower():
                return value == "yes" if question.kind == "yes_no" else value
        raise ValueError(f"answer with a number from 1 to {len(choices)}")
    if question.kind == "date":
        day: date = parse_iso_date(text)
        return day
    if question.kind == "country":
        return normalize_country(text)
    if question.kind == "countries":
        return tuple(normalize_country(part) for part in text.replace(",", " ").split())
    if question.kind == "ssn":
        problem = check_ssn(text)
        if problem is not None:
            raise ValueError(f"{problem.message.rstrip('.')}; {problem.fix.rstrip('.')}")
        return normalize_ssn(text)
    if question.kind == "address":
        raise ValueError("an address is given line by line (parse_address)")
    return text


ADDRESS_PARTS = (
    ("line1", "Street and number", False),
    ("line2", "Apartment, suite or building (optional)", True),
    ("city", "City or town", False),
    ("region", "State, province or region (optional)", True),
    ("postal_code", "ZIP or postal code (optional)", True),
    ("country", "Country", False),
)


def address_problems(parts: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every part of an address that is missing or wrong: (part, what a person reads)."""
    found: list[tuple[str, str]] = []
    for name, label, optional in ADDRESS_PARTS:
        if not (parts.get(name) or "").strip() and not optional:
            found.append((name, f"{label}: an answer is needed"))
    country = (parts.get("country") or "").strip()
    if country:
        try:
            normalize_country(country)
        except ValueError as exc:
            found.append(("country", f"Country: {exc}"))
    return found


def parse_address(parts: Mapping[str, str]) -> Address:
    """An address from its parts (``ADDRESS_PARTS``), or ``ValueError`` naming the first part
    that is missing or wrong (:func:`address_problems` names them all)."""
    problems = address_problems(parts)
    if problems:
        raise ValueError(problems[0][1])
    values = {name: (parts.get(name) or "").strip() or None for name, _, _ in ADDRESS_PARTS}
    country = normalize_country(values["country"] or "")
    return Address(
        line1=values["line1"] or "",
        city=values["city"] or "",
        country=country,
        line2=values["line2"],
        region=values["region"],
        postal_code=values["postal_code"],
    )


def build(answers: Answers) -> Case:
    """The case the answers make: incomplete while needed questions remain unanswered."""
    kind = answers.get("kind")
    residence: tuple[Residence, ...] = ()
    if answers.get("home") and answers.get("home_since"):
        residence = (Residence(answers["home"], answers["home_since"]),)
    worker = Worker(
        kind=kind,
        residence=residence,
        citizenship=tuple(answers["citizenship"]) if answers.get("citizenship") else None,
    )
    employer = business = None
    if kind == "employee":
        employer = Employer(
            answers.get("employer_name"),
            answers.get("employer_country"),
            answers.get("employer_hired"),
        )
    elif answers.get("operating_since"):
        business = Business(operating_since=answers["operating_since"])
    engagements: tuple[Engagement, ...] = ()
    if answers.get("work_country") and answers.get("work_start"):
        engagements = (
            Engagement(answers["work_country"], answers["work_start"], answers.get("work_end")),
        )
    return Case(
        worker=worker,
        engagements=engagements,
        employer=employer,
        business=business,
        label=answers.get("label") or None,
    )


def needed(answers: Answers) -> list[Question]:
    """The questions this case needs, in order, judged on the case the answers make."""
    case = build(answers)
    return [q for q in QUESTIONS if q.when(case)]


def next_question(answers: Answers) -> Question | None:
    """The first needed question not answered yet (``None``: the interview is complete)."""
    return next((q for q in needed(answers) if q.id not in answers), None)


# --- after screening: a pause's missing facts become the next questions --------------------

_ROW = re.compile(r"^engagements\[(\d+)\]\.(end|region)$")
_STATIC = {"employer.hired": "employer_hired", "business.operating_since": "operating_since",
           "worker.citizenship": "citizenship"}  # fmt: skip


def follow_up(
    case: Case, missing_facts: Iterable[str], conditions: Mapping[str, str]
) -> tuple[Question, ...]:
    """Questions for the facts a screening found missing. ``conditions``: statement id -> the
    rule's own words (from the rules data). Facts no question can fill are left out: the
    answer page names them."""
    out: list[Question] = []
    by_id = {q.id: q for q in QUESTIONS}
    for path in dict.fromkeys(missing_facts):
        if path in _STATIC:
            out.append(replace(by_id[_STATIC[path]], optional=False))
        elif path.startswith("worker.statements.") and path[18:] in conditions:
            out.append(
                Question(
                    f"statement:{path[18:]}",
                    path,
                    f"Is this true for your work? {conditions[path[18:]]}",
                    "The agreement keeps U.S. coverage only under this condition; "
                    "answer from what you know now.",
                    "yes_no",
                )
            )
        elif (row := _ROW.match(path)) and int(row[1]) < len(case.engagements):
            stay = case.engagements[int(row[1])]
            where = country_name(stay.country)
            if row[2] == "end":
                out.append(
                    Question(
                        f"end:{row[1]}",
                        path,
                        f"On what day will the work in {where} (from {stay.start}) end?",
                        "The agreement's limit is judged on the whole stay: an expected end "
                        "date decides it.",
                        "date",
                        example=f"{stay.start.year + 1}-{stay.start.month:02d}-01",
                    )
                )
            else:
                out.append(
                    Question(
                        f"region:{row[1]}",
                        path,
                        f"In which part of {where} is the work done (its ISO 3166-2 code)?",
                        "A separate agreement covers part of this country.",
                        "text",
                        example="QC for Quebec",
                    )
                )
    return tuple(out)


def with_answer(case: Case, question: Question, value: Any) -> Case:
    """``case`` with the fact ``question`` asks about set to ``value`` (``None``: left out)."""
    path = question.path
    if value is None:
        return _without(case, path)
    if path == "worker.kind":
        # A self-employed person has no employer; an employee's business is not asked.
        employer = case.employer if value == "employee" else None
        return replace(case, worker=replace(case.worker, kind=value), employer=employer)
    if path == "label":
        return replace(case, label=value)
    if path.startswith("worker.statements."):
        statements = {**case.worker.statements, path[18:]: bool(value)}
        return replace(case, worker=replace(case.worker, statements=statements))
    if path == "worker.citizenship":
        return replace(case, worker=replace(case.worker, citizenship=tuple(value)))
    if path.startswith("extras."):
        return replace(case, extras={**case.extras, path[7:]: value})
    head, _, name = path.partition(".")
    if head == "person":
        return replace(case, person=replace(case.person or Person(), **{name: value}))
    if head == "employer":
        return replace(case, employer=replace(case.employer or Employer(), **{name: value}))
    if head == "business":
        return replace(case, business=replace(case.business or Business(), **{name: value}))
    record = _RECORD.match(path)
    if record:
        return _with_record(case, record[1], record[2], value)
    row = _ROW.match(path)
    if row:
        index = int(row[1])
        stays = list(case.engagements)
        stays[index] = replace(stays[index], **{row[2]: value})
        return replace(case, engagements=tuple(stays))
    raise ValueError(f"no question fills {path}")


_RECORD = re.compile(r"^records\[([a-z_]+)\]\.([a-z_]+)$")


def _without(case: Case, path: str) -> Case:
    """``case`` with an optional fact left out (an answer emptied on a second visit)."""
    if path == "worker.citizenship":
        return replace(case, worker=replace(case.worker, citizenship=None))
    if path == "label":
        return replace(case, label=None)
    record = _RECORD.match(path)
    if record:
        field: dict[str, Any] = {record[2]: None}
        records = tuple(replace(r, **field) if r.kind == record[1] else r for r in case.records)
        return replace(case, records=records)
    head, _, name = path.partition(".")
    if head == "business" and case.business is not None:
        return replace(case, business=replace(case.business, **{name: None}))
    if head == "employer" and case.employer is not None:
        return replace(case, employer=replace(case.employer, **{name: None}))
    if head == "person" and case.person is not None:
        return replace(case, person=replace(case.person, **{name: None}))
    return case


def current(case: Case, question: Question) -> Any:
    """The value the case holds for the fact ``question`` asks about (``None``: none yet)."""
    path = question.path
    if path.startswith("worker.statements."):
        return case.worker.statements.get(path[18:])
    if path.startswith("extras."):
        return case.extras.get(path[7:])
    record = _RECORD.match(path)
    if record:
        found = next((r for r in case.records if r.kind == record[1]), None)
        return getattr(found, record[2]) if found else None
    row = _ROW.match(path)
    if row:
        index = int(row[1])
        return getattr(case.engagements[index], row[2]) if index < len(case.engagements) else None
    head, _, name = path.partition(".")
    if head == "worker":
        return getattr(case.worker, name)
    if head in ("employer", "business", "person"):
        part = getattr(case, head)
        return getattr(part, name) if part is not None else None
    if path == "label":
        return case.label
    return None


def as_text(question: Question, value: Any) -> str:
    """A value as a person would type it back into the question (the answer kept on Back)."""
    if value is None:
        return ""
    if question.kind == "yes_no":
        return "yes" if value else "no"
    if question.kind == "countries":
        return " ".join(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _with_record(case: Case, kind: str, name: str, value: Any) -> Case:
    """The first record of ``kind`` with ``name`` set (a new record when there is none)."""
    records = list(case.records)
    for index, record in enumerate(records):
        if record.kind == kind:
            records[index] = replace(record, **{name: value})
            break
    else:
        records.append(Record(kind, **{name: value}))  # type: ignore[arg-type]
    return replace(case, records=tuple(records))


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
    choices = question.choices or (YES_NO if question.kind == "yes_no" else ())
    parts += [f"  {n}. {label}" for n, (_, label) in enumerate(choices, start=1)]
    if question.example:
        parts.append(f"  (for example {question.example})")
    parts.append(f"  Why we ask: {question.why}")
    return "\n".join(parts)
