"""Which single change of fact would turn a ``pause`` or ``no_go`` into a ``go``.

Each candidate change is applied to a copy of the case and screened again; only the changes
that really produce a ``go`` are reported. Nothing here knows a country's rules: a shorter
stay ends on the last day the engine found the segment's limit to allow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from cocflow.case import Case, Residence
from cocflow.countries import UNITED_STATES, country_name
from cocflow.dates import ONE_DAY, add_months
from cocflow.decision import Decision
from cocflow.engine import decide
from cocflow.rules.loader import RuleBook

__all__ = ["go_if"]

_LENGTH_CODES = frozenset(
    {
        "EMP_DETACHED_OVER_LIMIT",
        "EMP_OPEN_ENDED",
        "SE_TRANSFER_OVER_LIMIT",
        "SE_TRANSFER_OPEN_ENDED",
        "LIMIT_BOUNDARY_AMBIGUOUS",
        "REPEATED_POSTING_UNCLEAR",
    }
)


def _is_go(case: Case, rules: RuleBook, as_of: date) -> bool:
    return decide(case, rules, as_of).outcome == "go"


def _with_end(case: Case, index: int, end: date) -> Case:
    engagements = list(case.engagements)
    engagements[index] = replace(engagements[index], end=end)
    return replace(case, engagements=tuple(engagements))


def _months_phrase(since: date, end: date, segment_start: date) -> str:
    for months in range(1, 361):
        if add_months(since, months) - ONE_DAY == end:
            if since == segment_start:
                return f" ({months} months or shorter)"
            return f" (the {months}-month limit counted from {since})"
    return ""


def _candidates(
    case: Case, decision: Decision, rules: RuleBook, as_of: date
) -> Iterator[tuple[str, Case]]:
    us = rules.network.us_codes
    foreign = sorted({s.country for s in decision.segments if s.country not in us})
    if len(foreign) > 1:
        for keep in foreign:
            others = ", ".join(country_name(c) for c in foreign if c != keep)
            kept = tuple(e for e in case.engagements if e.country == keep or e.country in us)
            yield (
                f"if all the foreign work were in {country_name(keep)} (no work in {others})",
                replace(case, engagements=kept),
            )
    codes = {r.code for r in decision.all_reasons()}
    if codes & {
        "SE_RESIDENCE_FOREIGN",
        "SE_RESIDENCE_NEITHER",
        "SE_RESIDENCE_CHANGES",
        "SE_RESIDENCE_UNKNOWN",
    }:
        first = min(e.start for e in case.engagements)
        yield (
            "if you lived in the United States for the whole time you work abroad",
            replace(case, residence=(Residence(UNITED_STATES, first, None),)),
        )
    if codes & {"NATIONALITY_FOREIGN", "NATIONALITY_THIRD", "NATIONALITY_DUAL_ELECTION"}:
        yield "if you were a U.S. national only", replace(case, citizenship=(UNITED_STATES,))
    first = min(e.start for e in case.engagements if e.country not in us)
    if "SE_NO_PRIOR_BUSINESS" in codes:
        yield (
            f"if your U.S. business had operated before {first}",
            replace(case, business_operating_since=first - ONE_DAY),
        )
    if "EMP_HIRED_AFTER_START" in codes:
        yield (
            f"if your job with the employer had begun before {first}",
            replace(case, employer_hired=first - ONE_DAY),
        )


def go_if(case: Case, decision: Decision, rules: RuleBook, as_of: date) -> tuple[str, ...]:
    """Plain sentences naming each single change of fact that would give a ``go``."""
    if decision.outcome in ("go", "not_needed"):
        return ()
    found = [
        text
        for text, changed in _candidates(case, decision, rules, as_of)
        if _is_go(changed, rules, as_of)
    ]
    tried: set[str] = set()
    for index, segment in enumerate(decision.segments):
        latest, since = segment.limit_last_day, segment.limit_from
        if latest is None or since is None or segment.country in tried:
            continue
        if not {r.code for r in segment.reasons} & _LENGTH_CODES:
            continue
        tried.add(segment.country)  # one try per country keeps long cases fast
        if latest >= segment.start and _is_go(_with_end(case, index, latest), rules, as_of):
            where = country_name(segment.country)
            found.append(
                f"if the stay in {where} ended on or before {latest}"
                f"{_months_phrase(since, latest, segment.start)}"
            )
    return tuple(found)
