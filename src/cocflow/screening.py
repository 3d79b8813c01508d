"""The screening service: a decision with its next actions and ``go_if`` changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from cocflow.advice import next_actions
from cocflow.case import Case
from cocflow.counterfactual import go_if
from cocflow.decision import Decision
from cocflow.engine import decide
from cocflow.rules.loader import RuleBook

__all__ = ["screen"]


def screen(case: Case, rules: RuleBook, as_of: date, *, alternatives: bool = True) -> Decision:
    """Screen ``case`` as on ``as_of``. ``alternatives=False`` skips the ``go_if`` search."""
    decision = decide(case, rules, as_of)
    actions = next_actions(decision, case, rules)
    changes = go_if(case, decision, rules, as_of) if alternatives else ()
    return replace(decision, next_actions=actions, go_if=changes)
