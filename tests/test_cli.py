"""The command line: exit statuses, messages for people, JSON for programs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cocflow.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_screen_json_has_the_contract_shape() -> None:
    code, out, _ = run(
        "screen",
        str(EXAMPLES / "uk-consultant-mexican-client.yaml"),
        "--as-of",
        "2026-11-25",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["cocflow_decision"] == 1
    assert data["as_of"] == "2026-11-25"
    assert data["outcome"] == "go"
    assert data["checks"] == {
        "country_covered": True,
        "us_coverage_assigned": True,
        "request_now": True,
    }
    segment = data["segments"][0]
    for key in (
        "country",
        "start",
        "end",
        "agreement_country",
        "agreement_in_force",
        "coverage",
        "certificate",
        "reasons",
    ):
        assert key in segment
    assert segment["coverage"] == "us" and segment["certificate"] == "us"
    for reason in data["reasons"] + segment["reasons"]:
        assert set(reason) >= {"code", "text", "sources"} and reason["sources"]
    assert data["next_actions"] and data["missing_facts"] == []
    assert data["rules_version"]


def test_screen_text_puts_the_outcome_first() -> None:
    code, out, _ = run("screen", str(EXAMPLES / "thailand-stay.yaml"), "--as-of", "2026-11-25")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("NO GO")
    assert "\x1b[" not in out  # no colour when not on a terminal
    assert out.index("Why:") < out.index("What to do:")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "cocflow_case: 1\nworker: {kind: self_employed, residence: [{country: US, from: "
            "2020-01-01}]}\nengagements: [{country: PT, start: 2027-01-15, end: 2027-02-30}]\n",
            "engagements[0].end: '2027-02-30' is not a real calendar date.",
        ),
        (
            "cocflow_case: 1\nworker: {kind: self_employed, residence: [{country: US, from: "
            "2020-01-01}]}\nengagements: [{country: PT, start: 2027-01-15, ende: 2027-02-01}]\n",
            "engagements[0].ende: 'ende' is not a known key (did you mean end?).",
        ),
        (
            "cocflow_case: 1\nworker: {kind: self_employed, residence: [{country: US, from: "
            "2020-01-01}], statements: {privat_health: true}}\n"
            "engagements: [{country: FR, start: 2027-01-15}]\n",
            "worker.statements.privat_health: 'privat_health' is not a condition",
        ),
    ],
)
def test_bad_case_exits_2_with_path_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(text)
    code, out, err = run("screen", str(case))
    assert code == 2
    assert out == ""
    assert expected in err
    assert "fix:" in err
    assert "Traceback" not in err


def test_missing_case_file_exits_2() -> None:
    code, _, err = run("screen", "no-such-case.yaml")
    assert code == 2 and "does not exist" in err


def test_bad_as_of_exits_2() -> None:
    code, _, err = run("screen", str(EXAMPLES / "thailand-stay.yaml"), "--as-of", "2026-13-01")
    assert code == 2 and "--as-of" in err


def test_broken_rules_exit_1_without_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "network.yaml").write_text("cocflow_rules: 1\nversion: x\n")
    (tmp_path / "process.yaml").write_text("cocflow_process: 1\n")
    monkeypatch.setenv("COCFLOW_RULES_DIR", str(tmp_path))
    code, _, err = run("screen", str(EXAMPLES / "thailand-stay.yaml"))
    assert code == 1
    assert "rules data is broken" in err and "network.yaml" in err
    assert "Traceback" not in err


def test_internal_error_hides_the_traceback_unless_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    from cocflow.services import screening as services

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(services, "screen_case", boom)
    code, _, err = run("screen", str(EXAMPLES / "thailand-stay.yaml"))
    assert code == 1 and "internal error" in err and "Traceback" not in err
    result = runner.invoke(app, ["--debug", "screen", str(EXAMPLES / "thailand-stay.yaml")])
    assert isinstance(result.exception, RuntimeError)


def test_agreements_list_and_detail() -> None:
    code, out, _ = run("agreements")
    assert code == 0 and "DE " in out and "CA-QC" in out
    code, out, _ = run("agreements", "DE")
    assert code == 0 and "source: https://" in out and "verified" in out
    code, out, _ = run("agreements", "Germany", "--format", "json")
    data = json.loads(out)
    assert data["id"] == "DE" and data["employee"][0]["sources"][0]["url"].startswith("https://")


def test_agreements_unknown_country_exits_2() -> None:
    code, _, err = run("agreements", "Thailand")
    assert code == 2 and "no agreement" in err


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        assert f"cocflow {name}" in readme, name
    for group in app.registered_groups:
        assert group.typer_instance is not None
        for command in group.typer_instance.registered_commands:
            assert f"cocflow {group.name} {command.name}" in readme, command.name


def test_installed_command_runs_in_a_fresh_process() -> None:
    exe = Path(sys.executable).with_name("cocflow")
    done = subprocess.run(
        [
            str(exe),
            "screen",
            str(EXAMPLES / "portugal-us-resident.yaml"),
            "--as-of",
            "2026-11-25",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["outcome"] == "go"


def test_every_reason_code_is_documented() -> None:
    import re

    modules = ("engine.py", "coverage.py")
    folder = ROOT / "src" / "cocflow" / "screening"
    source = "".join((folder / m).read_text() for m in modules)
    codes = set(re.findall(r'"([A-Z]{2,}(?:_[A-Z]+)+)"', source))
    codes.discard("STALE_AFTER")  # a constant named in __all__, not a reason
    assert len(codes) > 40
    documented = (ROOT / "docs" / "screening.md").read_text()
    assert {c for c in codes if f"`{c}`" not in documented} == set()


def test_screen_two_german_postings_keeps_the_first_in_us_coverage() -> None:
    # POMS RS 02001.115: the repeated-posting rule judges the second and later postings only.
    result = runner.invoke(
        app,
        [
            "screen",
            str(ROOT / "examples" / "germany-two-postings.yaml"),
            "--as-of",
            "2026-12-02",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    first, second = json.loads(result.stdout)["segments"]
    assert (first["coverage"], first["certificate"]) == ("us", "us")
    assert second["coverage"] == "foreign"
    assert any(r["code"] == "REPEATED_POSTING_MEASURED" for r in second["reasons"])


def test_the_screening_answer_gives_the_file_by_date() -> None:
    # Contract: file_by for a go (processing-time assumption said in the text), null otherwise.
    japan = str(ROOT / "examples" / "japan-employee-3-years.yaml")
    result = runner.invoke(app, ["screen", japan, "--as-of", "2026-12-02", "--format", "json"])
    decision = json.loads(result.stdout)
    assert decision["outcome"] == "go" and decision["file_by"] == "2027-01-17"
    assert any("SSA publishes no processing time" in a for a in decision["next_actions"])
    late = runner.invoke(app, ["screen", japan, "--as-of", "2027-02-01"])
    assert late.stdout.splitlines()[0].endswith("the file-by date 2027-01-17 has passed.")
    nomad = str(ROOT / "examples" / "portugal-digital-nomad.yaml")
    result = runner.invoke(app, ["screen", nomad, "--as-of", "2026-12-02", "--format", "json"])
    assert json.loads(result.stdout)["file_by"] is None


def _commands(group: object) -> list[tuple[str, ...]]:
    import typer.main

    click_group = typer.main.get_command(group)  # type: ignore[arg-type]
    found = []
    for name, command in click_group.commands.items():  # type: ignore[attr-defined]
        if hasattr(command, "commands"):
            found += [(name, sub) for sub in command.commands]
        else:
            found.append((name,))
    return found


def test_every_command_shows_an_example_and_fits_80_columns() -> None:
    commands = _commands(app)
    assert len(commands) > 20
    for command in commands:
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
        assert result.exit_code == 0, command
        assert "Example:" in result.stdout, command
        assert max(len(line) for line in result.stdout.splitlines()) <= 80, command


def test_commands_end_with_the_command_to_run_next(tmp_path: Path) -> None:
    env = {"COCFLOW_HOME": str(tmp_path / "home")}
    japan = str(ROOT / "examples" / "japan-employee-3-years.yaml")
    complete = str(ROOT / "examples" / "filing-complete.yaml")
    screened = runner.invoke(app, ["screen", japan, "--as-of", "2026-12-02"])
    assert screened.stdout.rstrip().splitlines()[-1].startswith(f"Next: cocflow check {japan}")
    checked = runner.invoke(app, ["check", complete, "--as-of", "2026-11-25"])
    assert f"Next: cocflow request {complete} --out filing/" in checked.stdout
    stored = runner.invoke(app, ["case", "new", complete, "--as-of", "2026-11-25"], env=env)
    assert "Next: cocflow check" in stored.stdout
    case_id = stored.stdout.split()[1]
    status = runner.invoke(app, ["status", case_id[:6], "--as-of", "2026-11-25"], env=env)
    assert status.stdout.rstrip().splitlines()[-1].startswith("Next: request filed")
