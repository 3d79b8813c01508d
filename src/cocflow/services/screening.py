"""Screening services: the rules in force, one case screened, an agreement looked up."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from cocflow.case import Case, missing
from cocflow.errors import InputError, Problem
from cocflow.io.settings import Settings
from cocflow.rules.bundle import load_rules_cached
from cocflow.rules.loader import RuleBook
from cocflow.rules.model import Agreement
from cocflow.screening.decision import Decision
from cocflow.screening.screen import screen_fast

if TYPE_CHECKING:
    from cocflow.interview.questions import Question

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
    """The rules in force for ``settings``: validated in full the first time, then loaded from
    the compiled bundle in the user's cache (see :mod:`cocflow.rules.bundle`)."""
    return load_rules_cached(settings.rules_dir)


def conditions(rules: RuleBook) -> dict[str, str]:
    """Every yes/no statement a rule may need (``worker.statements.<id>``), in the rule's words."""
    return dict(rules.conditions)


def follow_up_questions(case: Case, decision: Decision, rules: RuleBook) -> tuple[Question, ...]:
    """The questions that would settle a pause: its missing facts, as interview questions."""
    if decision.outcome != "pause":
        return ()
    from cocflow.interview.questions import follow_up

    return follow_up(case, decision.missing_facts, conditions(rules))


def check_statements(
    statements: Mapping[str, bool], rules: RuleBook, source: str | None = None
) -> None:
    known = rules.conditions
    unknown = sorted(set(statements) - known.keys())
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
    return screen_fast(case, rules, as_of, processing_days=processing_days)


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
