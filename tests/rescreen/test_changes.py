"""What changed between two decisions, and where a case's current outcome began. Pure."""

from __future__ import annotations

from typing import Any

import pytest

from cocflow.rescreen.changes import changes, changes_from_dict
from cocflow.tracking.foreignpath import outcome_turned


def _decision(outcome: str, coverage: str, codes: list[str], file_by: str | None) -> dict[str, Any]:
    return {
        "outcome": outcome,
        "rules_version": "x",
        "file_by": file_by,
        "reasons": [{"code": "RULES_NOT_SHIPPED"}],
        "segments": [
            {
                "country": "DE",
                "start": "2027-06-01",
                "end": "2030-05-31",
                "coverage": coverage,
                "certificate": coverage,
                "reasons": [{"code": c} for c in codes],
            }
        ],
    }


def test_every_kind_of_change_is_named() -> None:
    before = _decision("go", "us", ["SE_TRANSFER_WITHIN_LIMIT"], "2027-03-19")
    after = _decision("no_go", "foreign", ["SE_TRANSFER_OVER_LIMIT"], None)
    after["reasons"] = []  # where the rules came from is not a change of the case
    found = changes(before, after)
    assert found.outcome == ("go", "no_go") and found.reopens
    assert found.segments == (("DE 2027-06-01..2030-05-31", "us/us", "foreign/foreign"),)
    assert found.reasons_added == ("SE_TRANSFER_OVER_LIMIT",)
    assert found.reasons_removed == ("SE_TRANSFER_WITHIN_LIMIT",)
    assert found.file_by == ("2027-03-19", None)
    assert changes_from_dict(found.as_dict()) == found
    assert "outcome go -> no_go" in found.summary()


def test_the_same_decision_under_another_version_is_no_change() -> None:
    before = _decision("go", "us", ["A"], "2027-03-19")
    after = {**_decision("go", "us", ["A"], "2027-03-19"), "rules_version": "y"}
    assert not changes(before, after).any
    assert changes(before, after).summary() == "no change"


@pytest.mark.parametrize(
    ("outcomes", "turned"),
    [
        ([], 0),
        (["go"], 0),
        (["go", "go"], 0),
        (["go", "no_go"], 2),
        (["go", "no_go", "no_go"], 2),
        (["go", "no_go", "go"], 3),
        (["pause", "go", "go", "go"], 2),
    ],
)
def test_where_the_current_outcome_began(outcomes: list[str], turned: int) -> None:
    events = [(n, "screened", {"outcome": o}) for n, o in enumerate(outcomes, 1)]
    events.insert(1, (99, "submitted", {}))  # other entries do not count
    assert outcome_turned(events) == turned
