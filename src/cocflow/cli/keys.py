"""The key's commands: key backup and key restore."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cocflow.cli.common import (
    _run,
)

key_app = typer.Typer(
    help="Back up and restore the key that encrypts your data.", no_args_is_help=True
)


def _passphrase(confirm: bool) -> str:
    """A passphrase from a hidden prompt, or the first line of standard input."""
    if sys.stdin.isatty():
        return str(
            typer.prompt("Passphrase", hide_input=True, confirmation_prompt=confirm, err=True)
        )
    return sys.stdin.readline().rstrip("\n")


@key_app.command("backup")
def key_backup(
    out: Annotated[Path, typer.Option("--out", help="Where to write the key backup.")],
) -> None:
    """Write the key, sealed with a passphrase, to a file you keep apart from the data.

    Example: cocflow key backup --out /media/usb/cocflow-key.json
    """
    from cocflow.io.settings import Settings
    from cocflow.services import keys

    settings = _run(Settings.from_env)
    _run(lambda: keys.check_new_file(out))
    passphrase = _passphrase(confirm=True)
    _run(lambda: keys.backup_key(settings, out, passphrase))
    typer.echo(
        f"Wrote the key, sealed with your passphrase, to {out}. Keep both apart from the data."
    )


@key_app.command("restore")
def key_restore(
    source: Annotated[Path, typer.Argument(help="A file written by 'cocflow key backup'.")],
) -> None:
    """Put a backed-up key in place (the key file), after the passphrase opens it.

    Example: cocflow key restore /media/usb/cocflow-key.json
    """
    from cocflow.io.settings import Settings
    from cocflow.services import keys

    settings = _run(Settings.from_env)
    blob = _run(lambda: keys.read_backup(source))
    passphrase = _passphrase(confirm=False)
    placed = _run(lambda: keys.restore_key(settings, blob, passphrase))
    where = settings.key_path
    typer.echo(
        f"Restored the key to {where}." if placed else f"The key at {where} is this key already."
    )
