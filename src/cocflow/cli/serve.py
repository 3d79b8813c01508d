"""``cocflow serve``: the pages in a browser on this computer."""

from __future__ import annotations

from typing import Annotated

import typer

from cocflow.cli.common import _run


def serve(
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="A loopback address: 127.0.0.1, localhost or ::1 (with --team: any address).",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option("--port", min=0, max=65535, help="The port; 0 lets the system pick one."),
    ] = 0,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Print the link without opening a browser.")
    ] = False,
    team: Annotated[
        bool,
        typer.Option(
            "--team",
            help="Serve a team: members sign in (set up with 'cocflow team init'); any "
            "address may be given to --host.",
        ),
    ] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host", help="With --team: a host name the server answers (repeat it)."
        ),
    ] = None,
    proxy: Annotated[
        bool,
        typer.Option("--proxy", help="With --team: behind an HTTPS proxy on 127.0.0.1."),
    ] = False,
) -> None:
    """Show cocflow's pages in a browser on this computer, until Ctrl+C.

    It prints a link with a key for this launch only; the pages answer nobody without it.

    Example: cocflow serve --port 8000
    """
    from cocflow.io.settings import Settings
    from cocflow.web.server import serve as serve_web

    settings = _run(Settings.from_env)
    if team:
        from cocflow.web.team.server import serve_team

        _run(
            lambda: serve_team(
                settings,
                host=host,
                port=port or 8000,
                allowed_hosts=allowed_host or [],
                proxy=proxy,
                echo=typer.echo,
            )
        )
        return
    from cocflow.services.members import refuse_a_team_store

    _run(lambda: refuse_a_team_store(settings))
    _run(
        lambda: serve_web(
            settings, host=host, port=port, open_browser=not no_browser, echo=typer.echo
        )
    )
