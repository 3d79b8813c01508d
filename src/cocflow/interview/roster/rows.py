"""Importing roster rows: one client per reference, every problem of every row."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from cocflow.case import (
    Business,
    Case,
    Client,
    Employer,
    Engagement,
    Person,
    Residence,
    Worker,
)
from cocflow.countries import country_name, is_subdivision
from cocflow.errors import InputError, Problem, clip
from cocflow.interview.roster.cells import (
    CellError,
    _countries,
    _email,
    _shown,
    _statements,
    _text,
    parse_country,
    parse_date,
    parse_kind,
)
from cocflow.interview.roster.fields import (
    _BY_ID,
    FIELDS,
    MAX_CELL,
    DateOrder,
    check_mapping,
    column_letter,
)
from cocflow.text import control_character

# --- Importing rows -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One thing wrong in the roster: the spreadsheet row (header row = 1 unless the file starts
    lower), the column's heading, the field it was read as, what is wrong and how to fix it.
    ``reference``: the client the row belongs to ("" when unknown)."""

    row: int
    column: str
    field: str
    message: str
    fix: str
    code: str = ""
    reference: str = ""

    def __post_init__(self) -> None:
        # As a Problem does: an echoed heading or value is clipped and its control characters
        # escaped (checked first: a roster with a problem on every row makes many).
        if len(self.column) > 120 or not self.column.isprintable():
            object.__setattr__(self, "column", clip(self.column, 120))
        if len(self.message) > 300 or not self.message.isprintable():
            object.__setattr__(self, "message", clip(self.message))

    def as_problem(self) -> Problem:
        """The same problem as the CLI and the batch errors show it (path: row and column)."""
        where = f"row {self.row}" + (f", {self.column}" if self.column else "")
        return Problem(where, self.code, self.message, self.fix)


@dataclass(frozen=True, slots=True)
class ImportedClient:
    """One client of the roster: the advisor's ``reference`` (the key to store it under), the
    ``name`` the advisor lists, the ``case`` (``None`` while any of its rows has a problem),
    the ``notes`` from the columns mapped to no field, and the rows it came from."""

    reference: str
    name: str | None
    case: Case | None
    notes: Mapping[str, str]
    rows: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RosterImport:
    """The outcome of an import: every client (in the order of their first row), every problem
    (by row), the number of rows read, and whether a date order must be chosen."""

    clients: tuple[ImportedClient, ...]
    problems: tuple[RowProblem, ...]
    rows: int
    needs_date_order: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def cases(self) -> dict[str, Case]:
        """The cases ready to store, by client reference."""
        return {c.reference: c.case for c in self.clients if c.case is not None}

    def problems_of(self, reference: str) -> tuple[RowProblem, ...]:
        return tuple(p for p in self.problems if p.reference == reference)


@dataclass(slots=True)
class _Client:
    reference: str
    rows: list[int] = field(default_factory=list)
    bad: bool = False
    shared: dict[str, tuple[object, int]] = field(default_factory=dict)  # field -> (value, row)
    failed: set[str] = field(default_factory=set)  # fields with a cell that could not be read
    engagements: list[Engagement] = field(default_factory=list)
    residence: list[Residence] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class _Row:
    """The problems of one row as they are found."""

    number: int
    problems: list[RowProblem] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)

    def bad(self, column: str, field_id: str, code: str, message: str, fix: str) -> None:
        self.problems.append(RowProblem(self.number, column, field_id, message, fix, code))
        if field_id:
            self.failed.add(field_id)


def _parsers(
    order: DateOrder | None, known: Collection[str] | None
) -> dict[str, Callable[[str], object]]:
    def day(text: str) -> date:
        return parse_date(text, order)

    return {
        "client_id": _text,
        "name": _text,
        "email": _email,
        "kind": parse_kind,
        "country": parse_country,
        "start": day,
        "end": day,
        "region": lambda t: t.strip().upper(),
        "residence_country": parse_country,
        "citizenship": _countries,
        "employer_name": _text,
        "employer_country": parse_country,
        "employer_hired": day,
        "business_operating_since": day,
        "statements": lambda t: _statements(t, known),
        "client_name": _text,
        "client_country": parse_country,
        "description": lambda t: t.strip(),
    }


