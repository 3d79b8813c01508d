"""Postings: stays in one country that count as one period for a time limit.

Stays that overlap or follow each other without a break are always one posting. What happens
to a later, separate posting depends on the agreement:

- With a repeated-posting rule (Germany, France: POMS RS 02001.115, RS 02001.525), the first
  posting is judged on its own expected length. A later one keeps home coverage only if it ends
  within ``within_months_of_first_start`` of the first posting's start, or starts at least
  ``min_gap_months`` after the previous one ended; a posting after such a gap starts a new
  series and is judged on its own.
- Without one, earlier separate postings are reported (``earlier_start``) so the engine can
  refuse to guess whether they add up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cocflow.case import Engagement
from cocflow.dates import add_months, next_day
from cocflow.rules.model import RepeatedPosting

__all__ = ["Posting", "postings"]


@dataclass(frozen=True, slots=True)
class Posting:
    """The posting an engagement belongs to."""

    start: date
    end: date | None  # None: open-ended
    members: int
    # No repeated-posting rule: the first day of earlier separate postings in the country.
    earlier_start: date | None = None
    # Repeated-posting rule, a later posting: the first posting of its series (the one the
    # later posting is measured from) and the last day of the posting just before it.
    first_start: date | None = None
    previous_end: date | None = None
    # Repeated-posting rule: a posting that starts a new series after a long enough gap.
    after_gap: bool = False
    # The very first posting in the country, when an earlier series came before this one.
    origin_start: date | None = None


def _chains(engagements: Sequence[Engagement], country: str) -> list[tuple[list[int], date | None]]:
    """Engagement indexes in ``country`` grouped into postings of stays without a break."""
    order = sorted(
        (i for i, e in enumerate(engagements) if e.country == country),
        key=lambda i: engagements[i].start,
    )
    chains: list[tuple[list[int], date | None]] = []
    for i in order:
        e = engagements[i]
        if chains:
            members, end = chains[-1]
            if end is None or e.start <= next_day(end):
                merged = None if end is None or e.end is None else max(end, e.end)
                chains[-1] = ([*members, i], merged)
                continue
        chains.append(([i], e.end))
    return chains


def postings(
    engagements: Sequence[Engagement], country: str, rule: RepeatedPosting | None
) -> dict[int, Posting]:
    """The posting of every engagement in ``country``, keyed by engagement index."""
    chains = _chains(engagements, country)
    result: dict[int, Posting] = {}
    if not chains:
        return result
    origin = engagements[chains[0][0][0]].start
    series = origin
    previous_end: date | None = None
    for n, (members, end) in enumerate(chains):
        start = engagements[members[0]].start
        posting = Posting(start, end, len(members))
        if n > 0 and rule is None:
            posting = Posting(start, end, len(members), earlier_start=origin)
        elif n > 0 and rule is not None:
            assert previous_end is not None  # an open-ended posting absorbs every later stay
            if start >= add_months(previous_end, rule.min_gap_months):
                series = start
                posting = Posting(
                    start, end, len(members), previous_end=previous_end, after_gap=True
                )
            else:
                posting = Posting(
                    start,
                    end,
                    len(members),
                    first_start=series,
                    previous_end=previous_end,
                    origin_start=origin if origin != series else None,
                )
        for i in members:
            result[i] = posting
        previous_end = end
    return result
