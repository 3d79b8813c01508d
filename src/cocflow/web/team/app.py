"""The team server's ASGI app: the security layers, the team gate, the team's pages and the
case pages, and the API mounted at ``/api/v1`` (bearer tokens: no cookie, no form token)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from cocflow.io.settings import Settings
from cocflow.services.access import Denied, NotFound
from cocflow.services.accounts import Accounts
from cocflow.services.board import catch_up
from cocflow.services.cases import Casework, open_casework
from cocflow.services.screening import rules_for
from cocflow.services.signoff import NotApproved
from cocflow.services.team import Desk
from cocflow.store.team import TeamStore
from cocflow.web.api.app import ApiMount, build_api
from cocflow.web.csrf import CsrfCheck
from cocflow.web.errors import error_handlers
from cocflow.web.headers import SecurityHeaders
from cocflow.web.hosts import HostCheck
from cocflow.web.render import STATIC, Pages
from cocflow.web.routes import all_routes
from cocflow.web.team.gate import TeamGate

__all__ = ["API_PREFIX", "accounts_of", "create_team_app", "desk_of"]

API_PREFIX = "/api/v1"
FORM_ALLOWANCE_MB = 1
_opening = threading.Lock()


class _Team:
    """The store, opened on first use and shared by every request."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime]) -> None:
        self.settings, self.clock = settings, clock
        self.work: Casework | None = None
        self.desk: Desk | None = None
        self.accounts: Accounts | None = None

    def open(self) -> None:
        with _opening:
            if self.work is None:
                work = open_casework(self.settings, rules_for(self.settings))
                team = TeamStore(work.store.engine, work.store.keys)
                self.desk = Desk(work, team)
                self.accounts = Accounts(team, clock=self.clock)
                self.work = work

    def close(self) -> None:
        """Release the database connections (when the server stops)."""
        with _opening:
            if self.work is not None:
                self.work.close()
                self.work = self.desk = self.accounts = None

    def get_desk(self) -> Desk:
        self.open()
        assert self.desk is not None
        return self.desk

    def get_accounts(self) -> Accounts:
        self.open()
        assert self.accounts is not None
        return self.accounts


def desk_of(request: Request) -> Desk:
    team: _Team = request.app.state.team
    return team.get_desk()


def accounts_of(request: Request) -> Accounts:
    team: _Team = request.app.state.team
    return team.get_accounts()


def create_team_app(
    settings: Settings,
    *,
    allowed_hosts: Iterable[str],
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The team server. ``app.state`` holds ``settings``, ``pages`` and ``team`` (the store,
    opened on first use); ``app.state.work`` is the shared Casework the case pages use."""
    from cocflow.web.team.routes import team_routes

    pages = Pages()
    team = _Team(settings, clock)
    max_body = (settings.max_file_mb + FORM_ALLOWANCE_MB) * 1024 * 1024
    app = Starlette(
        routes=[
            *team_routes(),
            *all_routes(),
            *routes,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(HostCheck, allowed=allowed_hosts, pages=pages),
            Middleware(TeamGate, accounts=team.get_accounts, desk=team.get_desk, pages=pages),
            Middleware(CsrfCheck, pages=pages, max_body=max_body, exempt=(API_PREFIX + "/",)),
        ],
        exception_handlers={**error_handlers(pages), **_refusals(pages)},
    )
    app.router.routes.insert(0, ApiMount(API_PREFIX, app=_LazyApi(team)))
    app.state.settings = settings
    app.state.pages = pages
    app.state.team = team
    app.state.team_mode = True
    return app


def catch_up_in_background(app: Starlette, echo: Callable[[str], object]) -> threading.Thread:
    """Bring every client's place on the board up to date in a background thread (after an
    upgrade or with new rules: the board itself works out only a few at a time)."""
    team: _Team = app.state.team

    def run() -> None:
        try:
            desk = team.get_desk()
            done = catch_up(desk.work, desk.progress, date.today())
        except Exception as exc:  # the board works them out on its own, a few at a time
            echo(f"The board could not be brought up to date at start ({type(exc).__name__}).")
            return
        if done:
            clients = "1 client" if done == 1 else f"{done:,} clients"
            echo(f"The board is up to date: worked out again for {clients}.")

    thread = threading.Thread(target=run, name="cocflow-board-catch-up", daemon=True)
    thread.start()
    return thread


def _refusals(pages: Pages) -> dict[Any, Any]:
    """A service's refusal as a page: a case one cannot see is 404, an action one's role does
    not allow is 403, a request not signed off is 409."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return pages.message(
            request.scope,
            404,
            "Page not found",
            "There is no such case that you can see.",
            link=("/", "Go to the start page"),
        )

    async def denied(request: Request, exc: Exception) -> Response:
        return pages.message(
            request.scope, 403, "You cannot do this", str(exc), link=("/", "Go to the start page")
        )

    async def not_approved(request: Request, exc: Exception) -> Response:
        return pages.message(
            request.scope, 409, "Not signed off yet", str(exc), link=("/", "Go to the start page")
        )

    return {NotFound: not_found, Denied: denied, NotApproved: not_approved}


class _LazyApi:
    """The API (web/api/): built once the store is open, on its first request. It takes bearer
    tokens only: the team gate and the form-token check let its paths through."""

    def __init__(self, team: _Team) -> None:
        self.team = team
        self.app: Starlette | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            desk = await run_in_threadpool(self.team.get_desk)
            accounts = await run_in_threadpool(self.team.get_accounts)
            self.app = build_api(desk, accounts, today=date.today)
        await self.app(scope, receive, send)