def _value_text(field_id: str, value: object) -> str:
    """A parsed value as a message shows it."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return ";".join(value)
    if isinstance(value, dict):
        return ";".join(f"{k}={'yes' if v else 'no'}" for k, v in value.items())
    return str(value).replace("_", "-") if field_id == "kind" else str(value)


def import_rows(
    headers: Sequence[str],
    rows: Iterable[tuple[int, Sequence[str]]],
    mapping: Mapping[str, str | None],
    *,
    date_order: DateOrder | None = None,
    known_statements: Collection[str] | None = None,
) -> RosterImport:
    """Turn roster rows (``(row number, cells)``, cells in the order of ``headers``) into one
    :class:`ImportedClient` per client reference, with every problem of every row.

    ``mapping``: heading -> field id, or ``None`` to keep the column as a note (a heading absent
    from it is a note too); :func:`check_mapping`'s problems are raised as :class:`InputError`,
    since no row can be read without a usable mapping. ``date_order``: how dates that end with
    the year are read (``None``: only the unambiguous ones). ``known_statements``: the statement
    ids the rules know (others are refused; ``None``: any id). Blank rows are skipped."""
    headers = list(headers)
    mapping_problems = check_mapping(headers, mapping)
    if mapping_problems:
        raise InputError(mapping_problems)
    column_of = {f: h for h, f in mapping.items() if f is not None}
    parsers = _parsers(date_order, known_statements)
    clients: dict[str, _Client] = {}
    problems: list[RowProblem] = []
    needs_order = False
    count = 0
    for number, raw in rows:
        cells = [str(c) for c in raw]
        if not any(c.strip() for c in cells):
            continue
        count += 1
        row = _Row(number)
        usable = _cells(headers, cells, mapping, row)
        values = _values(usable, column_of, parsers, row)
        needs_order |= "AMBIGUOUS_DATE" in {p.code for p in row.problems}
        reference = str(values.get("client_id", ""))
        engagement, residence = _engagement(values, column_of, row)
        if reference:
            client = clients.get(reference)
            if client is None:
                client = clients[reference] = _Client(reference)
            _add_row(
                client, row, values=values, usable=usable, mapping=mapping, column_of=column_of
            )
            if engagement is not None:
                client.engagements.append(engagement)
            if residence is not None:
                client.residence.append(residence)
            client.bad |= bool(row.problems)
        problems += [_with_reference(p, reference) for p in row.problems]

    imported: list[ImportedClient] = []
    for client in clients.values():
        case, client_problems = _case(client, column_of)
        problems += client_problems
        name = client.shared.get("name")
        imported.append(
            ImportedClient(
                reference=client.reference,
                name=str(name[0]) if name else None,
                case=None if client.bad or client_problems else case,
                notes={h: "; ".join(v) for h, v in client.notes.items()},
                rows=tuple(client.rows),
            )
        )
    position = {h: i for i, h in enumerate(headers)}
    problems.sort(key=lambda p: (p.row, position.get(p.column, len(headers))))
    return RosterImport(tuple(imported), tuple(problems), count, needs_order)


def _cells(
    headers: Sequence[str], cells: list[str], mapping: Mapping[str, str | None], row: _Row
) -> dict[str, str]:
    """Each heading's cell text, less the cells refused whatever their field (too long, a
    control character); a value right of the last heading is a problem too."""
    for i in range(len(headers), len(cells)):
        if cells[i].strip():
            row.bad(
                f"column {column_letter(i)}",
                "",
                "VALUE_WITHOUT_COLUMN",
                f"column {column_letter(i)} has a value but no heading.",
                "give the column a heading in the header row, or remove the value; in a "
                "CSV file, put quotes around a value that contains the separator.",
            )
    usable: dict[str, str] = {}
    for heading, text in zip(headers, cells + [""] * (len(headers) - len(cells)), strict=False):
        field_id = mapping.get(heading) or ""
        if len(text) > MAX_CELL:
            message = f"the value is longer than {MAX_CELL:,} characters."
            row.bad(heading, field_id, "VALUE_TOO_LONG", message, "shorten it.")
        elif found := control_character(text):
            message = f"the value contains a control character ({found})."
            row.bad(heading, field_id, "CONTROL_CHARACTER", message, "remove it.")
        else:
            usable[heading] = text
    return usable


def _values(
    usable: Mapping[str, str],
    column_of: Mapping[str, str],
    parsers: Mapping[str, Callable[[str], object]],
    row: _Row,
) -> dict[str, object]:
    """Each mapped field's value read from its cell; a blank cell gives none (a problem when the
    field is required on every row), an unreadable one a problem."""
    values: dict[str, object] = {}
    for field_id, heading in column_of.items():
        text = usable.get(heading)
        if text is None:  # the cell itself is refused (too long, a control character)
            row.failed.add(field_id)
            continue
        f = _BY_ID[field_id]
        if not text.strip():
            if f.required and not f.per_client:
                fix = f"fill in {f.label.lower()}: {f.help}."
                row.bad(heading, field_id, "REQUIRED", f"{f.label} is blank.", fix)
            continue
        try:
            values[field_id] = parsers[field_id](text)
        except CellError as exc:
            row.bad(heading, field_id, exc.code, str(exc), exc.fix)
    if "client_id" not in values and "client_id" not in row.failed:
        row.bad(
            column_of["client_id"],
            "client_id",
            "REQUIRED",
            "the client reference is blank.",
            "give every row the reference of the client it belongs to.",
        )
    return values


def _add_row(
    client: _Client,
    row: _Row,
    *,
    values: Mapping[str, object],
    usable: Mapping[str, str],
    mapping: Mapping[str, str | None],
    column_of: Mapping[str, str],
) -> None:
    """Merge a row into its client: the per-client values (a differing one is a problem, a
    blank one agrees) and the notes (each distinct value once)."""
    client.rows.append(row.number)
    for f in FIELDS:
        if not f.per_client or f.id not in values:
            continue
        earlier = client.shared.get(f.id)
        if earlier is None:
            client.shared[f.id] = (values[f.id], row.number)
        elif earlier[0] != values[f.id]:
            row.bad(
                column_of[f.id],
                f.id,
                "CLIENT_VALUES_DIFFER",
                f"{f.label} is '{_shown(_value_text(f.id, values[f.id]))}' here but "
                f"'{_shown(_value_text(f.id, earlier[0]))}' on row {earlier[1]} "
                "for the same client.",
                f"give every row of client {client.reference} the same {f.label.lower()} "
                "(or leave it blank on the other rows).",
            )
    client.failed |= row.failed
    for heading, text in usable.items():
        if mapping.get(heading) is None and text.strip():
            kept = client.notes.setdefault(heading, [])
            if text.strip() not in kept:
                kept.append(text.strip())


def _with_reference(problem: RowProblem, reference: str) -> RowProblem:
    if not reference:
        return problem
    return RowProblem(
        problem.row,
        problem.column,
        problem.field,
        problem.message,
        problem.fix,
        problem.code,
        reference,
    )


def _engagement(
    values: Mapping[str, object],
    column_of: Mapping[str, str],
    row: _Row,
) -> tuple[Engagement | None, Residence | None]:
    """The row's engagement (and residence) from its parsed values; the checks that need two
    values (end after start, a region of the country) add their problems to ``row``."""
    country = values.get("country")
    start = values.get("start")
    end = values.get("end")
    if isinstance(start, date) and isinstance(end, date) and end < start:
        row.bad(
            column_of["end"],
            "end",
            "DATES_OUT_OF_ORDER",
            f"the end date ({end}) is before the start date ({start}).",
            "correct the date that is wrong.",
        )
    region = values.get("region")
    if region and isinstance(country, str) and not is_subdivision(country, str(region)):
        row.bad(
            column_of["region"],
            "region",
            "BAD_REGION",
            f"'{_shown(str(region))}' is not a region of {country_name(country)} (ISO 3166-2).",
            "use the code after the dash, e.g. QC for Quebec (CA-QC), or leave it blank.",
        )
    if row.problems or not isinstance(country, str) or not isinstance(start, date):
        return None, None
    end_day = end if isinstance(end, date) else None
    customer = values.get("client_name")
    customer_country = values.get("client_country")
    engagement = Engagement(
        country=country,
        start=start,
        end=end_day,
        region=str(region) if region else None,
        client=Client(
            str(customer) if customer else None,
            str(customer_country) if customer_country else None,
        ),
        description=str(values["description"]) if values.get("description") else None,
    )
    home = values.get("residence_country")
    residence = Residence(home, start, end_day) if isinstance(home, str) else None
    return engagement, residence


def _case(client: _Client, column_of: Mapping[str, str]) -> tuple[Case, list[RowProblem]]:
    """The client's case from its shared values and engagements, and the problems only the
    whole client shows (no worker type on any row, an employee with no employer country)."""
    problems: list[RowProblem] = []
    first = client.rows[0]

    def shared(field_id: str) -> object:
        found = client.shared.get(field_id)
        return found[0] if found else None

    def missing(field_id: str, message: str, fix: str) -> None:
        problems.append(
            RowProblem(
                first,
                column_of.get(field_id, ""),
                field_id,
                message,
                fix,
                "REQUIRED",
                client.reference,
            )
        )

    kind = shared("kind")
    if kind is None and "kind" not in client.failed:
        missing(
            "kind",
            f"no row of client {client.reference} says the worker type.",
            "write Self-employed or Employee on at least one of the client's rows.",
        )
    employee = kind == "employee"
    if employee and shared("employer_country") is None and "employer_country" not in client.failed:
        where = "" if "employer_country" in column_of else " (the file has no such column)"
        missing(
            "employer_country",
            f"client {client.reference} is an employee, but no row gives the employer's "
            f"country{where}.",
            "fill in the employer's country (and when the client was hired).",
        )
    employer_country = shared("employer_country")
    hired = shared("employer_hired")
    since = shared("business_operating_since")
    email = shared("email")
    statements = shared("statements")
    citizenship = shared("citizenship")
    case = Case(
        worker=Worker(
            kind="employee" if employee else "self_employed" if kind else None,
            residence=tuple(client.residence),
            citizenship=citizenship if isinstance(citizenship, tuple) else None,
            statements=statements if isinstance(statements, dict) else {},
        ),
        engagements=tuple(client.engagements),
        employer=Employer(
            name=str(shared("employer_name")) if shared("employer_name") else None,
            country=str(employer_country) if employer_country else None,
            hired=hired if isinstance(hired, date) else None,
        )
        if employee
        else None,
        business=Business(operating_since=since)
        if isinstance(since, date) and not employee
        else None,
        person=Person(email=str(email)) if email else None,
        client_ref=client.reference,
    )
    return case, problems
