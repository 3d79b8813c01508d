"""The launch gate: only a browser that opened the link printed by ``cocflow serve`` gets in.

The link carries a per-launch token (``/?token=...``). The gate exchanges it for a session
cookie and redirects to the same address without the token, so the token never stays in the
address bar, the history or a bookmark. Every other request needs that cookie; without it the
answer is 403 with a page that says how to open the link.

The cookie is ``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends
it), ``Path=/``, and without Max-Age (the browser drops it when it closes). It is ``Secure`` only
when the request came over HTTPS: ``cocflow serve`` listens on http://127.0.0.1, where some
browsers refuse to store a Secure cookie. Its name carries the port, so two servers on the same
computer do not overwrite each other's cookie.
"""

from __future__ import annotations

from urllib.parse import quote, urlencode

from starlette.datastructures import QueryParams
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cocflow.web.render import Pages
from cocflow.web.sessions import Session, Sessions

__all__ = ["FEED_PATH", "PUBLIC_PREFIX", "LaunchGate", "cookie_name"]

TOKEN_PARAMETER = "token"
PUBLIC_PREFIX = "/static/"  # the shipped CSS, script and icon: the same for everyone
# The calendar feed: a calendar app has no session; the route checks the feed's own key.
FEED_PATH = "/calendar.ics"


def cookie_name(scope: Scope) -> str:
    """The session cookie's name for the server that received this request."""
    server = scope.get("server")
    return f"cocflow_{server[1]}" if server and server[1] else "cocflow"


def _without_token(scope: Scope, params: QueryParams) -> str:
    """The request's own path and query, less the token; always a path on this site."""
    path = "/" + quote(scope["path"]).lstrip("/")  # "//host" would leave the site
    rest = [(k, v) for k, v in params.multi_items() if k != TOKEN_PARAMETER]
    return f"{path}?{urlencode(rest)}" if rest else path


class LaunchGate:
    """Exchanges the launch token for a session; refuses requests that have no session."""

    def __init__(self, app: ASGIApp, *, sessions: Sessions, pages: Pages) -> None:
        self.app = app
        self.sessions = sessions
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        offered = connection.query_params.get(TOKEN_PARAMETER)
        if offered is not None:
            response = self._exchange(scope, offered, connection.query_params)
        elif scope["path"].startswith(PUBLIC_PREFIX) or scope["path"] == FEED_PATH:
            await self.app(scope, receive, send)
            return
        else:
            session = self.sessions.find(connection.cookies.get(cookie_name(scope)))
            if session is not None:
                scope.setdefault("state", {})["session"] = session
                await self.app(scope, receive, send)
                return
            response = self._refusal(scope)
        await response(scope, receive, send)

    def _exchange(self, scope: Scope, offered: str, params: QueryParams) -> Response:
        session = self.sessions.open(offered)
        if session is None:
            return self.pages.message(
                scope,
                403,
                "This link does not open cocflow",
                "The link is not the one cocflow printed when it started this time: it may be "
                "from an earlier start, or cut short when it was copied.",
                "Go to the terminal where you ran cocflow serve and open the link it printed. "
                "If you stopped cocflow, run cocflow serve again: it prints a new link.",
            )
        response = RedirectResponse(_without_token(scope, params), status_code=303)
        self._set_cookie(response, scope, session)
        return response

    @staticmethod
    def _set_cookie(response: Response, scope: Scope, session: Session) -> None:
        response.set_cookie(
            cookie_name(scope),
            session.id,
            path="/",
            secure=scope.get("scheme") == "https",
            httponly=True,
            samesite="strict",
        )

    def _refusal(self, scope: Scope) -> Response:
        return self.pages.message(
            scope,
            403,
            "Open cocflow with the link it printed",
            "For your privacy, cocflow only shows your cases in the browser that opened the "
            "link printed by cocflow serve, and only while it runs.",
            "Go to the terminal where you ran cocflow serve and open the link it printed: it "
            "starts with http://127.0.0.1 and ends with a long token.",
            "If you have been away for a while, open that link again. If you closed the "
            "terminal or cocflow has stopped, run cocflow serve again: it prints a new link.",
        )
