"""The roster service: rows grouped into one case per client, every bad row reported, one
decision per client, and the two output files."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from cocflow.case import Case
from cocflow.errors import InputError, Problem
from cocflow.rules.loader import RuleBook
from cocflow.services import batch

TODAY = date(2026, 11, 25)
SOLO = {"kind": "self_employed", "residence_country": "US"}


def _row(**values: str) -> dict[str, str]:
    """A roster row: every column, empty unless given."""
    return {column: values.get(column, "") for column in batch.ROSTER_COLUMNS}


def _rows(*rows: dict[str, str]) -> list[tuple[int, dict[str, str]]]:
    """Rows with the lines they start on (the header is line 1)."""
    return list(enumerate(rows, start=2))


def _parse(*rows: dict[str, str]) -> tuple[dict[str, Case], list[batch.RowError], int]:
    return batch.parse_roster(_rows(*rows), batch.ROSTER_COLUMNS)


def _write(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=batch.ROSTER_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- parse_roster ----------------------------------------------------------------------------


def test_the_rows_of_a_client_make_one_case() -> None:
    cases, errors, count = batch.parse_roster(
        _rows(
            _row(client_id="A", country="ES", start="2027-03-01", end="2027-05-31", **SOLO),
            _row(client_id="B", country="PT", start="2027-01-15", end="2027-12-31", **SOLO),
            _row(client_id="A", country="Thailand", start="2027-06-01", end="2027-12-15", **SOLO),
        ),
        batch.ROSTER_COLUMNS,
    )
    assert (errors, count) == ([], 3)
    assert list(cases) == ["A", "B"]
    a = cases["A"]
    assert [(e.country, e.start) for e in a.engagements] == [
        ("ES", date(2027, 3, 1)),
        ("TH", date(2027, 6, 1)),
    ]
    assert [r.country for r in a.worker.residence] == ["US", "US"]
    assert a.worker.kind == "self_employed" and a.employer is None


def test_an_employee_row_builds_the_employer() -> None:
    cases, errors, _ = _parse(
        _row(client_id="E", kind="employee", country="JP", start="2027-04-01",
             employer_name="Acme", employer_country="United States",
             employer_hired="2019-03-01", citizenship="US;IT",
             statements="private_health_insurance=yes; sent_directly_from_us = no")
    )  # fmt: skip
    assert errors == []
    case = cases["E"]
    assert case.employer is not None
    assert (case.employer.name, case.employer.country) == ("Acme", "US")
    assert case.employer.hired == date(2019, 3, 1)
    assert case.worker.citizenship == ("US", "IT")
    assert dict(case.worker.statements) == {
        "private_health_insurance": True,
        "sent_directly_from_us": False,
    }


@pytest.mark.parametrize(
    ("values", "column", "code"),
    [
        ({"kind": ""}, "kind", "REQUIRED"),
        ({"client_id": ""}, "client_id", "REQUIRED"),
        ({"start": ""}, "start", "REQUIRED"),
        ({"kind": "contractor"}, "kind", "NOT_ALLOWED"),
        ({"start": "2027-02-30"}, "start", "BAD_DATE"),
        ({"start": "2150-01-01"}, "start", "DATE_OUT_OF_RANGE"),
        ({"end": "2026-12-31"}, "end", "DATES_OUT_OF_ORDER"),
        ({"country": "Atlantis"}, "country", "BAD_COUNTRY"),
        ({"residence_country": "Atlantis"}, "residence_country", "BAD_COUNTRY"),
        ({"client_country": "Atlantis"}, "client_country", "BAD_COUNTRY"),
        ({"country": "CA", "region": "ZZ"}, "region", "BAD_REGION"),
        ({"citizenship": "US;Atlantis"}, "citizenship", "BAD_COUNTRY"),
        ({"statements": "private_health_insurance=maybe"}, "statements", "BAD_STATEMENT"),
        ({"business_operating_since": "soon"}, "business_operating_since", "BAD_DATE"),
        ({"kind": "employee", "employer_name": "Acme"}, "employer_country", "REQUIRED"),
    ],
)
def test_a_bad_row_is_reported_by_line_column_and_code(
    values: dict[str, str], column: str, code: str
) -> None:
    good = _row(client_id="G", country="PT", start="2027-01-15", **SOLO)
    bad = {**good, "client_id": "X", **values}
    cases, errors, count = _parse(good, bad)
    assert list(cases) == ["G"]
    (error,) = errors
    assert (error.line, error.client_id, error.problem.path) == (3, bad["client_id"], column)
    assert error.problem.code == code
    assert count == 2


def test_every_bad_row_of_a_client_is_reported_and_the_client_left_out() -> None:
    cases, errors, count = _parse(
        _row(client_id="A", country="PT", start="2027-01-15", end="2027-03-31", **SOLO),
        _row(client_id="B", country="Atlantis", start="2027-01-15", **SOLO),
        _row(client_id="A", country="ES", start="2027-02-30", **SOLO),
        _row(client_id="A", country="FR", start="2027-06-01", end="2027-05-01", **SOLO),
        _row(client_id="A", kind="employee", country="PT", start="2027-09-01",
             residence_country="US"),
        _row(client_id="C", country="PT", start="2027-01-15", **SOLO),
    )  # fmt: skip
    assert list(cases) == ["C"]
    assert [(e.line, e.client_id, e.problem.code) for e in errors] == [
        (3, "B", "BAD_COUNTRY"),
        (4, "A", "BAD_DATE"),
        (5, "A", "DATES_OUT_OF_ORDER"),
        (6, "A", "CLIENT_FIELDS_DIFFER"),
    ]
    assert "line 2" in errors[-1].problem.message
    assert count == 6


def test_rows_the_reader_could_not_split_count_and_leave_their_client_out() -> None:
    short = batch.RowError(3, "A", Problem("", "TOO_FEW_FIELDS", "the row is short.", "fix it."))
    cases, errors, count = batch.parse_roster(
        _rows(
            _row(client_id="A", country="PT", start="2027-01-15", **SOLO),
            _row(client_id="B", country="PT", start="2027-01-15", **SOLO),
        ),
        batch.ROSTER_COLUMNS,
        [short],
    )
    assert list(cases) == ["B"]
    assert errors == [short]
    assert count == 3


def test_a_header_with_unknown_or_missing_columns_refuses_the_roster() -> None:
    with pytest.raises(InputError) as caught:
        batch.parse_roster([], ["client_id", "kind", "country", "nationality", "stat"])
    assert [(p.path, p.code) for p in caught.value.problems] == [
        ("nationality", "UNKNOWN_COLUMN"),
        ("stat", "UNKNOWN_COLUMN"),
        ("start", "MISSING_COLUMN"),
    ]


def test_the_columns_may_come_in_any_order_and_only_the_required_ones_be_given() -> None:
    header = ["start", "country", "kind", "client_id"]
    row = {"start": "2027-01-15", "country": "PT", "kind": "self_employed", "client_id": "A"}
    cases, errors, count = batch.parse_roster([(2, row)], header)
    assert (list(cases), errors, count) == (["A"], [], 1)


# --- screen_roster and decision_row ----------------------------------------------------------


def test_one_decision_per_client_in_roster_order(rules: RuleBook) -> None:
    cases, _, _ = batch.parse_roster(
        _rows(
            _row(client_id="GB", country="GB", start="2027-03-01", end="2027-06-30", **SOLO),
            _row(client_id="TH", country="TH", start="2027-01-10", end="2027-07-10", **SOLO),
            _row(client_id="US", country="US", start="2027-01-10", **SOLO),
            _row(client_id="GB", country="GB", start="2027-09-01", end="2027-10-31", **SOLO),
        ),
        batch.ROSTER_COLUMNS,
    )
    ticks: list[int] = []
    decisions = dict(batch.screen_roster(cases, rules, TODAY, ticks.append))
    assert {k: d.outcome for k, d in decisions.items()} == {
        "GB": "go",
        "TH": "no_go",
        "US": "not_needed",
    }
    assert list(decisions) == ["GB", "TH", "US"]
    assert ticks == [2, 1, 1]  # engagements screened, per client


def test_a_decision_row_has_every_column(rules: RuleBook) -> None:
    cases, _, _ = _parse(
        _row(client_id="F", country="FR", start="2027-01-15", end="2027-12-31", **SOLO)
    )
    ((client_id, decision),) = batch.screen_roster(cases, rules, TODAY)
    row = dict(zip(batch.DECISION_COLUMNS, batch.decision_row(client_id, decision), strict=True))
    assert row["client_id"] == "F" and row["outcome"] == "pause"
    assert row["work_countries"] == "FR"
    assert row["request_now"] == "false"
    assert set(row["missing_facts"].split(";")) == {
        "business.operating_since",
        "worker.statements.private_health_insurance",
    }
    assert row["as_of"] == "2026-11-25" and row["rules_version"] == rules.version
    assert row["next_action"] == decision.next_actions[0]


# --- screen_roster_file ----------------------------------------------------------------------


def test_the_summary_counts_rows_clients_outcomes_and_bad_rows(
    rules: RuleBook, tmp_path: Path
) -> None:
    roster = _write(
        tmp_path / "roster.csv",
        [
            _row(client_id="A", country="GB", start="2027-03-01", end="2027-06-30", **SOLO),
            _row(client_id="A", country="GB", start="2027-09-01", end="2027-10-31", **SOLO),
            _row(client_id="B", country="TH", start="2027-01-10", end="2027-07-10", **SOLO),
            _row(client_id="C", country="PT", start="2027-02-30", **SOLO),
            _row(client_id="D", country="Atlantis", start="2027-01-01", **SOLO),
            _row(client_id="D", country="PT", start="2027-01-01", end="2026-01-01", **SOLO),
        ],
    )
    out, errors = tmp_path / "decisions.csv", tmp_path / "errors.csv"
    summary = batch.screen_roster_file(roster, out, errors, rules, TODAY)
    assert summary == batch.BatchSummary(
        rows=6, clients=2, outcomes={"go": 1, "no_go": 1}, bad_rows=3, skipped_clients=2
    )
    assert [(r["client_id"], r["outcome"]) for r in _read(out)] == [("A", "go"), ("B", "no_go")]
    assert [(r["line"], r["client_id"], r["column"], r["code"]) for r in _read(errors)] == [
        ("5", "C", "start", "BAD_DATE"),
        ("6", "D", "country", "BAD_COUNTRY"),
        ("7", "D", "end", "DATES_OUT_OF_ORDER"),
    ]


def test_a_clean_run_removes_the_errors_of_an_earlier_one(rules: RuleBook, tmp_path: Path) -> None:
    roster = _write(
        tmp_path / "roster.csv", [_row(client_id="A", country="GB", start="2027-03-01", **SOLO)]
    )
    out, errors = tmp_path / "decisions.csv", tmp_path / "errors.csv"
    errors.write_text("line,client_id,column,code,message,fix\n2,A,start,BAD_DATE,old,old\n")
    summary = batch.screen_roster_file(roster, out, errors, rules, TODAY)
    assert (summary.bad_rows, summary.clients) == (0, 1)
    assert not errors.exists()
    assert list(_read(out)[0]) == list(batch.DECISION_COLUMNS)


@pytest.mark.parametrize(
    ("errors_name", "code"),
    [("decisions.csv", "OUTPUTS_CLASH"), ("roster.csv", "OUTPUT_IS_INPUT")],
    ids=["errors file is the decisions file", "errors file is the roster"],
)
def test_outputs_that_would_destroy_a_file_are_refused(
    rules: RuleBook, tmp_path: Path, errors_name: str, code: str
) -> None:
    roster = _write(
        tmp_path / "roster.csv", [_row(client_id="A", country="PT", start="2027-02-30", **SOLO)]
    )
    before = roster.read_bytes()
    with pytest.raises(InputError) as caught:
        batch.screen_roster_file(
            roster, tmp_path / "decisions.csv", tmp_path / errors_name, rules, TODAY
        )
    assert code in {p.code for p in caught.value.problems}
    assert roster.read_bytes() == before
    assert not (tmp_path / "decisions.csv").exists()


def test_a_roster_with_a_bad_header_names_the_file_and_writes_nothing(
    rules: RuleBook, tmp_path: Path
) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text(
        "client_id,kind,country,start,nationality\nA,self_employed,PT,2027-01-01,US\n"
    )
    out = tmp_path / "decisions.csv"
    with pytest.raises(InputError) as caught:
        batch.screen_roster_file(roster, out, tmp_path / "errors.csv", rules, TODAY)
    assert caught.value.source == str(roster)
    assert [p.code for p in caught.value.problems] == ["UNKNOWN_COLUMN"]
    assert not out.exists()


def test_a_statement_no_rule_knows_is_reported_and_its_client_left_out(
    rules: RuleBook, tmp_path: Path
) -> None:
    roster = _write(
        tmp_path / "roster.csv",
        [
            _row(client_id="F", country="FR", start="2027-01-15", end="2027-12-31",
                 business_operating_since="2018-01-01",
                 statements="private_helth_insurance=yes", **SOLO),
            _row(client_id="G", country="GB", start="2027-03-01", **SOLO),
        ],
    )  # fmt: skip
    out, errors = tmp_path / "decisions.csv", tmp_path / "errors.csv"
    batch.screen_roster_file(roster, out, errors, rules, TODAY)
    assert [r["client_id"] for r in _read(out)] == ["G"]
    assert errors.exists()
    assert [(r["line"], r["client_id"], r["column"], r["code"]) for r in _read(errors)] == [
        ("2", "F", "statements", "UNKNOWN_STATEMENT")
    ]
