"""Screening services: the rules in force, one case screened, an agreement looked up."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from cocflow.case import Case, missing
from cocflow.errors import InputError, Problem
from cocflow.interview.questions import Question, follow_up
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook, load_rules
from cocflow.rules.model import Agreement
from cocflow.screening.decision import Decision
from cocflow.screening.screen import screen

__all__ = [
    "check_complete",
    "check_statements",
    "conditions",
    "find_agreement",
    "follow_up_questions",
    "rules_for",
    "screen_case",
]


def rules_for(settings: Settings) -> RuleBook:
    return load_rules(settings.rules_dir)


def conditions(rules: RuleBook) -> dict[str, str]:
    """Every yes/no statement a rule may need (``worker.statements.<id>``), in the rule's words."""
    return {
        c.id: " ".join(c.text.split())
        for a in rules.agreements.values()
        for e in (*a.employee, *a.self_employed)
        for spec in (e, *e.readings)
        for c in spec.conditions
    }


def follow_up_questions(case: Case, decision: Decision, rules: RuleBook) -> tuple[Question, ...]:
    """The questions that would settle a pause: its missing facts, as interview questions."""
    if decision.outcome != "pause":
        return ()
    return follow_up(case, decision.missing_facts, conditions(rules))


def check_statements(
    statements: Mapping[str, bool], rules: RuleBook, source: str | None = None
) -> None:
    known = set(conditions(rules))
    unknown = sorted(set(statements) - known)
    if unknown:
        raise InputError(
            [
                Problem(
                    f"worker.statements.{k}",
                    "UNKNOWN_STATEMENT",
                    f"'{k}' is not a condition of any agreement.",
                    f"use one of: {', '.join(sorted(known)) or '(none)'}.",
                )
                for k in unknown
            ],
            source,
        )


def check_complete(case: Case, source: str | None = None) -> None:
    """Refuse to screen a case that lacks a fact screening cannot do without."""
    gaps = missing(case)
    if gaps:
        raise InputError(
            [
                Problem(
                    gap.path,
                    "MISSING_FACT",
                    f"the case does not say {gap.what}.",
                    "answer the question about it (or add it to the case file).",
                )
                for gap in gaps
            ],
            source,
        )


def screen_case(
    case: Case,
    as_of: date,
    rules: RuleBook,
    processing_days: int | None = None,
    source: str | None = None,
) -> Decision:
    """Screen ``case`` as on ``as_of``: the answer, its reasons, sources and file-by date."""
    check_complete(case, source)
    check_statements(case.worker.statements, rules, source)
    return screen(case, rules, as_of, processing_days=processing_days)


def find_agreement(rules: RuleBook, code: str) -> Agreement:
    """The arrangement with id ``code`` (``DE``, ``CA-QC``) or for country name/code."""
    key = code.strip().upper()
    if key in rules.agreements:
        return rules.agreements[key]
    from cocflow.countries import normalize_country

    try:
        country = normalize_country(code)
    except ValueError as exc:
        raise InputError(
            [
                Problem(
                    "COUNTRY",
                    "BAD_COUNTRY",
                    str(exc) + ".",
                    "use an ISO code such as DE, or CA-QC for Quebec.",
                )
            ]
        ) from None
    found = rules.for_country(country)
    if not found:
        raise InputError(
            [
                Problem(
                    "COUNTRY",
                    "NO_AGREEMENT",
                    f"there is no agreement for '{code}'.",
                    "run 'cocflow agreements' to list them.",
                )
            ]
        )
    return found[0]
