"""The key's commands: key backup, key restore and key rotate."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Annotated

import typer

from cocflow.cli.common import (
    _run,
)

key_app = typer.Typer(
    help="Back up, restore and rotate the key that encrypts your data.", no_args_is_help=True
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


@key_app.command("rotate")
def key_rotate(
    finish: Annotated[
        bool,
        typer.Option(
            "--finish",
            help="Only encrypt again what a new key does not open yet (after an interruption, "
            "or after setting COCFLOW_KEY and COCFLOW_RETIRED_KEYS yourself).",
        ),
    ] = False,
) -> None:
    """Replace the key, and encrypt everything stored again with the new one.

    The old key stays in the key file as retired, to check older proof entries.
    Stop the server first; back up the key again afterwards.

    Example: cocflow key rotate
    """
    from cocflow.io.settings import Settings
    from cocflow.services import keys
    from cocflow.services.screening import rules_for

    settings = _run(Settings.from_env)
    rules = _run(lambda: rules_for(settings))
    done = _run(lambda: (keys.finish if finish else keys.rotate)(settings, rules))

    def count(n: int, one: str, many: str) -> str:
        return f"{n} {one if n == 1 else many}"

    if not finish:
        typer.echo("The key is replaced; the old one stays in the key file as retired.")
    said = textwrap.fill(
        "Encrypted again with the new key: "
        + ", ".join(
            (
                count(done.values, "case's personal data", "cases' personal data"),
                count(done.drafts, "unconfirmed answer", "unconfirmed answers"),
                count(done.documents, "document", "documents"),
                count(done.codes, "sign-in code secret", "sign-in code secrets"),
            )
        )
        + ".",
        width=79,
    )
    typer.echo(said)
    typer.echo(
        f"Proof files signed again: {done.signed}. Sessions ended: {done.sessions} "
        "(members sign in again)."
    )
    for case_id, entry, why in done.not_verified:
        typer.echo(
            f"Not signed again: case {case_id}, entry {entry}: {why}. Run 'cocflow proof "
            f"verify {case_id}' and restore it from a backup.",
            err=True,
        )
    typer.echo("Back up the key again now: cocflow key backup --out FILE")
    typer.echo("(the backup holds the new key and the retired ones).")
    if done.not_verified:
        raise typer.Exit(1)
