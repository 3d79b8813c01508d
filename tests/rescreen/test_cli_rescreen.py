"""`cocflow rescreen` on a single person's store: worked here, what changed said in words at
80 columns or as JSON, nothing to do the second time; `cocflow worker` needs a team's
PostgreSQL database and says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cocflow.cli.app import app
from cocflow.io.settings import Settings
from cocflow.rules.loader import RuleBook
from cocflow.services.cases import open_casework
from tests.rescreen.support import TODAY, move, shortened_rules


def test_rescreen_says_what_changed(
    home: Path, rules: RuleBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = open_casework(Settings.from_env({"COCFLOW_HOME": str(home)}), rules)
    long_id, _ = work.new_case(move(36), TODAY)
    work.new_case(move(12), TODAY)
    work.close()
    monkeypatch.setenv("COCFLOW_RULES_DIR", str(shortened_rules(tmp_path / "rules")))
    runner = CliRunner()
    done = runner.invoke(app, ["rescreen", "--format", "json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert (report["cases"], report["screened"], report["changed"]) == (2, 2, 1)
    (changed,) = report["results"]
    assert changed["case"] == long_id and changed["changes"]["outcome"] == ["go", "no_go"]
    again = runner.invoke(app, ["rescreen"])
    assert again.exit_code == 0 and "nothing to do" in again.stdout
    assert max(len(line) for line in again.stdout.splitlines()) <= 80


def test_rescreen_in_words(
    home: Path, rules: RuleBook, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = open_casework(Settings.from_env({"COCFLOW_HOME": str(home)}), rules)
    work.new_case(move(48), TODAY)
    work.close()
    monkeypatch.setenv("COCFLOW_RULES_DIR", str(shortened_rules(tmp_path / "rules")))
    done = CliRunner().invoke(app, ["rescreen"])
    assert done.exit_code == 0, done.output
    assert "1 changed" in done.stdout and "outcome go -> no_go" in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80


def test_a_worker_needs_a_team_database(home: Path) -> None:
    refused = CliRunner().invoke(app, ["worker", "--burst"])
    assert refused.exit_code == 2
    assert "COCFLOW_DATABASE_URL" in refused.output and "Traceback" not in refused.output
