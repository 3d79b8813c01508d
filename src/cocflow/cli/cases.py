"""Commands on stored cases: case new/list/show/update, status, backup, restore.

On a team's store each command but backup and restore (the server operator's) runs as the
member named by COCFLOW_TOKEN, checked against the role table (see cli/common.py _seat)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from cocflow.cli.common import (
    AsOfOpt,
    Format,
    FormatOpt,
    _as_of,
    _casework,
    _dump,
    _fail_input,
    _next_after_screening,
    _quoted,
    _read,
    _run,
    _seat,
)
from cocflow.errors import InputError, Problem
from cocflow.services.access import Action

case_app = typer.Typer(
    help="Store cases: the facts, the decision and the proof file.", no_args_is_help=True
)


@case_app.command("new")
def case_new(
    ctx: typer.Context,
    case_file: Annotated[Path, typer.Argument(help="The case file (.yaml, .yml or .json).")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Store a case and its screening decision; prints the new case id.

    Example: cocflow case new my-case.yaml
    """
    day = _as_of(as_of)
    seat = _seat(ctx)
    case_id, outcome, decision = _run(lambda: seat.new_case(_read(case_file), day))
    if format is Format.json:
        _dump({"id": case_id, "outcome": outcome})
        return
    if decision is None:  # a team's case that lacks facts screening needs
        typer.echo(f"Case {case_id} stored, not screened yet: it lacks facts screening needs.")
        typer.echo(
            f"Next: add the missing facts to {case_file}, then: cocflow case update "
            f"{case_id[:8]} {_quoted(case_file)}"
        )
        return
    typer.echo(f"Case {case_id} stored; screening says {outcome}.")
    others = _run(lambda: seat.same_person(case_id))
    if others:
        typer.echo(f"Note: the same SSN is on case(s) {', '.join(others)}.")
    typer.echo(_next_after_screening(outcome, case_file, case_id))


def _read_ssn() -> str:
    """The SSN from a hidden prompt on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        value = str(typer.prompt("SSN", hide_input=True, err=True))
    else:
        value = sys.stdin.readline()
    value = value.strip()
    if not value:
        _fail_input(
            InputError(
                [
                    Problem(
                        "--ssn",
                        "REQUIRED",
                        "no SSN was given.",
                        "type it at the prompt, or pipe it in: "
                        "printf '%s\\n' \"$SSN\" | cocflow case list --ssn",
                    )
                ]
            )
        )
    return value


@case_app.command("list")
def case_list(
    ctx: typer.Context,
    by_ssn: Annotated[
        bool,
        typer.Option(
            "--ssn",
            help="Only the cases of one person: the SSN is asked for (hidden) or read from "
            "standard input, never taken on the command line, where other users and the shell "
            "history would see it.",
        ),
    ] = False,
    format: FormatOpt = Format.text,
) -> None:
    """List the stored cases (or those of one person, by SSN).

    Example: cocflow case list --ssn
    """
    seat = _seat(ctx)
    cases = _run(seat.cases)
    if by_ssn:
        ssn = _read_ssn()
        wanted = set(_run(lambda: seat.work.store.find_by_ssn(ssn)))
        cases = [c for c in cases if c.id in wanted]
    if format is Format.json:
        _dump(
            [
                {
                    "id": c.id,
                    "created_at": c.created_at,
                    "updated_at": c.updated_at,
                    "outcome": c.outcome,
                    "title": c.title,
                }
                for c in cases
            ]
        )
        return
    for c in cases:
        typer.echo(f"{c.id}  {c.outcome:<10} {c.updated_at[:10]}  {c.title}")
    if not cases:
        typer.echo("No cases yet: 'cocflow case new CASE_FILE' stores one.")


@case_app.command("show")
def case_show(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    format: FormatOpt = Format.text,
) -> None:
    """Show a stored case (SSN masked, date of birth hidden).

    Example: cocflow case show 1ab6
    """
    seat = _seat(ctx)
    case_id = _run(lambda: seat.case(case_id, Action.CASE_READ))
    shown = _run(lambda: seat.work.show(case_id))
    if format is Format.json:
        _dump(shown)
        return
    typer.echo(
        f"Case {shown['id']}: {shown['title']}\nOutcome: {shown['outcome']} "
        f"(updated {shown['updated_at']})"
    )
    person = shown["facts"].get("person") or {}
    for key in ("full_legal_name", "ssn", "date_of_birth"):
        if key in person:
            typer.echo(f"  person.{key}: {person[key]}")


@case_app.command("update")
def case_update(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    case_file: Annotated[Path, typer.Argument(help="The corrected case file.")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Replace a case's facts, record what changed, and screen it again.

    Example: cocflow case update 1ab6 my-case.yaml
    """
    day = _as_of(as_of)
    seat = _seat(ctx)
    case_id = _run(lambda: seat.case(case_id, Action.CASE_EDIT))
    changed, outcome = _run(lambda: seat.update(case_id, _read(case_file), day))
    if format is Format.json:
        _dump({"id": case_id, "changed": changed, "outcome": outcome})
        return
    typer.echo(
        f"Case {case_id}: {len(changed)} change(s)"
        + (f" ({', '.join(changed)})" if changed else "")
        + f"; screening says {outcome}."
    )
    typer.echo(f"Next: cocflow status {case_id[:8]}   (and cocflow watch {case_id[:8]})")


def backup(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", help="The backup file to write.")],
) -> None:
    """Write the whole store (cases, proof files, documents, trips) to one encrypted file.

    Example: cocflow backup --out cocflow-2026-12.backup
    """
    from cocflow.store import backup as saving

    work = _casework(ctx)
    cases, documents = _run(lambda: saving.backup(work, out))
    typer.echo(
        f"Saved {cases} case(s) and {documents} document(s) to {out}, encrypted with the store's "
        f"key: keep a copy of the key apart from it, or the backup cannot be read."
    )


def restore(
    ctx: typer.Context,
    source: Annotated[Path, typer.Argument(help="A file written by 'cocflow backup'.")],
) -> None:
    """Restore a backup into an empty store, then verify every proof file.

    Example: COCFLOW_HOME=~/cocflow-restored cocflow restore cocflow-2026-12.backup
    """
    from cocflow.store import backup as saving

    work = _casework(ctx)
    results = _run(lambda: saving.restore(work, source))
    broken = [(case_id, problem) for case_id, problem in results if problem is not None]
    typer.echo(f"Restored {len(results)} case(s); {len(results) - len(broken)} verified.")
    for case_id, (seq, why) in broken:
        typer.echo(f"  case {case_id}: entry {seq}: {why}", err=True)
    if broken:
        raise typer.Exit(1)


def status(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """The four checkpoints, in order, and whether you may rely on the exemption.

    Example: cocflow status 1ab6
    """
    day = _as_of(as_of)
    seat = _seat(ctx)
    case_id = _run(lambda: seat.case(case_id, Action.CASE_READ))
    state = _run(lambda: seat.work.status(case_id, day))
    if format is Format.json:
        _dump(state.as_dict())
        return
    for n, p in enumerate(state.checkpoints, 1):
        typer.echo(f"{n}. [{'x' if p.done else ' '}] {p.name}: {p.evidence}")
    if state.guidance:
        typer.echo("Delivery:")
        for line in state.guidance:
            typer.echo(f"  - {line}")
    typer.echo(f"Rely on the exemption: {'yes' if state.rely else 'not yet'}")
    if state.next_step:
        typer.echo(f"Next: {state.next_step}")
