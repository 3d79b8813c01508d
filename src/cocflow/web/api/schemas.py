"""The JSON Schemas (OpenAPI 3.1, i.e. JSON Schema 2020-12) of what the API takes and answers.

They are data, kept next to the code that produces the values, and checked against real answers
by the Schemathesis test: a schema that promises more or less than the API does fails there.
Objects the API answers leave ``additionalProperties`` open (fields are only ever added); the
request bodies forbid unknown keys, and the server refuses them too.
"""

from __future__ import annotations

import re
from typing import Any

from cocflow.web.api.problems import PROBLEM_BASE

__all__ = [
    "CASE_ID_PATTERN",
    "COMPONENTS",
    "FREE_TEXT_PATTERN",
    "MAX_CLIENT_NAME",
    "MAX_CLIENT_REF",
    "MAX_QUERY_TEXT",
    "OUTCOMES",
    "ref",
]

Schema = dict[str, Any]

CASE_ID_PATTERN = "^[0-9a-f]{16}$"
# One line of text a person typed: no control characters, and not only spaces.
FREE_TEXT_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
MAX_CLIENT_REF = 100
MAX_CLIENT_NAME = 200
MAX_QUERY_TEXT = 200
OUTCOMES = ("go", "no_go", "pause", "not_needed", "incomplete")


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _object(required: dict[str, Schema], optional: dict[str, Schema] | None = None) -> Schema:
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
    }


def _nullable(schema: Schema) -> Schema:
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        out = {**schema, "type": [*kinds, "null"]}
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
        return out
    return {"oneOf": [schema, {"type": "null"}]}


STRING: Schema = {"type": "string"}
DATE: Schema = {"type": "string", "format": "date"}
STAMP: Schema = {"type": "string", "format": "date-time"}
BOOLEAN: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STRING}
CASE_ID: Schema = {"type": "string", "pattern": CASE_ID_PATTERN}

_REASON = _object(
    {
        "code": STRING,
        "text": STRING,
        "sources": STRINGS,
        "severity": {"type": "string", "enum": ["decisive", "warning", "info"]},
    }
)
_SEGMENT_DOCUMENT = _object(
    {
        "kind": STRING,
        "issuer": {"type": "string", "enum": ["us", "foreign"]},
        "name": STRING,
        "requested_by": STRING,
        "yearly_step": _nullable(STRING),
        "sources": STRINGS,
    }
)
_SEGMENT = _object(
    {
        "country": STRING,
        "start": DATE,
        "end": _nullable(DATE),
        "agreement_country": BOOLEAN,
        "agreement_in_force": BOOLEAN,
        "coverage": {"type": "string", "enum": ["us", "foreign", "dual_risk", "undetermined"]},
        "certificate": {"type": "string", "enum": ["us", "foreign", "none", "undetermined"]},
        "reasons": {"type": "array", "items": ref("Reason")},
        "agreement": _nullable(STRING),
        "limit_last_day": _nullable(DATE),
        "limit_from": _nullable(DATE),
        "document": {"oneOf": [ref("SegmentDocument"), {"type": "null"}]},
    }
)
_DECISION = {
    **_object(
        {
            "cocflow_decision": {"type": "integer", "const": 1},
            "as_of": DATE,
            "outcome": {"type": "string", "enum": ["go", "no_go", "pause", "not_needed"]},
            "checks": _object(
                {
                    "country_covered": _nullable(BOOLEAN),
                    "us_coverage_assigned": _nullable(BOOLEAN),
                    "request_now": BOOLEAN,
                }
            ),
            "segments": {"type": "array", "items": ref("Segment")},
            "reasons": {"type": "array", "items": ref("Reason")},
            "next_actions": STRINGS,
            "missing_facts": STRINGS,
            "go_if": STRINGS,
            "file_by": _nullable(DATE),
            "rules_version": STRING,
        }
    ),
    "description": "The screening decision exactly as `cocflow screen --json` writes it "
    "(docs/screening.md): a contract outside checks depend on.",
}
_DECISION_OR_NULL = {"oneOf": [ref("Decision"), {"type": "null"}]}

