"""The screening service: a decision with its next actions and ``go_if`` changes.

:func:`screen` is the full path: each ``go_if`` candidate is decided in full, as a case of its
own. :func:`screen_fast` gives the same decision, field for field, for batches and
re-screening: a candidate is only asked whether it would be a ``go``
(:class:`~cocflow.screening.engine.GoCheck`: from the segments already judged where the
candidate only leaves countries out, else :func:`~cocflow.screening.engine.would_go`, which
stops at the first segment that is not U.S.-covered), and the decision is built once.
``tests/test_fast_path.py`` holds the two to the same answers on a large generated roster.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from cocflow.case import Case
from cocflow.filing.timing import file_by
from cocflow.rules.loader import RuleBook
from cocflow.screening.advice import next_actions
from cocflow.screening.counterfactual import go_if
from cocflow.screening.decision import Decision
from cocflow.screening.engine import GoCheck, decide, decide_with_gaps

__all__ = ["screen", "screen_fast"]


def _decides_go(case: Case, rules: RuleBook, as_of: date) -> bool:
    return decide(case, rules, as_of).outcome == "go"


def screen(
    case: Case,
    rules: RuleBook,
    as_of: date,
    *,
    alternatives: bool = True,
    processing_days: int | None = None,
) -> Decision:
    """Screen ``case`` as on ``as_of``. ``alternatives=False`` skips the ``go_if`` search;
    ``processing_days`` replaces the assumed SSA processing time (``COCFLOW_PROCESSING_DAYS``)."""
    return _screen(case, rules, as_of, alternatives, processing_days, is_go=_decides_go)


def screen_fast(
    case: Case,
    rules: RuleBook,
    as_of: date,
    *,
    alternatives: bool = True,
    processing_days: int | None = None,
) -> Decision:
    """:func:`screen`'s decision, computed faster (see the module's docstring)."""
    return _screen(case, rules, as_of, alternatives, processing_days, is_go=None)


def _screen(
    case: Case,
    rules: RuleBook,
    as_of: date,
    alternatives: bool,
    processing_days: int | None,
    *,
    is_go: Callable[[Case, RuleBook, date], bool] | None,
) -> Decision:
    """The decision; ``is_go`` None: the fast path's :class:`GoCheck`."""
    d, gaps = decide_with_gaps(case, rules, as_of)
    if is_go is None:
        is_go = GoCheck(case, d.segments, gaps, rules, as_of)
    by, note = None, None
    if d.outcome == "go":
        us = rules.network.us_codes
        start = min(s.start for s in d.segments if s.country not in us)
        days = processing_days or rules.process.processing_days.value
        timing = file_by(start, as_of, days, rules.process.buffer_days)
        by, note = timing.file_by, timing.note
        d = _with(d, d.next_actions, d.go_if, by, note)  # the next actions cite the timing
    actions = next_actions(d, case, rules)
    changes = go_if(case, d, rules, as_of, is_go) if alternatives else ()
    return _with(d, actions, changes, by, note)


def _with(
    d: Decision,
    actions: tuple[str, ...],
    changes: tuple[str, ...],
    by: date | None,
    note: str | None,
) -> Decision:
    """``d`` with its next actions, ``go_if`` and timing (``dataclasses.replace``, without
    its cost: a batch builds one per client)."""
    return Decision(
        as_of=d.as_of,
        outcome=d.outcome,
        country_covered=d.country_covered,
        us_coverage_assigned=d.us_coverage_assigned,
        segments=d.segments,
        reasons=d.reasons,
        next_actions=actions,
        missing_facts=d.missing_facts,
        rules_version=d.rules_version,
        go_if=changes,
        file_by=by,
        timing_note=note,
    )
