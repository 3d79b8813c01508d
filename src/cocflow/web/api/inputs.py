"""Reading what a request sends: the case id in the path, the query, the JSON body and the new
case's envelope. Each check here is the server's half of a promise the OpenAPI document makes
(the same patterns, enums and limits, from :mod:`cocflow.web.api.schemas`), so the document and
the server refuse the same requests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from cocflow.case import Case, missing
from cocflow.errors import InputError, Problem
from cocflow.io.casefile import parse_case, parse_case_draft
from cocflow.web.api.problems import SSN_SHAPED, ApiProblem
from cocflow.web.api.schemas import (
    CASE_ID_PATTERN,
    FREE_TEXT_PATTERN,
    MAX_CLIENT_NAME,
    MAX_CLIENT_REF,
)

__all__ = [
    "MAX_BODY_BYTES",
    "NewCase",
    "Query",
    "check_case_id",
    "new_case",
    "read_json",
    "read_query",
]

MAX_BODY_BYTES = 1024 * 1024  # a case file is a few kilobytes
_CASE_ID = re.compile(CASE_ID_PATTERN)
_FREE_TEXT = re.compile(FREE_TEXT_PATTERN)
# Problems that only say a fact is not given yet: such a case is kept as answers to complete.
_NOT_GIVEN_YET = frozenset({"REQUIRED", "EMPTY_LIST", "EMPLOYER_REQUIRED"})


@dataclass(frozen=True, slots=True)
class Query:
    """A query parameter an operation takes: its allowed values, or its longest length."""

    name: str
    description: str
    choices: tuple[str, ...] = ()
    max_length: int | None = None


def check_case_id(case_id: str) -> str:
    """The id when it has the form of one (16 lowercase hex digits); anything else is a case
    that does not exist (404, the id not echoed: it could be anything, an SSN among them)."""
    if not _CASE_ID.fullmatch(case_id):
        raise ApiProblem("unknown-case", "There is no case with this id that you can see.")
    return case_id


Found = list[tuple[Problem, str | None]]  # each problem, with its JSON Pointer into the body


def _at(
    pointer: str | None, path: str, code: str, message: str, fix: str
) -> tuple[Problem, str | None]:
    """A problem and where it is in the body (None: not in the body)."""
    return Problem(path, code, message, fix), pointer


def read_query(request: Request, allowed: Sequence[Query]) -> dict[str, str]:
    """The query as a mapping, each parameter given at most once and known to the operation."""
    by_name = {q.name: q for q in allowed}
    found: Found = []
    values: dict[str, str] = {}
    for name, value in request.query_params.multi_items():
        spec, shown = by_name.get(name), name[:40]
        if spec is None:
            known = ", ".join(by_name) or "none"
            found.append(
                _at(None, shown, "UNKNOWN_PARAMETER", "Not a parameter here.", f"use: {known}.")
            )
        elif name in values:
            found.append(_at(None, shown, "REPEATED_PARAMETER", "Given twice.", "give it once."))
        elif spec.choices and value not in spec.choices:
            choices = ", ".join(spec.choices)
            found.append(
                _at(None, shown, "NOT_ALLOWED", "Not one of the choices.", f"use {choices}.")
            )
        elif spec.max_length is not None and len(value) > spec.max_length:
            longest = f"Longer than {spec.max_length} characters."
            found.append(_at(None, shown, "TOO_LONG", longest, "shorten it."))
        values.setdefault(name, value)
    if found:
        raise ApiProblem.invalid(found)
    return values


async def read_json(request: Request, *, wanted: bool) -> Any:
    """The body, parsed: JSON only (415, checked before anything is read), at most 1 MiB (413),
    well formed (400). An operation that takes no body (``wanted`` False) accepts none, or an
    empty JSON object."""
    headers = request.headers
    declared = headers.get("content-length")
    sent = declared not in (None, "0") or "transfer-encoding" in headers
    if not wanted and not sent:
        return None
    media, _, params = headers.get("content-type", "").partition(";")
    charset = dict(_param(p) for p in params.split(";") if "=" in p).get("charset", "utf-8")
    if media.strip().lower() != "application/json" or charset.lower() != "utf-8":
        raise ApiProblem(
            "unsupported-media-type",
            "Send the body as JSON, with Content-Type: application/json.",
        )
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiProblem("content-too-large", "The body is larger than 1 MiB.")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise ApiProblem("content-too-large", "The body is larger than 1 MiB.")
    if not wanted and not raw:
        return None
    data = _parse(bytes(raw))
    if not wanted and data != {}:
        raise ApiProblem.invalid(
            [_at("", "", "NO_BODY_EXPECTED", "This operation takes no body.", "send none, or {}.")]
        )
    return data


def _param(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    return key.strip().lower(), value.strip().strip('"')


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError("a key appears twice in one object")
        out[key] = value
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(
            raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}: {exc.msg}"
    except UnicodeDecodeError:
        where = "it is not UTF-8"
    except RecursionError:
        where = "it is nested too deeply"
    except ValueError as exc:
        where = str(exc)
    raise ApiProblem("malformed-json", f"The body is not valid JSON ({where}).")


# --- POST /cases -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCase:
    case: Case
    client_ref: str | None
    client_name: str | None


def _pointer(path: str) -> str:
    """``/case/engagements/1/end`` for the case file path ``engagements[1].end``."""
    parts = [p for p in re.split(r"[.\[\]]+", path) if p]
    escaped = (p.replace("~", "~0").replace("/", "~1") for p in parts)
    return "/".join(["/case", *escaped])


def _text(data: Mapping[str, Any], key: str, limit: int, found: Found) -> str | None:
    """The text under ``key`` (None when absent or null), or None with its problem found."""
    value, at = data.get(key), f"/{key}"
    if value is None:
        return None
    if not isinstance(value, str):
        found.append(_at(at, key, "NOT_TEXT", "This must be text or null.", "send a string."))
    elif len(value) > limit:
        found.append(_at(at, key, "TOO_LONG", f"Longer than {limit} characters.", "shorten it."))
    elif not _FREE_TEXT.fullmatch(value):
        empty = "This is empty or holds a control character."
        found.append(_at(at, key, "BAD_TEXT", empty, "send one line of text, or null."))
    elif SSN_SHAPED.search(value):
        found.append((_ssn_shaped(key), at))
    else:
        return value.strip()
    return None


def new_case(data: Any) -> NewCase:
    """The body of ``POST /cases``: ``case`` (a case file as JSON), ``client_ref`` and
    ``client_name``. A case file that only lacks facts is read as answers to complete; any
    other problem is a 422 naming each path, with its pointer into the body."""
    if not isinstance(data, dict):
        raise ApiProblem.invalid(
            [_at("", "", "NOT_AN_OBJECT", "The body must be a JSON object.", 'send {"case": ...}.')]
        )
    found: Found = []
    for key in sorted(set(data) - {"case", "client_ref", "client_name"}):
        at = "/" + key.replace("~", "~0").replace("/", "~1")
        known = "use case, client_ref, client_name."
        found.append(_at(at, key[:40], "UNKNOWN_KEY", "Not a key of the body.", known))
    client_ref = _text(data, "client_ref", MAX_CLIENT_REF, found)
    client_name = _text(data, "client_name", MAX_CLIENT_NAME, found)
    if "case" not in data:
        found.append(_at("/case", "case", "REQUIRED", "The case file is missing.", "send it."))
    elif not isinstance(data["case"], dict):
        not_one = "The case must be a JSON object."
        found.append(_at("/case", "case", "NOT_A_CASE", not_one, "send the case file."))
    if found:
        raise ApiProblem.invalid(found)
    case = _case(data["case"])
    shown = [(k, v) for k, v in (("label", case.label), ("client_ref", case.client_ref)) if v]
    if any(SSN_SHAPED.search(v) for _, v in shown):
        raise ApiProblem.invalid(
            [(_ssn_shaped(k), f"/case/{k}") for k, v in shown if SSN_SHAPED.search(v)]
        )
    return NewCase(case, client_ref or case.client_ref, client_name)


def _ssn_shaped(key: str) -> Problem:
    """An SSN typed where a name or a reference goes: it would be stored and shown as it is,
    where an SSN is kept encrypted and shown masked. Refused, and never echoed."""
    return Problem(
        key,
        "LOOKS_LIKE_SSN",
        "This holds a number written like a Social Security number; it would be shown as "
        "it is, so it is refused.",
        "use another reference or name; the SSN goes in person.ssn only.",
    )


def _case(data: dict[str, Any]) -> Case:
    try:
        return parse_case(data).to_case()
    except InputError as complete:
        if not all(p.code in _NOT_GIVEN_YET for p in complete.problems):
            raise _located(complete) from None
        try:
            draft = parse_case_draft(data)
        except InputError as draft_problems:
            raise _located(draft_problems) from None
        if not missing(draft):  # not a fact screening needs: the case file's own rule
            raise _located(complete) from None
        return draft


def _located(error: InputError) -> ApiProblem:
    return ApiProblem.invalid([(p, _pointer(p.path)) for p in error.problems])
