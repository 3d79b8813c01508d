"""`cocflow screen` starts on a short path: the same output as the command table, without
importing what it does not use; anything unusual goes to the command table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cocflow.cli
from cocflow.cli import _screen_arguments, _screen_quickly
from cocflow.cli.app import app as table

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
# Packages `cocflow screen` has no use for (the case file needs pydantic, PyYAML, pycountry).
UNUSED = (
    "typer",
    "click",
    "rich",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "starlette",
    "uvicorn",
    "cryptography",
    "psycopg",
    "fpdf",
    "pypdf",
    "openpyxl",
    "holidays",
    "icalendar",
    "stdnum",
    "argon2",
)


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("COCFLOW_RULES_DIR", raising=False)
    monkeypatch.delenv("COCFLOW_PROCESSING_DAYS", raising=False)


@pytest.mark.parametrize("case", EXAMPLES, ids=lambda p: p.stem)
@pytest.mark.parametrize("form", ["json", "text"])
def test_the_short_path_prints_what_the_command_table_prints(
    case: Path, form: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["screen", str(case), "--as-of", "2026-11-25", "--format", form]
    result = CliRunner().invoke(table, args)
    assert result.exit_code == 0, result.stderr
    assert _screen_quickly(args)
    assert capsys.readouterr().out == result.stdout
    if form == "json":
        assert json.loads(result.stdout)["cocflow_decision"] == 1


@pytest.mark.parametrize(
    ("argv", "parsed"),
    [
        (["screen", "c.yaml"], ("c.yaml", None, "text")),
        (["--debug", "screen", "c.yaml", "--format=json"], ("c.yaml", None, "json")),
        (["screen", "--as-of", "2027-01-01", "c.yaml"], ("c.yaml", "2027-01-01", "text")),
        (
            ["screen", "c.yaml", "--as-of=2027-01-01", "--format", "text"],
            ("c.yaml", "2027-01-01", "text"),
        ),
        (["screen"], None),
        (["screen", "--help"], None),
        (["screen", "c.yaml", "d.yaml"], None),
        (["screen", "c.yaml", "--format", "JSON"], None),
        (["screen", "c.yaml", "--format"], None),
        (["screen", "c.yaml", "--format", "json", "--format", "text"], None),
        (["screen", "c.yaml", "--verbose"], None),
        (["screen", "--", "c.yaml"], None),
        (["screen-batch", "r.csv"], None),
        (["check", "c.yaml"], None),
        ([], None),
    ],
)
def test_only_plain_screening_takes_the_short_path(
    argv: list[str], parsed: tuple[str, str | None, str] | None
) -> None:
    assert _screen_arguments(argv) == parsed


def _cocflow(*args: str, cache: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from cocflow.cli import main; sys.argv[0] = 'cocflow'; main()"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cache.parent), "XDG_CACHE_HOME": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    "args",
    [
        ["screen", "no-such-case.yaml"],
        ["screen", str(ROOT / "examples" / "thailand-stay.yaml"), "--as-of", "2026-13-01"],
        ["screen", str(ROOT / "examples" / "thailand-stay.yaml"), "--format", "yaml"],
    ],
)
def test_problems_are_told_by_the_command_table(args: list[str], tmp_path: Path) -> None:
    done = _cocflow(*args, cache=tmp_path / "cache")
    result = CliRunner().invoke(table, args, prog_name="cocflow")
    assert done.returncode == result.exit_code == 2
    assert done.stderr == result.stderr
    assert done.stdout == result.stdout == ""


def test_screening_imports_only_what_it_uses(tmp_path: Path) -> None:
    case = str(ROOT / "examples" / "uk-consultant-mexican-client.yaml")
    probe = (
        "import sys, io, contextlib\n"
        "from cocflow.cli import main\n"
        f"sys.argv = ['cocflow', 'screen', {case!r}, '--format', 'json']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main()\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path)}
    for _ in range(2):  # the first run builds the rules bundle, the second loads it
        done = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, env=env, check=True
        )
        loaded = set(done.stdout.split())
        assert not loaded & set(UNUSED), sorted(loaded & set(UNUSED))
    assert list((tmp_path / "cocflow").glob("rules-*.json"))


def test_the_package_still_names_the_command_table() -> None:
    import typer

    from cocflow.cli import app

    assert isinstance(app, typer.Typer)
    assert app is table
    assert getattr(cocflow.cli, "app") is table  # noqa: B009 (the package's attribute itself)
