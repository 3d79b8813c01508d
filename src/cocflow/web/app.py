"""The web face's application: pages, static files and the security layers, wired in one place.

A request passes, outermost first: the security headers; the Host check (400); the launch gate
(the token link, then the session cookie: 403 without it); the forgery check on requests that
change something (403); then the routes. Errors become pages (errors.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from cocflow.io.settings import Settings
from cocflow.web.csrf import CsrfCheck
from cocflow.web.errors import error_handlers
from cocflow.web.headers import SecurityHeaders
from cocflow.web.hosts import HostCheck
from cocflow.web.launch import LaunchGate
from cocflow.web.pages import page_routes
from cocflow.web.render import STATIC, Pages
from cocflow.web.routes import all_routes
from cocflow.web.sessions import Sessions

__all__ = ["create_app"]

FORM_ALLOWANCE_MB = 1  # a form's fields, on top of the largest file it may carry


def create_app(
    settings: Settings,
    *,
    token: str,
    allowed_hosts: Iterable[str],
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """The ASGI app of ``cocflow serve``.

    ``token`` is the launch token (at least 32 characters from ``secrets.token_urlsafe``);
    ``allowed_hosts`` are the only Host names answered (see ``hosts.local_hosts``); ``routes``
    are added after the built-in pages. ``app.state`` holds ``settings``, ``pages`` and
    ``sessions``.
    """
    pages = Pages()
    sessions = Sessions(token)
    max_body = (settings.max_file_mb + FORM_ALLOWANCE_MB) * 1024 * 1024
    app = Starlette(
        routes=[
            *page_routes(),
            *all_routes(),
            *routes,
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(HostCheck, allowed=allowed_hosts, pages=pages),
            Middleware(LaunchGate, sessions=sessions, pages=pages),
            Middleware(CsrfCheck, pages=pages, max_body=max_body),
        ],
        exception_handlers=dict(error_handlers(pages)),
    )
    app.state.settings = settings
    app.state.pages = pages
    app.state.sessions = sessions
    return app
