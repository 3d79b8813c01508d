"""The ASGI application of the team's JSON API, to be mounted at ``/api/v1``.

A request passes: the last-resort layer (any failure a 500 problem); the router (an unknown
address 404, a method an address does not take 405, both as problems); then the operation's
endpoint: the bearer token (401), the case id's form (404), the query (422), the body (415,
413, 400), and the handler in a worker thread. Whatever it raises becomes a problem in
:func:`cocflow.web.api.problems.handle`.

There is no cookie session and so no cross-site forgery to guard against: a browser never sends
the token by itself. Every request carries ``Authorization: Bearer <personal access token>``.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from cocflow.services.access import Actor
from cocflow.services.accounts import Accounts
from cocflow.services.team import Desk
from cocflow.web.api import inputs
from cocflow.web.api.handlers import Api, Call
from cocflow.web.api.openapi import openapi_document
from cocflow.web.api.problems import WWW_AUTHENTICATE, ApiProblem, LastResort, handle
from cocflow.web.api.routes import OPERATIONS, Operation

__all__ = ["ApiMount", "build_api"]

MAX_TOKEN = 200  # a token is 6 + 43 characters; a longer value is not one


async def _actor(request: Request, accounts: Accounts) -> Actor:
    """The member of the request's personal access token, or a 401 that says how to send one."""
    header = request.headers.get("authorization", "")
    scheme, _, secret = header.strip().partition(" ")
    secret = secret.strip()
    if not header:
        raise ApiProblem(
            "unauthorized",
            "Send a personal access token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": WWW_AUTHENTICATE},
        )
    actor = None
    if scheme.lower() == "bearer" and 0 < len(secret) <= MAX_TOKEN and secret.isascii():
        actor = await run_in_threadpool(accounts.token_actor, secret)
    if actor is None:
        raise ApiProblem(
            "unauthorized",
            "This token does not work: it is unknown, expired or withdrawn, or its member "
            "left the organisation. Make a new one on the team's pages.",
            headers={"WWW-Authenticate": f'{WWW_AUTHENTICATE}, error="invalid_token"'},
        )
    return actor


def _endpoint(api: Api, operation: Operation) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one operation: the checks in the order the module says, then its
    handler in a worker thread (the services are synchronous); any exception, a problem."""

    async def endpoint(request: Request) -> Response:
        try:
            actor = await _actor(request, api.accounts) if operation.secured else None
            case_id = request.path_params.get("case_id", "")
            if "{case_id}" in operation.path:
                inputs.check_case_id(case_id)
            query = inputs.read_query(request, operation.query)
            body = None
            if operation.method != "GET":
                body = await inputs.read_json(request, wanted=operation.body is not None)
            call = Call(api, actor, case_id, query, body, request.scope.get("root_path", ""))
            reply = await run_in_threadpool(operation.handler, call)
        except Exception as exc:
            return handle(request, exc)
        return JSONResponse(reply.body, reply.status, headers=dict(reply.headers))

    return endpoint


def _http_problem(request: Request, exc: Exception) -> Response:
    """Starlette's router refusals (404, 405) through the same handler."""
    return handle(request, exc)


def build_api(desk: Desk, accounts: Accounts, *, today: Callable[[], date]) -> Starlette:
    """The API for ``desk``'s store, acting through ``accounts``' personal access tokens.

    Mount it at ``/api/v1``: ``ApiMount("/api/v1", app=build_api(...))``; the document's server
    address follows wherever it is mounted. ``today`` gives the day that screening, the board's
    flags and the pre-submit check count from (a clock the tests set)."""
    documents: dict[str, dict[str, Any]] = {}

    def document(root: str) -> dict[str, Any]:
        if root not in documents:
            documents[root] = openapi_document(OPERATIONS, root)
        return documents[root]

    api = Api(desk, accounts, today, document)
    by_path: dict[str, dict[str, Operation]] = {}
    for op in OPERATIONS:
        by_path.setdefault(op.path, {})[op.method] = op
    routes = [
        Route(path, _dispatch(api, methods), methods=list(methods), name=path)
        for path, methods in by_path.items()
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(LastResort)],
        exception_handlers={HTTPException: _http_problem},
    )


def _dispatch(api: Api, methods: dict[str, Operation]) -> Callable[[Request], Awaitable[Response]]:
    """One endpoint for an address: the operation of the request's method (HEAD as GET)."""
    endpoints = {method: _endpoint(api, op) for method, op in methods.items()}

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return endpoint


class ApiMount(Mount):
    """``Mount`` for the API: it also matches a path holding a line break (``%0A``), which
    Starlette's own Mount lets fall through to the outer app (its pattern's ``.`` stops at a
    newline), so that every path under the prefix is answered by the API, as a problem.

    Use it as ``ApiMount("/api/v1", app=build_api(...))``."""

    def __init__(self, path: str, app: Any, name: str | None = None) -> None:
        super().__init__(path, app=app, name=name)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)
