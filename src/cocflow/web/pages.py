"""The pages that every build of the web face has: the start page and a plain-text check that
the server answers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from cocflow.web.render import page

__all__ = ["page_routes"]


async def start(request: Request) -> Response:
    return page(request, "start.html")


async def hello(request: Request) -> Response:
    return PlainTextResponse("cocflow is running\n")


def page_routes() -> list[BaseRoute]:
    return [
        Route("/", start, methods=["GET"], name="start"),
        Route("/_hello", hello, methods=["GET"], name="hello"),
    ]
