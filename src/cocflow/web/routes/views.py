"""What the interview's pages show, built from the case and the decision: the question as a form
field, the rows of "check your answers", the answer in sentences. No rule is decided here: the
values come from the interview's definitions, the case and the decision as they are."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cocflow.case import Case
from cocflow.countries import country_name
from cocflow.filing.ssn import mask
from cocflow.interview import questions as interview
from cocflow.interview.questions import Question
from cocflow.screening.advice import headline
from cocflow.screening.decision import Decision
from cocflow.tracking.foreignpath import ForeignPlan
from cocflow.web import components as ui

__all__ = ["AnswerView", "answer_view", "check_sections", "details_rows", "question_view"]

_HINTS = {
    "date": "Year, month and day, for example 2027-01-15.",
    "country": "A country's name or its two-letter code, for example Portugal or PT.",
    "countries": "One or more countries, for example US, or US IT for two.",
    "ssn": "Nine digits, written ###-##-####.",
}
_OUTCOMES = {
    "go": "Go",
    "no_go": "No go",
    "pause": "Pause",
    "not_needed": "Not needed",
}
_COVERAGE = {
    "us": "U.S. coverage",
    "foreign": "the other country's coverage",
    "dual_risk": "no agreement: both countries may charge contributions",
    "undetermined": "coverage not determined yet",
}
_PLAIN = {
    "worker.residence": "where you lived during the work (add each home)",
    "engagements": "where and when the work is done (check each stay)",
    "business": "your business in the United States",
    "worker.citizenship": "your citizenship",
}
_KINDS = {"self_employed": "I work for myself", "employee": "An employer pays my wages"}


def question_view(
    question: Question, case: Case, posted: Mapping[str, str], error: str
) -> ui.Question:
    """The question as a page's form field, with the answer kept (never a full SSN)."""
    value = interview.current(case, question)
    if question.kind == "ssn":
        text = ""  # a number, stored or typed, is never sent back to the browser
    elif "answer" in posted:
        text = posted["answer"]
    else:
        text = interview.as_text(question, value)
    hint = _HINTS.get(question.kind, "")
    if question.kind == "ssn" and isinstance(value, str) and value:
        hint = f"A number ending {mask(value)[-4:]} is on file: leave this empty to keep it."
    elif question.example and question.kind not in ("choice", "yes_no", "date", "ssn"):
        hint = f"For example: {question.example}."
    if question.optional:
        hint = (hint + " You can leave this empty.").strip()
    choices: tuple[ui.Choice, ...] = ()
    kind: Any = "text"
    if question.kind in ("choice", "yes_no"):
        kind = "radios"
        pairs = question.choices or interview.YES_NO
        choices = tuple(ui.Choice(v, label) for v, label in pairs)
    return ui.Question(
        id="answer",
        label=question.text,
        name="answer",
        kind=kind,
        hint=hint,
        why=question.why,
        value=text,
        error=error,
        choices=choices,
        width="medium" if question.kind in ("date", "ssn") else "",
    )


def _name(code: str) -> str:
    """A country as a value on a page: "United States", "Portugal"."""
    name = country_name(code)
    return name.removeprefix("the ")


def _dates(start: Any, end: Any) -> str:
    return f"{start} to {end}" if end else f"from {start}, no end date"


def check_sections(case_id: str, case: Case) -> list[tuple[str, str, list[ui.SummaryRow]]]:
    """The answers so far, section by section: (id, heading, rows), each with a Change link."""
    q = f"/cases/{case_id}/q"
    w = case.worker
    work = [
        ui.SummaryRow(
            "How you are paid", _KINDS.get(w.kind or "", "Not answered yet"),
            f"{q}/kind?back=check", "how you are paid"),
        ui.SummaryRow(
            "Citizenship", ", ".join(_name(c) for c in w.citizenship or ()) or "Not given",
            f"{q}/citizenship?back=check", "citizenship"),
    ]  # fmt: skip
    if w.kind == "employee":
        e = case.employer
        work += [
            ui.SummaryRow("Employer", (e.name if e else None) or "Not answered yet",
                          f"{q}/employer_name?back=check", "employer"),
            ui.SummaryRow("Employer's country",
                          _name(e.country) if e and e.country else "Not answered yet",
                          f"{q}/employer_country?back=check", "employer's country"),
            ui.SummaryRow("Hired on", str(e.hired) if e and e.hired else "Not given",
                          f"{q}/employer_hired?back=check", "hiring date"),
        ]  # fmt: skip
    elif w.kind == "self_employed":
        since = case.business.operating_since if case.business else None
        work.append(
            ui.SummaryRow("Business in the United States since", str(since or "Not given"),
                          f"{q}/operating_since?back=check", "business start")
        )  # fmt: skip
    homes = [
        ui.SummaryRow(
            f"Home {i + 1}" if len(w.residence) > 1 else "Home",
            f"{_name(r.country)}, {_dates(r.start, r.end)}",
            f"/cases/{case_id}/home/edit?row={i}&back=check",
            f"home {i + 1}",
        )
        for i, r in enumerate(w.residence)
    ]
    stays = [
        ui.SummaryRow(
            f"Stay {i + 1}" if len(case.engagements) > 1 else "Stay",
            f"{_name(e.country)}, {_dates(e.start, e.end)}"
            + (f" (client: {e.client.name})" if e.client and e.client.name else ""),
            f"/cases/{case_id}/stays/edit?row={i}&back=check",
            f"stay {i + 1}",
        )
        for i, e in enumerate(case.engagements)
    ]
    return [
        ("work", "Your work", work),
        ("home", "Where you live", homes),
        ("stays", "Where you will work", stays),
    ]


