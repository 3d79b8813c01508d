"""Postings: stays in one country that count as one period for a time limit.

Stays that overlap or follow each other without a gap are always one posting. Where the
agreement has a repeated-posting rule, a stay that starts less than ``min_gap_months`` after
the previous one ended joins it too. Where it has none, earlier separate postings are reported
so the engine can refuse to guess whether they add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cocflow.case import Engagement
from cocflow.dates import add_months, next_day

__all__ = ["Posting", "postings"]


@dataclass(frozen=True, slots=True)
class Posting:
    """The posting an engagement belongs to."""

    start: date
    end: date | None  # None: open-ended
    members: int
    earlier_start: date | None  # first day of earlier separate postings, when no rule joins them


def postings(
    engagements: Sequence[Engagement], country: str, min_gap_months: int | None
) -> dict[int, Posting]:
    """The posting of every engagement in ``country``, keyed by engagement index."""
    order = sorted(
        (i for i, e in enumerate(engagements) if e.country == country),
        key=lambda i: engagements[i].start,
    )
    chains: list[list[int]] = []
    ends: list[date | None] = []
    for i in order:
        e = engagements[i]
        if chains:
            end = ends[-1]
            joins = end is None or e.start <= next_day(end)
            if not joins and min_gap_months is not None and end is not None:
                joins = e.start < add_months(end, min_gap_months)
            if joins:
                chains[-1].append(i)
                ends[-1] = None if end is None or e.end is None else max(end, e.end)
                continue
        chains.append([i])
        ends.append(e.end)
    result: dict[int, Posting] = {}
    first = engagements[chains[0][0]].start if chains else None
    for n, (members, end) in enumerate(zip(chains, ends, strict=True)):
        start = engagements[members[0]].start
        earlier = first if n > 0 and min_gap_months is None else None
        for i in members:
            result[i] = Posting(start, end, len(members), earlier)
    return result
