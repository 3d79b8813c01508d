"""Forgery protection for every request that can change something (POST, PUT, PATCH, DELETE).

Three checks, cheapest first, each answering 403 when it fails:

1. ``Sec-Fetch-Site``, when the browser sends it, must be ``same-origin`` (or ``none``: typed
   by the person). Another site's page, or another server on this computer, is refused.
2. ``Origin``, when it names one, must be this server's own origin. (Under the
   ``no-referrer`` policy every page has, browsers send ``Origin: null`` with a form, so
   "null" says nothing either way; step 1 and 3 still apply.)
3. The session's form token (a synchroniser token: random, kept with the session on the server)
   must come back in the form field ``csrf_token`` or the header ``X-CSRF-Token``. Templates put
   it in every form with the ``csrf_field()`` macro.

The body is read here, up to ``max_body`` bytes (413 beyond), and handed on unchanged.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cocflow.web.render import Pages
from cocflow.web.sessions import same, session_of

__all__ = ["FIELD", "HEADER", "CsrfCheck"]

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class _TooLarge(Exception):
    pass


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _TooLarge
        chunks.append(chunk)
        more = bool(message.get("more_body", False))
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives ``body`` once, then whatever the client sends next."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed


def _own_origin(scope: Scope, headers: Headers) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"


class CsrfCheck:
    """Refuses state-changing requests that do not come from cocflow's own pages."""

    def __init__(
        self, app: ASGIApp, *, pages: Pages, max_body: int, exempt: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.pages = pages
        self.max_body = max_body
        self.exempt = exempt  # paths with no cookie at all (an API that takes bearer tokens)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in SAFE_METHODS
            or (self.exempt and scope["path"].startswith(self.exempt))
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdecimal() and int(declared) > self.max_body:
            await self._too_large(scope, receive, send)
            return
        if not self._same_origin(scope, headers):
            await self._refuse(scope, receive, send)
            return
        try:
            body = await _read_body(receive, self.max_body)
        except _TooLarge:
            await self._too_large(scope, receive, send)
            return
        offered = headers.get(HEADER) or await self._form_token(scope, headers, body)
        session = session_of(Request(scope))
        if session is None or not offered or not same(offered, session.csrf_token):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    @staticmethod
    def _same_origin(scope: Scope, headers: Headers) -> bool:
        site = headers.get("sec-fetch-site")
        if site is not None and site not in {"same-origin", "none"}:
            return False
        origin = headers.get("origin")
        return origin in {None, "null"} or origin == _own_origin(scope, headers)

    @staticmethod
    async def _form_token(scope: Scope, headers: Headers, body: bytes) -> str:
        if not headers.get("content-type", "").startswith(FORM_TYPES):
            return ""
        request = Request(scope, _replay(body, _no_more))
        try:
            async with request.form() as form:
                value = form.get(FIELD)
                return value if isinstance(value, str) else ""
        except Exception:  # a malformed body: the route never sees it
            return ""

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response: Response = self.pages.message(
            scope,
            403,
            "This form could not be sent",
            "cocflow only accepts forms sent from its own pages, in the browser that opened "
            "the link it printed. The page may have been open for a long time, or cocflow "
            "may have been started again since.",
            "Go back, reload the page and send the form again.",
            link=("/", "Go to the start page"),
        )
        await response(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        megabytes = self.max_body // (1024 * 1024)
        response = self.pages.message(
            scope,
            413,
            "What you sent is too large",
            f"cocflow accepts up to {megabytes} MB in one form, files included.",
            "Go back and choose a smaller file.",
        )
        await response(scope, receive, send)


async def _no_more() -> Message:
    return {"type": "http.disconnect"}
