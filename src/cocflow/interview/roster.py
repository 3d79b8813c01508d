"""Importing an advisor's client roster: spreadsheet rows in, one case per client out.

An advisor keeps clients in a spreadsheet whose columns are named their own way ("Ref", "Host
country", "From", "Until"). The import runs in three steps, each usable by a web page:

1. :func:`suggest_mapping` proposes which field each column holds, from the column's heading;
   the advisor confirms or corrects it, and :func:`mapping_key` gives the layout a stable key so
   the confirmed mapping is found again the next time the same spreadsheet is imported.
2. :func:`check_mapping` lists what makes a mapping unusable (a required field with no column,
   a field given by two columns).
3. :func:`import_rows` reads every row, groups the rows by client reference (one client, one
   case; several rows, several engagements, as the batch roster does) and lists *every* problem
   of *every* row at once, each with the row number, the column heading, what is wrong and how to
   fix it, so the advisor fixes the spreadsheet in one pass.

The column meanings are the batch roster's (:mod:`cocflow.services.batch`, ``docs/batch.md``),
with spellings people write accepted ("freelancer", "UK", "18/02/2027"). A client with any bad
row gets no case: a missing engagement could turn a pause into a go. Columns mapped to no field
are kept, per client, as notes. Reading the file is the edge's job
(:mod:`cocflow.io.rosterfile`); nothing here reads or writes a file.

An :class:`ImportedClient` carries the advisor's reference, so a service can store it keyed by
(organisation, reference) and a re-import updates the client's case instead of adding another.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

from cocflow.case import (
    Business,
    Case,
    Client,
    Employer,
    Engagement,
    Person,
    Residence,
    Worker,
    WorkerKind,
)
from cocflow.countries import country_name, is_subdivision, normalize_country
from cocflow.errors import InputError, Problem, clip
from cocflow.isodate import check_plausible
from cocflow.text import control_character

__all__ = [
    "DATE_ORDERS",
    "FIELDS",
    "MAX_CELL",
    "REQUIRED_FIELDS",
    "CellError",
    "DateOrder",
    "Field",
    "ImportedClient",
    "RosterImport",
    "RowProblem",
    "check_mapping",
    "column_letter",
    "import_rows",
    "mapping_key",
    "parse_country",
    "parse_date",
    "parse_kind",
    "suggest_mapping",
]

MAX_CELL = 10_000  # characters in one cell: more is a mistake (or an attack), never data

DateOrder = Literal["DMY", "MDY", "YMD"]
DATE_ORDERS: dict[DateOrder, str] = {
    "DMY": "day/month/year (31/12/2027)",
    "MDY": "month/day/year (12/31/2027)",
    "YMD": "year-month-day (2027-12-31)",
}


# --- The fields ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A fact a roster column can hold.

    ``id`` is the batch roster's column name (a batch CSV imports unchanged); ``synonyms`` are
    headings people write for it, compared without case, accents or punctuation; ``per_client``
    fields belong to the client and must agree on all of its rows (a blank cell agrees);
    ``required`` fields need a column, and a value on every row (``per_client``: on one row)."""

    id: str
    label: str
    help: str
    synonyms: tuple[str, ...] = ()
    per_client: bool = False
    required: bool = False


