"""The team gate: who is signed in, what they may open, and who is recorded as acting.

A request passes, after the Host check: the session cookie is looked up (a keyed digest of it,
server-side; ended after 15 idle minutes or 12 hours); a page that needs a member sends a
person who is not signed in to the sign-in page (a form post gets 401); a session that still
owes its TOTP code reaches only the code page. A case page (``/cases/<id>/...``) is checked
against the services' access table with the action its method and path stand for; another
organisation's case is a plain 404. Every change allowed through a case page is written to the
audit log, and every proof entry written while the request runs names the member.

Pages open to anyone (sign-in, invitation and reset links, a client's questionnaire link) get
an anonymous form token, signed with the store's key and kept in a cookie, so their forms are
checked for forgery like the others.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable
from http.cookies import SimpleCookie
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cocflow.services.access import Action, Denied, NotFound, Role
from cocflow.services.accounts import Accounts, SignedIn
from cocflow.services.team import Desk
from cocflow.store.repo import acting
from cocflow.web.render import Pages
from cocflow.web.sessions import Session

__all__ = ["OPEN_PATHS", "TeamGate", "case_action", "cookie_names", "signed_in"]

API_PATH = "/api/v1/"
OPEN_PATHS = ("/static/", "/login", "/join", "/reset", "/welcome", "/calendar/")
CODE_PATHS = ("/login/code", "/logout")
BLOCKED = ("/cases/new", "/cases/import", "/reminders", "/calendar.ics")  # single-person pages
_CASE_PATH = re.compile(r"^/cases/([0-9a-f]{16})(/.*)?$")
_ANSWERING = {"q", "home", "stays", "check"}
_CHANGES: dict[str, Action] = {
    "details": Action.CASE_EDIT,
    "documents": Action.REQUEST_PREPARE,
    "proof": Action.PROOF_ADD,
    "trips": Action.CASE_EDIT,
    "watch": Action.CASE_EDIT,
}


def case_action(method: str, rest: str) -> Action:
    """The action a request to a case page stands for: ``rest`` is the path after the case id."""
    parts = [p for p in rest.split("/") if p]
    first = parts[0] if parts else ""
    if method in {"GET", "HEAD"}:
        if first == "export":
            return Action.PROOF_EXPORT
        if first == "case-file":  # the whole case file, the full SSN included
            return Action.SSN_REVEAL
        return Action.CASE_READ
    if first in _ANSWERING or (len(parts) == 3 and parts[2] == "remove"):
        return Action.CASE_ANSWER
    return _CHANGES.get(first, Action.CASE_EDIT)


def cookie_names(scope: Scope) -> tuple[str, str]:
    """The session cookie's and the anonymous form token's names: ``__Host-`` prefixed over
    HTTPS (the browser then refuses them from anywhere but this host, over HTTPS)."""
    if scope.get("scheme") == "https":
        return "__Host-cocflow", "__Host-cocflow-form"
    server = scope.get("server")
    port = f"_{server[1]}" if server and server[1] else ""
    return f"cocflow_team{port}", f"cocflow_form{port}"


def signed_in(connection: HTTPConnection) -> SignedIn | None:
    """The member the gate found for this request (None on an open page)."""
    found = connection.scope.get("state", {}).get("signed")
    return found if isinstance(found, SignedIn) else None


class TeamGate:
    def __init__(
        self,
        app: ASGIApp,
        *,
        accounts: Callable[[], Accounts],
        desk: Callable[[], Desk],
        pages: Pages,
    ) -> None:
        self.app, self.accounts, self.desk, self.pages = app, accounts, desk, pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith(API_PATH):  # bearer tokens, checked by the API itself
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        session_name, form_name = cookie_names(scope)
        accounts = await run_in_threadpool(self.accounts)
        cookie = connection.cookies.get(session_name)
        signed = await run_in_threadpool(accounts.session, cookie) if cookie else None
        state = scope.setdefault("state", {})
        if signed is None or path.startswith("/static/"):
            if not path.startswith(OPEN_PATHS):
                await self._sign_in_first(scope, receive, send)
                return
            await self._open_page(scope, receive, send, connection.cookies.get(form_name))
            return
        state["signed"] = signed
        state["session"] = Session(signed.digest, signed.csrf, 0.0, 0.0)
        if signed.needs_code and not path.startswith((*CODE_PATHS, "/static/")):
            await RedirectResponse("/login/code", 303)(scope, receive, send)
            return
        refusal = await self._check(scope, signed, path)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        with acting({"id": signed.user.id, "name": signed.user.name}):
            await self.app(scope, receive, send)

    async def _check(self, scope: Scope, signed: SignedIn, path: str) -> Response | None:
        """A refusal page, a redirect for a single-person page, or None to go on."""
        actor = signed.actor
        if path in {"/", "/cases"}:
            target = f"/cases/{actor.case_id}" if actor.role is Role.CLIENT else "/board"
            return RedirectResponse(target, 303)
        if path.startswith(BLOCKED):
            return self.pages.message(
                scope, 404, "Page not found", "This page is not part of the team server."
            )
        match = _CASE_PATH.match(path)
        if match is None:
            if actor.role is Role.CLIENT and not path.startswith(CODE_PATHS):
                return self.pages.message(
                    scope,
                    403,
                    "This page is for your adviser's team",
                    "You can answer the questions of your own case.",
                    link=(f"/cases/{actor.case_id}", "Go to your questions"),
                )
            return None
        case_id, rest = match.group(1), match.group(2) or ""
        action = case_action(scope["method"], rest)
        desk = await run_in_threadpool(self.desk)
        try:
            await run_in_threadpool(desk.access, actor, case_id, action)
        except NotFound:
            return self.pages.message(
                scope,
                404,
                "Page not found",
                "There is no such case that you can see.",
                link=("/", "Go to the start page"),
            )
        except Denied as denied:
            return self.pages.message(scope, 403, "You cannot do this", str(denied))
        if action in {Action.SSN_REVEAL, Action.PROOF_EXPORT}:  # reads of the full SSN
            await run_in_threadpool(
                desk.team.audit,
                org_id=actor.org_id,
                actor=actor.user_id,
                action="sensitive_read" if action is Action.SSN_REVEAL else "proof.export",
                target=case_id,
                detail={"page": rest.strip("/").split("/")[0][:40]},
            )
        if scope["method"] not in {"GET", "HEAD"}:
            template = "/" + "/".join(p if not p.isdigit() else "N" for p in rest.split("/") if p)
            await run_in_threadpool(
                desk.team.audit,
                org_id=actor.org_id,
                actor=actor.user_id,
                action=f"web:{action.value}",
                target=case_id,
                detail={"page": template[:80]},
            )
        return None

    async def _sign_in_first(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in {"GET", "HEAD"}:
            query = scope.get("query_string", b"").decode("latin-1")
            here = scope["path"] + (f"?{query}" if query else "")
            target = "/login" + (f"?next={quote(here, safe='')}" if here != "/" else "")
            await RedirectResponse(target, 303)(scope, receive, send)
            return
        response = self.pages.message(
            scope,
            401,
            "Sign in first",
            "You were signed out (after 15 minutes without a page, or 12 hours in all). "
            "Nothing was changed.",
            link=("/login", "Sign in"),
        )
        await response(scope, receive, send)

    async def _open_page(
        self, scope: Scope, receive: Receive, send: Send, nonce: str | None
    ) -> None:
        """An open page: an anonymous form token tied to a random cookie."""
        accounts = await run_in_threadpool(self.accounts)
        fresh = nonce is None or len(nonce) != 43
        nonce = secrets.token_urlsafe(32) if fresh else nonce
        assert nonce is not None
        key = accounts.store.keys.mac_key
        token = hmac.new(key, b"form\0" + nonce.encode(), hashlib.sha256).hexdigest()
        scope.setdefault("state", {})["session"] = Session(f"anon:{nonce}", token, 0.0, 0.0)
        if not fresh:
            await self.app(scope, receive, send)
            return
        _, form_name = cookie_names(scope)
        cookie: SimpleCookie = SimpleCookie()
        cookie[form_name] = nonce
        cookie[form_name]["path"] = "/"
        cookie[form_name]["httponly"] = True
        cookie[form_name]["samesite"] = "Strict"
        if scope.get("scheme") == "https":
            cookie[form_name]["secure"] = True
        header = cookie.output(header="").strip().encode("latin-1")

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append((b"set-cookie", header))
            await send(message)

        await self.app(scope, receive, send_with_cookie)
