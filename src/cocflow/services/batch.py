"""Batch screening of an advisor's roster: one CSV row per engagement, one decision per client.

Rows are validated without stopping: every bad row goes to the errors file with its line
number, and a client with any bad row is not screened at all (a missing engagement could turn
a pause into a go). Both output files are written to a temporary file and renamed into place,
so a reader never sees a half-written file. The columns are documented in ``docs/batch.md``.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from cocflow.case import Business, Case, Client, Employer, Engagement, Residence, Worker
from cocflow.countries import country_name, is_subdivision, normalize_country
from cocflow.errors import InputError, Problem
from cocflow.io.atomic import atomic_write
from cocflow.io.csvio import MAX_CELL, CsvSyntaxError, records, to_csv
from cocflow.io.inputs import MAX_ROSTER_BYTES, read_text_input
from cocflow.isodate import parse_iso_date
from cocflow.rules.loader import RuleBook
from cocflow.screening.decision import Decision
from cocflow.screening.screen import screen_fast as screen  # the fast path, same decisions
from cocflow.services.screening import conditions
from cocflow.text import control_character

__all__ = [
    "DECISION_COLUMNS",
    "ERROR_COLUMNS",
    "ROSTER_COLUMNS",
    "BatchSummary",
    "RowError",
    "parse_roster",
    "screen_roster",
    "screen_roster_file",
]

ROSTER_COLUMNS = (
    "client_id",
    "kind",
    "country",
    "start",
    "end",
    "region",
    "residence_country",
    "citizenship",
    "employer_name",
    "employer_country",
    "employer_hired",
    "business_operating_since",
    "statements",
    "client_name",
    "client_country",
    "description",
)
REQUIRED = ("client_id", "kind", "country", "start")
PER_CLIENT = (
    "kind",
    "citizenship",
    "employer_name",
    "employer_country",
    "employer_hired",
    "business_operating_since",
    "statements",
)
DECISION_COLUMNS = (
    "client_id",
    "outcome",
    "work_countries",
    "country_covered",
    "us_coverage_assigned",
    "request_now",
    "reason_codes",
    "missing_facts",
    "go_if",
    "next_action",
    "as_of",
    "rules_version",
)
ERROR_COLUMNS = ("line", "client_id", "column", "code", "message", "fix")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    client_id: str
    problem: Problem


@dataclass(slots=True)
class _Client:
    first_line: int
    shared: dict[str, str]
    engagements: list[Engagement] = field(default_factory=list)
    residence: list[Residence] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class BatchSummary:
    rows: int
    clients: int
    outcomes: dict[str, int]
    bad_rows: int
    skipped_clients: int


def _date(value: str, column: str) -> date:
    try:
        return parse_iso_date(value)
    except ValueError as exc:
        if "outside the dates" in str(exc):
            fix = "check the year; for work with no end date, leave end empty."
            raise _Bad(column, "DATE_OUT_OF_RANGE", f"{exc}.", fix) from None
        raise _Bad(column, "BAD_DATE", f"{exc}.", "write the date as YYYY-MM-DD.") from None


def _country(value: str, column: str) -> str:
    try:
        return normalize_country(value)
    except ValueError as exc:
        raise _Bad(
            column, "BAD_COUNTRY", f"{exc}.", "use an ISO 3166-1 alpha-2 code such as PT."
        ) from None


class _Convert:
    """The conversions of one roster: a roster repeats its countries and dates, so each
    distinct text is converted once. Only successes are kept; a bad value is converted (and
    refused, with its column) every time it occurs."""

    __slots__ = ("countries", "dates", "regions", "statements")

    def __init__(self) -> None:
        self.dates: dict[str, date] = {}
        self.countries: dict[str, str] = {}
        self.regions: dict[tuple[str, str], str | None] = {}
        self.statements: dict[str, tuple[tuple[str, bool], ...]] = {}

    def date(self, value: str, column: str) -> date:
        found = self.dates.get(value)
        if found is None:
            found = self.dates[value] = _date(value, column)
        return found

    def country(self, value: str, column: str) -> str:
        found = self.countries.get(value)
        if found is None:
            found = self.countries[value] = _country(value, column)
        return found

    def region(self, value: str, country: str) -> str | None:
        if not value:
            return None
        key = (value, country)
        if key in self.regions:
            return self.regions[key]
        found = self.regions[key] = _region(value, country)
        return found

    def statement_list(self, text: str, known: Collection[str] | None) -> dict[str, bool]:
        found = self.statements.get(text)
        if found is None:
            found = self.statements[text] = tuple(_statements(text, known).items())
        return dict(found)


def _region(value: str, country: str) -> str | None:
    """The same check as the case file's ``engagements[].region``: an ISO 3166-2 code."""
    region = value.strip().upper()
    if not region:
        return None
    code = _country(country, "country")
    if not is_subdivision(code, region):
        raise _Bad(
            "region",
            "BAD_REGION",
            f"'{region}' is not a region of {country_name(code)} (ISO 3166-2).",
            "use the code after the dash, e.g. QC for Quebec (CA-QC), or leave region empty.",
        )
    return region