FIELDS: tuple[Field, ...] = (
    Field(
        "client_id",
        "Client reference",
        "your reference for the client; the rows of one client share it",
        (
            "Client ID",
            "Client reference",
            "Client ref",
            "Client number",
            "Client no",
            "Client #",
            "Ref",
            "Reference",
            "ID",
            "File",
            "File number",
            "File reference",
            "Case ID",
            "Case reference",
            "Matter",
            "Matter number",
        ),
        per_client=True,
        required=True,
    ),
    Field(
        "name",
        "Client name",
        "the client's name as you list it (kept with the client, not used to screen)",
        (
            "Name",
            "Client",
            "Client name",
            "Full name",
            "Worker",
            "Worker name",
            "Employee name",
            "Person",
            "Taxpayer",
        ),
        per_client=True,
    ),
    Field(
        "email",
        "Email",
        "the client's email address",
        ("Email", "E-mail", "Email address", "Mail", "Client email"),
        per_client=True,
    ),
    Field(
        "kind",
        "Worker type",
        "self-employed or employee",
        (
            "Kind",
            "Worker type",
            "Worker kind",
            "Type",
            "Status",
            "Employment status",
            "Employment type",
            "Work status",
            "Category",
        ),
        per_client=True,
        required=True,
    ),
    Field(
        "country",
        "Work country",
        "where this work is physically done (country name or ISO code)",
        (
            "Country",
            "Work country",
            "Country of work",
            "Host country",
            "Destination",
            "Destination country",
            "Work location",
            "Assignment country",
            "Posting country",
        ),
        required=True,
    ),
    Field(
        "start",
        "Start date",
        "the first day of this work abroad",
        (
            "Start",
            "Start date",
            "From",
            "From date",
            "Date from",
            "Begin",
            "Begins",
            "Beginning",
            "Arrival",
            "Arrival date",
        ),
        required=True,
    ),
    Field(
        "end",
        "End date",
        "the last day of this work abroad; blank: open-ended",
        (
            "End",
            "End date",
            "To",
            "To date",
            "Date to",
            "Until",
            "Till",
            "Finish",
            "Departure",
            "Departure date",
            "Return",
            "Return date",
        ),
    ),
    Field(
        "region",
        "Region",
        "the province or state of the work country, as its ISO 3166-2 code (QC for Quebec)",
        ("Region", "Province", "Province or state", "Subdivision", "Region code"),
    ),
    Field(
        "residence_country",
        "Residence country",
        "where the client lives during this work",
        (
            "Residence",
            "Residence country",
            "Country of residence",
            "Home country",
            "Lives in",
            "Resident of",
            "Tax residence",
        ),
    ),
    Field(
        "citizenship",
        "Citizenship",
        "the client's citizenships, separated by ; (US;IT)",
        ("Citizenship", "Citizenships", "Nationality", "Nationalities", "Citizen of"),
        per_client=True,
    ),
    Field(
        "employer_name",
        "Employer name",
        "for an employee: who pays the wages",
        ("Employer", "Employer name", "Employing company"),
        per_client=True,
    ),
    Field(
        "employer_country",
        "Employer country",
        "for an employee: the employer's country",
        ("Employer country", "Country of employer", "Employer location"),
        per_client=True,
    ),
    Field(
        "employer_hired",
        "Hired on",
        "for an employee: when the employer hired the client",
        (
            "Employer hired",
            "Hired",
            "Hired on",
            "Hire date",
            "Date hired",
            "Date of hire",
            "Employed since",
        ),
        per_client=True,
    ),
    Field(
        "business_operating_since",
        "Business operating since",
        "for the self-employed: when the U.S. business began",
        (
            "Business operating since",
            "Operating since",
            "Business since",
            "In business since",
            "Business start",
            "Business start date",
            "Self-employed since",
        ),
        per_client=True,
    ),
    Field(
        "statements",
        "Statements",
        "answers to an agreement's conditions: private_health_insurance=yes;...",
        ("Statements", "Conditions"),
        per_client=True,
    ),
    Field(
        "client_name",
        "Customer",
        "whom this work is for (context only; never decides)",
        ("Customer", "Customer name", "End client", "End customer", "Work for", "Engaged by"),
    ),
    Field(
        "client_country",
        "Customer country",
        "the country of the business the work is for (context only)",
        ("Customer country", "Country of customer", "End client country"),
    ),
    Field(
        "description",
        "Description",
        "what the work is (context only)",
        (
            "Description",
            "Work description",
            "Activity",
            "Job",
            "Job title",
            "Role",
            "Project",
            "Nature of work",
        ),
    ),
)

_BY_ID: dict[str, Field] = {f.id: f for f in FIELDS}
REQUIRED_FIELDS: tuple[str, ...] = tuple(f.id for f in FIELDS if f.required)


