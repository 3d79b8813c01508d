"""The log and the watch: trips add/import/list/remove/days, watch, reminders (on a team's
store, as the member named by COCFLOW_TOKEN, over the cases they see)."""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cocflow.cli.common import (
    AsOfOpt,
    CaseOpt,
    Format,
    FormatOpt,
    _as_of,
    _date_option,
    _dump,
    _run,
    _seat,
)
from cocflow.services.access import Action

if TYPE_CHECKING:
    from cocflow.services.members import Seat
    from cocflow.services.tracking import Logbook

trips_app = typer.Typer(
    help="The travel and work log: where you were, when, and why.", no_args_is_help=True
)


def _print_import(result: Any) -> None:
    from cocflow.countries import country_name

    typer.echo(f"Added {result.added} stay(s).")
    for a, b in result.overlaps:
        typer.echo(
            f"  FLAG overlap: {country_name(a.country)} {a.start}..{a.end} and "
            f"{country_name(b.country)} {b.start}..{b.end} share days."
        )
    for start, end in result.gaps:
        typer.echo(f"  FLAG gap: nothing logged from {start} to {end}.")
    typer.echo("Next: cocflow watch   (compares the log with the certificates on file)")


class PurposeOpt(StrEnum):
    work = "work"
    personal = "personal"
    transit = "transit"


@trips_app.command("add")
def trips_add(
    ctx: typer.Context,
    country: Annotated[str, typer.Argument(help="ISO code or English name.")],
    start: Annotated[str, typer.Argument(help="First day (YYYY-MM-DD).")],
    end: Annotated[str | None, typer.Argument(help="Last day (default: the first).")] = None,
    purpose: Annotated[PurposeOpt, typer.Option(help="Why you were there.")] = PurposeOpt.work,
    note: Annotated[str | None, typer.Option(help="A short note.")] = None,
    case: CaseOpt = None,
) -> None:
    """Log one stay.

    Example: cocflow trips add PT 2027-01-15 2027-01-31 --purpose work
    """
    first = _date_option("START", start)
    last = _date_option("END", end) if end else None
    seat = _seat(ctx)
    book = _book(seat)
    case_id = _run(lambda: seat.case(case, Action.CASE_EDIT))
    with seat.acting():
        result = _run(
            lambda: book.log_stay(case_id, country, first, last, purpose=purpose.value, note=note)
        )
    seat.audit(Action.CASE_EDIT, case_id, "trips add")
    _print_import(result)


@trips_app.command("import")
def trips_import(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A .csv (see docs/trips.md) or .ics file.")],
    case: CaseOpt = None,
) -> None:
    """Import stays from CSV or iCalendar: all or nothing, every bad row reported.

    Example: cocflow trips import calendar.ics
    """
    seat = _seat(ctx)
    book = _book(seat)
    case_id = _run(lambda: seat.case(case, Action.CASE_EDIT))
    with seat.acting():
        result = _run(lambda: book.import_file(case_id, file))
    seat.audit(Action.CASE_EDIT, case_id, "trips import")
    _print_import(result)


@trips_app.command("list")
def trips_list(ctx: typer.Context, case: CaseOpt = None, format: FormatOpt = Format.text) -> None:
    """List the logged stays.

    Example: cocflow trips list
    """
    seat = _seat(ctx)
    book = _book(seat)
    case_id = _run(lambda: seat.case(case, Action.CASE_READ))
    trips = _run(lambda: book.trips(case_id))
    if format is Format.json:
        _dump(
            [
                {
                    "id": i,
                    "country": t.country,
                    "start": t.start.isoformat(),
                    "end": t.end.isoformat(),
                    "purpose": t.purpose,
                    "note": t.note,
                    "origin": t.origin,
                }
                for i, t in trips
            ]
        )
        return
    for i, t in trips:
        typer.echo(
            f"{i:>5}  {t.country}  {t.start}..{t.end}  {t.purpose:<8} {t.origin:<8} {t.note or ''}"
        )


@trips_app.command("remove")
def trips_remove(
    ctx: typer.Context,
    trip_id: Annotated[int, typer.Argument(help="Trip id.")],
    case: CaseOpt = None,
) -> None:
    """Remove one logged stay.

    Example: cocflow trips remove 7
    """
    seat = _seat(ctx)
    book = _book(seat)
    case_id = _run(lambda: seat.case(case, Action.CASE_EDIT))
    with seat.acting():
        _run(lambda: book.remove(case_id, trip_id))
    seat.audit(Action.CASE_EDIT, case_id, "trips remove")
    typer.echo(f"Removed trip {trip_id}. Next: cocflow trips list")


