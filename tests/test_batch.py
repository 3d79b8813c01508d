"""screen-batch: one decision per client, bad rows reported by line, no half-written files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cocflow.cli.app import app
from cocflow.errors import InputError
from cocflow.services import batch

HEADER = ",".join(batch.ROSTER_COLUMNS)


def row(**values: str) -> str:
    return ",".join(values.get(c, "") for c in batch.ROSTER_COLUMNS)


GOOD = [
    row(
        client_id="A1",
        kind="self_employed",
        country="GB",
        start="2027-03-01",
        end="2027-06-30",
        residence_country="US",
        client_country="MX",
    ),
    row(
        client_id="A2",
        kind="self_employed",
        country="TH",
        start="2027-01-10",
        end="2027-07-10",
        residence_country="US",
    ),
    row(
        client_id="A3",
        kind="employee",
        country="JP",
        start="2027-04-01",
        end="2030-03-31",
        employer_name="Acme",
        employer_country="US",
        employer_hired="2019-03-01",
    ),
    row(
        client_id="A4",
        kind="self_employed",
        country="ES",
        start="2027-03-01",
        end="2027-05-31",
        residence_country="US",
        business_operating_since="2018-01-01",
    ),
    row(
        client_id="A4",
        kind="self_employed",
        country="TH",
        start="2027-06-01",
        end="2027-12-15",
        residence_country="US",
        business_operating_since="2018-01-01",
    ),
]
BAD = [
    row(
        client_id="B1",
        kind="self_employed",
        country="PT",
        start="2027-02-30",
        residence_country="US",
    ),  # line 7: bad date
    row(
        client_id="B2",
        kind="self_employed",
        country="Atlantis",
        start="2027-01-01",
        residence_country="US",
    ),  # line 8: bad country
    row(
        client_id="B3",
        kind="self_employed",
        country="PT",
        start="2027-01-01",
        end="2027-03-31",
        residence_country="US",
    ),  # line 9: fine on its own...
    row(
        client_id="B3",
        kind="employee",
        country="PT",
        start="2027-05-01",
        end="2027-06-30",
        residence_country="US",
    ),  # line 10: ...but the kind differs
]


def write(tmp_path: Path, lines: list[str]) -> Path:
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return roster


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def invoke(tmp_path: Path, lines: list[str]) -> tuple[int, str, Path, Path]:
    roster = write(tmp_path, lines)
    out, errors = tmp_path / "decisions.csv", tmp_path / "decisions.errors.csv"
    result = CliRunner().invoke(
        app, ["screen-batch", str(roster), "--out", str(out), "--as-of", "2026-11-25"]
    )
    return result.exit_code, result.stdout + result.stderr, out, errors


def test_good_roster(tmp_path: Path) -> None:
    code, text, out, errors = invoke(tmp_path, GOOD)
    assert code == 0, text
    rows = {r["client_id"]: r for r in read(out)}
    assert {k: v["outcome"] for k, v in rows.items()} == {
        "A1": "go",
        "A2": "no_go",
        "A3": "go",
        "A4": "pause",
    }
    assert rows["A4"]["work_countries"] == "ES;TH"
    assert "MULTIPLE_WORK_COUNTRIES" in rows["A4"]["reason_codes"]
    assert rows["A1"]["request_now"] == "true"
    assert list(rows["A1"]) == list(batch.DECISION_COLUMNS)
    assert not errors.exists()
    assert "Screened 4 clients (5 rows)" in text


def test_bad_rows_are_reported_with_line_numbers_and_the_rest_screened(tmp_path: Path) -> None:
    code, text, out, errors = invoke(tmp_path, GOOD + BAD)
    assert code == 2
    assert {r["client_id"] for r in read(out)} == {"A1", "A2", "A3", "A4"}
    problems = {(r["line"], r["client_id"], r["column"], r["code"]) for r in read(errors)}
    assert problems == {
        ("7", "B1", "start", "BAD_DATE"),
        ("8", "B2", "country", "BAD_COUNTRY"),
        ("10", "B3", "kind", "CLIENT_FIELDS_DIFFER"),
    }
    assert "3 clients not screened" in text


def test_unknown_column_refuses_the_whole_roster(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "client_id,kind,country,start,nationality\nA,self_employed,PT,2027-01-01,US\n"
    )
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(app, ["screen-batch", str(roster), "--out", str(out)])
    assert result.exit_code == 2
    assert "'nationality' is not a roster column" in result.stderr
    assert not out.exists()


def test_output_is_never_half_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "decisions.csv"
    out.write_text("previous results\n")
    calls = {"n": 0}
    real = batch.screen

    def failing(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("interrupted")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "screen", failing)
    roster = write(tmp_path, GOOD)
    result = CliRunner().invoke(app, ["screen-batch", str(roster), "--out", str(out)])
    assert result.exit_code == 1
    assert out.read_text() == "previous results\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_statements_column(tmp_path: Path) -> None:
    lines = [
        row(
            client_id="F1",
            kind="self_employed",
            country="FR",
            start="2027-01-15",
            end="2027-12-31",
            residence_country="US",
            business_operating_since="2018-01-01",
            statements="private_health_insurance=yes",
        )
    ]
    code, _, out, _ = invoke(tmp_path, lines)
    assert code == 0 and read(out)[0]["outcome"] == "go"
    lines = [lines[0].replace("=yes", "=maybe")]
    code, _, _, errors = invoke(tmp_path, lines)
    assert code == 2 and read(errors)[0]["code"] == "BAD_STATEMENT"


def test_atomic_write_keeps_the_old_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from cocflow.io import atomic

    target = tmp_path / "out.csv"
    target.write_text("old\n")

    def full(fd: int, data: bytes) -> int:
        raise OSError("disk full")

    monkeypatch.setattr(atomic.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(InputError, match="cannot be written \\(disk full\\)"):
        atomic.atomic_write(target, b"new")
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]
    assert os.path.exists(target)
