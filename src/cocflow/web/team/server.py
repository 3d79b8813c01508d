"""``cocflow serve --team``: the team server on an address colleagues reach.

Unlike the single-person face it may listen on any address, since members sign in. It answers
only the host names it is given (``--allowed-host``; DNS rebinding is refused as before) and is
meant to sit behind an HTTPS reverse proxy: with ``--proxy`` it trusts the proxy's
``X-Forwarded-Proto`` from 127.0.0.1 only, and its cookies become ``__Host-`` cookies, Secure.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import uvicorn

from cocflow.io.settings import Settings
from cocflow.web.hosts import LOOPBACK_NAMES, host_name
from cocflow.web.logs import keep_query_strings_out
from cocflow.web.server import listen
from cocflow.web.team.app import catch_up_in_background, create_team_app

__all__ = ["serve_team"]


def serve_team(
    settings: Settings,
    *,
    host: str,
    port: int,
    allowed_hosts: Iterable[str],
    proxy: bool,
    echo: Callable[[str], object] = print,
) -> None:
    """Serve the team server until stopped (Ctrl+C)."""
    names = {n for n in (host_name(h) for h in allowed_hosts) if n}
    names |= set(LOOPBACK_NAMES) | ({host} if host not in {"0.0.0.0", "::"} else set())
    sock = listen(host, port, backlog=512)
    try:
        app = create_team_app(settings, allowed_hosts=names)
        catch_up_in_background(app, echo)
        config = uvicorn.Config(
            app,
            proxy_headers=proxy,
            forwarded_allow_ips="127.0.0.1" if proxy else None,
            server_header=False,
            lifespan="off",
        )
        keep_query_strings_out()
        server = uvicorn.Server(config)
        address, bound = sock.getsockname()[:2]
        echo(
            f"cocflow's team server is listening on {address} port {bound}, answering "
            f"{', '.join(sorted(names))}.\n"
            + (
                "It trusts X-Forwarded-Proto from a proxy on 127.0.0.1.\n"
                if proxy
                else "Serve it to colleagues through an HTTPS reverse proxy (then add --proxy): "
                "its pages show personal data.\n"
            )
            + "Members sign in at /login. Press Ctrl+C to stop."
        )
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
