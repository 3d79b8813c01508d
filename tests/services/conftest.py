"""Fixtures for the service tests: the case store opened in a fresh home, as every face opens it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cocflow.io.settings import Settings
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for


@pytest.fixture
def work(home: Path) -> Iterator[Casework]:
    """The casework of the ``home`` fixture's store (SQLite in COCFLOW_HOME, its key file)."""
    settings = Settings.from_env()
    opened = open_casework(settings, rules_for(settings))
    yield opened
    opened.close()
