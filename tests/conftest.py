from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cocflow.rules.loader import RuleBook, load_rules

ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 11, 25)


@pytest.fixture(scope="session")
def rules() -> RuleBook:
    return load_rules()
