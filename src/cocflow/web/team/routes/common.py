"""What the team's routes share: the member signed in, the page's renderer, link tokens moved
from the address into a cookie."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cocflow.services.accounts import SignedIn
from cocflow.web.render import Pages
from cocflow.web.team.gate import signed_in

__all__ = ["LINK_COOKIE", "member", "pages", "safe_next", "take_link"]

LINK_COOKIE = "cocflow_link"


def pages(request: Request) -> Pages:
    found = request.app.state.pages
    assert isinstance(found, Pages)
    return found


def member(request: Request) -> SignedIn:
    """The signed-in member (the gate lets no other request reach a member's page)."""
    signed = signed_in(request)
    assert signed is not None
    return signed


def safe_next(value: str | None) -> str:
    """A place on this site to go after signing in (never another site)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/board"
    return value


def take_link(request: Request, path: str) -> Response | None:
    """A link's secret arrives in the address (``?token=``): keep it in a short-lived cookie
    and send the browser to the same page without it, so the secret leaves the address bar,
    the history and any log of addresses. None when there is nothing to move."""
    token = request.query_params.get("token")
    if token is None:
        return None
    response = RedirectResponse(path, 303)
    response.set_cookie(
        LINK_COOKIE,
        token[:200],
        max_age=3600,
        path=path,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def link_secret(request: Request) -> str:
    return request.cookies.get(LINK_COOKIE, "")