def details_rows(case_id: str, case: Case) -> list[ui.SummaryRow]:
    """The filing details on file, each with its Change link (the SSN masked)."""
    from cocflow.interview.filing import FILING_QUESTIONS, RECORD_QUESTIONS

    rows = []
    for question in (*FILING_QUESTIONS, *RECORD_QUESTIONS):
        if not question.when(case):
            continue
        section = question.path.split(".")[0]
        if section == "business" and case.worker.kind != "self_employed":
            continue
        if section == "employer" and case.worker.kind != "employee":
            continue
        value = interview.current(case, question)
        if question.kind == "ssn" and isinstance(value, str):
            shown = mask(value)
        elif question.kind == "address" and value is not None:
            from cocflow.tracking.letters import postal_lines

            shown = ", ".join(postal_lines(value))
        else:
            shown = interview.as_text(question, value) or "Not given"
        label = question.text.rstrip("?").split(" (")[0]
        rows.append(
            ui.SummaryRow(label, shown, f"/cases/{case_id}/q/{question.id}?back=details", label)
        )
    return rows


def finding_links(case_id: str, case: Case, paths: Sequence[str]) -> list[str | None]:
    """For each finding's path, the question that changes that fact (``None``: none does)."""
    import re

    from cocflow.interview.filing import FILING_QUESTIONS, RECORD_QUESTIONS

    by_path = {q.path: q.id for q in (*FILING_QUESTIONS, *RECORD_QUESTIONS)}
    out: list[str | None] = []
    for given in paths:
        fact = given
        record = re.match(r"^records\[(\d+)\]\.(\w+)", given)
        if record and int(record[1]) < len(case.records):
            fact = f"records[{case.records[int(record[1])].kind}].{record[2]}"
        fact = re.sub(r"^(business|employer)\.(address|host_address)\..*$", r"\1.\2", fact)
        qid = by_path.get(fact)
        out.append(f"/cases/{case_id}/q/{qid}?back=details" if qid else None)
    return out


@dataclass(frozen=True)
class AnswerView:
    outcome: str
    title: str
    sentence: str
    file_by: str | None
    file_by_passed: bool
    reasons: list[tuple[str, tuple[str, ...]]]
    segments: list[str]
    go_if: list[str]
    next_actions: list[str]
    missing: list[tuple[str, str]]  # (question id, its text) for a pause
    unasked: list[str]  # missing facts no question can fill
    plan: ForeignPlan | None


def answer_view(
    d: Decision,
    case: Case,
    follow: Sequence[Question],
    plan: ForeignPlan | None,
    conditions: Mapping[str, str],
) -> AnswerView:
    """The decision in sentences, outcome first."""
    sentence = headline(d)
    sentence = sentence[:1].upper() + sentence[1:]
    reasons = [(r.text, r.sources) for r in d.reasons]
    for s in d.segments:
        reasons += [(r.text, r.sources) for r in s.reasons]
    segments = [
        f"{_name(s.country)}, {_dates(s.start, s.end)}: "
        + _COVERAGE[s.coverage]
        for s in d.segments
    ]  # fmt: skip
    asked = {q.path for q in follow}
    return AnswerView(
        outcome=d.outcome,
        title=f"{_OUTCOMES[d.outcome]}: the answer",
        sentence=sentence,
        file_by=str(d.file_by) if d.file_by else None,
        file_by_passed=bool(d.file_by and d.file_by < d.as_of),
        reasons=reasons,
        segments=segments,
        go_if=list(d.go_if),
        # The page has its own "File by" section; advice to edit a case file is for the terminal.
        next_actions=[
            a for a in d.next_actions if "case file" not in a and not a.startswith("File by")
        ],
        missing=[(q.id, q.text) for q in follow],
        unasked=[_PLAIN.get(m.split("[")[0], m) for m in d.missing_facts if m not in asked],
        plan=plan,
    )
