"""Pages from Jinja2 templates (autoescaped), and the plain message pages of the web face."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates
from starlette.types import Scope

from cocflow.web.components import TaskStatus
from cocflow.web.sessions import session_of

__all__ = ["STATIC", "TEMPLATES", "Pages", "page"]

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def _context(request: Request) -> dict[str, Any]:
    session = session_of(request)
    signed = request.scope.get("state", {}).get("signed")  # a team member (web/team/gate.py)
    return {
        "csrf_token": session.csrf_token if session else "",
        "TaskStatus": TaskStatus,
        "signed": signed,
    }


def environment() -> jinja2.Environment:
    """The template environment: HTML always escaped, an undefined name is an error; the
    templates ship with the package, so they are read once, not checked on every page."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        auto_reload=False,
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


class Pages:
    """Renders templates into HTML responses."""

    def __init__(self, env: jinja2.Environment | None = None) -> None:
        self.templates = Jinja2Templates(env=env or environment(), context_processors=[_context])

    @property
    def env(self) -> jinja2.Environment:
        return self.templates.env

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        response = self.templates.TemplateResponse(
            request, name, dict(context or {}), status_code=status
        )
        assert isinstance(response, HTMLResponse)
        return response

    def message(
        self,
        scope: Scope,
        status: int,
        title: str,
        *paragraphs: str,
        link: tuple[str, str] | None = None,
    ) -> HTMLResponse:
        """A plain page in the product's words: a heading, a few paragraphs, perhaps a link
        (its address and text). Used for refusals and errors, before or after the routes."""
        context = {"title": title, "paragraphs": paragraphs, "link": link}
        return self.render(Request(scope), "message.html", context, status)


def page(
    request: Request, name: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Renders template ``name`` for a route of the app made by ``create_app``."""
    pages = request.app.state.pages
    assert isinstance(pages, Pages)
    return pages.render(request, name, context, status)
