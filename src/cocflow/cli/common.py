"""What every command shares: the error handling, the options, the store for one command.

Exit status: 0 a result was produced, 1 an internal error (or a rules data problem), 2 bad
input (a case file, a roster or an argument), with the field's path, the problem and the fix,
or a refusal (a team's member whose role does not allow it, or a case they cannot see).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

from cocflow.case import Case
from cocflow.errors import CocflowError, InputError, Problem, RulesError, clip

# typer is imported where it is used: `cocflow screen` runs without it (see cocflow.cli).
if TYPE_CHECKING:
    import typer

    from cocflow.services.members import Seat

_state = {"debug": False}
T = TypeVar("T")


class Format(StrEnum):
    text = "text"
    json = "json"


def _shared_options() -> dict[str, Any]:
    """The options several commands take, as typer annotations."""
    import typer

    return {
        "FormatOpt": Annotated[
            Format, typer.Option("--format", help="text for people, json for programs.")
        ],
        "AsOfOpt": Annotated[
            str | None,
            typer.Option(
                "--as-of", metavar="YYYY-MM-DD", help="Screen as on this date (default: today)."
            ),
        ],
        "CaseOpt": Annotated[
            str | None, typer.Option("--case", help="The case id (optional with one case).")
        ],
    }


if TYPE_CHECKING:  # their types; typer's metadata is added when a command table asks
    FormatOpt = Format
    AsOfOpt = str | None
    CaseOpt = str | None
else:

    def __getattr__(name: str) -> Any:
        """``FormatOpt``, ``AsOfOpt``, ``CaseOpt``: built on first use, so that importing this
        module does not import typer."""
        if name not in ("FormatOpt", "AsOfOpt", "CaseOpt"):
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        globals().update(_shared_options())
        return globals()[name]


def _fail_input(err: InputError) -> NoReturn:
    import typer

    head = f"cocflow: {err.source}: " if err.source else "cocflow: "
    lines = [f"{head}cannot use this input:"]
    for p in err.problems:
        where = p.path or "(file)"
        lines.append(f"  {where}: {p.message}\n    fix: {p.fix}")
    typer.echo("\n".join(lines), err=True)
    raise typer.Exit(2)


def _run(action: Callable[[], T], passthrough: tuple[type[CocflowError], ...] = ()) -> T:
    """Run ``action`` and map cocflow's errors to exit statuses (no traceback unless --debug).

    Errors of the ``passthrough`` types are left for the caller to present.
    """
    import typer

    from cocflow.services.access import Denied, NotFound

    try:
        return action()
    except InputError as err:
        _fail_input(err)
    except RulesError as err:
        if _state["debug"]:
            raise
        typer.echo(f"cocflow: the rules data is broken: {err}", err=True)
        raise typer.Exit(1) from None
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except CocflowError as err:
        if isinstance(err, passthrough):
            raise
        if isinstance(err, Denied | NotFound):  # a refusal, in the services' words
            typer.echo(f"cocflow: {err}", err=True)
            raise typer.Exit(2) from None
        if _state["debug"]:
            raise
        typer.echo(f"cocflow: {err}", err=True)
        raise typer.Exit(1) from None
    except Exception as err:
        if _state["debug"]:
            raise
        database = _database_error(err)
        if database is not None:
            typer.echo(f"cocflow: {database}", err=True)
            raise typer.Exit(1) from None
        typer.echo(
            f"cocflow: internal error ({type(err).__name__}: {clip(str(err))}). Run again with "
            f"--debug for details, and report it.",
            err=True,
        )
        raise typer.Exit(1) from None


def _database_error(err: Exception) -> str | None:
    """A database failure in words, without the statement or its parameters (they can hold a
    person's name and address)."""
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if not isinstance(err, SQLAlchemyError):
        return None
    cause = err.orig if isinstance(err, DBAPIError) and err.orig is not None else err
    first = (str(cause).splitlines() or [type(cause).__name__])[0]
    first = first.split("[SQL:")[0].strip()
    return (
        f"the database refused the operation ({type(cause).__name__}: {clip(first, 200)}); "
        f"nothing was changed. Check that the database is reachable, writable and not full."
    )


def _read(path: Path) -> Case:
    """The case in the file at ``path`` (YAML or JSON), or the file's problems."""
    from cocflow.io.casefile import read_case

    return read_case(path)


def _as_of(value: str | None) -> date:
    if value is None:
        return date.today()
    from cocflow.isodate import parse_iso_date

    try:
        return parse_iso_date(value)
    except ValueError as exc:
        _fail_input(
            InputError(
                [
                    Problem(
                        "--as-of",
                        "BAD_DATE",
                        f"{exc}.",
                        "write the date as YYYY-MM-DD, e.g. 2027-01-15.",
                    )
                ]
            )
        )


def _print(text: str) -> None:
    from rich.console import Console

    Console(highlight=False, soft_wrap=True).print(text)


def _dump(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _quoted(path: Path) -> str:
    import shlex

    return shlex.quote(str(path))


def _casework(ctx: typer.Context) -> Any:
    """The case store for this command, closed when the command ends."""
    import typer

    from cocflow.io.settings import Settings
    from cocflow.services import screening as services
    from cocflow.services.cases import open_casework

    def run() -> Any:
        settings = Settings.from_env()
        return open_casework(settings, services.rules_for(settings))

    work = _run(run)
    ctx.call_on_close(work.close)
    if work.created_key is not None:
        typer.echo(
            f"cocflow: created a new key at {work.created_key}. It encrypts every SSN, date of "
            f"birth and document you store: losing it loses them. Back it up now: "
            f"cocflow key backup --out FILE",
            err=True,
        )
    return work


def _date_option(label: str, value: str) -> date:
    from cocflow.isodate import parse_iso_date

    try:
        return parse_iso_date(value)
    except ValueError as exc:
        _fail_input(InputError([Problem(label, "BAD_DATE", f"{exc}.", "write YYYY-MM-DD.")]))


def _seat(ctx: typer.Context) -> Seat:
    """The store for this command as its actor works on it: the single person of a store
    without an organisation; on a team's store, the member named by the personal access token
    in COCFLOW_TOKEN (refused, exit status 2, without a working one)."""
    from cocflow.services.members import TOKEN_VARIABLE, take_seat

    work = _casework(ctx)
    return _run(lambda: take_seat(work, os.environ.get(TOKEN_VARIABLE)))


def _next_after_screening(outcome: str, case: Path, case_id: str | None = None) -> str:
    """The command to run next, as a person would type it."""
    if outcome == "go":
        stored = f" --case {case_id[:8]}" if case_id else ""
        return (
            f"Next: cocflow check {_quoted(case)}   (then: cocflow request {_quoted(case)} "
            f"--out filing/{stored})"
        )
    if outcome == "pause":
        return f"Next: add the missing facts to {case}, then: cocflow screen {_quoted(case)}"
    if case_id:
        return f"Next: cocflow status {case_id[:8]}"
    return f"Next: keep {case} with your records; screen again if the facts change."


def _interactive() -> bool:
    """A person at a terminal, who can be asked for what is missing."""
    return sys.stdin.isatty()
