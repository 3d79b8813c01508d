"""Which single change a person can still make would turn a ``pause`` or ``no_go`` into a ``go``.

Only changes that are still open are proposed, for work that has not begun: a shorter stay (its
expected length is judged when it begins), not working in one of several countries, or living in
the United States during it. Facts about the past (where the person lived, when a job or a
business began, a nationality) are never proposed: suggesting them would invite a false
statement. Each candidate is applied to a copy of the case and screened again; only the changes
that really produce a ``go`` are reported. Nothing here knows a country's rules: a shorter stay
ends on the last day the engine found the segment's limit to allow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date

from cocflow.case import Case, Residence
from cocflow.countries import UNITED_STATES, country_name
from cocflow.dates import ONE_DAY, add_months
from cocflow.rules.loader import RuleBook
from cocflow.screening.decision import Decision
from cocflow.screening.engine import decide

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
    abroad = [e for e in case.engagements if e.country not in us]
    begun = any(e.start <= as_of for e in abroad)
    foreign = sorted({e.country for e in abroad})
    if len(foreign) > 1 and not begun:
        for keep in foreign:
            others = ", ".join(country_name(c) for c in foreign if c != keep)
            kept = tuple(e for e in case.engagements if e.country == keep or e.country in us)
            yield (
                f"if all the foreign work were in {country_name(keep)} (no work in {others})",
                replace(case, engagements=kept),
            )
    codes = {r.code for r in decision.all_reasons()}
    if not begun and codes & {
        "SE_RESIDENCE_FOREIGN",
        "SE_RESIDENCE_NEITHER",
        "SE_RESIDENCE_CHANGES",
        "SE_RESIDENCE_UNKNOWN",
    }:
        first = min(e.start for e in abroad)
        kept_before = tuple(r for r in case.worker.residence if r.end is not None and r.end < first)
        yield (
            "if you lived in the United States for the whole time you work abroad",
            replace(
                case,
                worker=replace(
                    case.worker, residence=(*kept_before, Residence(UNITED_STATES, first, None))
                ),
            ),
        )


def go_if(
    case: Case,
    decision: Decision,
    rules: RuleBook,
    as_of: date,
    is_go: Callable[[Case, RuleBook, date], bool] = _is_go,
) -> tuple[str, ...]:
    """Plain sentences naming each single change of fact that would give a ``go``.

    ``is_go`` answers whether a changed case is a ``go``; by default it decides the case in
    full, and :func:`cocflow.screening.engine.would_go` gives the same answer faster."""
    if decision.outcome in ("go", "not_needed"):
        return ()
    found = [
        text
        for text, changed in _candidates(case, decision, rules, as_of)
        if is_go(changed, rules, as_of)
    ]
    tried: set[str] = set()
    for index, segment in enumerate(decision.segments):
        latest, since = segment.limit_last_day, segment.limit_from
        if latest is None or since is None or segment.country in tried:
            continue
        if not {r.code for r in segment.reasons} & _LENGTH_CODES:
            continue
        tried.add(segment.country)  # one try per country keeps long cases fast
        if segment.start <= as_of:  # its expected length was judged when it began
            continue
        if latest < segment.start:  # the limit, counted from an earlier posting, ran out before
            continue  # this stay begins: no end date brings it within (nor can a stay end first)
        if is_go(_with_end(case, index, latest), rules, as_of):
            where = country_name(segment.country)
            found.append(
                f"if the stay in {where} ended on or before {latest}"
                f"{_months_phrase(since, latest, segment.start)}"
            )
    return tuple(found)