_BOARD_ROW = _object(
    {
        "id": CASE_ID,
        "reference": STRING,
        "client": STRING,
        "label": STRING,
        "outcome": {"type": "string", "enum": list(OUTCOMES)},
        "file_by": _nullable(DATE),
        "next_step": STRING,
        "flag": {"type": ["string", "null"], "enum": ["overdue", "due_soon", None]},
        "assignee": STRING,
        "sign_off": {"type": "string", "enum": ["none", "waiting", "approved", "void"]},
    }
)
_CASE = _object(
    {
        "id": CASE_ID,
        "client_ref": _nullable(STRING),
        "client_name": _nullable(STRING),
        "outcome": {"type": "string", "enum": list(OUTCOMES)},
        "title": STRING,
        "created_at": STAMP,
        "updated_at": STAMP,
        "ssn": {
            "type": ["string", "null"],
            "pattern": "^XXX-XX-[0-9X]{4}$",
            "description": "The SSN masked (last four digits); the full number is never sent.",
        },
        "facts": {
            "type": "object",
            "description": "The case file as stored, without the SSN (masked) and the date of "
            "birth ('(on file)').",
        },
        "decision": _DECISION_OR_NULL,
    }
)
_NEW_CASE = {
    "type": "object",
    "required": ["case"],
    "additionalProperties": False,
    "properties": {
        "case": {
            "type": "object",
            "description": "A case file as JSON (docs/case-file.md). A case that lacks facts "
            "screening needs is stored as answers to complete, with no decision yet.",
            "example": {
                "cocflow_case": 1,
                "worker": {
                    "kind": "self_employed",
                    "residence": [{"country": "US", "from": "2015-01-01"}],
                },
                "engagements": [{"country": "GB", "start": "2027-03-01", "end": "2027-06-30"}],
            },
        },
        "client_ref": {
            "type": ["string", "null"],
            "maxLength": MAX_CLIENT_REF,
            "pattern": FREE_TEXT_PATTERN,
            "description": "Your reference for the client (default: the case file's client_ref).",
        },
        "client_name": {
            "type": ["string", "null"],
            "maxLength": MAX_CLIENT_NAME,
            "pattern": FREE_TEXT_PATTERN,
        },
    },
}
_MISSING_FACT = _object({"path": STRING, "what": STRING})
_CREATED = _object(
    {
        "id": CASE_ID,
        "outcome": {"type": "string", "enum": list(OUTCOMES)},
        "decision": _DECISION_OR_NULL,
        "missing_facts": {"type": "array", "items": ref("MissingFact")},
    }
)
_FINDING = _object(
    {
        "path": STRING,
        "code": STRING,
        "severity": {"type": "string", "enum": ["error", "warning"]},
        "message": STRING,
        "fix": STRING,
    }
)
_EVENT = _object(
    {
        "seq": {"type": "integer", "minimum": 1},
        "kind": STRING,
        "at": STAMP,
        "payload": {
            "type": "object",
            "description": "The entry's data; `by` names the member who recorded it.",
        },
        "prev_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    }
)
_MEMBER = _object({"id": STRING, "name": STRING})
_SIGN_OFF = _object(
    {
        "state": {"type": "string", "enum": ["none", "waiting", "approved", "void"]},
        "request_json_mac": _nullable(STRING),
        "preparer": {"oneOf": [ref("Member"), {"type": "null"}]},
        "reviewer": {"oneOf": [ref("Member"), {"type": "null"}]},
        "why": _nullable(STRING),
    }
)
_RECORDED = _object({"entry": ref("Event"), "sign_off": ref("SignOff")})
_VERIFICATION = _object(
    {
        "ok": BOOLEAN,
        "entry": {"type": ["integer", "null"]},
        "problem": _nullable(STRING),
    }
)
_PROBLEM_ERROR = _object(
    {"path": STRING, "code": STRING, "message": STRING, "fix": STRING},
    {"pointer": {"type": "string", "description": "JSON Pointer into the request body."}},
)
_PROBLEM = {
    **_object(
        {
            "type": {"type": "string", "format": "uri", "pattern": "^" + re.escape(PROBLEM_BASE)},
            "title": STRING,
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": STRING,
        },
        {
            "errors": {"type": "array", "items": ref("ProblemError")},
            "correlation_id": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
        },
    ),
    "description": "Problem details (RFC 9457).",
}

COMPONENTS: dict[str, Schema] = {
    "Reason": _REASON,
    "SegmentDocument": _SEGMENT_DOCUMENT,
    "Segment": _SEGMENT,
    "Decision": _DECISION,
    "BoardRow": _BOARD_ROW,
    "CaseList": _object({"cases": {"type": "array", "items": ref("BoardRow")}}),
    "Case": _CASE,
    "NewCase": _NEW_CASE,
    "MissingFact": _MISSING_FACT,
    "Created": _CREATED,
    "Finding": _FINDING,
    "CheckReport": _object(
        {"ready": BOOLEAN, "findings": {"type": "array", "items": ref("Finding")}}
    ),
    "Event": _EVENT,
    "EventList": _object({"events": {"type": "array", "items": ref("Event")}}),
    "Member": _MEMBER,
    "SignOff": _SIGN_OFF,
    "Recorded": _RECORDED,
    "Verification": _VERIFICATION,
    "ProblemError": _PROBLEM_ERROR,
    "Problem": _PROBLEM,
    "OpenApi": {"type": "object", "description": "This document."},
}
"""Every schema of the document, by its name under ``#/components/schemas``."""