@lru_cache(maxsize=4096)  # a roster repeats its kinds and countries on every row
def _fold(text: str) -> str:
    """A heading or a spelling as compared: no case, accents, punctuation or bracketed hints
    ("Start date (DD/MM/YYYY) *" -> "start date"; "Client #" -> "client no")."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text).replace("#", " no ")
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


def _synonym_index() -> dict[str, str]:
    """Folded heading -> field id. Labels and synonyms must name one field each; a field's id
    (``client_name``) is a synonym only where no other field claims its words ("Client name"
    is the client's name: an exact ``client_name`` heading is matched before folding)."""
    index: dict[str, str] = {}
    for f in FIELDS:
        for heading in (f.label, *f.synonyms):
            claimed = index.setdefault(_fold(heading), f.id)
            if claimed != f.id:
                raise RuntimeError(f"'{heading}' names both {claimed} and {f.id}")
    for f in FIELDS:
        index.setdefault(_fold(f.id), f.id)
    return index


_SYNONYMS = _synonym_index()

# Words a heading may add around a synonym: "Assignment start date", "Country of the stay".
_FILLER = frozenset({"date", "of", "the", "assignment", "posting", "engagement", "stay", "work"})


def _match(heading: str) -> str | None:
    key = _fold(heading)
    found = _SYNONYMS.get(key)
    if found is None:
        bare = " ".join(w for w in key.split() if w not in _FILLER)
        found = _SYNONYMS.get(bare) if bare else None
    return found


def suggest_mapping(headers: Sequence[str]) -> dict[str, str | None]:
    """Each heading's field (``None``: keep the column as a note), from the heading's words.

    A heading written exactly as a batch roster column (``client_name``) means that column;
    any other is compared with the fields' synonyms without case, accents or punctuation. Each
    field is given to the first heading that names it; a later one is kept as a note."""
    mapping: dict[str, str | None] = dict.fromkeys(headers)
    taken: set[str] = set()
    for exact in (True, False):
        for heading in headers:
            if mapping[heading] is not None:
                continue
            found = heading.strip() if exact else _match(heading)
            if found in _BY_ID and found not in taken:
                mapping[heading] = found
                taken.add(found)
    return mapping


def mapping_key(headers: Iterable[str]) -> str:
    """A stable key of a spreadsheet layout: the same set of headings (in any order, any case,
    any spacing) gives the same key, so a confirmed mapping is found again on the next import."""
    names = sorted({" ".join(h.casefold().split()) for h in headers})
    digest = hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()
    return f"roster-v1:{digest[:32]}"


def column_letter(index: int) -> str:
    """The spreadsheet's name of the column at ``index`` (0 -> A, 26 -> AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def check_mapping(headers: Sequence[str], mapping: Mapping[str, str | None]) -> list[Problem]:
    """What makes ``mapping`` (heading -> field id, or ``None`` for a note) unusable with these
    headings: every problem at once, each with a fix. Headings absent from it are notes."""
    problems: list[Problem] = []
    seen: set[str] = set()
    for heading in headers:
        if heading in seen:
            problems.append(
                Problem(
                    heading,
                    "DUPLICATE_COLUMN",
                    f"two columns are headed '{heading}'.",
                    "give each column its own heading.",
                )
            )
        seen.add(heading)
    columns_of: dict[str, list[str]] = {}
    for heading, field_id in mapping.items():
        if heading not in seen:
            problems.append(
                Problem(
                    heading,
                    "UNKNOWN_COLUMN",
                    f"the file has no column headed '{heading}'.",
                    "choose the fields again for this file's columns.",
                )
            )
        elif field_id is not None and field_id not in _BY_ID:
            problems.append(
                Problem(
                    heading,
                    "UNKNOWN_FIELD",
                    f"'{field_id}' is not a field cocflow imports.",
                    "choose one of the listed fields, or keep the column as a note.",
                )
            )
        elif field_id is not None:
            columns_of.setdefault(field_id, []).append(heading)
    for field_id, columns in columns_of.items():
        if len(columns) > 1:
            label = _BY_ID[field_id].label
            problems.append(
                Problem(
                    columns[1],
                    "FIELD_TWICE",
                    f"{label} is chosen for {len(columns)} columns: "
                    + ", ".join(f"'{c}'" for c in columns)
                    + ".",
                    f"choose {label} for one column; keep the others as notes.",
                )
            )
    for field_id in REQUIRED_FIELDS:
        if field_id not in columns_of:
            f = _BY_ID[field_id]
            problems.append(
                Problem(
                    f.label,
                    "MISSING_FIELD",
                    f"no column is chosen for {f.label} ({f.help}).",
                    f"choose the column that holds {f.label}, or add one to the spreadsheet.",
                )
            )
    return problems


# --- Reading one cell ---------------------------------------------------------------------------


class CellError(ValueError):
    """A cell's value cannot be used: ``code``, a message (``str()``) and a ``fix`` for people."""

    def __init__(self, code: str, message: str, fix: str) -> None:
        super().__init__(message)
        self.code = code
        self.fix = fix


def _shown(value: str) -> str:
    return clip(value, 60)


_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_YEAR_LAST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d+)")
_DATE_FIX = (
    "write the date as YYYY-MM-DD (2027-03-31), or as day/month/year or month/day/year "
    "with a four-digit year."
)


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _words(day: date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def _plausible(day: date) -> date:
    try:
        return check_plausible(day)
    except ValueError as exc:
        raise CellError(
            "DATE_OUT_OF_RANGE",
            f"{exc}.",
            "check the year; for work with no end date, leave the cell blank.",
        ) from None


def parse_date(text: str, order: DateOrder | None) -> date:
    """The date a roster cell writes, or :class:`CellError`.

    ``YYYY-MM-DD`` (also with ``/`` or ``.``) is always read, whatever the order. A date that
    ends with the year (``/``, ``.`` or ``-`` between its parts) is read in ``order``; with no
    order chosen it is read when only one order makes it a real date (``18/02/2027``,
    ``02/18/2027``, ``03/03/2027``) and refused as ambiguous otherwise (``03/04/2027``). Two-digit
    years are refused: ``27`` could be 1927 or 2027."""
    value = text.strip()
    if m := _YEAR_FIRST.fullmatch(value):
        found = _day(int(m[1]), int(m[3]), int(m[4]))
        if found is None:
            raise CellError(
                "BAD_DATE", f"'{_shown(value)}' is not a real calendar date.", _DATE_FIX
            )
        return _plausible(found)
    m = _YEAR_LAST.fullmatch(value)
    if m is None:
        raise CellError("BAD_DATE", f"'{_shown(value)}' is not a date.", _DATE_FIX)
    first, second, year_text = int(m[1]), int(m[3]), m[4]
    if len(year_text) != 4:
        raise CellError(
            "TWO_DIGIT_YEAR" if len(year_text) == 2 else "BAD_DATE",
            f"'{_shown(value)}' does not give the year with four digits.",
            "write the year in full (2027, not 27).",
        )
    year = int(year_text)
    dmy, mdy = _day(year, second, first), _day(year, first, second)
    if order == "YMD":
        raise CellError(
            "DATE_ORDER_MISMATCH",
            f"'{_shown(value)}' ends with the year, but the date order chosen is year-month-day.",
            "choose the date order the file uses (day/month/year or month/day/year).",
        )
    if order is not None:
        chosen, other = (dmy, mdy) if order == "DMY" else (mdy, dmy)
        if chosen is not None:
            return _plausible(chosen)
        if other is not None:
            name = DATE_ORDERS[order].split(" (")[0]
            other_name = DATE_ORDERS["MDY" if order == "DMY" else "DMY"].split(" (")[0]
            raise CellError(
                "DATE_ORDER_MISMATCH",
                f"'{_shown(value)}' is not a real date in {name} order "
                f"(it would be {_words(other)} in {other_name} order).",
                "correct the date, or choose the date order the whole file uses.",
            )
        raise CellError("BAD_DATE", f"'{_shown(value)}' is not a real calendar date.", _DATE_FIX)
    if dmy is not None and mdy is not None and dmy != mdy:
        raise CellError(
            "AMBIGUOUS_DATE",
            f"'{_shown(value)}' could be {_words(dmy)} or {_words(mdy)}.",
            "choose the date order (day/month/year or month/day/year) once for the file.",
        )
    found = dmy or mdy
    if found is None:
        raise CellError("BAD_DATE", f"'{_shown(value)}' is not a real calendar date.", _DATE_FIX)
    return _plausible(found)


_SELF_EMPLOYED = (
    "self_employed",
    "self-employed",
    "self employment",
    "selfemployed",
    "freelancer",
    "freelance",
    "contractor",
    "independent contractor",
    "independent",
    "sole proprietor",
    "sole trader",
    "1099",
)
_EMPLOYEE = (
    "employee",
    "employed",
    "salaried",
    "posted",
    "posted worker",
    "seconded",
    "secondee",
    "W-2",
)
_KINDS: dict[str, WorkerKind] = {_fold(k): "self_employed" for k in _SELF_EMPLOYED}
_KINDS |= {_fold(k): "employee" for k in _EMPLOYEE}


def parse_kind(text: str) -> WorkerKind:
    """``self_employed`` or ``employee`` from the ways people write them, or :class:`CellError`."""
    found = _KINDS.get(_fold(text))
    if found is None:
        raise CellError(
            "BAD_KIND",
            f"'{_shown(text.strip())}' is not a kind of worker.",
            "write Self-employed or Employee (freelancer, contractor, posted and seconded "
            "are understood too).",
        )
    return found


_COUNTRY_ALIASES: dict[str, str] = {
    _fold(name): code
    for code, names in {
        "US": ("USA", "U.S.", "U.S.A.", "United States", "United States of America", "America"),
        "GB": (
            "UK",
            "U.K.",
            "Great Britain",
            "Britain",
            "England",
            "Scotland",
            "Wales",
            "Northern Ireland",
            "United Kingdom",
        ),
        "NL": ("Holland", "The Netherlands", "Netherlands", "Nederland"),
        # The U.S. agreement is with the Republic of Korea; no one works under it in the North.
        "KR": ("Korea", "South Korea", "Republic of Korea", "Korea, Republic of"),
        "CZ": ("Czechia", "Czech Republic", "Czech Rep.", "Česko", "Česká republika"),
        "SK": ("Slovakia", "Slovak Republic", "Slovensko"),
        "DE": ("Deutschland",),
        "AT": ("Österreich",),
        "CH": ("Schweiz", "Suisse", "Svizzera"),
        "ES": ("España",),
        "IT": ("Italia",),
        "BE": ("België", "Belgique"),
        "BR": ("Brasil",),
        "PL": ("Polska",),
        "SE": ("Sverige",),
        "NO": ("Norge",),
        "DK": ("Danmark",),
        "FI": ("Suomi",),
        "SI": ("Slovenija",),
        "IE": ("Éire",),
        "IS": ("Ísland",),
        "HU": ("Magyarország",),
    }.items()
    for name in names
}


@lru_cache(maxsize=1024)
def _normalize_country(text: str) -> str:
    """:func:`normalize_country`, remembered: a name is looked up once per import, not per row."""
    return normalize_country(text)


def parse_country(text: str) -> str:
    """The ISO 3166-1 alpha-2 code of a country as people write it ("UK", "Holland", "Korea",
    "U.S.", an ISO code or an English name), or :class:`CellError`."""
    code = _COUNTRY_ALIASES.get(_fold(text))
    if code is not None:
        return code
    try:
        return _normalize_country(text)
    except ValueError as exc:
        raise CellError(
            "BAD_COUNTRY", f"{exc}.", "write the country's English name or its ISO code (PT)."
        ) from None


def _countries(text: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    bad: list[str] = []
    for part in filter(None, (p.strip() for p in re.split(r"[;,/]", text))):
        try:
            found[parse_country(part)] = None
        except CellError:
            bad.append(part)
    if bad:
        raise CellError(
            "BAD_COUNTRY",
            ", ".join(f"'{_shown(b)}'" for b in bad) + " is not a country name or ISO code.",
            "write each country's English name or ISO code, separated by ; (US;IT).",
        )
    return tuple(found)


def _statements(text: str, known: Collection[str] | None) -> dict[str, bool]:
    """``id=yes;id=no`` as in the batch roster; every wrong part is named in one message."""
    result: dict[str, bool] = {}
    malformed: list[str] = []
    unknown: list[str] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        key, sep, value = part.partition("=")
        key = key.strip()
        answer = {"yes": True, "true": True, "no": False, "false": False}.get(value.strip().lower())
        if not sep or answer is None or not key:
            malformed.append(part)
        elif known is not None and key not in known:
            unknown.append(key)
        else:
            result[key] = answer
    if malformed:
        raise CellError(
            "BAD_STATEMENT",
            ", ".join(f"'{_shown(p)}'" for p in malformed) + " is not written as id=yes or id=no.",
            "separate statements with ';', e.g. private_health_insurance=yes.",
        )
    if unknown:
        raise CellError(
            "UNKNOWN_STATEMENT",
            ", ".join(f"'{_shown(k)}'" for k in unknown) + " is not a condition of any agreement.",
            f"use one of: {', '.join(sorted(known or ())) or '(none)'}.",
        )
    return result


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(text: str) -> str:
    if not _EMAIL.fullmatch(text):
        raise CellError(
            "BAD_EMAIL",
            f"'{_shown(text)}' is not an email address.",
            "write one address such as name@example.com, or leave the cell blank.",
        )
    return text


def _text(text: str) -> str:
    return " ".join(text.split())


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
