"""The ``cocflow`` command: the table of commands. Each command parses its arguments, calls one
service and formats the result; they live beside this file by area.

Exit status: 0 a result was produced, 1 an internal error (or a rules data problem), 2 bad
input (a case file, a roster or an argument), with the field's path, the problem and the fix.
"""

from __future__ import annotations

from typing import Annotated

import typer

from cocflow.cli import cases, keys, proof, rescreen, rules, screening, serve, team, tracking
from cocflow.cli.common import _state

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="cocflow: screen, prepare and keep the proof of a U.S. Certificate of Coverage.",
)


@app.callback()
def _main(
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    _state["debug"] = debug


# The pages in a browser.
app.command()(serve.serve)
# From nothing to an answer and a request.
app.command()(screening.new)
app.command()(screening.details)
app.command()(screening.screen)
app.command()(screening.check)
app.command()(screening.request)
app.command("screen-batch")(screening.screen_batch)
app.command()(screening.agreements)
# Stored cases and their proof files.
app.add_typer(cases.case_app, name="case")
app.add_typer(proof.proof_app, name="proof")
app.command()(cases.status)
# Keeping it current.
app.add_typer(tracking.trips_app, name="trips")
app.command()(tracking.watch)
app.command()(tracking.reminders)
# The store and its key.
app.command()(cases.backup)
app.command()(cases.restore)
app.add_typer(keys.key_app, name="key")
app.add_typer(team.team_app, name="team")
# The rules data: what changed, what to verify again; every stored case screened again.
app.add_typer(rules.rules_app, name="rules")
app.command()(rescreen.rescreen)
app.command()(rescreen.worker)


def main() -> None:
    """Console entry point."""
    app()