class _Bad(Exception):
    def __init__(self, column: str, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.problem = Problem(column, code, message, fix)


def _statements(text: str, known: Collection[str] | None = None) -> dict[str, bool]:
    result: dict[str, bool] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        answer = {"yes": True, "true": True, "no": False, "false": False}.get(value.strip().lower())
        if not sep or answer is None or not key.strip():
            raise _Bad(
                "statements",
                "BAD_STATEMENT",
                f"'{part}' is not written as id=yes or id=no.",
                "separate statements with ';', e.g. private_health_insurance=yes.",
            )
        if known is not None and key.strip() not in known:
            raise _Bad(
                "statements",
                "UNKNOWN_STATEMENT",
                f"'{key.strip()[:60]}' is not a condition of any agreement.",
                f"use one of: {', '.join(sorted(known)) or '(none)'}.",
            )
        result[key.strip()] = answer
    return result


def _engagement(
    row: dict[str, str], convert: _Convert | None = None
) -> tuple[Engagement, Residence | None]:
    convert = convert or _Convert()
    for column in REQUIRED:
        if not row.get(column, "").strip():
            raise _Bad(column, "REQUIRED", f"{column} is empty.", f"fill in {column}.")
    if row["kind"].strip() not in ("self_employed", "employee"):
        raise _Bad(
            "kind",
            "NOT_ALLOWED",
            f"'{row['kind']}' is not a kind of worker.",
            "use self_employed or employee.",
        )
    start = convert.date(row["start"].strip(), "start")
    end_text = row.get("end", "").strip()
    end = convert.date(end_text, "end") if end_text else None
    if end is not None and end < start:
        raise _Bad(
            "end",
            "DATES_OUT_OF_ORDER",
            f"end ({end}) is before start ({start}).",
            "correct the date that is wrong.",
        )
    client_country = row.get("client_country", "").strip()
    engagement = Engagement(
        country=convert.country(row["country"], "country"),
        start=start,
        end=end,
        region=convert.region(row.get("region", "").strip().upper(), row["country"]),
        client=Client(
            row.get("client_name", "").strip() or None,
            convert.country(client_country, "client_country") if client_country else None,
        ),
        description=row.get("description", "").strip() or None,
    )
    home = row.get("residence_country", "").strip()
    residence = Residence(convert.country(home, "residence_country"), start, end) if home else None
    return engagement, residence


def _shared(row: dict[str, str]) -> dict[str, str]:
    return {c: row.get(c, "").strip() for c in PER_CLIENT}


def _case(client: _Client, known: Collection[str] | None, convert: _Convert | None = None) -> Case:
    convert = convert or _Convert()
    s = client.shared
    kind = s["kind"]
    employee = kind == "employee"
    if employee and not s["employer_country"]:
        raise _Bad(
            "employer_country",
            "REQUIRED",
            "an employee's row needs the employer's country.",
            "fill in employer_country (and employer_hired).",
        )
    worker = Worker(
        kind="employee" if employee else "self_employed",
        residence=tuple(client.residence),
        citizenship=tuple(
            convert.country(c, "citizenship") for c in s["citizenship"].split(";") if c.strip()
        )
        or None,
        statements=convert.statement_list(s["statements"], known),
    )
    hired = s["employer_hired"]
    employer = (
        Employer(
            name=s["employer_name"] or None,
            country=convert.country(s["employer_country"], "employer_country"),
            hired=convert.date(hired, "employer_hired") if hired else None,
        )
        if employee
        else None
    )
    since = s["business_operating_since"]
    business = (
        Business(operating_since=convert.date(since, "business_operating_since"))
        if since and not employee
        else None
    )
    return Case(
        worker=worker,
        engagements=tuple(client.engagements),
        employer=employer,
        business=business,
    )


def parse_roster(
    rows: Iterable[tuple[int, dict[str, str]]],
    header: Iterable[str],
    bad_rows: Iterable[RowError] = (),
    known_statements: Collection[str] | None = None,
) -> tuple[dict[str, Case], list[RowError], int]:
    """Group roster rows (with the line each starts on) into cases; return the cases, the row
    errors and the row count. A client with any bad row (``bad_rows`` included: rows the reader
    could not split into the header's columns) is left out rather than screened on part of its
    facts. ``known_statements``: the statement ids the rules know (others are refused)."""
    header = list(header)
    unknown = [c for c in header if c not in ROSTER_COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        problems = [
            Problem(
                c,
                "UNKNOWN_COLUMN",
                f"'{c}' is not a roster column.",
                "rename or remove it (see docs/batch.md).",
            )
            for c in unknown
        ]
        problems += [
            Problem(c, "MISSING_COLUMN", f"the roster has no '{c}' column.", "add the column.")
            for c in missing
        ]
        raise InputError(problems)
    with _gc_paused():
        return _group(rows, bad_rows, known_statements)


def _group(
    rows: Iterable[tuple[int, dict[str, str]]],
    bad_rows: Iterable[RowError],
    known_statements: Collection[str] | None,
) -> tuple[dict[str, Case], list[RowError], int]:
    clients: dict[str, _Client] = {}
    errors: list[RowError] = list(bad_rows)
    bad_clients: set[str] = {e.client_id for e in errors}
    count = len(errors)
    convert = _Convert()
    for line, row in rows:
        count += 1
        client_id = (row.get("client_id") or "").strip()
        try:
            engagement, residence = _engagement(row, convert)
            shared = _shared(row)
            client = clients.get(client_id)
            if client is None:
                client = clients[client_id] = _Client(line, shared)
            else:
                for column in PER_CLIENT:
                    if shared[column] != client.shared[column]:
                        raise _Bad(
                            column,
                            "CLIENT_FIELDS_DIFFER",
                            f"{column} differs from line {client.first_line} for the same client.",
                            "give every row of a client the same value.",
                        )
            client.engagements.append(engagement)
            if residence is not None:
                client.residence.append(residence)
        except _Bad as bad:
            errors.append(RowError(line, client_id, bad.problem))
            bad_clients.add(client_id)
    errors.sort(key=lambda e: e.line)
    cases: dict[str, Case] = {}
    for client_id, client in clients.items():
        if client_id in bad_clients:
            continue
        try:
            cases[client_id] = _case(client, known_statements, convert)
        except _Bad as bad:
            errors.append(RowError(client.first_line, client_id, bad.problem))
    return cases, errors, count


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a roster is read, parsed or screened: the rows,
    cases and decisions it builds hold no cycles, but each collection would walk all of them
    again as they pile up (about a third of the time of a large batch). Collection resumes,
    and catches up, when the batch is done."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _cell(value: bool | None) -> str:
    return "" if value is None else str(value).lower()


def decision_row(client_id: str, d: Decision) -> list[str]:
    countries = sorted({s.country for s in d.segments})
    codes = dict.fromkeys(r.code for r in d.all_reasons())
    return [
        client_id,
        d.outcome,
        ";".join(countries),
        _cell(d.country_covered),
        _cell(d.us_coverage_assigned),
        _cell(d.request_now),
        ";".join(codes),
        ";".join(d.missing_facts),
        " | ".join(d.go_if),
        d.next_actions[0] if d.next_actions else "",
        d.as_of.isoformat(),
        d.rules_version,
    ]


CHUNK = 512  # clients screened at a time, without garbage collection, before they are handed on


def screen_roster(
    cases: dict[str, Case], rules: RuleBook, as_of: date, tick: Callable[[int], None] | None = None
) -> Iterator[tuple[str, Decision]]:
    """The decision of every client, in roster order, by the fast path
    (:func:`~cocflow.screening.screen.screen_fast`: the same decisions as ``screen``)."""
    items = iter(cases.items())
    while True:
        done: list[tuple[str, Case, Decision]] = []
        failed: Exception | None = None
        with _gc_paused():
            try:
                for client_id, case in islice(items, CHUNK):
                    done.append((client_id, case, screen(case, rules, as_of)))
            except Exception as exc:  # the clients before it are handed on first, as before
                failed = exc
        for client_id, case, decision in done:
            yield client_id, decision
            if tick:
                tick(len(case.engagements))
        if failed is not None:
            raise failed
        if len(done) < CHUNK:
            return


def _write_csv(path: Path, header: tuple[str, ...], rows: Iterable[list[Any]]) -> None:
    atomic_write(path, to_csv(header, rows), mode=0o644)


def _check_outputs(roster: Path, outputs: dict[str, Path]) -> None:
    """Refuse an output that would destroy an input or write through a link or device."""
    problems: list[Problem] = []
    for option, path in outputs.items():
        if path.is_symlink():
            problems.append(
                Problem(option, "OUTPUT_IS_LINK", f"{path} is a symbolic link.", "name a file.")
            )
        elif path.exists() and not path.is_file():
            message = f"{path} exists and is not a regular file (a folder, device or pipe)."
            problems.append(Problem(option, "OUTPUT_NOT_A_FILE", message, "name a new file."))
        elif path.exists() and roster.exists() and os.path.samefile(path, roster):
            message = f"{path} is the roster itself: writing it would destroy the input."
            problems.append(Problem(option, "OUTPUT_IS_INPUT", message, "name another file."))
    first, second = outputs.values()
    if first.resolve() == second.resolve():
        message = "--out and --errors name the same file."
        problems.append(Problem("--errors", "OUTPUTS_CLASH", message, "name two files."))
    if problems:
        raise InputError(problems)


def _read_roster(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[RowError]]:
    """The header, the rows that split into its columns, and an error for every other row.

    Bad quoting refuses the whole file (where its rows begin and end is then unknown)."""
    text = read_text_input(path, "the roster", MAX_ROSTER_BYTES)
    with _gc_paused():
        return _split_roster(path, text)


def _split_roster(
    path: Path, text: str
) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[RowError]]:
    try:
        found = list(records(text))
    except CsvSyntaxError as exc:
        problem = Problem(
            f"line {exc.line}",
            "BAD_CSV",
            f"{exc}; nothing was screened.",
            "close the quote (or remove it) and run the batch again.",
        )
        raise InputError([problem], str(path)) from None
    if not found:
        problem = Problem("", "NO_HEADER", "the roster is empty.", "start with the header row.")
        raise InputError([problem], str(path))
    header = [h.strip() for h in found[0][1]]
    twice = sorted({h for h in header if header.count(h) > 1})
    if twice:
        raise InputError(
            [
                Problem(h, "DUPLICATE_COLUMN", f"the {h} column appears twice.", "keep one.")
                for h in twice
            ],
            str(path),
        )
    rows: list[tuple[int, dict[str, str]]] = []
    bad: list[RowError] = []
    where = header.index("client_id") if "client_id" in header else None
    # A text with no control character anywhere has none in any value: the values are then
    # checked for their count and length only (the same answers, one search instead of one
    # per value).
    clean = control_character(text) is None
    width = len(header)
    for line, values in found[1:]:
        if clean and len(values) == width and max(map(len, values), default=0) <= MAX_CELL:
            rows.append((line, dict(zip(header, values, strict=True))))
            continue
        client_id = values[where].strip() if where is not None and where < len(values) else ""
        shape = _shape_problem(values, header)
        if shape is not None:
            bad.append(RowError(line, client_id, shape))
        else:
            rows.append((line, dict(zip(header, values, strict=True))))
    return header, rows, bad


def _shape_problem(values: list[str], header: list[str]) -> Problem | None:
    if len(values) > len(header):
        message = f"the row has {len(values)} fields; the header has {len(header)}."
        return Problem("", "TOO_MANY_FIELDS", message, "quote values that contain commas.")
    if len(values) < len(header):
        message = f"the row has {len(values)} fields; the header has {len(header)}."
        return Problem(
            "", "TOO_FEW_FIELDS", message, "give every column a value (or leave it empty)."
        )
    for name, value in zip(header, values, strict=True):
        if len(value) > MAX_CELL:
            message = f"the value is longer than {MAX_CELL:,} characters."
            return Problem(name, "VALUE_TOO_LONG", message, "shorten it.")
        if bad := control_character(value):
            message = f"the value contains a control character ({bad})."
            return Problem(name, "CONTROL_CHARACTER", message, "remove it.")
    return None


def screen_roster_file(
    roster: Path,
    out: Path,
    errors_path: Path,
    rules: RuleBook,
    as_of: date,
    *,
    progress: bool = False,
) -> BatchSummary:
    """Screen ``roster`` into ``out`` (decisions) and ``errors_path`` (bad rows)."""
    _check_outputs(roster, {"--out": out, "--errors": errors_path})
    header, rows, bad = _read_roster(roster)
    try:
        cases, errors, count = parse_roster(rows, header, bad, conditions(rules))
    except InputError as exc:
        raise InputError(exc.problems, str(roster)) from None
    results: list[tuple[str, Decision]] = []
    if progress:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            task = bar.add_task("Screening", total=sum(len(c.engagements) for c in cases.values()))
            results = list(screen_roster(cases, rules, as_of, lambda n: bar.advance(task, n)))
    else:
        results = list(screen_roster(cases, rules, as_of))

    _write_csv(out, DECISION_COLUMNS, (decision_row(cid, d) for cid, d in results))
    if errors:
        _write_csv(
            errors_path,
            ERROR_COLUMNS,
            (
                [
                    e.line,
                    e.client_id,
                    e.problem.path,
                    e.problem.code,
                    e.problem.message,
                    e.problem.fix,
                ]
                for e in errors
            ),
        )
    elif errors_path.is_file():
        errors_path.unlink()  # an errors file of an earlier run no longer applies
    skipped = len({e.client_id for e in errors})
    outcomes: Counter[str] = Counter(d.outcome for _, d in results)
    return BatchSummary(count, len(results), dict(outcomes), len(errors), skipped)
