"""What a hostile or broken file does: a clear refusal (exit 2, the file and line named),
never a crash, a hang, a silently lost row, or a destroyed file."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cocflow.cli.app import app
from cocflow.io.tripfiles import parse_trips_csv
from cocflow.services import batch

from .test_batch import GOOD, HEADER, row

runner = CliRunner()


def screen_batch(tmp_path: Path, text: str, *extra: str) -> tuple[int, str]:
    roster = tmp_path / "roster.csv"
    roster.write_text(text, encoding="utf-8")
    args = ["screen-batch", str(roster), "--out", str(tmp_path / "out.csv"), *extra]
    result = runner.invoke(app, [*args, "--as-of", "2026-11-25"])
    return result.exit_code, result.stdout + result.stderr


def errors_of(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "out.errors.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- rosters ----------------------------------------------------------------------------


def test_an_unclosed_quote_refuses_the_roster_with_its_line(tmp_path: Path) -> None:
    # Before: 1 of 100 clients screened, exit 0, no errors file.
    lines = [row(client_id=f"C{i}", kind="self_employed", country="PT", start="2027-01-01",
                 residence_country="US") for i in range(100)]  # fmt: skip
    lines[1] = lines[1].replace("PT", '"PT', 1)
    code, text = screen_batch(tmp_path, "\n".join([HEADER, *lines]) + "\n")
    assert code == 2
    assert "line 3" in text and "never closed" in text and "nothing was screened" in text
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize(
    ("bad_row", "code"),
    [
        ("X1,self_employed,PT", "TOO_FEW_FIELDS"),
        (row(client_id="X1", kind="self_employed", country="PT", start="2027-01-01") + ",extra",
         "TOO_MANY_FIELDS"),
        (row(client_id="X1", kind="self_employed", country="PT", start="2027-01-01",
             description="x" * 140_000), "VALUE_TOO_LONG"),
        (row(client_id="X1", kind="self_employed", country="CA", region="ZZ",
             start="2027-01-01", residence_country="US"), "BAD_REGION"),
    ],
    ids=["short row", "long row", "cell over 131072 characters", "region ZZ"],
)  # fmt: skip
def test_a_bad_row_is_reported_and_the_others_screened(
    tmp_path: Path, bad_row: str, code: str
) -> None:
    # Before: a short row or a huge cell aborted the whole batch with an internal error, and
    # region ZZ was accepted although the case file refuses it.
    text = "\n".join([HEADER, *GOOD, bad_row]) + "\n"
    status, output = screen_batch(tmp_path, text)
    assert status == 2, output
    (problem,) = errors_of(tmp_path)
    assert (problem["line"], problem["client_id"], problem["code"]) == ("7", "X1", code)
    with (tmp_path / "out.csv").open(newline="", encoding="utf-8") as handle:
        assert {r["client_id"] for r in csv.DictReader(handle)} == {"A1", "A2", "A3", "A4"}


def test_a_duplicated_column_is_refused(tmp_path: Path) -> None:
    header = HEADER + ",country"
    code, text = screen_batch(tmp_path, header + "\n" + GOOD[0] + ",DE\n")
    assert (code == 2 and "DUPLICATE_COLUMN" not in text.upper()) or "appears twice" in text


def test_line_numbers_count_the_lines_a_row_starts_on(tmp_path: Path) -> None:
    multi = row(client_id="M1", kind="self_employed", country="PT", start="2027-01-01",
                residence_country="US", description='"two\nlines"')  # fmt: skip
    bad = row(client_id="B1", kind="self_employed", country="PT", start="2027-02-30",
              residence_country="US")  # fmt: skip
    screen_batch(tmp_path, "\n".join([HEADER, multi, bad]) + "\n")
    assert errors_of(tmp_path)[0]["line"] == "4"


@pytest.mark.parametrize("option", ["--out", "--errors"])
def test_an_output_that_is_the_roster_is_refused(tmp_path: Path, option: str) -> None:
    # Before: --errors at the roster deleted it; --out at the roster overwrote it.
    roster = tmp_path / "roster.csv"
    text = "\n".join([HEADER, *GOOD]) + "\n"
    roster.write_text(text, encoding="utf-8")
    args = {"--out": str(tmp_path / "out.csv"), "--errors": str(tmp_path / "e.csv")}
    args[option] = str(roster)
    result = runner.invoke(app, ["screen-batch", str(roster), *sum(args.items(), ())])
    assert result.exit_code == 2 and "the roster itself" in result.stderr
    assert roster.read_text(encoding="utf-8") == text


def test_an_output_that_is_a_link_or_a_device_is_refused(tmp_path: Path) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me")
    (tmp_path / "link.csv").symlink_to(precious)
    for out in (tmp_path / "link.csv", Path("/dev/null")):
        result = runner.invoke(app, ["screen-batch", str(roster), "--out", str(out)])
        assert result.exit_code == 2, result.stderr
    assert (tmp_path / "link.csv").is_symlink() and precious.read_text() == "keep me"


def test_spreadsheet_formulas_are_escaped_in_both_csv_files(tmp_path: Path) -> None:
    # OWASP CSV injection: a cell starting with = + - @ is shown as text.
    import io

    cells = dict.fromkeys(batch.ROSTER_COLUMNS, "")
    good = {**cells, "client_id": '=HYPERLINK("http://evil.example","click")',
            "kind": "self_employed", "country": "PT", "start": "2027-01-01", "end": "2027-06-30",
            "residence_country": "US"}  # fmt: skip
    bad = {**good, "client_id": "@SUM(A1)", "start": "2027-02-30"}
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=batch.ROSTER_COLUMNS)
    writer.writeheader()
    writer.writerows([good, bad])
    screen_batch(tmp_path, buffer.getvalue())
    for name in ("out.csv", "out.errors.csv"):
        raw = (tmp_path / name).read_text(encoding="utf-8")
        cells_out = [c for r in csv.reader(io.StringIO(raw, newline="")) for c in r]
        assert any("HYPERLINK" in c or "SUM" in c for c in cells_out), name
        assert not any(c.startswith(("=", "+", "-", "@")) for c in cells_out), name


# --- case files and rules files --------------------------------------------------------------


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path: Path) -> None:
    levels = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    levels += [f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(levels) + "\ncocflow_case: 1\n")
    started = time.monotonic()
    result = runner.invoke(app, ["screen", str(bomb)])
    assert result.exit_code == 2 and "aliases" in result.stderr
    assert time.monotonic() - started < 5
    assert len(result.stderr) < 2000


@pytest.mark.parametrize("kind", ["fifo", "folder", "too large"])
def test_a_case_file_that_is_not_a_small_regular_file_is_refused(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "case.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    else:
        path.write_text("cocflow_case: 1\n# " + "x" * 2_000_000 + "\n")
    result = runner.invoke(app, ["screen", str(path)])
    assert result.exit_code == 2, result.stderr
    assert "internal error" not in result.stderr


def test_a_rules_folder_with_a_fifo_is_refused(tmp_path: Path) -> None:
    import shutil

    from cocflow.errors import RulesError
    from cocflow.rules.loader import default_rules_dir, load_rules

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    (rules / "de.yaml").unlink()
    os.mkfifo(rules / "de.yaml")
    with pytest.raises(RulesError, match="not a regular file"):
        load_rules(rules)


@pytest.mark.parametrize("char", ["\x00", "\x1b[2J", "\x07"])
def test_control_characters_in_text_are_refused(tmp_path: Path, char: str) -> None:
    # A NUL byte crashed the PostgreSQL write; an escape sequence reached the terminal.
    case = tmp_path / "case.yaml"
    case.write_text(
        "cocflow_case: 1\n"
        "worker: {kind: employee, residence: [{country: US, from: 2015-01-01}]}\n"
        f'employer: {{name: "Acme{char.encode("unicode_escape").decode()}", country: US}}\n'
        "engagements: [{country: DE, start: 2027-01-01, end: 2027-12-31}]\n"
    )
    result = runner.invoke(app, ["screen", str(case)])
    assert result.exit_code == 2
    assert "employer.name" in result.stderr and "control character" in result.stderr
    assert "\x1b" not in result.stderr and "\x00" not in result.stderr


def test_a_long_value_is_not_echoed_whole(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(
        "cocflow_case: 1\n"
        "worker: {kind: self_employed, residence: [{country: US, from: 2015-01-01}]}\n"
        f"engagements: [{{country: {'Q' * 100_000}, start: 2027-01-01}}]\n"
    )
    result = runner.invoke(app, ["screen", str(case)])
    assert result.exit_code == 2 and len(result.stderr) < 3000


def test_a_yaml_file_is_never_called_json(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text("cocflow_case: 1\nworker: [unclosed\n")
    result = runner.invoke(app, ["screen", str(case)])
    assert result.exit_code == 2 and "YAML" in result.stderr and "JSON" not in result.stderr


# --- trip logs ----------------------------------------------------------------------------


def test_a_trip_log_with_an_unclosed_quote_is_refused_with_its_line() -> None:
    text = (
        'country,start,end\nDE,2027-01-01,2027-01-05\nFR,"2027-02-01,2027-02-03\nIT,2027-03-01,\n'
    )
    _, problems = parse_trips_csv(text)
    assert problems and problems[0][0] == 3 and problems[0][1].code == "BAD_CSV"


def test_a_trip_log_with_a_huge_cell_reports_it() -> None:
    text = f"country,start,end,note\nDE,2027-01-01,2027-01-05,{'n' * 200_000}\n"
    _, problems = parse_trips_csv(text)
    assert [(line, p.code) for line, p in problems] == [(2, "VALUE_TOO_LONG")]


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("engagements[0].end", "9999-12-31"),
        ("engagements[0].start", "0001-01-01"),
        ("business.operating_since", "0001-01-01"),
        ("worker.residence[0].from", "1899-12-31"),
    ],
)
def test_dates_outside_a_plausible_range_are_refused(
    tmp_path: Path, where: str, value: str
) -> None:
    # Before: year 0001 crashed the screening, and work in 9999 was screened go.
    fields = {
        "engagements[0].start": "2027-01-01",
        "engagements[0].end": "2027-12-31",
        "business.operating_since": "2019-01-01",
        "worker.residence[0].from": "2015-01-01",
    }
    fields[where] = value
    case = tmp_path / "case.yaml"
    case.write_text(
        "cocflow_case: 1\n"
        "worker: {kind: self_employed, residence: "
        f"[{{country: US, from: {fields['worker.residence[0].from']}}}]}}\n"
        f"business: {{operating_since: {fields['business.operating_since']}}}\n"
        f"engagements: [{{country: DE, start: {fields['engagements[0].start']}, "
        f"end: {fields['engagements[0].end']}}}]\n"
    )
    result = runner.invoke(app, ["screen", str(case)])
    assert result.exit_code == 2, result.stdout
    assert where in result.stderr and "outside the dates cocflow accepts" in result.stderr


@pytest.mark.parametrize("as_of", ["0001-01-01", "9999-12-31"])
def test_an_extreme_as_of_is_refused(as_of: str) -> None:
    result = runner.invoke(
        app, ["screen", "examples/portugal-digital-nomad.yaml", "--as-of", as_of]
    )
    assert result.exit_code == 2 and "outside the dates" in result.stderr


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ("DTSTART;VALUE=DATE:20270310\nDTEND;VALUE=DATE:20270301", "END_BEFORE_START"),
        ("DTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:00010102", "BAD_DATES"),
        ("DTSTART;VALUE=DATE:99991230\nDTEND;VALUE=DATE:99991231", "BAD_DATES"),
        ("DTSTART;VALUE=,DATE:20270301\nDTEND;VALUE=DATE:20270302", None),
    ],
    ids=["ends before it starts", "year 0001", "year 9999", "VALUE=,DATE"],
)
def test_calendar_events_with_bad_dates_are_problems(event: str, code: str | None) -> None:
    from cocflow.io.tripfiles import parse_trips_ics

    data = (
        "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//t//EN\nBEGIN:VEVENT\nUID:e1\n"
        f"{event}\nLOCATION:Portugal\nEND:VEVENT\nEND:VCALENDAR\n"
    ).replace("\n", "\r\n")
    trips, problems = parse_trips_ics(data.encode())
    assert trips == [] and len(problems) == 1
    if code is not None:
        assert problems[0][1].code == code


def test_a_database_error_never_prints_the_statement_or_its_parameters(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A NUL byte in a name crashed the PostgreSQL write and the error printed the SQL
    # parameters (name, address) to stderr.
    from sqlalchemy.exc import DataError

    from cocflow.store.repo import Store

    def refuse(*_: object, **__: object) -> str:
        raise DataError(
            "INSERT INTO cases (title, facts) VALUES (%(title)s, %(facts)s)",
            {"title": "Jane Quinn Doe", "facts": "12 Main St, Austin"},
            ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes"),
        )

    monkeypatch.setattr(Store, "create_case", refuse)
    complete = Path(__file__).parent.parent / "examples" / "filing-complete.yaml"
    result = runner.invoke(app, ["case", "new", str(complete)])
    assert result.exit_code == 1
    assert "the database refused" in result.stderr and "NUL" in result.stderr
    for leaked in ("Jane Quinn Doe", "12 Main St", "INSERT INTO", "123-45-6789"):
        assert leaked not in result.stderr + result.stdout


def test_outputs_that_cannot_be_written_are_named_not_internal_errors(
    home: Path, tmp_path: Path
) -> None:
    # Before: "internal error" in 9 places for an output that is a folder or unwritable.
    import json

    complete = Path(__file__).parent.parent / "examples" / "filing-complete.yaml"
    roster = tmp_path / "roster.csv"
    roster.write_text("\n".join([HEADER, *GOOD]) + "\n", encoding="utf-8")
    case_id = json.loads(
        runner.invoke(app, ["case", "new", str(complete), "--format", "json"]).stdout
    )["id"]
    folder = tmp_path / "a-folder"
    folder.mkdir()
    not_a_folder = tmp_path / "plain-file"
    not_a_folder.write_text("x")
    commands = [
        ["screen-batch", str(roster), "--out", str(folder)],
        ["proof", "export", case_id, "--out", str(folder)],
        ["reminders", "--ics", str(folder)],
        ["request", str(complete), "--out", str(not_a_folder)],
        ["proof", "export", case_id, "--out", str(not_a_folder / "x.zip")],
        ["reminders", "--ics", str(not_a_folder / "x.ics")],
    ]
    for command in commands:
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.stderr)
        assert "internal error" not in result.stderr, command


# --- escape sequences never reach a terminal ---------------------------------------------------

ESCAPE = "\x1b]0;owned\x07\x1b[2J"


def test_escape_sequences_in_a_trip_log_are_problems() -> None:
    from cocflow.io.tripfiles import parse_trips_ics

    _, problems = parse_trips_csv(f"country,start,note\nDE,2027-01-01,{ESCAPE}\n")
    assert [p.code for _, p in problems] == ["CONTROL_CHARACTER"]
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:e1\r\n"
        "DTSTART;VALUE=DATE:20270301\r\nDTEND;VALUE=DATE:20270302\r\nLOCATION:Portugal\r\n"
        f"SUMMARY:{ESCAPE}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    trips, found = parse_trips_ics(ics.encode())
    assert trips == [] and [p.code for _, p in found] == ["CONTROL_CHARACTER"]


def test_escape_sequences_in_a_roster_are_row_errors(tmp_path: Path) -> None:
    bad = row(client_id="E1", kind="self_employed", country="PT", start="2027-01-01",
              residence_country="US", client_name=ESCAPE)  # fmt: skip
    code, text = screen_batch(tmp_path, "\n".join([HEADER, *GOOD, bad]) + "\n")
    assert code == 2 and "\x1b" not in text
    assert errors_of(tmp_path)[0]["code"] == "CONTROL_CHARACTER"


def test_escape_sequences_in_a_rules_file_are_refused(tmp_path: Path) -> None:
    import shutil

    from cocflow.errors import RulesError
    from cocflow.rules.loader import default_rules_dir, load_rules

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    de = rules / "de.yaml"
    de.write_text(de.read_text().replace("name: Germany", 'name: "Germany\\e[2J"'))
    with pytest.raises(RulesError, match=r"name: a control character \(U\+001B\)"):
        load_rules(rules)


def test_a_request_is_recorded_only_on_the_case_it_belongs_to(home: Path, tmp_path: Path) -> None:
    # Before: 'request OTHER_FILE --case A' recorded another person's filing on case A.
    import json

    complete = Path(__file__).parent.parent / "examples" / "filing-complete.yaml"
    case_id = json.loads(
        runner.invoke(app, ["case", "new", str(complete), "--format", "json"]).stdout
    )["id"]
    other = tmp_path / "other.yaml"
    other.write_text(complete.read_text().replace("2027-12-31", "2027-11-30"))
    out = tmp_path / "out"
    args = ["request", str(other), "--out", str(out), "--case", case_id, "--as-of", "2026-11-25"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert f"is not case {case_id}" in result.stderr and "engagements[0].end" in result.stderr
    assert not out.exists()
    kinds = [
        e["kind"]
        for e in json.loads(
            runner.invoke(app, ["proof", "list", case_id, "--format", "json"]).stdout
        )
    ]
    assert "request_prepared" not in kinds
    same = ["request", str(complete), "--out", str(out), "--case", case_id, "--as-of", "2026-11-25"]
    assert runner.invoke(app, same).exit_code == 0


@pytest.mark.parametrize("value", ["²", "٣", "3.5", "-1", "99999999"])
def test_a_setting_takes_plain_ascii_digits_only(value: str) -> None:
    from cocflow.errors import InputError
    from cocflow.io.settings import Settings

    with pytest.raises(InputError, match="not a whole number"):
        Settings.from_env({"COCFLOW_PROCESSING_DAYS": value})
    assert Settings.from_env({"COCFLOW_PROCESSING_DAYS": "45"}).processing_days == 45


def test_rules_from_another_folder_are_announced_on_every_decision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before: COCFLOW_RULES_DIR turned a no_go into a go with only a version suffix to show it.
    import json
    import shutil

    from cocflow.rules.loader import default_rules_dir

    rules = tmp_path / "rules"
    shutil.copytree(default_rules_dir(), rules)
    monkeypatch.setenv("COCFLOW_RULES_DIR", str(rules))
    example = Path(__file__).parent.parent / "examples" / "portugal-digital-nomad.yaml"
    result = runner.invoke(app, ["screen", str(example), "--format", "json"])
    codes = [r["code"] for r in json.loads(result.stdout)["reasons"]]
    assert "RULES_NOT_SHIPPED" in codes
    monkeypatch.delenv("COCFLOW_RULES_DIR")
    result = runner.invoke(app, ["screen", str(example), "--format", "json"])
    assert "RULES_NOT_SHIPPED" not in result.stdout
