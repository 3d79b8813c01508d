"""The screening service: a decision with its next actions and ``go_if`` changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from cocflow.case import Case
from cocflow.filing.timing import file_by
from cocflow.rules.loader import RuleBook
from cocflow.screening.advice import next_actions
from cocflow.screening.counterfactual import go_if
from cocflow.screening.decision import Decision
from cocflow.screening.engine import decide

__all__ = ["screen"]


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
    decision = decide(case, rules, as_of)
    if decision.outcome == "go":
        us = rules.network.us_codes
        start = min(s.start for s in decision.segments if s.country not in us)
        days = processing_days or rules.process.processing_days.value
        timing = file_by(start, as_of, days, rules.process.buffer_days)
        decision = replace(decision, file_by=timing.file_by, timing_note=timing.note)
    actions = next_actions(decision, case, rules)
    changes = go_if(case, decision, rules, as_of) if alternatives else ()
    return replace(decision, next_actions=actions, go_if=changes)