@trips_app.command("days")
def trips_days(
    ctx: typer.Context,
    year: Annotated[
        int,
        typer.Option(
            "--year", min=1900, max=2199, help="Calendar year (and UK tax year from 6 April)."
        ),
    ],
    case: CaseOpt = None,
    departure_counts: Annotated[bool, typer.Option(help="Count departure days as present.")] = True,
    arrival_counts: Annotated[bool, typer.Option(help="Count arrival days as present.")] = True,
    format: FormatOpt = Format.text,
) -> None:
    """Days present per country, in the calendar year and the UK tax year, work days apart.

    Example: cocflow trips days --year 2027
    """
    from cocflow.countries import country_name
    from cocflow.tracking.trips import Counting

    counting = Counting(arrival_counts=arrival_counts, departure_counts=departure_counts)
    seat = _seat(ctx)
    book = _book(seat)
    case_id = _run(lambda: seat.case(case, Action.CASE_READ))
    tables = {
        kind: _run(partial(book.days, case_id, year, counting, kind)) for kind in ("calendar", "uk")
    }
    if format is Format.json:
        _dump(
            {
                "rule": counting.describe(),
                **{
                    k: {c: {"days": d.days, "work_days": d.work_days} for c, d in v.items()}
                    for k, v in tables.items()
                },
            }
        )
        return
    typer.echo(counting.describe())
    for kind, label in (
        ("calendar", f"Calendar year {year}"),
        ("uk", f"UK tax year {year}-{year + 1} (6 April to 5 April)"),
    ):
        typer.echo(label + ":")
        for code, count in sorted(tables[kind].items()):
            typer.echo(
                f"  {country_name(code)} ({code}): {count.days} days, {count.work_days} work days"
            )


def watch(
    ctx: typer.Context,
    case_id: Annotated[str | None, typer.Argument(help="One case (default: every case).")] = None,
    letters: Annotated[
        Path | None, typer.Option("--letters", help="Folder for draft letters.")
    ] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Compare the log and the facts with the certificates on file; exit 1 if action is needed.

    Example: cocflow watch --letters drafts/
    """
    day = _as_of(as_of)
    seat = _seat(ctx)
    book = _book(seat)
    if case_id:  # the findings are recorded in the proof file
        given = case_id
        ids = [_run(lambda: seat.case(given, Action.CASE_EDIT))]
    else:
        ids = _run(lambda: seat.every(Action.CASE_EDIT))
    if letters is not None:  # and each letter drafted, as a request
        for one in ids:
            _run(partial(seat.check, one, Action.REQUEST_PREPARE))
    with seat.acting():
        if case_id:
            outcome: list[Any] = [_run(partial(book.watch, ids[0], day, letters))]
        else:
            outcome = _run(partial(book.watch_all, ids, day, letters))
    results = [r for r in outcome if not isinstance(r, tuple)]
    for r in results:
        if r.findings or r.letters:
            seat.audit(Action.CASE_EDIT, r.case_id, "watch")
    failed = [r for r in outcome if isinstance(r, tuple)]
    if format is Format.json:
        _dump(
            [
                {
                    "case": r.case_id,
                    "findings": [f.as_dict() for f in r.findings],
                    "letters": [str(p) for p in r.letters],
                }
                for r in results
            ]
            + [{"case": c, "error": e} for c, e in failed]
        )
    else:
        for r in results:
            typer.echo(
                f"Case {r.case_id}: "
                + ("nothing changed." if not r.findings else f"{len(r.findings)} finding(s).")
            )
            for f in r.findings:
                typer.echo(f"  {f.code}: {f.changed}\n    rule: {f.rule}\n    do: {f.action}")
                if f.letter and letters is None:
                    typer.echo(f"    (add --letters DIR to draft the {f.letter} letter)")
            for p in r.letters:
                typer.echo(f"  draft letter: {p}")
                if p in r.not_ready:
                    typer.echo(
                        "    not counted as a request yet: the case has errors to fix first "
                        "(cocflow check CASE_FILE), then draft it again"
                    )
        for c, e in failed:
            typer.echo(f"Case {c}: could not be checked: {e}", err=True)
    if failed or any(f.needs_action for r in results for f in r.findings):
        raise typer.Exit(1)


def reminders(
    ctx: typer.Context,
    ics: Annotated[Path | None, typer.Option("--ics", help="Write an iCalendar file.")] = None,
    as_of: AsOfOpt = None,
    format: FormatOpt = Format.text,
) -> None:
    """Every dated obligation of every case; --ics writes a calendar feed with stable UIDs.

    Example: cocflow reminders --ics cocflow.ics
    """
    from cocflow.io.settings import Settings

    settings = _run(Settings.from_env)
    seat = _seat(ctx)
    days = settings.processing_days
    day = _as_of(as_of)
    items = _run(lambda: seat.reminders(days, day))
    if ics is not None:
        from cocflow.io.atomic import atomic_write

        data = _run(lambda: seat.ics(days, day))
        _run(lambda: atomic_write(ics, data, mode=0o644))
        typer.echo(
            f"Wrote {len(items)} reminder(s) to {ics}. Next: import or subscribe to it in your "
            "calendar; run this again after any change"
        )
        return
    if format is Format.json:
        _dump(
            [
                {
                    "case": r.obligation.case_id,
                    "kind": r.obligation.kind,
                    "due": r.obligation.due.isoformat(),
                    "on": r.on.isoformat(),
                    "title": r.obligation.title,
                    "detail": r.obligation.detail,
                    "moved": r.moved,
                    "overdue": r.obligation.due < day,
                }
                for r in items
            ]
        )
        return
    for r in items:
        moved = f" ({r.moved})" if r.moved else ""
        late = "OVERDUE " if r.obligation.due < day else ""
        typer.echo(
            f"{r.on}  {late}{r.obligation.title} [case {r.obligation.case_id[:8]}]: "
            f"{r.obligation.detail}{moved}"
        )
    if not items:
        typer.echo("No dated obligations.")


def _book(seat: Seat) -> Logbook:
    from cocflow.services.tracking import Logbook

    return Logbook(seat.work)
