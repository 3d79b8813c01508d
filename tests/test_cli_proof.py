"""`cocflow proof add`: the control number of an online request is asked for, never lost."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cocflow.cli.app import app
from tests.conftest import cli

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "filing-complete.yaml"


def _stored(tmp_path: Path) -> tuple[str, Path]:
    out = cli("case", "new", str(EXAMPLE), "--as-of", "2026-12-02")
    match = re.search(r"Case ([0-9a-f]+) stored", out)
    assert match, out
    confirmation = tmp_path / "confirmation.pdf"
    confirmation.write_bytes(b"%PDF-1.4 submitted")
    return match[1][:6], confirmation


def test_an_online_submission_without_its_control_number_is_refused(
    home: Path, tmp_path: Path
) -> None:
    case_id, confirmation = _stored(tmp_path)
    out = cli("proof", "add", case_id, str(confirmation), "--kind", "submission",
              "--channel", "Web", code=2)  # fmt: skip
    assert "--control-number" in out and "confirmation page" in out
    assert "submitted" not in cli("proof", "list", case_id).lower()


def test_at_a_terminal_the_control_number_is_asked_for(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id, confirmation = _stored(tmp_path)
    monkeypatch.setattr("cocflow.cli.proof._interactive", lambda: True)
    result = CliRunner().invoke(
        app,
        ["proof", "add", case_id, str(confirmation), "--kind", "submission", "--channel",
         "online"],
        input="A1B2C3\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Control number" in result.stderr
    assert "A1B2C3" in cli("proof", "list", case_id)


def test_a_channel_is_recorded_in_one_spelling(home: Path, tmp_path: Path) -> None:
    case_id, confirmation = _stored(tmp_path)
    cli("proof", "add", case_id, str(confirmation), "--kind", "submission", "--channel", "E-Mail")
    assert '"channel": "email"' in cli("proof", "list", case_id, "--format", "json")
