"""The proof file's commands: proof add, list, verify, export (on a team's store, as the member
named by COCFLOW_TOKEN, each entry naming them)."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from cocflow.cli.common import (
    Format,
    FormatOpt,
    _date_option,
    _dump,
    _interactive,
    _run,
    _seat,
)
from cocflow.services.access import Action

proof_app = typer.Typer(
    help="The proof file: an append-only, hash-chained record of a case.", no_args_is_help=True
)


class KindOpt(StrEnum):
    submission = "submission"
    approval = "approval"
    certificate = "certificate"
    delivery = "delivery"
    extension = "extension"
    other = "other"


@proof_app.command("add")
def proof_add(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    kind: Annotated[
        KindOpt,
        typer.Option("--kind", help="What the record is (required: a record's kind is permanent)."),
    ],
    file: Annotated[Path | None, typer.Argument(help="PDF, PNG, JPEG, EML or TXT.")] = None,
    channel: Annotated[str | None, typer.Option(help="online, mail, fax, email or hand.")] = None,
    on: Annotated[str | None, typer.Option("--date", help="When it happened (YYYY-MM-DD).")] = None,
    control_number: Annotated[str | None, typer.Option(help="Online request's number.")] = None,
    tracking: Annotated[str | None, typer.Option(help="Mail tracking or fax confirmation.")] = None,
    to: Annotated[
        str | None, typer.Option(help="Delivered to: authority, payroll, client.")
    ] = None,
    period_start: Annotated[str | None, typer.Option(help="Certificate period start.")] = None,
    period_end: Annotated[str | None, typer.Option(help="Certificate period end.")] = None,
    country: Annotated[str | None, typer.Option(help="Certificate country (ISO code).")] = None,
    note: Annotated[str | None, typer.Option(help="A short note.")] = None,
) -> None:
    """Add a record (and its file) to a case's proof file.

    Example: cocflow proof add 1ab6 confirmation.pdf --kind submission --channel online
    --control-number A1B2C3 --date 2026-12-02
    """
    for label, value in (
        ("--date", on),
        ("--period-start", period_start),
        ("--period-end", period_end),
    ):
        if value is not None:
            _date_option(label, value)
    seat = _seat(ctx)
    case_id = _run(lambda: seat.case(case_id, Action.PROOF_ADD))
    if kind is KindOpt.submission:  # recording that the request went to SSA
        _run(lambda: seat.check(case_id, Action.REQUEST_FILE))
    details = {
        "channel": channel,
        "date": on,
        "control_number": control_number,
        "tracking": tracking,
        "to": to,
        "period_start": period_start,
        "period_end": period_end,
        "country": country,
        "note": note,
    }
    if kind is KindOpt.submission and channel and not control_number and _interactive():
        from cocflow.services.cases import normalize_channel

        if _run(lambda: normalize_channel(channel)) == "online":
            details["control_number"] = typer.prompt(
                "Control number (on SSA's confirmation page or e-mail)", err=True
            ).strip()
    entry = _run(lambda: seat.add_proof(case_id, kind.value, file, details))
    typer.echo(f"Entry {entry.seq} ({entry.kind}) added to case {case_id}; hash {entry.hash}.")
    typer.echo(f"Next: cocflow status {case_id[:8]}")


@proof_app.command("list")
def proof_list(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    format: FormatOpt = Format.text,
) -> None:
    """List a case's proof file entries.

    Example: cocflow proof list 1ab6
    """
    seat = _seat(ctx)
    case_id = _run(lambda: seat.case(case_id, Action.CASE_READ))
    entries = _run(lambda: seat.work.entries(case_id))
    if format is Format.json:
        _dump([e.as_dict() for e in entries])
        return
    from cocflow.proof.sentences import entry_sentence

    for e in entries:
        typer.echo(f"{e.seq:>3}. {e.at[:10]}  {entry_sentence(e.kind, json.loads(e.payload))}")


@proof_app.command("verify")
def proof_verify(
    ctx: typer.Context, case_id: Annotated[str, typer.Argument(help="The case id.")]
) -> None:
    """Check the chain and every stored file; exit 1 naming the first bad entry.

    Example: cocflow proof verify 1ab6
    """
    seat = _seat(ctx)
    case_id = _run(lambda: seat.case(case_id, Action.PROOF_VERIFY))
    broken = _run(lambda: seat.verify(case_id))
    if broken:
        seq, why = broken
        typer.echo(f"BROKEN: entry {seq}: {why}.", err=True)
        raise typer.Exit(1)
    entries = seat.work.entries(case_id)
    head = entries[-1].hash if entries else "-"
    typer.echo(f"OK: {len(entries)} entries and their files check out; head {head}.")
    typer.echo(f"Next: keep the head hash apart; cocflow proof export {case_id[:8]} --out FILE.zip")


@proof_app.command("export")
def proof_export(
    ctx: typer.Context,
    case_id: Annotated[str, typer.Argument(help="The case id.")],
    out: Annotated[Path, typer.Option("--out", help="The zip file to write.")],
) -> None:
    """Write the proof bundle: SHA256SUMS, manifest, chain, files and a readable timeline.

    Example: cocflow proof export 1ab6 --out proof.zip
    """
    seat = _seat(ctx)
    case_id = _run(lambda: seat.case(case_id, Action.PROOF_EXPORT))
    path = _run(lambda: seat.export(case_id, out))
    typer.echo(f"Wrote {path}; check it with: unzip, then sha256sum -c SHA256SUMS.")
