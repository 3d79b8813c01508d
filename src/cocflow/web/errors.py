"""Error pages in the product's words: page not found, a method a page does not take, an
unexpected failure. None shows a traceback; the terminal running the server logs it instead."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from cocflow.web.headers import security_headers
from cocflow.web.render import Pages

__all__ = ["error_handlers"]

Handler = Any  # Starlette's exception handler type is private


def error_handlers(pages: Pages) -> Mapping[Any, Handler]:
    """The handlers to give Starlette: by status code, and for any exception (500)."""

    async def not_found(request: Request, exc: Exception) -> Response:
        return pages.message(
            request.scope,
            404,
            "Page not found",
            "If you typed the address, check it is correct. If you pasted it, check you "
            "copied all of it.",
            link=("/", "Go to the start page"),
        )

    async def not_allowed(request: Request, exc: Exception) -> Response:
        response = pages.message(
            request.scope,
            405,
            "This page cannot do that",
            "The page was asked to do something it does not do. Nothing was changed.",
            link=("/", "Go to the start page"),
        )
        if isinstance(exc, HTTPException) and exc.headers:
            response.headers.update(exc.headers)
        return response

    async def refused(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 400
        return pages.message(
            request.scope,
            status,
            "cocflow could not use what was sent",
            "Go back, check the page and try again.",
            link=("/", "Go to the start page"),
        )

    async def failed(request: Request, exc: Exception) -> Response:
        # Sent from outside the other middleware, so the security headers are set here.
        response = pages.message(
            request.scope,
            500,
            "Sorry, there is a problem with cocflow",
            "Something went wrong while cocflow was preparing this page. What you saved "
            "before is kept; the last thing you sent may not have been saved.",
            "Try again. If it happens again, the terminal where cocflow serve runs shows "
            "what went wrong: keep that text for whoever looks after cocflow.",
            link=("/", "Go to the start page"),
        )
        response.headers.update(security_headers(request.url.path))
        return response

    return {404: not_found, 405: not_allowed, HTTPException: refused, Exception: failed}
