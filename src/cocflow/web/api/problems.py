"""The API's one error shape: problem details (RFC 9457, ``application/problem+json``).

Every refusal and every failure of ``/api/v1`` leaves through :func:`problem_response`, called
from one place (:func:`handle`), so a client reads one shape whatever went wrong:

    {"type": "https://cocflow.example/problems/unknown-case", "title": "No such case",
     "status": 404, "detail": "There is no case with this id that you can see."}

``type`` is a stable identifier (a URI under :data:`PROBLEM_BASE`, described in docs/api.md; it
is not fetched). Input errors add ``errors``: one ``{path, pointer?, code, message, fix}`` per
problem, as the command line reports them. An unexpected failure answers 500 with a correlation
id only; the exception is logged on the server with that id. No answer ever carries a traceback,
SQL, a file path or a full SSN (any SSN-shaped number left in a message is masked).
"""

from __future__ import annotations

import http
import logging
import re
import secrets
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cocflow.errors import InputError, Problem
from cocflow.filing.ssn import mask
from cocflow.services.access import Denied, NotFound
from cocflow.services.signoff import NotApproved

__all__ = [
    "KINDS",
    "MEDIA_TYPE",
    "PROBLEM_BASE",
    "SSN_SHAPED",
    "WWW_AUTHENTICATE",
    "ApiProblem",
    "Kind",
    "LastResort",
    "error_item",
    "handle",
    "problem_response",
]

PROBLEM_BASE = "https://cocflow.example/problems/"
MEDIA_TYPE = "application/problem+json"
WWW_AUTHENTICATE = 'Bearer realm="cocflow"'
logger = logging.getLogger("cocflow.web.api")

SSN_SHAPED = re.compile(r"(?<![\dA-Za-z])\d{3}[- ]?\d{2}[- ]?\d{4}(?![\dA-Za-z])")
"""A number written like an SSN (123-45-6789, 123 45 6789, 123456789) on its own."""


@dataclass(frozen=True, slots=True)
class Kind:
    """One kind of problem: its ``type`` slug, HTTP status and fixed title."""

    slug: str
    status: int
    title: str
    about: str  # when it happens (docs/api.md and the OpenAPI document say it too)

    @property
    def type(self) -> str:
        return PROBLEM_BASE + self.slug


KINDS: Mapping[str, Kind] = {
    k.slug: k
    for k in (
        Kind("malformed-json", 400, "The body is not JSON", "The body could not be read as JSON."),
        Kind(
            "unauthorized",
            401,
            "Authentication required",
            "No personal access token, or one that is unknown, expired or withdrawn.",
        ),
        Kind("forbidden", 403, "Not allowed", "Your role does not allow this operation."),
        Kind(
            "own-request",
            403,
            "Another member must approve",
            "You prepared this request; a reviewer who did not prepare it approves it.",
        ),
        Kind(
            "unknown-case",
            404,
            "No such case",
            "No case with this id exists for you (another organisation's case, a case not "
            "assigned to you, or a malformed id all answer the same).",
        ),
        Kind("not-found", 404, "No such address", "The address is not an operation of the API."),
        Kind(
            "method-not-allowed",
            405,
            "Method not allowed",
            "The address does not take this method; Allow lists those it takes.",
        ),
        Kind(
            "case-incomplete",
            409,
            "The case is not complete",
            "The case still lacks facts screening needs: nothing to check yet.",
        ),
        Kind(
            "no-request",
            409,
            "No request to approve",
            "The case has no prepared request: prepare it first.",
        ),
        Kind(
            "reference-taken",
            409,
            "This client reference is taken",
            "Another case of the organisation has this client reference; each has its own.",
        ),
        Kind(
            "not-approved",
            409,
            "The request is not approved",
            "The request must be approved by a reviewer (again, if the facts changed) first.",
        ),
        Kind("content-too-large", 413, "The body is too large", "Bodies are limited to 1 MiB."),
        Kind(
            "unsupported-media-type",
            415,
            "Send JSON",
            "Request bodies must be application/json (UTF-8).",
        ),
        Kind(
            "invalid-input",
            422,
            "The input is not valid",
            "The body or the query breaks a rule; errors lists each problem.",
        ),
        Kind(
            "not-ready",
            422,
            "The request cannot be prepared",
            "The pre-submit check finds an error (listed in errors) or the case is incomplete.",
        ),
        Kind(
            "internal-error",
            500,
            "Unexpected failure",
            "Something failed on the server; the correlation id finds it in the server's log.",
        ),
    )
}


