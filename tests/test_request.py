"""cocflow check and cocflow request from the command line."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from cocflow.cli.app import app
from cocflow.documents.pdf import extract_text, page_count

ROOT = Path(__file__).resolve().parent.parent
COMPLETE = str(ROOT / "examples" / "filing-complete.yaml")
MISTAKES = str(ROOT / "examples" / "filing-with-mistakes.yaml")
runner = CliRunner()
FILES = {
    "request-letter.pdf",
    "fax-cover.pdf",
    "online-worksheet.txt",
    "filing-checklist.md",
    "request.json",
}


def test_check_json_follows_the_contract() -> None:
    result = runner.invoke(app, ["check", MISTAKES, "--format", "json", "--as-of", "2026-11-25"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["ready"] is False
    for finding in data["findings"]:
        assert set(finding) == {"path", "code", "severity", "message", "fix"}
        assert finding["severity"] in ("error", "warning")
    assert "912-70" not in result.stdout


def test_check_ready_example() -> None:
    result = runner.invoke(app, ["check", COMPLETE, "--as-of", "2026-11-25"])
    assert result.exit_code == 0 and result.stdout.startswith("READY to file")


def test_check_unreadable_case_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("cocflow_case: 1\nworker: [\n")
    assert runner.invoke(app, ["check", str(bad)]).exit_code == 2


def test_request_refuses_while_check_has_errors(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["request", MISTAKES, "--out", str(out), "--as-of", "2026-11-25"])
    assert result.exit_code == 2
    assert "nothing was written" in result.stderr and "SSN_IS_ITIN" in result.stderr
    assert not out.exists()
    assert "912-70" not in result.stderr


def test_request_writes_the_documents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["request", COMPLETE, "--out", str(out), "--as-of", "2026-11-25", "--channel", "fax"]
    )
    assert result.exit_code == 0, result.stderr
    assert {p.name for p in out.iterdir()} == FILES
    for path in out.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    letter = (out / "request-letter.pdf").read_bytes()
    cover = (out / "fax-cover.pdf").read_bytes()
    assert f"Pages (including this cover): {page_count(letter) + 1}" in extract_text(cover)
    text = extract_text(letter)
    for needed in (
        "Jane Quinn Doe",
        "123-45-6789",
        "P.O. Box 17741",
        "Portugal",
        "2027-03-01",
        "2027-12-31",
        "UX research and interface design",
        "Signature",
    ):
        assert needed in text
    filed = json.loads((out / "request.json").read_text())
    assert filed["ssn"] == "123-45-6789" and filed["channel"] == "fax"
    assert filed["channel_advice"]["status"] == "sources agree"
    assert filed["file_by"] == "2026-12-17"
    checklist = (out / "filing-checklist.md").read_text()
    assert checklist.count("- [x]") == 9
    assert "123-45-6789" not in result.stdout


def test_request_when_the_work_has_begun(tmp_path: Path) -> None:
    out = tmp_path / "late"
    result = runner.invoke(app, ["request", COMPLETE, "--out", str(out), "--as-of", "2027-04-01"])
    assert result.exit_code == 0, result.stderr
    assert "The work began on 2027-03-01" in result.stdout


def test_processing_window_setting(tmp_path: Path) -> None:
    out = tmp_path / "s"
    env = {"COCFLOW_PROCESSING_DAYS": "30"}
    result = runner.invoke(
        app, ["request", COMPLETE, "--out", str(out), "--as-of", "2026-11-25"], env=env
    )
    assert result.exit_code == 0 and "assumes 30 days" in result.stdout
    bad = runner.invoke(
        app, ["request", COMPLETE, "--out", str(out)], env={"COCFLOW_PROCESSING_DAYS": "soon"}
    )
    assert bad.exit_code == 2 and "COCFLOW_PROCESSING_DAYS" in bad.stderr
