"""The Host check: a page on another site cannot reach cocflow through its own domain name.

DNS rebinding points an attacker's domain at 127.0.0.1; the browser then sends that domain in the
Host header. Only the names cocflow was started for are answered; anything else gets 400.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from cocflow.web.render import Pages

__all__ = ["HostCheck", "host_name", "local_hosts"]

LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def local_hosts(host: str) -> frozenset[str]:
    """The host names answered by a server listening on ``host``: 127.0.0.1, localhost and
    ``host`` itself."""
    return frozenset({*LOOPBACK_NAMES, host_name(host) or host.lower()})


def host_name(header: str) -> str | None:
    """The name in a Host header, lower case, without its port ("[::1]:8000" -> "::1");
    None when it is not a well-formed Host."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        rest = value[end + 1 :] if end > 0 else "x"
        if rest and not (rest.startswith(":") and rest[1:].isdecimal()):
            return None
        return value[1:end]
    name, colon, port = value.partition(":")
    if colon and not port.isdecimal():
        return None
    return name or None


class HostCheck:
    """Answers 400 to any request whose Host header is not one of ``allowed``."""

    def __init__(self, app: ASGIApp, *, allowed: Iterable[str], pages: Pages) -> None:
        self.app = app
        self.allowed = frozenset(name.lower() for name in allowed)
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        name = host_name(Headers(scope=scope).get("host", ""))
        if name is not None and name in self.allowed:
            await self.app(scope, receive, send)
            return
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        response = self.pages.message(
            scope,
            400,
            "cocflow does not answer at this address",
            "cocflow only answers at the address it printed when it started, which begins "
            "with http://127.0.0.1 or http://localhost.",
            "Go to the terminal where you ran cocflow serve and open the link it printed.",
        )
        await response(scope, receive, send)
