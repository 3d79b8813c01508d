"""The case file (contract section 1): parsing, validation and conversion to a :class:`Case`.

Every problem is reported with its path (``engagements[1].end``), what is wrong and how to
fix it, all at once, so a person can correct a file in one pass.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from cocflow import case as model
from cocflow.case import Case, Engagement, Residence
from cocflow.countries import is_subdivision, normalize_country
from cocflow.errors import InputError, Problem
from cocflow.io.inputs import MAX_CASE_BYTES, read_text_input
from cocflow.io.yamlio import DuplicateKeyError, TooLargeError, loads
from cocflow.isodate import IsoDate
from cocflow.text import control_character

__all__ = [
    "CaseFile",
    "case_data",
    "load_case",
    "parse_case",
    "parse_case_draft",
    "read_case",
    "write_case",
]

CASE_SUFFIXES = (".yaml", ".yml", ".json")
Country = Annotated[str, BeforeValidator(normalize_country)]


def _no_blank(value: str) -> str:
    """Text a person typed: not empty, and no control characters (see
    :func:`cocflow.filing.textnorm.control_character`)."""
    if not value.strip():
        raise ValueError("is empty")
    bad = control_character(value)
    if bad is not None:
        raise ValueError(f"contains a control character ({bad}): remove it")
    return value.strip()


Text = Annotated[str, AfterValidator(_no_blank)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=False)


class ResidenceRow(_Model):
    country: Country
    from_: IsoDate = Field(alias="from")
    to: IsoDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> ResidenceRow:
        if self.to is not None and self.to < self.from_:
            raise ValueError(f"'to' ({self.to}) is before 'from' ({self.from_})")
        return self


class Worker(_Model):
    kind: Literal["self_employed", "employee"]
    performer_or_entertainer: bool = False
    ship_or_aircraft_crew: bool = False
    citizenship: tuple[Country, ...] | None = None
    residence: tuple[ResidenceRow, ...] = Field(min_length=1)
    statements: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], bool] = Field(
        default_factory=dict
    )


class Address(_Model):
    line1: Text
    line2: Text | None = None
    city: Text
    region: Text | None = None
    postal_code: Text | None = None
    country: Country


class Employer(_Model):
    name: Text
    country: Country
    hired: IsoDate | None = None
    place_of_hire: Text | None = None
    address: Address | None = None
    host_address: Address | None = None


class Client(_Model):
    name: Text | None = None
    country: Country | None = None


class EngagementRow(_Model):
    country: Country
    region: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,3}$")] | None = None
    start: IsoDate
    end: IsoDate | None = None
    client: Client | None = None
    description: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> EngagementRow:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        if self.region is not None and not is_subdivision(self.country, self.region):
            raise ValueError(f"REGION:{self.country}-{self.region}")
        return self


class Person(_Model):
    full_legal_name: Text | None = None
    ssn: Text | None = None
    date_of_birth: IsoDate | None = None
    place_of_birth: Text | None = None
    email: Text | None = None
    phone: Text | None = None


class Business(_Model):
    legal_name: Text | None = None
    address: Address | None = None
    nature_of_activity: Text | None = None
    operating_since: IsoDate | None = None


class Record(_Model):
    kind: Literal["passport", "ssn_card", "contract", "business_registration", "lease", "other"]
    full_legal_name: Text | None = None
    ssn: Text | None = None
    date_of_birth: IsoDate | None = None
    place_of_birth: Text | None = None
    legal_name: Text | None = None
    address: Address | None = None
    nature_of_activity: Text | None = None
    client_name: Text | None = None
    country: Country | None = None
    start: IsoDate | None = None
    end: IsoDate | None = None
    description: Text | None = None


def _format_version(value: Any) -> Any:
    if isinstance(value, bool):  # YAML's true is not the version number 1
        raise ValueError(f"{value!r} is not a format version; write cocflow_case: 1")
    return value


class CaseFile(_Model):
    """A whole case file as written by the person."""

    cocflow_case: Annotated[Literal[1], BeforeValidator(_format_version)]
    label: Annotated[Text, Field(max_length=200)] | None = None  # how people name the case
    client_ref: Annotated[Text, Field(max_length=100)] | None = None  # the advisor's reference
    worker: Worker
    employer: Employer | None = None
    engagements: tuple[EngagementRow, ...] = Field(min_length=1)
    person: Person | None = None
    business: Business | None = None
    records: tuple[Record, ...] = ()
    extras: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], Text | bool] = Field(
        default_factory=dict
    )

    @model_validator(mode="after")
    def _employer_fits_kind(self) -> CaseFile:
        if self.worker.kind == "employee" and self.employer is None:
            raise ValueError("EMPLOYER_REQUIRED")
        if self.worker.kind == "self_employed" and self.employer is not None:
            raise ValueError("EMPLOYER_FOR_EMPLOYEES")
        return self

    def to_case(self) -> Case:
        """The case this file describes, in the one model the rest of cocflow reads."""
        w = self.worker
        return Case(
            worker=model.Worker(
                kind=w.kind,
                residence=tuple(Residence(r.country, r.from_, r.to) for r in w.residence),
                citizenship=w.citizenship or None,
                statements=dict(w.statements),
                performer_or_entertainer=w.performer_or_entertainer,
                ship_or_aircraft_crew=w.ship_or_aircraft_crew,
            ),
            engagements=tuple(
                Engagement(
                    country=e.country,
                    start=e.start,
                    end=e.end,
                    region=e.region,
                    client=model.Client(e.client.name, e.client.country) if e.client else None,
                    description=e.description,
                )
                for e in self.engagements
            ),
            employer=_model(model.Employer, self.employer),
            person=_model(model.Person, self.person),
            business=_model(model.Business, self.business),
            records=tuple(_record(r) for r in self.records),
            extras=dict(self.extras),
            label=self.label,
            client_ref=self.client_ref,
        )


class DraftWorker(Worker):
    """The worker of a case still being answered: nothing is required yet."""

    kind: Literal["self_employed", "employee"] | None = None  # type: ignore[assignment]
    residence: tuple[ResidenceRow, ...] = ()


class DraftEmployer(Employer):
    """The employer of a case still being answered: given one answer at a time."""

    name: Text | None = None  # type: ignore[assignment]
    country: Country | None = None  # type: ignore[assignment]


class DraftFile(CaseFile):
    """A case still being answered (the web interview's working copy): every value is checked
    as in a case file, but nothing is required yet."""

    worker: DraftWorker = Field(default_factory=DraftWorker)
    employer: DraftEmployer | None = None
    engagements: tuple[EngagementRow, ...] = ()

    @model_validator(mode="after")
    def _employer_fits_kind(self) -> DraftFile:  # a draft may lack the employer
        return self


def parse_case_draft(data: Any) -> Case:
    """The case in a working copy (see :class:`DraftFile`), or its problems."""
    if not isinstance(data, dict):
        data = {}
    try:
        return DraftFile.model_validate({"cocflow_case": 1, **data}).to_case()
    except ValidationError as exc:
        raise InputError([_problem(e) for e in exc.errors()]) from None


def _address(a: Address | None) -> model.Address | None:
    return model.Address(**a.model_dump()) if a is not None else None


M = TypeVar("M")


def _model(kind: type[M], row: BaseModel | None) -> M | None:
    """A section of the file as the model's value (addresses converted too)."""
    if row is None:
        return None
    values = {
        name: _address(value) if isinstance(value, Address) else value
        for name, value in ((n, getattr(row, n)) for n in type(row).model_fields)
    }
    return kind(**values)


def _record(r: Record) -> model.Record:
    record = _model(model.Record, r)
    assert record is not None
    return record


def case_data(case: Case, *, dates_as_text: bool = True) -> dict[str, Any]:
    """The case file (contract section 1) for ``case``, as data ready for JSON (or, with
    ``dates_as_text=False``, for YAML, which writes dates unquoted).

    Only what the case says is written, so a file read and written again keeps its facts."""

    def clean(value: Any) -> Any:
        if isinstance(value, date):
            return value.isoformat() if dates_as_text else value
        if isinstance(value, tuple | list):
            return [clean(v) for v in value]
        if isinstance(value, Mapping):
            return {k: clean(v) for k, v in value.items()}
        if is_dataclass(value):
            out = {}
            for f in fields(value):
                v = getattr(value, f.name)
                if v is None or v in ((), {}) or (v is False and f.name in _FLAGS):
                    continue
                out[f.name] = clean(v)
            if isinstance(value, model.Address):
                out = {k: out[k] for k in _ADDRESS_ORDER if k in out}
            return out
        return value

    data: dict[str, Any] = {"cocflow_case": 1}
    body = clean(case)
    worker = body.pop("worker", {})
    residence = worker.pop("residence", [])
    worker["residence"] = [
        {("from" if k == "start" else "to" if k == "end" else k): v for k, v in row.items()}
        for row in residence
    ]
    for key in ("label", "client_ref"):
        if key in body:
            data[key] = body.pop(key)
    data["worker"] = {k: worker[k] for k in _WORKER_ORDER if k in worker}
    for key in ("employer", "engagements", "person", "business", "records", "extras"):
        if key in body:
            data[key] = body.pop(key)
    return data


_FLAGS = frozenset({"performer_or_entertainer", "ship_or_aircraft_crew"})
_WORKER_ORDER = (
    "kind",
    "performer_or_entertainer",
    "ship_or_aircraft_crew",
    "citizenship",
    "residence",
    "statements",
)
_ADDRESS_ORDER = ("line1", "line2", "city", "region", "postal_code", "country")


# --- turning pydantic's errors into problems a person can act on -------------------------

_MODEL_MESSAGES: Mapping[str, tuple[str, str, str, str]] = {
    "EMPLOYER_REQUIRED": (
        "employer",
        "EMPLOYER_REQUIRED",
        "an employee's case needs the employer who pays the wages.",
        "add an employer block with name, country and hired, or set worker.kind: self_employed.",
    ),
    "EMPLOYER_FOR_EMPLOYEES": (
        "employer",
        "EMPLOYER_NOT_ALLOWED",
        "a self-employed case has no employer.",
        "remove the employer block (clients go under engagements[].client), "
        "or set worker.kind: employee.",
    ),
}


def _path(loc: Sequence[int | str]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def _suggest(given: str, choices: Sequence[str]) -> str:
    """ " (did you mean kind?)" for a near miss among ``choices``, or nothing."""
    import difflib  # only when a mistake is reported

    close = difflib.get_close_matches(given[:60], list(choices), n=1, cutoff=0.7)
    return f" (did you mean {close[0]}?)" if close else ""


def _allowed_keys(model: type[BaseModel]) -> str:
    return ", ".join(f.alias or name for name, f in model.model_fields.items())


def _model_at(loc: Sequence[int | str]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = CaseFile
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        fields = model.model_fields
        found = fields.get(str(part)) or next((f for f in fields.values() if f.alias == part), None)
        model = _inner_model(found.annotation) if found else None
    return model


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


SENSITIVE = frozenset({"ssn", "date_of_birth"})
OUT_OF_RANGE_FIX = (
    "check the year; for a stay or a residence that has no end, leave the end date out."
)


def _problem(err: Mapping[str, Any]) -> Problem:
    loc = tuple(err["loc"])
    kind = err["type"]
    path = _path(loc)
    msg = str(err.get("msg", "")).removeprefix("Value error, ")
    if loc and loc[-1] in SENSITIVE:
        # Never echo an SSN or a date of birth, not even a mistyped one.
        what = "a date written as YYYY-MM-DD" if loc[-1] == "date_of_birth" else "text"
        return Problem(
            path,
            "INVALID",
            f"the value is not valid here (expected {what}).",
            "correct it from the original document"
            + (', in quotes, written like "000-00-0000".' if loc[-1] == "ssn" else "."),
        )
    if msg.startswith("REGION:"):
        return Problem(
            f"{path}.region",
            "BAD_REGION",
            f"{msg[7:]} is not an ISO 3166-2 subdivision.",
            "use the code after the dash, e.g. QC for Quebec (CA-QC), or leave region out.",
        )
    if msg in _MODEL_MESSAGES:
        p, code, message, fix = _MODEL_MESSAGES[msg]
        return Problem(p, code, message, fix)
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = f" Allowed here: {_allowed_keys(parent)}." if parent else ""
        keys = _allowed_keys(parent).split(", ") if parent else []
        return Problem(
            path,
            "UNKNOWN_KEY",
            f"'{loc[-1]}' is not a known key{_suggest(str(loc[-1]), keys)}.",
            f"remove it or correct its spelling.{allowed}",
        )
    if kind == "missing":
        return Problem(path, "REQUIRED", "this field is required.", "add it to the case file.")
    if kind == "literal_error":
        expected = str(err.get("ctx", {}).get("expected", ""))
        given = err.get("input")
        shown = repr(given) if isinstance(given, str | int | float | bool) else "this value"
        choices = re.findall(r"'([^']*)'", expected)
        hint = _suggest(given, choices) if isinstance(given, str) else ""
        return Problem(
            path,
            "NOT_ALLOWED",
            f"{shown} is not allowed here{hint}.",
            f"use one of {expected}.",
        )
    if "outside the dates" in msg:
        return Problem(path, "DATE_OUT_OF_RANGE", msg + ".", OUT_OF_RANGE_FIX)
    if "date" in msg:
        return Problem(
            path, "BAD_DATE", msg + ".", "write the date as YYYY-MM-DD, e.g. 2027-01-15."
        )
    if "country" in msg or "ISO 3166" in msg:
        return Problem(
            path,
            "BAD_COUNTRY",
            msg + ".",
            "use an ISO 3166-1 alpha-2 code such as PT, or the English country name.",
        )
    if "before" in msg:
        return Problem(
            path,
            "DATES_OUT_OF_ORDER",
            msg + ".",
            "put the earlier date first, or correct the date that is wrong.",
        )
    if kind == "too_short":
        return Problem(path, "EMPTY_LIST", "at least one entry is required.", "add an entry.")
    if kind == "string_pattern_mismatch":
        pattern = err.get("ctx", {}).get("pattern", "")
        return Problem(
            path,
            "BAD_FORMAT",
            f"{err.get('input')!r} does not have the expected form.",
            f"use a value matching {pattern}.",
        )
    return Problem(
        path,
        "INVALID",
        msg + ".",
        "correct the value (see docs/case-file.md).",
    )


def parse_case(data: Any, source: str | None = None) -> CaseFile:
    """Validate a case document already parsed from YAML or JSON."""
    if not isinstance(data, dict):
        raise InputError(
            [
                Problem(
                    "",
                    "NOT_A_CASE",
                    "the file does not hold a case (a mapping).",
                    "start from one of the files in examples/.",
                )
            ],
            source,
        )
    try:
        return CaseFile.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(e) for e in exc.errors()]
        # A list whose items failed is also reported as too short: keep the item errors only.
        paths = [p.path for p in problems]
        problems = [
            p
            for p in problems
            if p.code != "EMPTY_LIST" or not any(q.startswith(p.path + "[") for q in paths)
        ]
        raise InputError(problems, source) from None


def _syntax_detail(exc: Exception) -> str:
    """Where a YAML or JSON file breaks, in words: line and column first."""
    problem_mark = getattr(exc, "problem_mark", None)
    if problem_mark is not None:  # PyYAML's MarkedYAMLError
        what = (getattr(exc, "problem", None) or "unexpected text").replace(
            "<stream end>", "the end of the file"
        )
        where = f"line {problem_mark.line + 1}, column {problem_mark.column + 1}: {what}"
        context, mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if context and mark is not None:
            where += f" ({context}, which starts on line {mark.line + 1})"
        return where
    if isinstance(exc, json.JSONDecodeError):
        return f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if isinstance(exc, RecursionError):
        return "the document is nested too deeply"
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def load_case(path: Path) -> CaseFile:
    """Read and validate a case file (``.yaml``, ``.yml`` or ``.json``)."""
    name = str(path)
    if path.suffix.lower() not in CASE_SUFFIXES:
        raise InputError(
            [
                Problem(
                    "",
                    "BAD_FILE_TYPE",
                    f"'{path.name}' is not a .yaml, .yml or .json file.",
                    "save the case as YAML or JSON.",
                )
            ],
            name,
        )
    text = read_text_input(path, "the case file", MAX_CASE_BYTES)
    kind = "JSON" if path.suffix.lower() == ".json" else "YAML"
    try:
        data = loads(text, path.suffix)
    except DuplicateKeyError as exc:
        where = f" on line {exc.line}" if exc.line else ""
        raise InputError(
            [
                Problem(
                    exc.key,
                    "DUPLICATE_KEY",
                    f"'{exc.key}' appears twice{where}.",
                    "keep one of the two.",
                )
            ],
            name,
        ) from None
    except TooLargeError as exc:
        raise InputError(
            [
                Problem(
                    "",
                    "TOO_LARGE",
                    f"{exc}.",
                    "write the values out instead of repeating them through aliases (&, *).",
                )
            ],
            name,
        ) from None
    except Exception as exc:  # JSON or YAML syntax, or a document nested too deeply
        detail = _syntax_detail(exc)
        raise InputError(
            [
                Problem(
                    "",
                    "NOT_PARSEABLE",
                    f"the file is not valid {kind} ({detail}).",
                    "fix the syntax (brackets, indentation, colons, quotes).",
                )
            ],
            name,
        ) from None
    return parse_case(data, name)


def read_case(path: Path) -> Case:
    """Read, validate and convert a case file (``.yaml``, ``.yml`` or ``.json``)."""
    return load_case(path).to_case()


def write_case(path: Path, case: Case, header: str = "") -> None:
    """Write ``case`` as a YAML case file at ``path`` (owner-only, all or nothing); ``header``
    is a comment put on top."""
    import yaml

    from cocflow.io.atomic import atomic_write

    data = case_data(case, dates_as_text=False)
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    atomic_write(path, (comment + text).encode(), 0o600)
