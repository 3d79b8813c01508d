"""Service functions: what the CLI (and any other client) calls. Files are read here."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from cocflow.errors import InputError, Problem
from cocflow.io.casefile import load_case
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook, load_rules
from cocflow.rules.model import Agreement
from cocflow.screening.decision import Decision
from cocflow.screening.screen import screen

__all__ = ["check_statements", "find_agreement", "rules_for", "screen_file"]


def rules_for(settings: Settings) -> RuleBook:
    return load_rules(settings.rules_dir)


def check_statements(statements: dict[str, bool], rules: RuleBook, source: str) -> None:
    known = {
        c.id
        for a in rules.agreements.values()
        for e in (*a.employee, *a.self_employed)
        for spec in (e, *e.readings)
        for c in spec.conditions
    }
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


def screen_file(
    path: Path, as_of: date, rules: RuleBook, processing_days: int | None = None
) -> Decision:
    """Read the case file at ``path`` and screen it as on ``as_of``."""
    case_file = load_case(path)
    check_statements(case_file.worker.statements, rules, str(path))
    return screen(case_file.to_case(), rules, as_of, processing_days=processing_days)


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
