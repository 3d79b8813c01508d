"""The shipped examples decide what their own comments promise."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cocflow.io.casefile import load_case
from cocflow.rules.loader import RuleBook
from cocflow.screening.screen import screen

from .conftest import AS_OF

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_decides_as_documented(path: Path, rules: RuleBook) -> None:
    promised = re.search(r"Expected: (go|no_go|pause|not_needed)", path.read_text())
    assert promised, "each example states its expected outcome"
    decision = screen(load_case(path).to_case(), rules, AS_OF)
    assert decision.outcome == promised.group(1)


def test_the_issue_examples_are_shipped() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {
        "portugal-digital-nomad",
        "uk-consultant-mexican-client",
        "spain-then-thailand",
        "japan-employee-3-years",
        "germany-business-move-3-years",
        "thailand-stay",
    } <= names
