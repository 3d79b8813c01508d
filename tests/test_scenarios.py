"""The scenario tables in tests/scenarios/: input and expected decision side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cocflow.io.casefile import parse_case
from cocflow.io.yamlio import load_yaml
from cocflow.isodate import parse_iso_date
from cocflow.rules.loader import RuleBook
from cocflow.screening.screen import screen

SCENARIOS = Path(__file__).parent / "scenarios"


def _load() -> list[Any]:
    params = []
    for path in sorted(SCENARIOS.glob("*.yaml")):
        doc = load_yaml(path.read_text(encoding="utf-8"))
        for item in doc["scenarios"]:
            params.append(pytest.param(doc["agreement"], item, id=f"{path.stem}: {item['name']}"))
    return params


ALL = _load()


def test_every_agreement_has_scenarios(rules: RuleBook) -> None:
    covered = {p.values[0] for p in ALL}
    assert set(rules.agreements) <= covered
    assert "general" in covered


@pytest.mark.parametrize(("agreement", "scenario"), ALL)
def test_scenario(agreement: str, scenario: dict[str, Any], rules: RuleBook) -> None:
    assert scenario.get("source", "").startswith("http"), "every scenario cites its source"
    case = parse_case(scenario["case"]).to_case()
    decision = screen(case, rules, parse_iso_date(scenario["as_of"]))
    expect = scenario["expect"]
    explain = f"{decision.outcome}: {[r.code for r in decision.all_reasons()]}"
    assert decision.outcome == expect["outcome"], explain
    if "checks" in expect:
        assert decision.as_dict()["checks"] == expect["checks"], explain
    for segment, wanted in zip(decision.segments, expect.get("segments", []), strict=False):
        got = segment.as_dict()
        for key, value in wanted.items():
            if isinstance(value, dict):  # compare only the keys given (a segment's document)
                assert got[key] is not None, f"{key} missing: {explain}"
                assert {k: got[key][k] for k in value} == value, explain
            else:
                assert got[key] == value, f"{key}: {explain}"
    codes = {r.code for r in decision.all_reasons()}
    missing_codes = set(expect.get("reasons", [])) - codes
    assert not missing_codes, explain
    if "missing_facts" in expect:
        assert list(decision.missing_facts) == expect["missing_facts"], explain
    if "go_if" in expect:
        assert list(decision.go_if) == expect["go_if"], explain
    actions = " ".join(decision.next_actions)
    for wanted in expect.get("next_actions_mention", []):
        assert wanted in actions, f"{wanted!r} not in next actions: {actions}"
    for unwanted in expect.get("next_actions_never", []):
        assert unwanted not in actions, f"{unwanted!r} in next actions: {actions}"
