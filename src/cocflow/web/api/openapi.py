"""The OpenAPI 3.1 document of ``/api/v1``, built as data from the table of operations
(:data:`cocflow.web.api.routes.OPERATIONS`) and the schemas (:mod:`cocflow.web.api.schemas`):
what the router serves and what the document says cannot drift apart.

Each operation lists every answer it can give: its success, and each refusal as a problem
(RFC 9457) under the status it has. The bearer scheme (a personal access token) guards every
operation but the document itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cocflow.web.api.problems import KINDS, MEDIA_TYPE, PROBLEM_BASE
from cocflow.web.api.routes import Operation
from cocflow.web.api.schemas import CASE_ID_PATTERN, COMPONENTS, MAX_QUERY_TEXT, ref

__all__ = ["API_VERSION", "openapi_document"]

API_VERSION = "1.0.0"
DESCRIPTION = f"""\
The team's casework for scripts and other tools: the board, cases, the pre-submit check, the
request and its sign-off, and the proof file.

Every operation but this document needs `Authorization: Bearer <personal access token>` (a
token made on the team's pages, `cfpat_...`); it acts as its member, with that member's role.
Request bodies are JSON (`application/json`), at most 1 MiB. Every error is a problem
(RFC 9457, `{MEDIA_TYPE}`) whose `type` is one of the identifiers under {PROBLEM_BASE}
(listed in docs/api.md). A full SSN is never sent back: it is masked (`XXX-XX-1234`).
"""


def _problem(status: int, slugs: Sequence[str]) -> dict[str, Any]:
    titles = "; ".join(f"{KINDS[s].title} ({s}): {KINDS[s].about}" for s in slugs)
    response: dict[str, Any] = {
        "description": titles,
        "content": {MEDIA_TYPE: {"schema": ref("Problem")}},
    }
    if status == 401:
        response["headers"] = {
            "WWW-Authenticate": {
                "description": 'Bearer realm="cocflow" (with error="invalid_token" for a '
                "token that does not work).",
                "required": True,
                "schema": {"type": "string"},
            }
        }
    return response


def _refusals(operation: Operation) -> list[str]:
    """The problem kinds the operation can answer: its own, and those every operation of its
    kind shares (401 with a token, 400/413/415 with a request that may carry a body, 422 for
    a query parameter it does not take)."""
    slugs = list(operation.refusals)
    if operation.secured:
        slugs.append("unauthorized")
    if operation.method in {"POST", "PUT", "PATCH"}:
        slugs += ["malformed-json", "content-too-large", "unsupported-media-type"]
    slugs.append("invalid-input")  # a query parameter the operation does not take, at least
    slugs.append("internal-error")
    return list(dict.fromkeys(slugs))


def _operation(operation: Operation) -> dict[str, Any]:
    success: dict[str, Any] = {
        "description": operation.summary,
        "content": {"application/json": {"schema": ref(operation.response)}},
    }
    if operation.location:
        success["headers"] = {
            "Location": {
                "description": "The new case's address.",
                "required": True,
                "schema": {"type": "string"},
            }
        }
    responses: dict[str, Any] = {str(operation.success): success}
    by_status: dict[int, list[str]] = {}
    for slug in _refusals(operation):
        by_status.setdefault(KINDS[slug].status, []).append(slug)
    for status in sorted(by_status):
        responses[str(status)] = _problem(status, by_status[status])
    out: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "responses": responses,
    }
    if operation.description:
        out["description"] = operation.description
    parameters = [
        {
            "name": q.name,
            "in": "query",
            "required": False,
            "description": q.description,
            "schema": {"type": "string", "enum": list(q.choices)}
            if q.choices
            else {"type": "string", "maxLength": q.max_length or MAX_QUERY_TEXT},
        }
        for q in operation.query
    ]
    if parameters:
        out["parameters"] = parameters
    if operation.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(operation.body)}},
        }
    out["security"] = [{"bearerAuth": []}] if operation.secured else []
    return out


CASE_ID_PARAMETER = {
    "name": "case_id",
    "in": "path",
    "required": True,
    "description": "The case's id: 16 lowercase hexadecimal digits (anything else: 404).",
    "schema": {"type": "string", "pattern": CASE_ID_PATTERN},
}


def openapi_document(operations: Sequence[Operation], root: str = "/api/v1") -> dict[str, Any]:
    """The document for the API mounted at ``root``."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        item = paths.setdefault(operation.path, {})
        if "{case_id}" in operation.path:
            item["parameters"] = [CASE_ID_PARAMETER]
        item[operation.method.lower()] = _operation(operation)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "cocflow team API",
            "version": API_VERSION,
            "description": DESCRIPTION,
        },
        "servers": [{"url": root or "/"}],
        "paths": paths,
        "components": {
            "schemas": COMPONENTS,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal access token (cfpat_...), made on the team's "
                    "pages; it acts with its member's role.",
                }
            },
        },
        "security": [{"bearerAuth": []}],
    }