def _safe(text: str) -> str:
    """``text`` with any SSN-shaped number masked (defence in depth: services never put one
    in a message, and this keeps it so if one ever does)."""
    return SSN_SHAPED.sub(lambda m: mask(m.group()), text)


def error_item(problem: Problem, pointer: str | None = None) -> dict[str, str]:
    """One entry of ``errors``: the problem as the CLI reports it, and where it is in the
    request body (a JSON Pointer) when that is known."""
    item = {
        "path": _safe(problem.path),
        "code": problem.code,
        "message": _safe(problem.message),
        "fix": _safe(problem.fix),
    }
    if pointer is not None:
        item["pointer"] = pointer
    return item


class ApiProblem(Exception):
    """A refusal the API itself decides (401, 404 for a malformed id, 415, ...): raised from
    anywhere in a request, turned into its response by :func:`handle`."""

    def __init__(
        self,
        slug: str,
        detail: str,
        *,
        errors: Sequence[dict[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.kind = KINDS[slug]
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})

    @classmethod
    def invalid(cls, problems: Sequence[tuple[Problem, str | None]]) -> ApiProblem:
        """A 422 for ``problems``, each with its JSON Pointer into the body (or None)."""
        return cls(
            "invalid-input",
            _count(len(problems)),
            errors=[error_item(p, pointer) for p, pointer in problems],
        )


def _count(n: int) -> str:
    return "There is 1 problem with the input." if n == 1 else f"There are {n} problems."


def problem_response(
    kind: Kind,
    detail: str,
    *,
    errors: Sequence[dict[str, str]] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """The ``application/problem+json`` answer of ``kind`` (``extra`` adds members)."""
    body: dict[str, Any] = {
        "type": kind.type,
        "title": kind.title,
        "status": kind.status,
        "detail": _safe(detail),
    }
    if errors:
        body["errors"] = list(errors)
    body.update(extra or {})
    return JSONResponse(body, kind.status, headers=dict(headers or {}), media_type=MEDIA_TYPE)


def handle(request: Request | None, exc: BaseException) -> Response:
    """The one handler: every exception of a request becomes its problem response."""
    if isinstance(exc, ApiProblem):
        return problem_response(exc.kind, exc.detail, errors=exc.errors, headers=exc.headers)
    if isinstance(exc, HTTPException):
        return _http(exc)
    if isinstance(exc, NotFound):
        return problem_response(
            KINDS["unknown-case"], "There is no case with this id that you can see."
        )
    if isinstance(exc, Denied):
        return problem_response(KINDS["forbidden"], str(exc))
    if isinstance(exc, NotApproved):
        return problem_response(KINDS["not-approved"], str(exc))
    if isinstance(exc, InputError):
        return problem_response(
            KINDS["invalid-input"],
            _count(len(exc.problems)),
            errors=[error_item(p) for p in exc.problems],
        )
    correlation = secrets.token_hex(8)
    where = f"{request.method} {request.url.path}" if request is not None else "a request"
    # The traceback is logged as text with any SSN-shaped number masked: an exception's
    # message may quote a value, and the log is kept longer than the answer.
    trace = _safe("".join(traceback.format_exception(exc)))
    logger.error("API failure %s on %s\n%s", correlation, where, trace)
    return problem_response(
        KINDS["internal-error"],
        "The server failed to answer. Nothing is shown of why; quote the correlation id to "
        "whoever runs the server, whose log has the details.",
        extra={"correlation_id": correlation},
    )


def _http(exc: HTTPException) -> Response:
    """Starlette's own refusals (an unknown address, a method an address does not take)."""
    headers = dict(exc.headers or {})
    if exc.status_code == 404:
        return problem_response(KINDS["not-found"], "There is no such operation in the API.")
    if exc.status_code == 405:
        return problem_response(
            KINDS["method-not-allowed"],
            "This address does not take this method.",
            headers={"Allow": ", ".join(sorted(headers.get("Allow", "").split(", ")))},
        )
    status = http.HTTPStatus(exc.status_code)
    kind = Kind(status.phrase.lower().replace(" ", "-"), status.value, status.phrase, "")
    return problem_response(kind, status.description or status.phrase, headers=headers)


class LastResort:
    """The outermost layer: anything that escaped the handlers (a failure in the handling
    itself) still answers a 500 problem, never a traceback, and is logged with its id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as exc:
            if started:  # too late to answer: logged (masked), and the server closes the connection
                handle(Request(scope), exc)
                return
            await handle(Request(scope), exc)(scope, receive, send)
