"""Helpers of the web tests: the app with its preview routes, a live server, axe, screenshots."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jinja2
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from cocflow.io.settings import Settings
from cocflow.web import create_app
from cocflow.web.components import (
    Choice,
    FieldError,
    Question,
    SummaryRow,
    Task,
    TaskSection,
    TaskStatus,
)
from cocflow.web.hosts import local_hosts
from cocflow.web.render import page
from cocflow.web.server import bind, build_server

HERE = Path(__file__).resolve().parent
ARTEFACTS = Path(os.environ.get("COCFLOW_ARTEFACTS") or HERE / "artefacts")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "wcag22aa"]


def new_token() -> str:
    return secrets.token_urlsafe(32)


# Preview routes: each macro on a page of its own, and a form that posts (tests only).

NAME = Question(
    id="full-name",
    label="What is your full name?",
    hint="As it is written on your Social Security card.",
    why="SSA matches the request to your record by your name and number.",
    autocomplete="name",
)
KIND = Question(
    id="worker-kind",
    label="How are you paid for this work?",
    kind="radios",
    why="The agreements have different rules for employees and for the self-employed.",
    choices=(
        Choice("employee", "By an employer", "You get a salary or wages."),
        Choice("self_employed", "By my own business", "You invoice clients."),
    ),
)
SECTIONS = (
    TaskSection(
        "About the work",
        (
            Task("Who you are", TaskStatus.DONE, "/_preview/question"),
            Task("Where you will work", TaskStatus.IN_PROGRESS, "/_preview/question"),
            Task(
                "How you are paid",
                TaskStatus.NEEDS_INFORMATION,
                "/_preview/radios",
                "Say whether your client or your business pays you.",
            ),
        ),
    ),
    TaskSection(
        "The request",
        (
            Task("Check the request", TaskStatus.NOT_STARTED, "/_preview/answers"),
            Task("Send it to SSA", TaskStatus.CANNOT_START_YET),
        ),
    ),
)
ROWS = (
    SummaryRow("Full name", "Ada Lovelace", "/_preview/question", "full name"),
    SummaryRow("Date of birth", "10 December 1985", "/_preview/question", "date of birth"),
    SummaryRow("Work country", "Portugal\n15 January 2027 to 31 December 2027", "/_preview/radios"),
    SummaryRow("Case number", "A1B2"),
)


async def _question(request: Request) -> Response:
    question, errors = NAME, []
    if request.query_params.get("error"):
        question = replace(NAME, error="Enter your full name")
        errors = [FieldError(NAME.id, "Enter your full name")]
    return page(request, "preview_question.html", {"question": question, "errors": errors})


async def _radios(request: Request) -> Response:
    question, errors = KIND, []
    if request.query_params.get("error"):
        question = replace(KIND, error="Choose how you are paid")
        errors = [FieldError(KIND.id, "Choose how you are paid")]
    return page(request, "preview_question.html", {"question": question, "errors": errors})


async def _tasks(request: Request) -> Response:
    return page(request, "preview_tasks.html", {"sections": SECTIONS})


async def _answers(request: Request) -> Response:
    return page(request, "preview_answers.html", {"rows": ROWS})


async def _form(request: Request) -> Response:
    if request.method == "GET":
        return page(request, "preview_question.html", {"question": NAME, "errors": []})
    async with request.form() as form:
        name = str(form.get(NAME.id, "")).strip()
    if not name:
        question = replace(NAME, error="Enter your full name")
        errors = [FieldError(NAME.id, "Enter your full name")]
        return page(request, "preview_question.html", {"question": question, "errors": errors})
    return page(request, "preview_received.html", {"name": name})


async def _boom(request: Request) -> Response:
    raise RuntimeError("secret detail 123-45-6789")


def preview_routes() -> list[BaseRoute]:
    return [
        Route("/_preview/question", _question, methods=["GET"]),
        Route("/_preview/radios", _radios, methods=["GET"]),
        Route("/_preview/tasks", _tasks, methods=["GET"]),
        Route("/_preview/answers", _answers, methods=["GET"]),
        Route("/_preview/form", _form, methods=["GET", "POST"]),
        Route("/_preview/boom", _boom, methods=["GET"]),
    ]


def make_app(settings: Settings, token: str, routes: Sequence[BaseRoute] = ()) -> Starlette:
    """The app of ``cocflow serve`` with the preview routes and their templates."""
    app = create_app(
        settings,
        token=token,
        allowed_hosts=local_hosts("127.0.0.1"),
        routes=[*preview_routes(), *routes],
    )
    env = app.state.pages.env
    env.loader = jinja2.ChoiceLoader([env.loader, jinja2.FileSystemLoader(HERE / "templates")])
    return app


# A live server: uvicorn on 127.0.0.1, a free port, in a background thread.


@dataclass(frozen=True)
class LiveServer:
    url: str
    token: str
    app: Starlette

    @property
    def login_url(self) -> str:
        return f"{self.url}/?token={self.token}"


@contextmanager
def running(app: Starlette, token: str) -> Iterator[LiveServer]:
    sock = bind("127.0.0.1", 0)
    server: uvicorn.Server = build_server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        port = sock.getsockname()[1]
        yield LiveServer(f"http://127.0.0.1:{port}", token, app)
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


# What a test asks of a page in the browser.


def check_a11y(page: Any, context: str | None = None) -> None:
    """Runs axe (WCAG 2.0 A to 2.2 AA) on the page; fails listing every violation readably."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": AXE_TAGS}, "resultTypes": ["violations"]}
    results = Axe().run(page, context=context, options=options)
    if results.violations_count:
        raise AssertionError(
            f"{results.violations_count} accessibility violation(s) on {page.url}:\n"
            + results.generate_report()
        )


def screenshot(page: Any, name: str) -> Path:
    """Saves a full-page PNG as ARTEFACTS/NAME.png (tests/web/artefacts/ unless
    COCFLOW_ARTEFACTS says where); returns its path."""
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
