"""``cocflow serve``: the web face on this computer, opened with a per-launch link.

:func:`serve` makes a new token, listens on a loopback address only, prints the link, opens it
in the browser and serves until stopped (Ctrl+C). :func:`bind` and :func:`build_server` are the
same steps for tests and benchmarks that serve an app of their own.
"""

from __future__ import annotations

import contextlib
import ipaddress
import secrets
import socket
import threading
import webbrowser
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

from cocflow.errors import InputError, Problem
from cocflow.io.settings import Settings
from cocflow.web.app import create_app
from cocflow.web.hosts import local_hosts
from cocflow.web.logs import keep_query_strings_out

__all__ = ["bind", "build_server", "link", "listen", "serve"]


def _loopback(host: str) -> str:
    """The address to listen on for ``host``, which must be this computer's own."""
    if host.lower() == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise InputError(
        [
            Problem(
                "host",
                "NOT_LOOPBACK",
                f"cocflow serve only listens on this computer, not on '{host}': the pages "
                "show personal data over plain HTTP.",
                "leave --host out (127.0.0.1), or give another loopback address such as "
                "127.0.0.1 or ::1.",
            )
        ]
    )


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on a loopback ``host``; ``port`` 0 lets the system choose a free one."""
    return listen(_loopback(host), port)


def listen(address: str, port: int, backlog: int = 128) -> socket.socket:
    """A listening socket on ``address`` (any address: the caller decides which are allowed)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    # IPPROTO_TCP named, not 0: asyncio then sets TCP_NODELAY on every connection, without
    # which a response's head and body wait on each other (about 40 ms per request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        raise InputError(
            [
                Problem(
                    "port",
                    "PORT_UNAVAILABLE",
                    f"cocflow cannot listen on {address} port {port}: {exc.strerror}.",
                    "choose another port with --port, or leave it out to let cocflow pick a "
                    "free one.",
                )
            ]
        ) from exc
    return sock


def link(sock: socket.socket, token: str) -> str:
    """The address that opens cocflow: the socket's own address and the launch token."""
    address, port = sock.getsockname()[:2]
    shown = f"[{address}]" if ":" in address else address
    return f"http://{shown}:{port}/?token={token}"


def build_server(app: ASGIApp, *, log_level: str = "info") -> uvicorn.Server:
    """A uvicorn server for ``app`` (run it with ``server.run(sockets=[sock])``): no proxy
    headers trusted, no Server header, and no query string in its logs."""
    config = uvicorn.Config(
        app,
        log_level=log_level,
        proxy_headers=False,
        server_header=False,
        lifespan="off",
    )
    keep_query_strings_out()
    return uvicorn.Server(config)


def instructions(url: str) -> str:
    return (
        "cocflow is running. Open this link in your browser:\n\n"
        f"    {url}\n\n"
        "The link is yours alone: while cocflow runs, anyone who has it can see your cases "
        "on this computer.\nPress Ctrl+C here to stop cocflow."
    )


def serve(
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = 0,
    open_browser: bool = True,
    *,
    echo: Callable[[str], object] = print,
) -> None:
    """Serves the web face until stopped (Ctrl+C, then it returns). Raises InputError for a
    host that is not this computer's own or a port that cannot be used."""
    token = secrets.token_urlsafe(32)
    sock = bind(host, port)
    try:
        app = create_app(settings, token=token, allowed_hosts=local_hosts(host))
        server = build_server(app)
        url = link(sock, token)
        echo(instructions(url))
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C: uvicorn stops, then raises it
            server.run(sockets=[sock])
        echo("cocflow has stopped. The link no longer works.")
    finally:
        sock.close()
