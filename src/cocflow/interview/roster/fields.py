"""The fields a roster column can hold, the suggested mapping of headings to fields, and
the checks of a mapping."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from cocflow.errors import Problem

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
