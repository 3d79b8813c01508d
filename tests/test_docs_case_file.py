"""docs/case-file.md stays true: its examples parse, and it names every key, record kind,
statement and agreement item that cocflow accepts."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, get_args

import yaml
from pydantic import BaseModel

from cocflow.io.casefile import CaseFile, Record, parse_case
from cocflow.rules.loader import load_rules
from cocflow.rules.model import EMPLOYER_ONLY

ROOT = Path(__file__).parents[1]
PAGE = (ROOT / "docs" / "case-file.md").read_text(encoding="utf-8")
BACKTICKED = set(re.findall(r"`([^`\n]+)`", PAGE))
# The page's deliberately broken file (its error example) starts with "# broken".
BLOCKS = [
    b for b in re.findall(r"```yaml\n(.*?)```", PAGE, re.DOTALL) if not b.startswith("# broken")
]
FREE_KEYS = {"statements", "extras"}  # their keys are ids from the rules data


def _models(annotation: Any) -> Iterator[type[BaseModel]]:
    """The pydantic models in an annotation, and the models nested in them."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models(field.annotation)
    for arg in get_args(annotation):
        yield from _models(arg)


def _keys(node: Any, parent: str = "") -> Iterator[tuple[str, str]]:
    """(parent key, key) for every mapping key in a parsed YAML block."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield parent, str(key)
            yield from _keys(value, str(key))
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item, parent)


ACCEPTED = {f.alias or name for m in _models(CaseFile) for name, f in m.model_fields.items()}
YAML_KEYS = {pair for block in BLOCKS for pair in _keys(yaml.safe_load(block))}


def test_every_complete_example_parses() -> None:
    cases = [b for b in BLOCKS if b.startswith("cocflow_case: 1")]
    assert len(cases) >= 2
    for block in cases:
        parse_case(yaml.safe_load(block))
    for block in re.findall(r"```json\n(.*?)```", PAGE, re.DOTALL):
        parse_case(json.loads(block))


def test_the_complete_filing_is_the_example_file() -> None:
    example = (ROOT / "examples" / "filing-complete.yaml").read_text(encoding="utf-8")
    assert example[example.index("cocflow_case: 1") :] in BLOCKS


def test_every_key_the_parser_accepts_is_documented() -> None:
    documented = BACKTICKED | {key for _, key in YAML_KEYS}
    assert ACCEPTED - documented == set()


def test_snippets_use_only_known_keys() -> None:
    assert {key for parent, key in YAML_KEYS if parent not in FREE_KEYS} - ACCEPTED == set()


def test_every_record_kind_is_documented() -> None:
    kinds = get_args(Record.model_fields["kind"].annotation)
    assert kinds
    assert set(kinds) - BACKTICKED == set()


def test_every_statement_and_agreement_item_is_listed() -> None:
    agreements = load_rules().agreements.values()
    statements = {
        c.id
        for a in agreements
        for entry in (*a.employee, *a.self_employed)
        for spec in (entry, *entry.readings)
        for c in spec.conditions
    }
    items = {x.id for a in agreements for x in a.request_extras if x.id != EMPLOYER_ONLY}
    assert (statements | items) - BACKTICKED == set()
