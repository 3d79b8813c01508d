"""The team's commands, run on the server by whoever holds its key: set up the organisation and
its first owner, list members, and make a password-reset link for a member locked out."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from cocflow.cli.common import _run

if TYPE_CHECKING:
    from cocflow.services.accounts import Accounts
    from cocflow.services.cases import Casework

team_app = typer.Typer(
    help="Set up a team server: its organisation, owner and members.", no_args_is_help=True
)


def _password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True))
    return sys.stdin.readline().rstrip("\n")


def _accounts() -> tuple[Casework, Accounts]:
    from cocflow.io.settings import Settings
    from cocflow.services.cases import open_casework
    from cocflow.services.screening import rules_for
    from cocflow.store.team import TeamStore

    settings = _run(Settings.from_env)
    work = _run(lambda: open_casework(settings, rules_for(settings)))
    from cocflow.services.accounts import Accounts

    return work, Accounts(TeamStore(work.store.engine, work.store.keys))


@team_app.command("init")
def init(
    organisation: Annotated[str, typer.Option("--organisation", help="The firm's name.")],
    email: Annotated[str, typer.Option("--email", help="The first owner's e-mail address.")],
    name: Annotated[str, typer.Option("--name", help="The first owner's name.")] = "",
) -> None:
    """Create the organisation and its first owner.

    The password is asked, hidden, or read from the first line of standard input.

    Example: cocflow team init --organisation "Rivera & Co" --email ana@rivera.example
    """
    work, accounts = _accounts()
    try:
        password = _password()
        _run(lambda: accounts.create_organisation(organisation, email, name, password))
    finally:
        work.close()
    typer.echo(
        f"{organisation} is set up; {email} is its owner. Start the server with "
        "'cocflow serve --team' and sign in at /login."
    )


@team_app.command("members")
def members() -> None:
    """List every organisation's members and their roles.

    Example: cocflow team members
    """
    work, accounts = _accounts()
    try:
        for org_id, org_name in accounts.store.orgs():
            typer.echo(org_name)
            for m in accounts.store.members(org_id):
                typer.echo(f"  {m.user.email}  {m.role}  {m.user.name}")
    finally:
        work.close()


@team_app.command("reset-link")
def reset_link(
    email: Annotated[str, typer.Argument(help="The member's e-mail address.")],
    base_url: Annotated[
        str, typer.Option("--url", help="The server's address, as members open it.")
    ] = "http://127.0.0.1:8000",
) -> None:
    """Print a one-time password-reset link for a member (an owner locked out).

    The link works once, for one hour. It is the only copy: hand it over yourself.

    Example: cocflow team reset-link ana@rivera.example --url https://cocflow.rivera.example
    """
    work, accounts = _accounts()
    try:
        secret = _run(lambda: accounts.reset_link_for(email))
    finally:
        work.close()
    if secret is None:
        typer.echo(f"There is no member with the address {email}.", err=True)
        raise typer.Exit(2)
    typer.echo(f"{base_url.rstrip('/')}/reset?token={secret}")
